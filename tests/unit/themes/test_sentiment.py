"""The sentiment head: its arithmetic, the VADER fallback, the shipped weights and their retraining."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.themes import sentiment
from workbench.themes.embeddings import DEFAULT_SPEC, Embedder, vector_space

REPO = Path(__file__).resolve().parents[3]
FIGURES = REPO / "bench" / "quality_figures.json"
DIM = 4
# A toy head on 4-d vectors: axis 0 is "negative", axis 1 "neutral", axis 2 "positive".
TOY = sentiment.SentimentHead(
    weights=np.array([[5, 0, 0, 0], [0, 5, 0, 0], [0, 0, 5, 0]], dtype=np.float32),
    bias=np.zeros(3, dtype=np.float32),
    model_id="toy-model",
)
NEG, NEU, POS = np.eye(DIM, dtype=np.float32)[:3]
# UCI binary accuracy of the shipped head, written by bench/bench_sentiment.py (with its section of
# docs/benchmarks.md): the figure is measured, never typed here.


def test_probabilities_sum_to_one_and_follow_the_weights():
    proba = TOY.probabilities(np.stack([NEG, NEU, POS]))
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert proba.argmax(axis=1).tolist() == [0, 1, 2]


def test_score_is_p_positive_minus_p_negative_and_agrees_with_the_label():
    vectors = np.stack([NEG, NEU, POS, (POS + NEU) / 2, (NEG + 0.9 * POS)])
    scores, labels = TOY.score(vectors)
    proba = TOY.probabilities(vectors)
    assert np.allclose(scores, proba[:, 2] - proba[:, 0])
    assert labels.tolist()[:3] == ["negative", "neutral", "positive"]
    assert np.all((scores >= -1) & (scores <= 1))
    assert all(s > 0 for s, lab in zip(scores, labels, strict=True) if lab == "positive")
    assert all(s < 0 for s, lab in zip(scores, labels, strict=True) if lab == "negative")


def test_score_of_no_vectors_is_empty():
    scores, labels = TOY.score(np.zeros((0, DIM), dtype=np.float32))
    assert scores.shape == (0,) and labels.shape == (0,)


def test_wrong_width_is_refused():
    with pytest.raises(ValueError, match="expected"):
        TOY.probabilities(np.zeros((2, DIM + 1)))


def test_save_and_load_round_trip(tmp_path):
    head = sentiment.SentimentHead(TOY.weights, TOY.bias + 0.5, "toy-model", meta={"chosen": {"C": 1.0}})
    loaded = sentiment.load_head(head.save(tmp_path / "head.npz"))
    assert np.array_equal(loaded.weights, head.weights) and np.array_equal(loaded.bias, head.bias)
    assert loaded.model_id == "toy-model" and loaded.meta == {"chosen": {"C": 1.0}}
    assert loaded.anchor is None and loaded.blend == (1.0, 0.0, 0.0) and loaded.neutral_band is None
    blended = replace(
        head, anchor=np.array([1, 0, 0, -1], np.float32), blend=(0.6, 0.2, 0.2), neutral_band=0.1
    )
    again = sentiment.load_head(blended.save(tmp_path / "blended.npz"))
    assert np.array_equal(again.anchor, blended.anchor)
    assert again.blend == (0.6, 0.2, 0.2) and again.neutral_band == 0.1


# A blended toy: the head, VADER and an anchor along axis 3 (positive) each carry a third.
BLENDED = replace(TOY, anchor=np.array([0, 0, 0, 2], np.float32), blend=(0.4, 0.3, 0.3), neutral_band=0.2)


def test_the_blend_weighs_head_vader_and_anchor_and_the_band_labels_it():
    vectors = np.stack([NEU, NEU + np.eye(DIM, dtype=np.float32)[3], NEG])
    texts = ["it is a phone", "it is a phone", "I hate it, awful"]
    signals = BLENDED.signals(vectors, texts)
    assert signals[0, 1] == 0 and signals[2, 1] < -0.5  # VADER reads the texts
    assert signals[0, 2] == 0 and signals[1, 2] == 1.0  # the anchor is clipped to 1
    scores, labels = BLENDED.score(vectors, texts)
    assert np.allclose(scores, signals @ np.array([0.4, 0.3, 0.3]))
    assert labels.tolist() == ["neutral", "positive", "negative"]  # 0 / 0.3 / below -0.2


def test_a_blend_with_vader_needs_the_texts():
    with pytest.raises(ValueError, match="texts"):
        BLENDED.score(np.stack([NEU, POS]))


def test_band_labels_never_disagree_with_the_sign():
    scores = np.array([-0.5, -0.1, 0.0, 0.1, 0.11, 0.7])
    assert sentiment.band_labels(scores, 0.1).tolist() == [
        "negative",
        "neutral",
        "neutral",
        "neutral",
        "positive",
        "positive",
    ]


def test_anchor_direction_is_scaled_to_the_reference_spread():
    rng = np.random.default_rng(1)
    reference = rng.normal(size=(500, DIM))
    direction = sentiment.anchor_direction(np.stack([POS]), np.stack([NEG]), reference)
    assert np.std(reference @ direction) == pytest.approx(1 / sentiment.ANCHOR_SPREAD, rel=1e-4)
    assert direction[2] > 0 > direction[0]  # towards the positive anchors, away from the negative


def test_choose_blend_picks_the_signal_that_carries_and_prefers_the_head_on_ties():
    rng = np.random.default_rng(2)
    positive = rng.random(400) < 0.5
    truth = np.where(positive, 1.0, -1.0)
    # The head is noise in this domain, the anchor reads the truth: the anchor gets the most weight.
    signals = np.column_stack([rng.normal(size=400), np.zeros(400), 0.5 * truth + rng.normal(0, 0.1, 400)])
    blend, grid = sentiment.choose_blend([(signals, positive)])
    assert blend[2] == max(sentiment.BLEND_STEPS) and len(grid) > 20
    # Every blend scores the same on a perfect head: the head alone wins the tie.
    perfect = np.column_stack([truth, np.zeros(400), np.zeros(400)])
    assert sentiment.choose_blend([(perfect, positive)])[0] == (1.0, 0.0, 0.0)


def test_choose_band_finds_the_gap_of_the_neutral_texts():
    scores = np.array([-0.8, -0.5, -0.05, 0.0, 0.04, 0.5, 0.9])
    labels = np.array(
        ["negative", "negative", "neutral", "neutral", "neutral", "positive", "positive"], object
    )
    band = sentiment.choose_band(scores, labels)
    assert 0.05 <= band < 0.5 and sentiment.band_labels(scores, band).tolist() == labels.tolist()


def test_unreadable_head_is_a_workbench_error(tmp_path):
    bad = tmp_path / "head.npz"
    bad.write_bytes(b"not an npz")
    with pytest.raises(sentiment.SentimentHeadError):
        sentiment.load_head(bad)


def test_vader_labels_use_vaders_thresholds():
    labels = sentiment.vader_labels(np.array([-0.5, -0.05, 0.0, 0.049, 0.05, np.nan]))
    assert labels.tolist() == ["negative", "negative", "neutral", "neutral", "positive", None]


def test_other_embedding_models_fall_back_to_vader():
    texts = ["I love it, wonderful", "terrible, awful, I hate it", "", None]
    scores, labels, method = sentiment.score(texts, np.zeros((4, 256), dtype=np.float32), "m2v-distill")
    assert method == sentiment.METHOD_VADER
    assert labels.tolist() == ["positive", "negative", None, None]
    assert scores[0] > 0 > scores[1] and np.isnan(scores[2:]).all()


def test_the_head_is_used_for_its_own_model_and_blank_texts_get_nothing():
    head = sentiment.shipped_head()
    vectors = np.zeros((3, head.weights.shape[1]), dtype=np.float32)
    vectors[:, 0] = 1.0
    scores, labels, method = sentiment.score(["fine", " ", "ok"], vectors, head.model_id)
    assert method == sentiment.METHOD_HEAD
    assert labels[1] is None and np.isnan(scores[1])
    assert np.allclose(scores[[0, 2]], head.score(vectors[[0, 2]], ["fine", "ok"])[0])


def test_stated_scores_sit_beside_the_documents_and_deal_notes_have_none():
    docs = pd.DataFrame(
        {"table": ["feedback", "feedback", "deals", "feedback"], "record_id": ["f1", "f2", "f1", "f9"]}
    )
    feedback = pd.DataFrame({"feedback_id": ["f1", "f2"], "rating": [2.0, None], "score": ["9", "3"]})
    out = sentiment.stated_scores(docs, feedback)
    assert list(out.columns) == ["stated_rating", "stated_nps"]
    assert out["stated_rating"].tolist()[:1] == [2.0] and out["stated_rating"].iloc[1:].isna().all()
    assert out["stated_nps"].tolist()[:2] == [9.0, 3.0] and out["stated_nps"].iloc[2:].isna().all()
    unrated = sentiment.stated_scores(docs, feedback[["feedback_id"]])
    assert unrated.isna().all().all() and len(unrated) == len(docs)


def test_shipped_head_is_small_and_reads_the_default_model():
    head = sentiment.shipped_head()
    assert sentiment.HEAD_PATH.stat().st_size < 64_000
    assert head.model_id == vector_space(Embedder(DEFAULT_SPEC).model_id) == "st-all-MiniLM-L6-v2"
    assert sentiment.head_for("onnx-fp32-all-MiniLM-L6-v2") is head  # same vectors, another runtime
    assert sentiment.head_for("ov-bf16-all-MiniLM-L6-v2") is head  # cosine >= 0.9999 to torch fp32
    assert sentiment.head_for("onnx-int8-all-MiniLM-L6-v2") is None  # drifted vectors: VADER
    assert head.weights.shape == (3, 384) and np.isfinite(head.weights).all()
    assert head.meta["chosen"]["C"] in sentiment.C_GRID


def test_fit_head_picks_from_the_grid_and_separates_the_classes():
    rng = np.random.default_rng(0)
    centres = np.eye(3, 8) * 3
    y = np.repeat(np.array(sentiment.LABELS, dtype=object), 40)
    x = centres[np.repeat([0, 1, 2], 40)] + rng.normal(scale=0.5, size=(120, 8))
    head = sentiment.fit_head(x, y, groups=np.arange(120), model_id="toy", provenance={"sources": ["toy"]})
    assert head.meta["chosen"]["C"] in sentiment.C_GRID and head.meta["sources"] == ["toy"]
    _, labels = head.score(x)
    assert (labels == y).mean() > 0.95


# ------------------------------------------------------------------------------- on the real data


def _training_script():
    spec = importlib.util.spec_from_file_location("train_sentiment", REPO / "bench" / "train_sentiment.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("train_sentiment", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # embeds ~10,000 reviews when the project cache is cold
@pytest.mark.shared_data
def test_retraining_reproduces_the_shipped_weights(shared_data):
    """Refit with the chosen hyper-parameters on the same rows: the committed weights come back.

    The cross-validation that chose C and the class weights takes minutes; ``bench/train_sentiment.py
    --check`` reruns it. Embeddings come from the project cache (computed once when cold).
    """
    from threadpoolctl import threadpool_limits

    train = _training_script()
    rows = train.load_reviews(shared_data)
    shipped = sentiment.shipped_head()
    train_rows = rows[~rows["held_out"]]
    assert train_rows["source"].value_counts().sort_index().to_dict() == shipped.meta["rows_per_source"]
    vectors = train.embed(train_rows["text"].tolist())
    chosen = shipped.meta["chosen"]
    y = np.array([sentiment.LABELS.index(label) for label in train_rows["label"]])
    with threadpool_limits(limits=1):
        refit = sentiment.logistic(chosen["C"], chosen["class_weight"]).fit(vectors.astype(np.float64), y)
    assert np.allclose(refit.coef_, shipped.weights, atol=1e-3)
    assert np.allclose(refit.intercept_, shipped.bias, atol=1e-3)
    # The anchor, the blend and the neutral band, chosen leaving one source out, come back too.
    blended = train.fit_blend(train_rows.reset_index(drop=True), vectors, shipped)
    assert np.allclose(blended.anchor, shipped.anchor, atol=1e-4)
    assert blended.blend == shipped.blend and blended.neutral_band == shipped.neutral_band


def _bench_script():
    spec = importlib.util.spec_from_file_location("bench_sentiment", REPO / "bench" / "bench_sentiment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # embeds ~10,000 reviews when the project cache is cold
@pytest.mark.shared_data
def test_uci_accuracy_stays_at_the_benchmark_figure(shared_data):
    """Binary accuracy on the UCI sentences (never trained on) stays within 0.02 of the benchmark.

    Embeddings come from the project cache (2,838 sentences; about a minute on 2 cores when cold).
    """
    _training_script()  # bench_sentiment imports it by name
    bench = _bench_script()
    uci = bench.load_uci(shared_data)
    assert len(uci) > 2_500 and set(uci["label"]) == {0, 1}
    texts = uci["text"].tolist()
    scores, _ = sentiment.shipped_head().score(bench.embed(texts, runtime=bench.PRODUCT), texts)
    accuracy = float((bench.binary(scores) == uci["label"].to_numpy()).mean())
    benchmark = json.loads(FIGURES.read_text(encoding="utf-8"))["uci_sentiment"]["accuracy"]
    assert accuracy == pytest.approx(benchmark, abs=0.02)


class _AxisEmbedder:
    """Embeds a text on the axis of its first word: 'bad' -> negative, 'meh' -> neutral, else positive."""

    model_id = "toy-model"

    def embed(self, texts):
        axis = {"bad": 0, "meh": 1}
        return np.stack([np.eye(DIM, dtype=np.float32)[axis.get(t.split()[0], 2)] for t in texts])


class _OneThemeModel:
    model_id, mask_terms, languages = "toy-model", (), None

    def assign(self, vectors, languages=None):
        return np.array(["t1"] * len(vectors), dtype=object), np.ones(len(vectors))


def test_the_engine_scores_sentiment_from_the_vectors_it_assigns_with(monkeypatch):
    from workbench.themes import engine

    monkeypatch.setattr(sentiment, "head_for", lambda model_id: TOY if model_id == TOY.model_id else None)
    docs = pd.DataFrame(
        {
            "doc_id": [f"feedback:f{i}" for i in range(5)],
            "text": ["bad service", "meh ok", "great app", "  ", "bad again"],
        }
    )
    out = engine.assign_documents(docs, _OneThemeModel(), _AxisEmbedder(), chunk_size=2)
    labels = out["sentiment_label"]
    assert labels.drop(index=3).tolist() == ["negative", "neutral", "positive", "negative"]
    assert pd.isna(labels[3])  # blank text: no sentiment
    expected, _ = TOY.score(np.eye(DIM, dtype=np.float32)[[0, 1, 2, 0]])
    assert np.allclose(out["sentiment"].to_numpy()[[0, 1, 2, 4]], expected)
    assert np.isnan(out.loc[3, "sentiment"])
