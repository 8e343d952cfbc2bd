"""Clustering building blocks for the theme engine: pure functions on arrays and frames.

Why k-means on L2-normalised embeddings, with no dimensionality reduction: on 2 CPU cores UMAP is
most of a vanilla BERTopic fit, and HDBSCAN leaves a third or more of the documents as outliers,
while k-means agrees with human labels at least as well in about a second (see
``docs/benchmarks.md``). Centroids make assignment of any later chunk a single matrix product
that depends only on the saved model.

Why k-means started from a Ward tree while k is chosen: one Ward linkage of the selection sample
gives a partition for every candidate k at once, and one k-means pass from each cut's centroids
refines it. Measured against 2 random k-means restarts per candidate (docs/themes.md): a higher
silhouette at every k on Banking77 and the demo, higher NMI at the chosen k (Banking77 test 0.808
vs 0.798, train 0.809 vs 0.787, demo 0.762 vs 0.759), no restarts to seed, and 2-4x less time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import takewhile
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from workbench.themes.embeddings import l2_normalise

logger = logging.getLogger(__name__)

UNASSIGNED = -1
N_INIT = 10
K_MIN = 8
K_RATIO = 1.2  # candidate k values grow geometrically: 8, 10, 12, 14, 17, 20, 24, 29, 35, 42, ...
K_CAP = 400  # the largest k ever tried (a 30k-document fit at k=400 stays within the time budget)
# k never exceeds n / 30: a theme with fewer documents in the fitted sample cannot be trended (the
# engine passes `themes.min_volume`, 30 by default). With n/15, short reviews ran to 170-190 themes
# (Alexa, Uber) on a silhouette that keeps rising with k; Banking77 train lost 0.03 NMI (171 vs 123).
DOCS_PER_CLUSTER_MIN = 30
SELECTION_SAMPLE = 6000  # documents the candidate fits run on (sorted random subsample)
SILHOUETTE_SAMPLE = 3000
PEAK_SPAN = 3.0  # a peak must beat every candidate up to this multiple of its k
# Silhouette differences smaller than this are noise (k-means restarts at neighbouring k differ by
# about this much on Banking77): a peak must clear every smaller k by it.
PEAK_MARGIN = 0.005
TREND_MIN_POINTS = 5  # candidates needed before a quadratic trend is fitted to the silhouettes
# Near-duplicate clusters (same problem, different name) are merged above this centroid cosine.
# Measured: at 0.90 no cluster of Banking77 or the demo merges (their distinct intents stay apart);
# at 0.85 Banking77 test loses 0.001 NMI; masked brand/handle splits sit above 0.9.
MERGE_COSINE = 0.90
# Outlier reduction: an item is an outlier when its similarity to its nearest centroid lies below
# Tukey's lower fence (Q1 - 1.5 IQR of the fitted items' similarities), and never more than this
# fraction of the allowed unassigned share is cut on the fitted window (head-room for later drift).
OUTLIER_BUDGET_FRACTION = 0.5
TUKEY_FENCE = 1.5  # the textbook outlier fence, in interquartile ranges below the first quartile


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


def ward_tree(vectors: np.ndarray) -> np.ndarray:
    """The Ward linkage of unit vectors (scipy): every candidate k is a cut of this one tree."""
    from scipy.cluster.hierarchy import linkage

    with single_threaded():
        return linkage(np.asarray(vectors, dtype=np.float64), method="ward")


def refined_cut(vectors: np.ndarray, tree: np.ndarray, k: int, random_state: int) -> KMeans:
    """k-means started from the centroids of the tree cut into ``k`` clusters (one run, no restarts)."""
    from scipy.cluster.hierarchy import fcluster

    cut = fcluster(tree, k, criterion="maxclust") - 1
    start = centroids_of(vectors, cut, int(cut.max()) + 1)
    with single_threaded():
        return kmeans(len(start), random_state, init=start).fit(vectors)


class KChoice(NamedTuple):
    """The chosen number of clusters, every tried candidate's silhouette, and the starting centroids.

    ``how`` says in words how k was chosen (logged, and kept in the fit result for reports).
    """

    k: int
    scores: dict[int, float]
    centroids: np.ndarray | None
    how: str = ""


def k_candidates(n_docs: int, at_least: int = 1, min_docs: int = DOCS_PER_CLUSTER_MIN) -> list[int]:
    """Candidate k values for ``n_docs`` documents: a geometric grid from ``K_MIN``, growing with n.

    The top is ``n_docs / min_docs`` (capped at ``K_CAP``): 3,080 Banking77 queries allow up to 102
    clusters, a 6,000-document selection sample 200, a 300-document corpus 10.
    """
    top = min(K_CAP, max(2, n_docs // max(1, min_docs)))
    out: list[int] = []
    k = float(min(K_MIN, top))
    while round(k) <= top:
        if not out or round(k) > out[-1]:
            out.append(round(k))
        k *= K_RATIO
    if at_least > 1:
        out = sorted({max(at_least, c) for c in out})
    return [c for c in out if 2 <= c < n_docs] or [max(1, min(2, n_docs))]


def _peak(scores: dict[int, float], span: float = PEAK_SPAN, margin: float = PEAK_MARGIN) -> int | None:
    """The smallest k that clears every smaller k by ``margin`` and that no k up to ``span`` x k beats.

    The candidates right after k whose silhouettes differ from k's by less than ``margin`` are k's
    plateau: they cannot unseat k, and nothing else in the span may beat the plateau's best. Without
    the plateau a near-tie decided it: on the demo with its 13-theme registry (grid from 13), 13 and
    14 scored 0.1409 and 0.1412, 14 unseated 13 yet could not clear it by the margin, no peak was
    left, and k fell back to 177 (121 themes, NMI 0.63 instead of 0.77). A tie that is not adjacent
    (a noisy start, then a rise) still unseats k. None until such a k is confirmed (the range after
    it must have been tried).
    """
    ks = sorted(scores)
    for i, k in enumerate(ks):
        if i and scores[k] < max(scores[j] for j in ks[:i]) + margin:
            continue  # within noise of a smaller k: not a peak of its own
        if ks[-1] < span * k:
            return None  # the range after k is not tried yet
        level = scores[k]
        plateau = list(takewhile(lambda j, level=level: abs(scores[j] - level) < margin, ks[i + 1 :]))
        top = max([level, *(scores[j] for j in plateau)])
        if all(scores[j] <= top for j in ks[i + 1 :] if j <= span * k and j not in plateau):
            return k
    return None


def silhouette_trend(scores: dict[int, float]) -> dict[int, float]:
    """The silhouette's trend over the tried k: a quadratic least-squares fit in log k.

    With fewer than ``TREND_MIN_POINTS`` candidates the scores are returned as they are.
    """
    ks = sorted(scores)
    if len(ks) < TREND_MIN_POINTS:
        return dict(scores)
    x = np.log2(ks)
    fitted = np.polyval(np.polyfit(x, [scores[k] for k in ks], 2), x)
    return {k: float(v) for k, v in zip(ks, fitted, strict=True)}


def _near_max(scores: dict[int, float], margin: float = PEAK_MARGIN) -> int:
    """The smallest k whose trend silhouette is within ``margin`` of the trend's best (no peak held).

    Why the trend (:func:`silhouette_trend`) and not the raw scores: on a curve that flattens, the
    raw crossing jumps across the bumps. On the Alexa reviews the silhouette rises to k~30 and then
    wanders within 0.007 up to k=86; the raw rule took k=34 with ONNX fp32 vectors and k=86 with
    OpenVINO bf16 vectors (cosine 0.9999 to each other), 32 themes against 80 near-duplicates. On
    the trend it takes 34 and 41. On Banking77 test, train and Uber it keeps the large k that the
    steady rise asks for (86; 177 or 148; 148 or 123), across runtimes and seeds (docs/themes.md).
    """
    trend = silhouette_trend(scores)
    top = max(trend.values())
    return min(k for k, v in trend.items() if v >= top - margin)


def choose_n_clusters(
    embeddings: np.ndarray,
    random_state: int,
    candidates: Sequence[int] | None = None,
    at_least: int = 1,
    min_docs: int = DOCS_PER_CLUSTER_MIN,
) -> KChoice:
    """The number of clusters: the first silhouette peak that holds up to three times its k.

    Why this criterion (measured in ``docs/themes.md``): the cosine silhouette needs no labels and
    is cheap, but its global maximum is not the answer on every corpus. On the demo company (12
    planted themes) it peaks at k=12, dips, then rises again past k=70 as the clustering carves
    each theme by its filler sentences (NMI 0.59 at k=177); on Banking77 (77 human intents) it
    rises to a plateau near or above the intents. Taking the smallest k that clears every smaller
    k by the noise margin and that no candidate up to ``PEAK_SPAN`` times its size beats picks the
    real peaks and skips early noise. Without such a peak the smallest k within the noise margin
    of the best silhouette is taken. Candidates grow geometrically with the corpus
    (:func:`k_candidates`) and the search stops as soon as a peak is confirmed, so corpora with
    few themes never pay for large k.

    Candidate fits are cuts of one Ward tree of a ``SELECTION_SAMPLE`` subsample, each refined by
    one k-means run from the cut's centroids (:func:`refined_cut`); the chosen fit's centroids, with
    near-duplicates merged (:func:`merge_near_duplicates`), start the final k-means on all
    documents. ``at_least`` (the number of registered themes) rules out smaller k.
    """
    vectors = l2_normalise(embeddings)
    rng = np.random.default_rng(random_state)
    if len(vectors) > SELECTION_SAMPLE:
        vectors = vectors[np.sort(rng.choice(len(vectors), SELECTION_SAMPLE, replace=False))]
    grid = list(candidates) if candidates is not None else k_candidates(len(vectors), at_least, min_docs)
    grid = sorted({k for k in grid if k >= at_least and k < len(vectors)}) or [max(1, min(2, len(vectors)))]
    scored = np.arange(len(vectors))
    if len(vectors) > SILHOUETTE_SAMPLE:
        scored = np.sort(rng.choice(len(vectors), SILHOUETTE_SAMPLE, replace=False))
    scores: dict[int, float] = {}
    fits: dict[int, KMeans] = {}
    best = None
    tree = ward_tree(vectors)
    for k in grid:
        if k < 2:
            continue
        fitted = refined_cut(vectors, tree, k, random_state)
        if len(np.unique(fitted.labels_[scored])) < 2:
            continue
        with single_threaded():
            scores[k] = float(silhouette_score(vectors[scored], fitted.labels_[scored], metric="cosine"))
        fits[k] = fitted
        best = _peak(scores)
        if best is not None and candidates is None:
            break
    if not scores:
        return KChoice(max(1, min(2, len(vectors))), scores, None, "too few documents to compare k")
    how = f"first silhouette peak held up to {PEAK_SPAN:g}x its k"
    if best is None:
        best = _near_max(scores)
        how = f"smallest k near the silhouette trend's best (no peak held up to {PEAK_SPAN:g}x its k)"
    centroids, groups = merge_near_duplicates(fits[best].cluster_centers_, fits[best].labels_)
    k = len(centroids)
    how = (
        f"{how}: k={best} of {len(scores)} candidates {min(scores)}..{max(scores)} "
        f"on {len(vectors):,} documents"
        + (f", {best - k} near-duplicate cluster(s) merged -> {k}" if k < best else "")
    )
    logger.info(
        "chose %d clusters (%s); silhouette %s",
        k,
        how,
        ", ".join(f"{c}: {s:.3f}" for c, s in sorted(scores.items())),
    )
    return KChoice(k, scores, centroids.astype(np.float32), how)


def merge_near_duplicates(
    centroids: np.ndarray, labels: np.ndarray, threshold: float = MERGE_COSINE
) -> tuple[np.ndarray, np.ndarray]:
    """Merge clusters whose centroids are at least ``threshold`` similar (average linkage).

    Why: after masking, "<Brand> billing" and "billing" are the same problem; two clusters that
    close are one theme split by k-means. Returns the merged centroids (size-weighted unit means)
    and, per input cluster, the index of the merged cluster it went to.
    """
    centroids = l2_normalise(np.asarray(centroids, dtype=np.float64))
    k = len(centroids)
    if k < 2:
        return centroids, np.zeros(k, dtype=int)
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(centroids, method="average", metric="cosine")
    groups = fcluster(tree, t=1 - threshold, criterion="distance") - 1
    # Number merged clusters in order of their first member, so the result does not depend on scipy.
    _, first = np.unique(groups, return_index=True)
    order = {g: i for i, g in enumerate(groups[np.sort(first)])}
    groups = np.array([order[g] for g in groups])
    sizes = np.bincount(np.asarray(labels), minlength=k).astype(float)
    merged = np.zeros((groups.max() + 1, centroids.shape[1]))
    np.add.at(merged, groups, centroids * np.maximum(sizes, 1)[:, None])
    return l2_normalise(merged), groups


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

    Every item goes to its nearest centroid unless its similarity is an outlier of the fitted
    items' similarities: below Tukey's lower fence, Q1 - 1.5 IQR. Why a fence and not a fixed
    quantile: a quantile cuts the same share from clean and noisy clusterings alike (5% of
    Banking77's queries, every one with a human intent, cost 0.013-0.02 NMI), while the fence cuts
    only what stands apart: 1.9% of Banking77 test, 2.2% of train, 0.7% of the demo (docs/themes.md).
    The fence is capped at the quantile of half the allowed unassigned share, so the fitted
    window always keeps head-room inside ``max_unassigned_share`` for drift in later quarters.
    """
    if len(best_similarity) == 0 or max_unassigned_share <= 0:
        return -1.0
    sims = np.asarray(best_similarity, dtype=np.float64)
    q1, q3 = np.quantile(sims, [0.25, 0.75])
    fence = q1 - TUKEY_FENCE * (q3 - q1)
    cap = np.quantile(sims, max_unassigned_share * OUTLIER_BUDGET_FRACTION)
    return float(min(fence, cap))


def assign(embeddings: np.ndarray, centroids: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Cluster index per row (``UNASSIGNED`` below ``floor``) and the similarity to that centroid."""
    best, sim = nearest(embeddings, centroids)
    return np.where(sim >= floor, best, UNASSIGNED), sim
