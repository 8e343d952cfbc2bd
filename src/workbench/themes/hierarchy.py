"""A two-level theme hierarchy: parent groups of themes, proposed from the theme centroids.

Why: a reader of 40 themes wants to see "Reporting" first and "scheduled dashboards" on click.
Parents are **proposed** by ``workbench themes review`` (written to ``config/themes.yaml`` under
``parents:`` with ``--accept``) and from then on are curated data like the themes: the analyst may
rename a parent, move a theme or delete a group, and the next review keeps those ids and labels.

How parents are proposed (:func:`propose_parents`):

* each theme's centroid is the mean embedding of its documents (the theme model's ``memory``;
  the mean of its topic centroids when there is none), L2-normalised;
* the centroids are **centred** (their mean is subtracted, then each is re-normalised) before
  comparing: mean embeddings of customer feedback all share a large common direction, so raw
  cosine similarity between *unrelated* themes is already 0.3-0.65 with MiniLM (measured on the
  demo company's 13 distinct themes) and says little. After centring, unrelated themes sit
  between -0.4 and 0.2;
* average-linkage agglomerative clustering on the centred cosine distance, cut at
  :data:`PARENT_DISTANCE` = 0.6, i.e. themes join a group when their *average* centred
  similarity to its members is at least 0.4, well above what unrelated themes reach; average
  linkage (not single) so that one bridging theme cannot chain two areas together. With fewer
  than 3 themes there is nothing to group;
* groups of one theme get no parent (a theme is its own top level);
* a proposed group that shares at least half its members (Jaccard >= 0.5) with an existing
  parent keeps that parent's id and label, so ids are stable across quarters; a new group gets the
  id ``grp-<id of its most central theme>`` and the label of that theme.

Roll-up (:func:`parent_map`, :func:`rollup_pairs`, :func:`rollup_assignments`): a record counts
once for a parent even when it raised two of its children, so parent metrics and driver tests
(``theme_metrics`` and :mod:`workbench.analysis.drivers` on rolled-up input) are computed on
records, not summed from children, and their significance tests stay valid.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage

from workbench.themes.embeddings import l2_normalise
from workbench.themes.model import ThemeModel
from workbench.themes.registry import Registry, RegistryParent

logger = logging.getLogger(__name__)

PARENT_DISTANCE = 0.6  # centred cosine distance at which the average-linkage tree is cut (see docstring)
KEEP_JACCARD = 0.5  # overlap with an existing parent that keeps its id and label
PARENT_PREFIX = "grp-"


def theme_centroids(model: ThemeModel) -> tuple[list[str], np.ndarray]:
    """``(theme_ids, unit centroids)`` of every theme the model can assign."""
    if model.memory is not None and len(model.memory_ids):
        return list(model.memory_ids), l2_normalise(np.asarray(model.memory, dtype=np.float32))
    ids = sorted(set(model.topic_theme))
    topics = np.asarray(model.topic_theme, dtype=object)
    rows = [np.asarray(model.centroids)[topics == t].mean(axis=0) for t in ids]
    return ids, l2_normalise(np.asarray(rows, dtype=np.float32))


def cluster_parents(
    theme_ids: list[str], centroids: np.ndarray, distance: float = PARENT_DISTANCE
) -> list[list[str]]:
    """Groups of two or more themes whose average centred cosine distance is below ``distance``.

    Returns:
        Groups as sorted lists of theme ids, ordered by their first id (deterministic).
    """
    if len(theme_ids) < 3:
        return []
    unit = l2_normalise(np.asarray(centroids, dtype=np.float64))
    centred = l2_normalise(unit - unit.mean(axis=0))
    tree = linkage(centred, method="average", metric="cosine")
    labels = fcluster(tree, t=distance, criterion="distance")
    groups: dict[int, list[str]] = {}
    for theme_id, label in zip(theme_ids, labels, strict=True):
        groups.setdefault(int(label), []).append(theme_id)
    return sorted((sorted(g) for g in groups.values() if len(g) >= 2), key=lambda g: g[0])


def _central(group: list[str], theme_ids: list[str], centroids: np.ndarray) -> str:
    idx = [theme_ids.index(t) for t in group]
    vecs = centroids[idx]
    centre = vecs.mean(axis=0)
    return group[int(np.argmax(vecs @ centre))]


def propose_parents(
    registry: Registry,
    theme_ids: list[str],
    centroids: np.ndarray,
    labels: Mapping[str, str] | None = None,
    distance: float = PARENT_DISTANCE,
) -> Registry:
    """The registry with proposed ``parents`` (a new object; the input is untouched).

    Args:
        registry: current registry (its parents are matched for stable ids and labels).
        theme_ids, centroids: the themes to group and their centroids (hidden themes are left out).
        labels: theme id -> label for naming new groups (registry labels win).
        distance: cut height of the average-linkage tree.
    """
    hidden = {t.id for t in registry.themes if t.hidden}
    keep = [i for i, t in enumerate(theme_ids) if t not in hidden]
    ids = [theme_ids[i] for i in keep]
    vecs = l2_normalise(np.asarray(centroids, dtype=np.float32)[keep]) if keep else np.zeros((0, 1))
    groups = cluster_parents(ids, vecs, distance)
    names = dict(labels or {})
    names.update({t.id: t.label for t in registry.themes})
    taken: set[str] = {t.id for t in registry.themes}
    parents: list[RegistryParent] = []
    used: set[str] = set()
    for group in groups:
        members = set(group)
        best, best_j = None, 0.0
        for old in registry.parents:
            if old.id in used:
                continue
            j = len(members & set(old.themes)) / len(members | set(old.themes))
            if j > best_j:
                best, best_j = old, j
        if best is not None and best_j >= KEEP_JACCARD:
            parents.append(RegistryParent(id=best.id, label=best.label, themes=group))
            used.add(best.id)
            continue
        central = _central(group, ids, vecs)
        base = f"{PARENT_PREFIX}{central}"
        new_id, n = base, 2
        while new_id in taken | used | {p.id for p in registry.parents}:
            new_id, n = f"{base}-{n}", n + 1
        used.add(new_id)
        parents.append(RegistryParent(id=new_id, label=names.get(central, central), themes=group))
    proposed = registry.model_copy(deep=True)
    proposed.parents = parents
    logger.info("theme hierarchy: %d parent groups over %d themes", len(parents), len(ids))
    return Registry.model_validate(proposed.model_dump())


# ----------------------------------------------------------------------------------- roll-up


def parent_map(registry: Registry | None, theme_ids=None) -> dict[str, str]:
    """theme id -> parent id; themes without a parent map to themselves (their own top level).

    Merged (old) ids resolve to their registered theme first, so earlier assignments roll up too.
    """
    mapping: dict[str, str] = {}
    if registry is not None:
        for parent in registry.parents:
            for child in parent.themes:
                mapping[child] = parent.id
        for theme in registry.themes:
            for merged in theme.merges:
                if theme.id in mapping:
                    mapping[merged] = mapping[theme.id]
    for theme_id in theme_ids or []:
        mapping.setdefault(theme_id, theme_id)
    return mapping


def parent_labels(registry: Registry, themes: pd.DataFrame | None = None) -> pd.DataFrame:
    """``theme_id, label, level`` for parents (level ``parent``) and ungrouped themes (``theme``)."""
    rows = [{"theme_id": p.id, "label": p.label, "level": "parent"} for p in registry.parents]
    grouped = {c for p in registry.parents for c in p.themes}
    if themes is not None:
        for row in themes[["theme_id", "label"]].drop_duplicates("theme_id").itertuples(index=False):
            if row.theme_id not in grouped:
                rows.append({"theme_id": row.theme_id, "label": row.label, "level": "theme"})
    return pd.DataFrame(rows, columns=["theme_id", "label", "level"])


def rollup_pairs(pairs: pd.DataFrame, mapping: Mapping[str, str], column: str = "theme_id") -> pd.DataFrame:
    """Pairs (record/account x theme) with themes replaced by their parent, duplicates dropped.

    A record raising two children of one parent counts once for the parent.
    """
    out = pairs.copy()
    out[column] = out[column].map(lambda t: mapping.get(t, t) if isinstance(t, str) else t)
    return out.drop_duplicates().reset_index(drop=True)


def rollup_assignments(assignments: pd.DataFrame, mapping: Mapping[str, str]) -> pd.DataFrame:
    """Assignments with each document's theme replaced by its parent (one theme per document stays).

    Feed the result to :func:`workbench.themes.metrics.theme_metrics` for parent-level metrics
    with the same significance tests (and BH correction over the parents) as the themes.
    """
    out = assignments.copy()
    out["theme_id"] = out["theme_id"].map(lambda t: mapping.get(t, t) if isinstance(t, str) else t)
    return out


def drilldown(
    parent_rows: pd.DataFrame, child_rows: pd.DataFrame, mapping: Mapping[str, str]
) -> pd.DataFrame:
    """One table for roll-up and drill-down: each parent row followed by its children's rows.

    Both inputs are per-theme tables with the same columns (e.g. metrics of one quarter at each
    level); adds ``level`` (``parent``/``theme``) and ``parent_id``. Parent order is kept;
    children follow in their own order.
    """
    parents = parent_rows.assign(level="parent", parent_id=parent_rows["theme_id"])
    children = child_rows.assign(
        level="theme", parent_id=child_rows["theme_id"].map(lambda t: mapping.get(t, t))
    )
    children = children[children["parent_id"] != children["theme_id"]]
    parts = []
    for _, parent in parents.iterrows():
        parts.append(parent.to_frame().T)
        parts.append(children[children["parent_id"] == parent["theme_id"]])
    return pd.concat(parts, ignore_index=True) if parts else parents.iloc[0:0]
