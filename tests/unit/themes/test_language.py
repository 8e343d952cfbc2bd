"""Offline language detection: confident non-English feedback gets its own group."""

from __future__ import annotations

import numpy as np

from workbench.themes import language

CHINESE = "这个应用程序经常崩溃，客服也不回复我的邮件"
SPANISH = "El conductor canceló el viaje y la aplicación me cobró de todos modos"


def test_other_languages_are_detected_and_short_english_stays_english():
    codes = language.detect(
        [CHINESE, SPANISH, "good app", "ok", "The driver cancelled and I was charged anyway", ""]
    )
    assert list(codes) == ["zh", "es", "en", "en", "en", "en"]


def test_a_language_needs_enough_documents_for_its_own_group():
    codes = np.array(["en"] * 900 + ["zh"] * 60 + ["es"] * 30 + ["fr"] * 2, dtype=object)
    assert language.language_groups(codes) == ["zh", "es"]
    assert language.group_label("zh") == "Chinese-language feedback"


def test_a_multilingual_model_keeps_every_language_in_the_clusters():
    assert language.is_multilingual("paraphrase-multilingual-MiniLM-L12-v2")
    assert not language.is_multilingual("default")


def test_guess_judges_only_texts_long_enough_and_detect_reads_the_same_guesses():
    texts = [SPANISH, "ok", CHINESE, "", "The driver cancelled and I was charged anyway"]
    codes, probs = language.guess(texts)
    assert codes[0] == "es" and codes[2] == "zh" and codes[4] == "en"
    assert codes[1] is None and codes[3] is None and probs[1] == 0.0
    assert list(language.detect(texts, (codes, probs))) == list(language.detect(texts))
