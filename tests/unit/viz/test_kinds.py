"""Value, blocker and goal themes are told apart in the theme charts (the label carries the kind)."""

from __future__ import annotations

import pandas as pd

from workbench.viz import charts

Q = "2026Q3"
THEMES = pd.DataFrame(
    {
        "theme_id": ["saves-time", "slow-export", "new-x"],
        "label": ["Saves time", "Slow exports", "Something new"],
        "kind": ["value", "blocker", "unknown"],
    }
)
METRICS = pd.DataFrame(
    {
        "quarter": [Q] * 3,
        "theme_id": ["saves-time", "slow-export", "new-x"],
        "volume": [50, 40, 10],
        "prev_volume": [45, 20, 0],
        "arr_touched": [3e6, 2e6, 1e5],
        "change_pct": [11.0, 100.0, float("nan")],
        "trend": ["steady", "rising", "new"],
        "share": [0.5, 0.4, 0.1],
        "accounts": [10, 8, 2],
    }
)
PALETTE = {"saves-time": "#332288", "slow-export": "#CC6677", "new-x": "#117733"}


def _rows(spec: dict) -> list[dict]:
    return next(iter(spec["datasets"].values()))


def test_ranking_marks_each_kind_and_explains_them():
    spec = charts.theme_ranking(METRICS, THEMES, Q, PALETTE).to_dict()
    shown = {r["theme_id"]: r["display"] for r in _rows(spec)}
    assert shown == {
        "saves-time": "Saves time · value",
        "slow-export": "Slow exports · blocker",
        "new-x": "Something new",
    }
    assert spec["encoding"]["y"]["field"] == "display"
    assert "value = praise" in spec["title"]["subtitle"]
    assert {"field": "kind", "type": "nominal", "title": "Kind"} in spec["encoding"]["tooltip"]


def test_changes_chart_marks_kinds_too():
    spec = charts.theme_changes(METRICS, THEMES, Q).to_dict()
    assert "Slow exports · blocker" in {r["display"] for r in _rows(spec)}


def test_no_kind_column_keeps_bare_labels():
    spec = charts.theme_ranking(METRICS, THEMES.drop(columns="kind"), Q, PALETTE).to_dict()
    assert {r["display"] for r in _rows(spec)} == {"Saves time", "Slow exports", "Something new"}
    assert "praise" not in str(spec["title"].get("subtitle", ""))
