"""BERTopic assembled from the sub-models chosen by measurement (see ``docs/benchmarks.md``).

BERTopic is the framework (c-TF-IDF, representations, safetensors serialization); its sub-models
are ours: no dimensionality reduction (or PCA), k-means on L2-normalised embeddings, a count
vectorizer with English stop words and bigrams, and KeyBERTInspired keywords. Embeddings are
computed once, by the cached embedder, and passed in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Literal

import numpy as np

from workbench.themes.cluster import kmeans, single_threaded
from workbench.themes.embeddings import Embedder

logger = logging.getLogger(__name__)

Reduction = Literal["none", "pca"]
Representation = Literal["keybert", "mmr", "ctfidf"]
PCA_COMPONENTS = 50
TOP_N_WORDS = 10


def _bertopic():
    from workbench.themes.embeddings import _require

    return _require("bertopic")


def prepare() -> str:
    """Import BERTopic once, so that numba compiles its imports' eager functions and caches them.

    BERTopic imports UMAP and pynndescent, which compile dozens of numba functions at import and
    cache them beside their sources in the environment: ``import bertopic`` took 23.0 s with an empty
    numba cache and 7.3 s with it filled, measured here. ``make setup`` runs this (through
    ``workbench themes prepare``), so a fresh clone's first report does not pay the difference.
    """
    start = time.perf_counter()
    _bertopic()
    return f"topic model imported in {time.perf_counter() - start:.1f} s (numba functions cached)"


def cached_embedder(embedder: Embedder):
    """Adapts :class:`workbench.themes.embeddings.Embedder` to BERTopic's embedder interface.

    Representation models (KeyBERTInspired, MMR) embed candidate words and representative
    documents; going through the cache keeps refits cheap and never loads a second model.
    The class is built on first use because importing BERTopic takes seconds.
    """
    base = _bertopic().backend.BaseEmbedder

    class CachedEmbedder(base):
        def __init__(self, inner: Embedder):
            super().__init__()
            self.inner = inner

        def embed(self, documents: Sequence[str], verbose: bool = False) -> np.ndarray:
            return self.inner.embed(list(documents))

    return CachedEmbedder(embedder)


def build(
    n_clusters: int,
    random_state: int,
    embedder: Embedder | None,
    reduction: Reduction = "none",
    representation: Representation = "keybert",
    min_df: int = 2,
    init: np.ndarray | None = None,
):
    """An unfitted BERTopic with our sub-models.

    Args:
        n_clusters: k for k-means.
        random_state: fixes k-means (and PCA) so the same inputs give the same topics.
        embedder: used by the representation model; required unless ``representation='ctfidf'``.
        reduction: ``none`` (cluster the unit vectors directly) or ``pca`` (50 components).
        representation: ``keybert`` (KeyBERTInspired), ``mmr`` (MaximalMarginalRelevance on c-TF-IDF
            words) or ``ctfidf`` (plain c-TF-IDF words).
        min_df: vectorizer minimum document frequency (1 for tiny corpora).
        init: starting centroids for k-means (from the choice of k); None for 10 seeded restarts.
    """
    bertopic = _bertopic()
    from sklearn.decomposition import PCA
    from sklearn.feature_extraction.text import CountVectorizer

    reducer = (
        PCA(n_components=PCA_COMPONENTS, random_state=random_state)
        if reduction == "pca"
        else bertopic.dimensionality.BaseDimensionalityReduction()
    )
    cluster_model = kmeans(n_clusters, random_state, init=init)
    vectorizer = CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=min_df)
    rep = None
    if representation == "keybert":
        rep = bertopic.representation.KeyBERTInspired(top_n_words=TOP_N_WORDS, random_state=random_state)
    elif representation == "mmr":
        rep = bertopic.representation.MaximalMarginalRelevance(diversity=0.3, top_n_words=TOP_N_WORDS)
    return bertopic.BERTopic(
        embedding_model=cached_embedder(embedder) if embedder is not None else None,
        umap_model=reducer,
        hdbscan_model=cluster_model,
        vectorizer_model=vectorizer,
        ctfidf_model=bertopic.vectorizers.ClassTfidfTransformer(reduce_frequent_words=True),
        representation_model=rep,
        top_n_words=TOP_N_WORDS,
        calculate_probabilities=False,
        verbose=False,
    )


def fit(topic_model, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
    """Fit on precomputed embeddings; returns the topic of each document (0..k-1, by size)."""
    with single_threaded():
        topics, _ = topic_model.fit_transform(
            list(texts), embeddings=np.asarray(embeddings, dtype=np.float32)
        )
    return np.asarray(topics, dtype=np.int64)


def topic_keywords(topic_model, topic: int, n: int = 8) -> list[str]:
    """The top words of a topic from its fitted representation."""
    return [word for word, _ in (topic_model.get_topic(topic) or [])[:n] if word]
