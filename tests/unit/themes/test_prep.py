"""Modelling text: names and noise masked, the original left for display."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.themes import prep

TWEET = "@AmazonHelp my order #1234567 never came!!! see https://t.co/xYz12 or mail me: jo@example.com ??"


def test_handles_urls_emails_and_order_numbers_are_masked_and_punctuation_collapsed():
    out = prep.prep_texts([TWEET])[0]
    assert "@" not in out and "AmazonHelp" not in out
    assert "http" not in out and "t.co" not in out
    assert "example.com" not in out and "1234567" not in out
    assert "!!" not in out and "??" not in out
    assert out.startswith("my order never came!")


def test_hashtags_become_words_and_ticket_codes_go():
    assert prep.prep_texts(["#refund please, ticket TK48213A"]) == ["refund please, ticket"]


def test_brand_and_competitor_names_are_masked_whole_words_any_case():
    texts = ["Acme Cloud billing is wrong", "acme's billing again", "Flow Base is cheaper", "workflow basics"]
    out = prep.prep_texts(texts, ["Acme Cloud", "Acme", "Flow Base"])
    assert out == ["billing is wrong", "billing again", "is cheaper", "workflow basics"]


def test_inputs_are_not_changed_and_blank_stays_blank():
    texts = [TWEET, "", None]
    before = list(texts)
    out = prep.prep_texts(texts)
    assert texts == before
    assert out[1] == "" and out[2] == ""


def test_competitor_terms_read_names_and_aliases():
    table = pd.DataFrame({"name": ["Flowbase", "Pulse"], "aliases": ["FlowBase|flowbase.io", None]})
    assert prep.competitor_terms(table) == ["FlowBase", "Flowbase", "Pulse", "flowbase.io"]
    assert prep.competitor_terms(None) == []


def _reviews(n: int = 120) -> list[str]:
    problems = [
        "the driver cancelled",
        "the fare was too high",
        "the app crashed on login",
        "support never replied",
    ]
    brand = ["Zoomr", "zoomr", "Zoomr", "Zoomr"]  # mostly capitalised mid-sentence: a name
    return [f"I used {brand[i % 4]} today and {problems[i % 4]}." for i in range(n)]


def test_a_name_that_dominates_the_corpus_is_found_without_configuration():
    texts = _reviews()
    assert prep.dominant_names(texts) == ["Zoomr"]
    # Words written in lower case and problem acronyms written in capitals are not names.
    assert prep.dominant_names(["the OTP code never arrives for my card"] * 50) == []


def test_a_name_present_in_most_documents_of_several_clusters_is_found():
    texts = [
        f"Globex {p}" if i % 2 else f"our Globex {p}"
        for i, p in enumerate(["fees high"] * 30 + ["app slow"] * 30)
    ]
    texts += [f"refund {i} late" for i in range(400)]  # the name is rare in the corpus as a whole
    clusters = np.array([0] * 30 + [1] * 30 + [2] * 400)
    assert prep.dominant_names(texts, corpus_share=0.5) == []
    assert prep.dominant_names(texts, clusters, corpus_share=0.5) == ["Globex"]
