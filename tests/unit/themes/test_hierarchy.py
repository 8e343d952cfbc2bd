"""Theme hierarchy: grouping centroids, stable parent ids, roll-up of records and metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.themes import hierarchy as h
from workbench.themes.registry import Registry, RegistryParent, RegistryTheme, dump_registry, parse_registry

# Two areas in 4-d space: themes a1/a2 near axis 0, b1/b2 near axis 1, c alone on axis 3.
IDS = ["a1", "a2", "b1", "b2", "c"]
CENTROIDS = np.array(
    [
        [1.0, 0.1, 0.0, 0.0],
        [1.0, 0.0, 0.2, 0.0],
        [0.1, 1.0, 0.0, 0.0],
        [0.0, 1.0, 0.15, 0.0],
        [0.0, 0.0, 0.0, 1.0],
    ],
    dtype=np.float32,
)


def _registry(parents=()) -> Registry:
    return Registry(
        themes=[RegistryTheme(id=i, label=f"Theme {i.upper()}") for i in IDS], parents=list(parents)
    )


def test_clusters_group_close_themes_and_leave_singletons():
    assert h.cluster_parents(IDS, CENTROIDS) == [["a1", "a2"], ["b1", "b2"]]
    # A cut below every pairwise distance groups nothing.
    assert h.cluster_parents(IDS, CENTROIDS, distance=0.001) == []


def test_facets_of_areas_group_and_distinct_themes_do_not():
    # 3 product areas with 3 facets each, all sharing one common "feedback" direction, as mean
    # embeddings do: centring removes it, so the areas are found and nothing else.
    rng = np.random.default_rng(3)
    common = rng.normal(size=64) * 3
    areas = rng.normal(size=(3, 64))
    facets = np.vstack([common + a + 0.45 * rng.normal(size=(3, 64)) for a in areas])
    ids = [f"{area}-{i}" for area in "xyz" for i in range(3)]
    assert h.cluster_parents(ids, facets) == [
        ["x-0", "x-1", "x-2"],
        ["y-0", "y-1", "y-2"],
        ["z-0", "z-1", "z-2"],
    ]
    distinct = common + rng.normal(size=(13, 64))
    assert h.cluster_parents([f"t{i}" for i in range(13)], distinct) == []


def test_new_groups_get_ids_from_their_central_theme():
    proposed = h.propose_parents(_registry(), IDS, CENTROIDS)
    assert [p.themes for p in proposed.parents] == [["a1", "a2"], ["b1", "b2"]]
    assert all(p.id.startswith(h.PARENT_PREFIX) for p in proposed.parents)
    assert proposed.parents[0].label in {"Theme A1", "Theme A2"}


def test_existing_parent_keeps_its_id_and_curated_label():
    curated = RegistryParent(id="grp-analytics", label="Analytics (curated)", themes=["a1", "a2", "c"])
    proposed = h.propose_parents(_registry([curated]), IDS, CENTROIDS)
    first = proposed.parents[0]
    assert (first.id, first.label, first.themes) == ("grp-analytics", "Analytics (curated)", ["a1", "a2"])


def test_hidden_themes_get_no_parent():
    reg = _registry()
    reg.themes[0].hidden = True
    proposed = h.propose_parents(reg, IDS, CENTROIDS)
    assert all("a1" not in p.themes for p in proposed.parents)


def test_registry_round_trips_parents_and_rejects_a_theme_in_two_groups():
    reg = _registry([RegistryParent(id="grp-a", label="A", themes=["a1", "a2"])])
    assert parse_registry(dump_registry(reg)) == reg
    assert "parents" not in dump_registry(_registry())
    with pytest.raises(ValueError):
        _registry(
            [
                RegistryParent(id="grp-a", label="A", themes=["a1"]),
                RegistryParent(id="grp-b", label="B", themes=["a1"]),
            ]
        )


def test_rollup_counts_a_record_once_per_parent():
    mapping = h.parent_map(_registry([RegistryParent(id="grp-a", label="A", themes=["a1", "a2"])]), IDS)
    assert mapping["c"] == "c" and mapping["a2"] == "grp-a"
    pairs = pd.DataFrame({"record_id": ["r1", "r1", "r2"], "theme_id": ["a1", "a2", "c"]})
    rolled = h.rollup_pairs(pairs, mapping)
    assert sorted(map(tuple, rolled.to_numpy())) == [("r1", "grp-a"), ("r2", "c")]


def test_parent_metrics_use_the_same_tests_as_themes():
    from workbench.core.config import ThemeSettings
    from workbench.themes.metrics import theme_metrics

    rng = np.random.default_rng(0)
    n = 400
    themes = rng.choice(["a1", "a2", "c"], size=n)
    quarter = np.where(np.arange(n) < n // 2, "2026Q2", "2026Q3")
    assignments = pd.DataFrame(
        {
            "doc_id": [f"feedback:f{i}" for i in range(n)],
            "table": "feedback",
            "record_id": [f"f{i}" for i in range(n)],
            "quarter": quarter,
            "theme_id": themes,
        }
    )
    feedback = pd.DataFrame({"feedback_id": assignments["record_id"], "channel": "nps"})
    accounts = pd.DataFrame({"account_id": pd.Series(dtype=str)})
    mapping = {"a1": "grp-a", "a2": "grp-a", "c": "c"}
    cfg, quarters = ThemeSettings(), ["2026Q3"]
    parents = theme_metrics(h.rollup_assignments(assignments, mapping), feedback, accounts, quarters, cfg)
    children = theme_metrics(assignments, feedback, accounts, quarters, cfg)
    q3p = parents[parents["quarter"] == "2026Q3"].set_index("theme_id")
    q3c = children[children["quarter"] == "2026Q3"].set_index("theme_id")
    assert q3p.loc["grp-a", "volume"] == q3c.loc["a1", "volume"] + q3c.loc["a2", "volume"]
    assert "p_adjusted" in q3p.columns
    table = h.drilldown(q3p.reset_index(), q3c.reset_index(), mapping)
    assert table["theme_id"].tolist()[:3] == ["grp-a", "a1", "a2"]
    assert table["level"].tolist()[:3] == ["parent", "theme", "theme"]
