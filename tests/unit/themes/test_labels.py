"""Clusters of short, purely judging texts fold into one "Short praise" / "Short complaints" theme."""

from __future__ import annotations

import numpy as np

from workbench.themes import labels


def test_generic_polarity_reads_only_labels_made_of_judgement():
    assert labels.generic_polarity("Very good") == 1
    assert labels.generic_polarity("Excellent") == 1
    assert labels.generic_polarity("Worst") == -1
    assert labels.generic_polarity("Good service") == 0  # says what was good
    assert labels.generic_polarity("Easy to use") == 0  # a quality, a product finding
    assert labels.generic_polarity("Login") == 0


def test_only_short_judging_clusters_fold_and_they_share_one_label():
    texts = ["good", "Good app", "excellent", "Excellent!!", "worst ever", "worst", "Login fails"]
    texts += ["Great, though the export to csv drops every second column of my reports"] * 2
    clusters = np.array([0, 0, 1, 1, 2, 2, 3, 4, 4])
    out = labels.fold_generic_judgements(
        {0: "Good", 1: "Excellent", 2: "Worst", 3: "Login", 4: "Great"}, texts, clusters
    )
    assert out[0] == out[1] == "Short praise"  # one theme in the engine: same label, same id
    assert out[2] == "Short complaints"
    assert out[3] == "Login"
    assert out[4] == "Great"  # long texts: they say what was great, so the cluster stays its own


def test_phrase_labels_fold_generic_praise_end_to_end():
    texts = ["good"] * 6 + ["very good"] * 6 + ["export to csv broken"] * 6
    clusters = np.repeat([0, 1, 2], 6)
    vocab = ["good", "very", "export", "csv", "broken"]

    def embed(phrases):
        rows = np.array([[p.count(w) for w in vocab] for p in phrases], dtype=np.float32) + 1e-3
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    centroids = embed(["good", "very good", "export csv broken"])
    out = labels.phrase_labels(texts, clusters, centroids, embed)
    assert out[0] == out[1] == "Short praise"
    assert out[2] != "Short praise"


def test_one_word_in_two_forms_labels_one_theme_not_two():
    # Alexa reviews had "Works", "Worked" and "Working" as three themes. With word stems a later
    # cluster whose every phrase is a form of a taken one takes that very label (one theme).
    texts = ["works", "works", "works", "it works", "works fine", "works"]
    texts += ["worked", "worked", "worked", "it worked", "stopped", "worked until it stopped"]
    texts += ["export to csv broken"] * 6
    clusters = np.repeat([0, 1, 2], 6)
    vocab = ["work", "stop", "export", "csv", "broken"]

    def embed(phrases):
        rows = np.array([[p.count(w) for w in vocab] for p in phrases], dtype=np.float32) + 1e-3
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    out = labels.phrase_labels(texts, clusters, embed(["work", "work stop", "export csv broken"]), embed)
    assert out[0] == out[1] == "Works"
    assert out[2] == "Export to csv broken"
    assert labels._stem("Drivers") == labels._stem("driver")  # the plural rule it replaces still holds
