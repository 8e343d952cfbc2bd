"""Mapping a fit's clusters onto theme identities: registry seeds and the previous quarter's memory.

Why centroid matching: it is simple, deterministic and explainable ("this cluster's centroid is
0.71 similar to the seed phrases of *SSO and permissions*"). Each registered theme has up to two
reference vectors: the mean embedding of its seed phrases (what the analyst said the theme is) and
the mean embedding of the documents it received last quarter (what it turned out to be). A cluster
takes the id of its most similar reference when the cosine reaches ``match_threshold``; several
clusters may map to one theme (one theme split by k-means is merged back). Clusters that match
nothing become emerging candidates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workbench.themes.embeddings import l2_normalise
from workbench.themes.model import ThemeModel
from workbench.themes.registry import CANDIDATE_PREFIX, Registry

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class References:
    """Reference vectors, each owned by a theme id (a theme may own several rows)."""

    owners: list[str]
    vectors: np.ndarray
    sources: list[str]  # 'seeds' or 'memory', for logging and tests

    def __len__(self) -> int:
        return len(self.owners)


def seed_text(theme) -> list[str]:
    """What stands for a registered theme before it has documents: its seed phrases, else its label."""
    return list(theme.seed_phrases) or [theme.label]


def build_references(
    registry: Registry,
    embed: Callable[[list[str]], np.ndarray],
    prior: ThemeModel | None,
) -> References:
    """Seed centroids of the live registered themes, plus the prior model's per-theme memory.

    Memory of a merged id counts for the theme it was merged into; memory of a retired (split)
    theme is dropped, so its documents go to the children's seeds; memory of a candidate id that
    is not registered keeps that candidate's id alive across quarters.
    """
    owners: list[str] = []
    rows: list[np.ndarray] = []
    sources: list[str] = []
    live = registry.live_themes()
    phrases = sorted({p for t in live for p in seed_text(t)})
    if phrases:
        vectors = embed(phrases)
        where = {p: i for i, p in enumerate(phrases)}
        for theme in live:
            seeds = vectors[[where[p] for p in seed_text(theme)]]
            owners.append(theme.id)
            rows.append(seeds.mean(axis=0))
            sources.append("seeds")
    if prior is not None and prior.memory is not None:
        retired = {t.id for t in registry.themes if not t.live}
        for theme_id, vector in zip(prior.memory_ids, prior.memory, strict=True):
            resolved = registry.resolve(theme_id)
            if resolved in retired:
                continue
            if registry.get(resolved) is None and not resolved.startswith(CANDIDATE_PREFIX):
                continue  # a registered theme the analyst has since deleted
            owners.append(resolved)
            rows.append(vector)
            sources.append("memory")
    dim = rows[0].shape[0] if rows else 0
    matrix = l2_normalise(np.vstack(rows)) if rows else np.zeros((0, dim), dtype=np.float32)
    return References(owners, matrix, sources)


def match_clusters(
    centroids: np.ndarray, references: References, threshold: float
) -> tuple[list[str | None], np.ndarray]:
    """The theme id of each cluster (None when no reference reaches ``threshold``) and its best cosine."""
    if len(references) == 0 or len(centroids) == 0:
        return [None] * len(centroids), np.full(len(centroids), np.nan)
    sims = l2_normalise(centroids) @ references.vectors.T
    best = np.argmax(sims, axis=1)
    score = sims[np.arange(len(sims)), best]
    ids = [references.owners[b] if s >= threshold else None for b, s in zip(best, score, strict=True)]
    for k, (b, s) in enumerate(zip(best, score, strict=True)):
        logger.debug(
            "cluster %d: best %s (%s) %.3f -> %s",
            k,
            references.owners[b],
            references.sources[b],
            s,
            ids[k] or "emerging",
        )
    return ids, score
