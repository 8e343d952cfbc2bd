"""Clusters without a topic get a label that says what they are (other languages, praise alone)."""

from __future__ import annotations

import numpy as np

from workbench.themes import group_labels as gl
from workbench.themes import language

SPANISH = [
    "El conductor canceló el viaje y la aplicación me cobró de todos modos",
    "Muy mala experiencia, los conductores toman los viajes y luego los cancelan",
    "La aplicación no me deja pagar con tarjeta desde la última actualización",
    "Excelente servicio, el conductor fue muy amable y llegó a tiempo",
    "Pésima atención al cliente, nunca responden a mis reclamos",
    "Me cobraron dos veces el mismo viaje y nadie me devuelve el dinero",
]
ENGLISH = [
    "The driver cancelled the trip and the app charged me anyway",
    "I was charged twice for the same ride and support never answered",
    "The app will not let me pay by card since the last update",
    "Customer service never replies to my refund requests at all",
    "Drivers accept the ride and then cancel it after ten minutes",
    "The fare shown at booking is lower than what I am charged",
]


def _tone(labels_by_row):
    return lambda rows: np.asarray([labels_by_row[i] for i in rows], dtype=object)


def test_generic_polarity_reads_only_labels_made_of_judgement():
    assert gl.generic_polarity("Very good") == 1
    assert gl.generic_polarity("Excellent") == 1
    assert gl.generic_polarity("Worst") == -1
    assert gl.generic_polarity("Good service") == 0  # says what was good
    assert gl.generic_polarity("Easy to use") == 0  # a quality, a product finding
    assert gl.generic_polarity("Login") == 0


def test_judging_clusters_fold_short_ones_and_long_ones_apart_and_topics_stay():
    texts = ["good", "Good app", "excellent", "Excellent!!", "worst ever", "worst", "Login fails"]
    texts += ["Great, though the export to csv drops every second column of my reports"] * 2
    texts += ["Worst purchase I ever made, I regret every single cent I paid for it"] * 2
    clusters = np.array([0, 0, 1, 1, 2, 2, 3, 4, 4, 5, 5])
    out = gl.group_labels(
        {0: "Good", 1: "Excellent", 2: "Worst", 3: "Login", 4: "Great", 5: "Worst ever"}, texts, clusters
    )
    assert out[0] == out[1] == "Short praise"  # one theme in the engine: same label, same id
    assert out[2] == "Short complaints"
    assert out[3] == "Login"
    # Long texts whose most distinctive phrase is still only judgement: praise or complaint in general.
    assert out[4] == "General praise"
    assert out[5] == "General complaints"


def test_misspelt_praise_folds_only_when_its_tone_is_clear_and_it_is_not_an_acronym():
    texts = ["gud", "Gud app", "very gud", "SSO", "SSO please", "sso", "Okta", "okta login", "Okta sync"]
    texts += ["Refund", "refund please", "refund now"]
    clusters = np.repeat([0, 1, 2, 3], 3)
    tone = _tone(["positive"] * 6 + ["neutral"] * 3 + ["positive"] * 3)
    found = {0: "Gud", 1: "SSO", 2: "Okta", 3: "Refund"}
    out = gl.group_labels(found, texts, clusters, tone=tone)
    assert out[0] == "Short praise"  # not a dictionary word, clearly positive
    assert out[1] == "SSO"  # customers write it in capitals: an acronym, a topic
    assert out[2] == "Okta"  # not in the dictionary, but neutral: jargon, a topic
    assert out[3] == "Refund"  # a dictionary word: a topic whatever the tone
    assert gl.group_labels(found, texts, clusters)[0] == "Gud"  # no tone known: left as found


def test_tone_is_read_among_the_members_that_are_not_neutral():
    def sign(labels):
        return gl._tone_sign(_tone(labels), np.arange(len(labels)))

    # A misspelling mutes the inferred sentiment: 4 positive and 6 neutral is still clear praise.
    assert sign(["positive"] * 4 + ["neutral"] * 6) == 1
    assert sign(["negative"] * 5 + ["neutral"] * 5) == -1
    assert sign(["positive"] * 2 + ["neutral"] * 8) == 0  # too few polar members to tell
    assert sign(["positive"] * 5 + ["negative"] * 2 + ["neutral"] * 3) == 0  # they disagree
    assert gl._tone_sign(None, np.arange(3)) == 0


def test_clusters_in_another_language_are_named_by_it_or_grouped_as_other_languages():
    assert gl.cluster_language(["es"] * 8 + ["en"] * 2) == "Spanish-language feedback"
    assert gl.cluster_language(["es"] * 4 + ["pt"] * 3 + ["ro"] * 2) == "Feedback in other languages"
    # An unsure guess of a minor language ("sn" for Hindi in Latin letters) is not named.
    assert gl.cluster_language(["sn"] * 5 + ["ha"] * 1 + ["en"] * 2) == "Feedback in other languages"
    assert gl.cluster_language(["en"] * 6 + ["es"] * 4) is None
    # Members too short to judge (None) do not count, and too few judged members decide nothing.
    assert gl.cluster_language([None] * 20 + ["es"] * 4) is None


def test_real_sentences_in_spanish_make_a_spanish_cluster_and_english_stays_a_topic():
    texts = SPANISH + ENGLISH + ["Muy buen servicio", "Bien"] * 3
    clusters = np.array([0] * 6 + [1] * 6 + [0] * 6)
    guesses = language.guess(texts)[0]
    out = gl.group_labels({0: "Viaje", 1: "Charged"}, texts, clusters, guesses=guesses)
    assert out == {0: "Spanish-language feedback", 1: "Charged"}
    # With a multilingual model no guesses are passed and the phrase label stays.
    assert gl.group_labels({0: "Viaje", 1: "Charged"}, texts, clusters) == {0: "Viaje", 1: "Charged"}


def test_dictionary_knows_english_and_not_misspellings():
    assert gl.is_dictionary_word("Refund") and gl.is_dictionary_word("driver")
    assert not gl.is_dictionary_word("gud") and not gl.is_dictionary_word("exlent")
