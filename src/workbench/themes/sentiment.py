"""Sentiment per customer text from the theme embeddings: a small trained head, VADER as fallback.

Why a head on the embeddings: the lexicon scorer VADER agrees with people only about half the
time on real complaints (sarcasm, "thanks for nothing", domain words such as "charged" or
"cancelled" that carry no lexicon polarity). The theme engine already computes an
all-MiniLM-L6-v2 vector for every text, and those vectors encode polarity well, so a multinomial
logistic regression on them (3 x 384 weights, a few KB) agrees with people far more often at a
cost of one small matrix product: hundreds of thousands of texts per second, and no second
transformer pass. See docs/sentiment.md for the data, the method and the measurements.

The head was trained on public star-rated reviews (1-2 stars negative, 3 neutral, 4-5 positive)
by ``bench/train_sentiment.py``, which a test reruns to check that it reproduces the committed
weights. It only makes sense on vectors of the model it was trained on; for any other embedding
model (the static model2vec one, a custom sentence-transformers model) :func:`score` falls back
to VADER (:func:`workbench.themes.text.sentiment_scores`).

The shipped score blends three signals, because each fails differently outside its own domain:
the head (P(positive) - P(negative); learned from app and smart-speaker reviews, it misses mild
criticism of a meal or a film), VADER (a lexicon: domain-free, blind to "charged twice") and an
"anchor" similarity to a few generic positive and negative statements (zero-shot, no domain at
all). The blend weights and the neutral band were chosen leaving one training source out, so for
text unlike the training reviews (docs/sentiment.md: UCI sentences 0.860 against 0.813 for the
head alone). VADER's part costs tens of thousands of texts per second; the rest is two small
matrix products.

Outputs, per text: ``sentiment`` in -1..1, the blended score (VADER's compound score for the
fallback), and ``sentiment_label``: negative / neutral / positive by the neutral band around 0
(VADER's own +-0.05 thresholds for the fallback). Blank texts get no sentiment (NaN / None).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.core.errors import SentimentHeadError

logger = logging.getLogger(__name__)

HEAD_PATH = Path(__file__).resolve().parent / "assets" / "sentiment_head.npz"
LABELS = ("negative", "neutral", "positive")
VADER_NEUTRAL = 0.05  # VADER's own threshold: |compound| < 0.05 is neutral
METHOD_HEAD = "minilm-head"
METHOD_VADER = "vader"
# Cross-validation grid (bench/train_sentiment.py): inverse regularisation and class weighting.
C_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)  # unit-length inputs want a large C
CLASS_WEIGHTS = (None, "balanced")
CV_FOLDS = 5
CV_TOL, FINAL_TOL = 1e-4, 1e-6  # a looser fit to compare settings, a tight one to ship
# Generic, domain-free statements of each polarity, written once before any measurement and never
# tuned: the "anchor" signal is a text's similarity to their mean difference, a zero-shot reading
# of polarity that does not share the training reviews' domain (apps and smart speakers).
ANCHORS_POSITIVE = (
    "This is great.",
    "I love it.",
    "Excellent, highly recommend.",
    "Very good.",
    "Works perfectly, very happy.",
    "Amazing experience.",
)
ANCHORS_NEGATIVE = (
    "This is terrible.",
    "I hate it.",
    "Awful, do not recommend.",
    "Very bad.",
    "Does not work, very disappointed.",
    "Horrible experience.",
)
ANCHOR_SPREAD = 3.0  # the anchor similarity is scaled so 3 standard deviations (training texts) read as 1
SIGNALS = ("head", "vader", "anchor")
BLEND_STEPS = tuple(round(0.1 * i, 1) for i in range(7))  # weights of VADER and the anchor: 0..0.6
BAND_STEPS = tuple(round(0.01 * i, 2) for i in range(61))  # neutral band half-widths: 0..0.6


@dataclass(frozen=True)
class SentimentHead:
    """A linear softmax head: ``probabilities = softmax(vectors @ weights.T + bias)``.

    Attributes:
        weights: (3, dim) float32, rows in :data:`LABELS` order.
        bias: (3,) float32.
        model_id: the embedding model whose vectors it reads (``Embedder.model_id``).
        meta: how it was trained (sources, counts, chosen C and class weights, CV score).
        anchor: (dim,) float32, the scaled anchor direction (see :func:`anchor_direction`), or None.
        blend: weights of the three signals in :data:`SIGNALS` order (head, VADER, anchor) that
            make the score; ``(1, 0, 0)`` is the head alone.
        neutral_band: texts whose blended score lies within +-band are neutral; None labels each
            text with the head's likeliest class instead.
    """

    weights: np.ndarray
    bias: np.ndarray
    model_id: str
    meta: dict = field(default_factory=dict)
    anchor: np.ndarray | None = None
    blend: tuple[float, float, float] = (1.0, 0.0, 0.0)
    neutral_band: float | None = None

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """(n, 3) class probabilities in :data:`LABELS` order."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.weights.shape[1]:
            raise ValueError(f"expected (n, {self.weights.shape[1]}) vectors, got {vectors.shape}")
        logits = vectors @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        return logits

    def signals(self, vectors: np.ndarray, texts: Sequence[str | None] | None = None) -> np.ndarray:
        """(n, 3) signals in :data:`SIGNALS` order, each in -1..1.

        ``head`` is P(positive) - P(negative); ``vader`` VADER's compound score of the text as
        written (0 where no weight is given to it, and then ``texts`` may be None); ``anchor`` the
        clipped, scaled similarity to the anchor direction (0 without one).
        """
        return self._signals(np.asarray(vectors, dtype=np.float32), self.probabilities(vectors), texts)

    def _signals(
        self, vectors: np.ndarray, proba: np.ndarray, texts: Sequence[str | None] | None
    ) -> np.ndarray:
        out = np.zeros((len(vectors), 3), dtype=np.float64)
        out[:, 0] = proba[:, 2] - proba[:, 0]
        if self.blend[1]:
            if texts is None or len(texts) != len(vectors):
                raise ValueError("this head blends in VADER: pass the texts with the vectors")
            from workbench.themes.text import sentiment_scores

            out[:, 1] = sentiment_scores(texts)
        if self.anchor is not None:
            out[:, 2] = np.clip(vectors @ self.anchor, -1.0, 1.0)
        return out

    def score(
        self, vectors: np.ndarray, texts: Sequence[str | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(sentiment, sentiment_label)``: the blended score in -1..1, and its class.

        The label and the sign of the score never disagree: with a neutral band the label is read
        off the score; without one (the head alone) the likeliest class has the larger of
        P(positive) and P(negative), so the sign of the score.
        """
        if len(vectors) == 0:
            return np.zeros(0, dtype=np.float64), np.zeros(0, dtype=object)
        proba = self.probabilities(vectors)
        scores = self._signals(np.asarray(vectors, dtype=np.float32), proba, texts) @ np.asarray(
            self.blend, dtype=np.float64
        )
        if self.neutral_band is not None:
            return scores, band_labels(scores, self.neutral_band)
        return scores, np.asarray(LABELS, dtype=object)[proba.argmax(axis=1)]

    def save(self, path: Path) -> Path:
        """Write the head as a small ``.npz`` (float32 arrays plus the metadata as JSON)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(
                handle,
                weights=self.weights.astype(np.float32),
                bias=self.bias.astype(np.float32),
                labels=np.asarray(LABELS),
                model_id=np.asarray(self.model_id),
                meta=np.asarray(json.dumps(self.meta, sort_keys=True)),
                anchor=np.zeros(0, np.float32) if self.anchor is None else self.anchor.astype(np.float32),
                blend=np.asarray(self.blend, dtype=np.float64),
                neutral_band=np.asarray(np.nan if self.neutral_band is None else self.neutral_band),
            )
        return path


def load_head(path: Path = HEAD_PATH) -> SentimentHead:
    """Read a head written by :meth:`SentimentHead.save`."""
    try:
        with np.load(path, allow_pickle=False) as data:
            labels = tuple(str(x) for x in data["labels"])
            if labels != LABELS:
                raise SentimentHeadError(f"{path}: labels {labels}, expected {LABELS}")
            return SentimentHead(
                weights=data["weights"].astype(np.float32),
                bias=data["bias"].astype(np.float32),
                model_id=str(data["model_id"]),
                meta=json.loads(str(data["meta"])),
                anchor=data["anchor"].astype(np.float32) if data["anchor"].size else None,
                blend=tuple(float(w) for w in data["blend"]),
                neutral_band=None if np.isnan(data["neutral_band"]) else float(data["neutral_band"]),
            )
    except (OSError, KeyError, ValueError) as exc:
        raise SentimentHeadError(f"cannot read the sentiment head {path}: {exc}") from exc


@lru_cache(maxsize=1)
def shipped_head() -> SentimentHead:
    """The head shipped with the package (read once per process)."""
    return load_head(HEAD_PATH)


def head_for(model_id: str | None) -> SentimentHead | None:
    """The shipped head when it reads vectors of ``model_id``, else None (use VADER).

    A missing or unreadable weight file (a broken install) also falls back to VADER, with a warning,
    rather than stopping a report over a few KB of weights.
    """
    try:
        head = shipped_head()
    except SentimentHeadError as exc:
        logger.warning("%s; scoring sentiment with VADER", exc)
        return None
    from workbench.themes.embeddings import vector_space  # ONNX fp32 / CUDA fp16 read as torch fp32

    return head if model_id is not None and vector_space(head.model_id) == vector_space(model_id) else None


def band_labels(scores: np.ndarray, band: float) -> np.ndarray:
    """Positive above ``+band``, negative below ``-band``, neutral between (the sign never disagrees)."""
    scores = np.asarray(scores, dtype=np.float64)
    out = np.full(len(scores), "neutral", dtype=object)
    out[scores > band] = "positive"
    out[scores < -band] = "negative"
    return out


def vader_labels(scores: np.ndarray) -> np.ndarray:
    """VADER's own reading of compound scores: >= 0.05 positive, <= -0.05 negative, else neutral."""
    scores = np.asarray(scores, dtype=np.float64)
    out = np.full(len(scores), "neutral", dtype=object)
    out[scores >= VADER_NEUTRAL] = "positive"
    out[scores <= -VADER_NEUTRAL] = "negative"
    out[np.isnan(scores)] = None
    return out


def _has_text(texts: Sequence[object]) -> np.ndarray:
    return np.array([isinstance(t, str) and bool(t.strip()) for t in texts], dtype=bool)


def vader(texts: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """The fallback: VADER's compound score and its 3-class reading (NaN / None for blank texts)."""
    from workbench.themes.text import sentiment_scores

    has_text = _has_text(texts)
    scores = np.full(len(texts), np.nan)
    labels = np.full(len(texts), None, dtype=object)
    compound = sentiment_scores([t if ok else None for t, ok in zip(texts, has_text, strict=True)])
    scores[has_text] = compound[has_text]
    labels[has_text] = vader_labels(scores[has_text])
    return scores, labels


def score(
    texts: Sequence[str | None], vectors: np.ndarray | None, model_id: str | None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Sentiment of every text: the head on ``vectors`` when it fits ``model_id``, else VADER.

    Args:
        texts: the texts, in order (blank or missing texts get NaN / None).
        vectors: their embeddings, one row per text (rows of blank texts are ignored), or None.
        model_id: the id of the model that made ``vectors``.

    Returns:
        ``(sentiment, sentiment_label, method)``: float64 scores in -1..1, labels, and
        :data:`METHOD_HEAD` or :data:`METHOD_VADER`.
    """
    head = head_for(model_id) if (vectors is not None and model_id) else None
    if head is None:
        return *vader(texts), METHOD_VADER
    if len(vectors) != len(texts):
        raise ValueError(f"{len(vectors)} vectors for {len(texts)} texts")
    has_text = _has_text(texts)
    scores = np.full(len(texts), np.nan)
    labels = np.full(len(texts), None, dtype=object)
    kept = [t for t, ok in zip(texts, has_text, strict=True) if ok]
    scores[has_text], labels[has_text] = head.score(np.asarray(vectors)[has_text], kept)
    return scores, labels, METHOD_HEAD


def stated_scores(docs: pd.DataFrame, feedback: pd.DataFrame) -> pd.DataFrame:
    """What each document's author stated, to keep beside the inferred sentiment.

    Returns ``stated_rating`` (feedback ``rating``, stars) and ``stated_nps`` (feedback ``score``),
    aligned with ``docs`` (``table``, ``record_id``); null for deal notes and unrated channels.
    """
    out = pd.DataFrame(index=docs.index)
    is_feedback = (docs["table"] == "feedback").to_numpy()
    for column, name in (("rating", "stated_rating"), ("score", "stated_nps")):
        values = pd.Series(np.nan, index=docs.index, dtype="float64")
        if column in feedback.columns and "feedback_id" in feedback.columns:
            rows = feedback.drop_duplicates("feedback_id")
            lookup = pd.Series(
                pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype="float64"),
                index=rows["feedback_id"].astype(str).to_numpy(),
            )
            mapped = docs["record_id"].astype(str).map(lookup)
            values[is_feedback] = mapped[is_feedback].astype("float64")
        out[name] = values
    return out


# --------------------------------------------------------------------------------------- training


def logistic(c: float, class_weight: str | None, tol: float = FINAL_TOL):
    """The head's estimator: multinomial logistic regression (lbfgs, deterministic)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight=class_weight, max_iter=5000, tol=tol)


def fit_head(
    vectors: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray,
    model_id: str,
    provenance: dict | None = None,
) -> SentimentHead:
    """Fit the head: C and class weights by grouped cross-validation (macro-F1), then all rows.

    Why these choices: a linear head cannot overfit 384-dimensional vectors of ~10,000 reviews
    much, is exactly reproducible (lbfgs, fixed folds) and costs one matrix product at run time.
    Cross-validation is grouped by text so a duplicate never sits on both sides of a fold, and it
    scores macro-F1 because the three classes are very unequal (3-star reviews are rare) and a
    head that never says "neutral" or "negative" would still score a high accuracy.

    Args:
        vectors: (n, dim) embeddings of the training texts.
        labels: n labels from :data:`LABELS`.
        groups: n group keys (a digest of the text) for the folds.
        model_id: the embedding model that made ``vectors``.
        provenance: what the rows are (stored in the head's metadata).
    """
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold
    from threadpoolctl import threadpool_limits

    x = np.asarray(vectors, dtype=np.float64)
    y = np.array([LABELS.index(label) for label in labels])
    folds = list(GroupKFold(n_splits=CV_FOLDS).split(x, y, groups))
    results = []
    # One BLAS thread: these matrices are small, and on a busy 2-core machine threads only thrash
    # (measured: 10x slower with the default thread count under load).
    with threadpool_limits(limits=1):
        for weight in CLASS_WEIGHTS:
            for c in C_GRID:
                scores = []
                for fit_idx, val_idx in folds:
                    fitted = logistic(c, weight, CV_TOL).fit(x[fit_idx], y[fit_idx])
                    scores.append(f1_score(y[val_idx], fitted.predict(x[val_idx]), average="macro"))
                results.append(
                    {"C": c, "class_weight": weight, "cv_macro_f1": round(float(np.mean(scores)), 4)}
                )
                logger.info("C=%s class_weight=%s: CV macro-F1 %.4f", c, weight, results[-1]["cv_macro_f1"])
        best = max(results, key=lambda r: (r["cv_macro_f1"], -r["C"]))
        final = logistic(best["C"], best["class_weight"], FINAL_TOL).fit(x, y)
    meta = {
        **(provenance or {}),
        "method": "multinomial logistic regression (scikit-learn lbfgs) on L2-normalised MiniLM vectors",
        "chosen": best,
        "cv": results,
        "cv_folds": CV_FOLDS,
        "n_train": int(len(y)),
    }
    return SentimentHead(
        weights=final.coef_.astype(np.float32),
        bias=final.intercept_.astype(np.float32),
        model_id=model_id,
        meta=meta,
    )


def anchor_direction(positive: np.ndarray, negative: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The scaled anchor direction: mean positive anchor minus mean negative anchor.

    Scaled so that :data:`ANCHOR_SPREAD` standard deviations of ``reference`` texts' similarities
    read as 1: a cosine difference has no natural unit, and the blend weights need one.
    """
    direction = np.asarray(positive, np.float64).mean(axis=0) - np.asarray(negative, np.float64).mean(axis=0)
    spread = float(np.std(np.asarray(reference, np.float64) @ direction))
    return (direction / (ANCHOR_SPREAD * spread)).astype(np.float32)


def choose_blend(
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[tuple[float, float, float], list[dict]]:
    """The blend of (head, VADER, anchor) that carries best to a domain it was not trained on.

    Each fold is ``(signals, positive)``: the (n, 3) signals of one source's polarised rows (1-2
    and 4-5 stars), with the head fitted on the *other* source only, and whether each row is
    positive. A blend is scored by its balanced accuracy (the sign of the score), averaged over
    the folds; balanced, because a product's reviews are mostly of one polarity. Ties go to the
    blend that leans least on the extra signals.

    Returns:
        The chosen blend and every blend's score (for the head's metadata).
    """
    from sklearn.metrics import balanced_accuracy_score

    results = []
    for w_vader in BLEND_STEPS:
        for w_anchor in BLEND_STEPS:
            if w_vader + w_anchor >= 1.0:
                continue
            blend = (round(1.0 - w_vader - w_anchor, 1), w_vader, w_anchor)
            scores = [
                balanced_accuracy_score(positive, signals @ np.asarray(blend) >= 0)
                for signals, positive in folds
            ]
            results.append({"blend": list(blend), "balanced_accuracy": round(float(np.mean(scores)), 4)})
    best = max(results, key=lambda r: (r["balanced_accuracy"], r["blend"][0]))
    return tuple(best["blend"]), results


def choose_band(scores: np.ndarray, labels: np.ndarray) -> float:
    """The neutral band half-width that gives the best 3-class macro-F1 on ``(scores, labels)``."""
    from sklearn.metrics import f1_score

    labels = np.asarray(labels, dtype=object)
    best = max(BAND_STEPS, key=lambda b: (f1_score(labels, band_labels(scores, b), average="macro"), -b))
    return float(best)
