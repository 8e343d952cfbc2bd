"""Phrase labels: one readable phrase per cluster; clusters of judgement alone share one label."""

from __future__ import annotations

import numpy as np

from workbench.themes import labels


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
