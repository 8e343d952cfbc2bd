"""Clustering building blocks for the theme engine: pure functions on arrays and frames.

Why k-means on L2-normalised embeddings, with no dimensionality reduction: on 2 CPU cores UMAP is
most of a vanilla BERTopic fit, and HDBSCAN leaves a third or more of the documents as outliers,
while k-means agrees with human labels at least as well in about a second (see
``docs/benchmarks.md``). Centroids make assignment of any later chunk a single matrix product
that depends only on the saved model.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from workbench.themes.embeddings import l2_normalise

logger = logging.getLogger(__name__)

UNASSIGNED = -1
N_INIT = 10
SELECTION_N_INIT = 3  # restarts per candidate k while choosing k (the final fit uses N_INIT)
K_CANDIDATES = (8, 10, 12, 14, 16, 18, 20, 24, 28, 32)
SILHOUETTE_SAMPLE = 3000
# Outlier reduction: the similarity floor is set so that this fraction of the allowed unassigned
# share is used on the fitted window, leaving head-room for drift in later quarters.
OUTLIER_BUDGET_FRACTION = 0.5


def stratified_sample(frame: pd.DataFrame, size: int, by: Sequence[str], random_state: int) -> np.ndarray:
    """Positional indices of a sample of ``size`` rows, proportional per stratum (e.g. quarter x channel).

    Why stratify: a plain random sample of a quarter dominated by one channel (say app reviews) would
    fit themes that ignore the small but valuable channels (sales calls, churn surveys). Every stratum
    keeps at least one row, the result is sorted, and the same inputs always give the same sample.
    """
    n = len(frame)
    if size >= n:
        return np.arange(n)
    keys = frame[list(by)].astype(str).agg("|".join, axis=1) if by else pd.Series("all", index=frame.index)
    codes, strata = pd.factorize(keys.to_numpy(), sort=True)
    counts = np.bincount(codes, minlength=len(strata))
    quota = counts * size / n
    take = np.maximum(1, np.floor(quota)).astype(int)
    # Hand out the rows lost to rounding to the strata with the largest remainders (ties: by stratum).
    short = size - take.sum()
    if short > 0:
        order = np.lexsort((np.arange(len(strata)), -(quota - np.floor(quota))))
        room = counts[order] - take[order]
        extra = np.zeros_like(take)
        extra[order[room > 0][:short]] = 1
        take = take + extra
    take = np.minimum(take, counts)
    rng = np.random.default_rng(random_state)
    chosen = [rng.choice(np.flatnonzero(codes == s), size=take[s], replace=False) for s in range(len(strata))]
    return np.sort(np.concatenate(chosen))


def kmeans(
    n_clusters: int, random_state: int, n_init: int = N_INIT, init: np.ndarray | None = None
) -> KMeans:
    """The k-means the engine uses: 10 seeded restarts (local optima cost up to 0.03 NMI on the demo),
    or a single run from given starting centroids."""
    if init is not None:
        return KMeans(
            n_clusters=n_clusters, init=init, n_init=1, random_state=random_state, algorithm="lloyd"
        )
    return KMeans(n_clusters=n_clusters, n_init=n_init, random_state=random_state, algorithm="lloyd")


def single_threaded():
    """A context that runs BLAS and OpenMP (scikit-learn's k-means loops) on one thread.

    Why: scikit-learn's OpenMP threads and two OpenBLAS pools oversubscribe a 2-core machine; one
    k-means fit (k=14, 10 restarts, 12k x 256) took 20.8 s with the default pools and 1.8 s with
    every pool at one thread, and 13.7 s vs 1.0 s on the demo's 10k documents while other jobs ran.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def fit_kmeans(embeddings: np.ndarray, n_clusters: int, random_state: int, n_init: int = N_INIT) -> KMeans:
    """k-means on unit vectors (spherical-ish k-means): deterministic for a fixed ``random_state``."""
    n_clusters = max(1, min(n_clusters, len(embeddings)))
    with single_threaded():
        return kmeans(n_clusters, random_state, n_init).fit(l2_normalise(embeddings))


class KChoice(NamedTuple):
    """The chosen number of clusters, every candidate's silhouette, and the chosen fit's centroids."""

    k: int
    scores: dict[int, float]
    centroids: np.ndarray | None


def choose_n_clusters(
    embeddings: np.ndarray,
    random_state: int,
    candidates: Sequence[int] = K_CANDIDATES,
    at_least: int = 1,
) -> KChoice:
    """The number of clusters with the best cosine silhouette on a fixed subsample.

    Why silhouette: it needs no labels, is cheap on a few thousand points, and penalises both
    merging distinct themes and splitting one theme in two. ``at_least`` (the number of registered
    themes) rules out k values that could not give every registered theme its own cluster.

    The winning subsample fit's centroids come back too: the final k-means on all documents starts
    from them (one run instead of 10 restarts, ~10x faster, NMI on the demo within 0.01 either way).
    """
    candidates = [k for k in candidates if k >= at_least] or [at_least]
    vectors = l2_normalise(embeddings)
    if len(vectors) > SILHOUETTE_SAMPLE:
        rng = np.random.default_rng(random_state)
        vectors = vectors[np.sort(rng.choice(len(vectors), SILHOUETTE_SAMPLE, replace=False))]
    scores: dict[int, float] = {}
    fits: dict[int, np.ndarray] = {}
    for k in candidates:
        if k >= len(vectors):
            continue
        fitted = fit_kmeans(vectors, k, random_state, SELECTION_N_INIT)
        if len(np.unique(fitted.labels_)) < 2:
            continue
        with single_threaded():
            scores[k] = float(silhouette_score(vectors, fitted.labels_, metric="cosine"))
        fits[k] = fitted.cluster_centers_.astype(np.float32)
    if not scores:
        return KChoice(max(1, min(2, len(vectors))), scores, None)
    best = max(scores, key=lambda k: (round(scores[k], 6), -k))
    logger.info(
        "chose %d clusters by silhouette (%s)",
        best,
        ", ".join(f"{k}: {s:.3f}" for k, s in sorted(scores.items())),
    )
    return KChoice(best, scores, fits[best])


def centroids_of(embeddings: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Unit-length mean vector of each cluster ``0..n_clusters-1`` (zero row for an empty cluster)."""
    vectors = l2_normalise(embeddings)
    out = np.zeros((n_clusters, vectors.shape[1]), dtype=np.float32)
    for k in range(n_clusters):
        members = vectors[labels == k]
        if len(members):
            out[k] = members.mean(axis=0)
    return l2_normalise(out)


def nearest(embeddings: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the most similar centroid for each row, and that cosine similarity."""
    sims = l2_normalise(embeddings) @ l2_normalise(centroids).T
    best = np.argmax(sims, axis=1)
    return best, sims[np.arange(len(sims)), best]


def similarity_floor(best_similarity: np.ndarray, max_unassigned_share: float) -> float:
    """The similarity below which an item is left unassigned (outlier reduction).

    Every item goes to its nearest centroid unless it is farther than this floor; the floor is the
    quantile of the fitted sample's similarities at half the allowed unassigned share, so the fitted
    window stays well inside ``max_unassigned_share`` while true noise still falls out.
    """
    if len(best_similarity) == 0 or max_unassigned_share <= 0:
        return -1.0
    return float(np.quantile(best_similarity, max_unassigned_share * OUTLIER_BUDGET_FRACTION))


def assign(embeddings: np.ndarray, centroids: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Cluster index per row (``UNASSIGNED`` below ``floor``) and the similarity to that centroid."""
    best, sim = nearest(embeddings, centroids)
    return np.where(sim >= floor, best, UNASSIGNED), sim
