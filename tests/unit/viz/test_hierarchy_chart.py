"""The theme-groups chart on a hand-built roll-up whose numbers are known (checked on ``to_dict``)."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.core.errors import MissingColumnsError
from workbench.themes import hierarchy
from workbench.viz import hierarchy as group_charts
from workbench.viz import style

Q, P = "2026Q3", "2026Q2"
MAPPING = {
    "card-arrival": "grp-cards",
    "card-delivery": "grp-cards",
    "invoices": "grp-billing",
    "refunds": "grp-billing",
    "exports": "exports",  # ungrouped: its own top level
}
LABELS = pd.DataFrame(
    {
        "theme_id": [
            "grp-cards",
            "grp-billing",
            "card-arrival",
            "card-delivery",
            "invoices",
            "refunds",
            "exports",
        ],
        "label": [
            "Cards and delivery",
            "Billing",
            "Card arrival",
            "Delivery estimate",
            "Invoices",
            "Refunds",
            "CSV exports",
        ],
    }
)
PALETTE = style.theme_palette(["card-arrival", "card-delivery", "invoices", "refunds", "exports"])


def _drill(quarter: str = Q, scale: int = 1) -> pd.DataFrame:
    """200 items: cards 60 (35 + 25), billing 40 (30 + 10), exports 100 ungrouped."""
    parents = pd.DataFrame({"theme_id": ["exports", "grp-cards", "grp-billing"], "volume": [100, 60, 40]})
    children = pd.DataFrame(
        {
            "theme_id": ["exports", "card-arrival", "card-delivery", "invoices", "refunds"],
            "volume": [100, 35, 25, 30, 10],
        }
    )
    for frame in (parents, children):
        frame["volume"] *= scale
        frame["share"] = frame["volume"] / (200 * scale)
        frame["quarter"] = quarter
    drill = hierarchy.drilldown(parents, children, MAPPING)
    return drill.merge(LABELS, on="theme_id", how="left")


def _units(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def _values(spec: dict, unit: dict) -> list[dict]:
    return spec["datasets"][unit["data"]["name"]]


def test_segments_split_each_group_into_its_themes():
    seg = group_charts.group_segments(_drill(), Q)
    assert list(dict.fromkeys(seg["group_id"])) == ["exports", "grp-cards", "grp-billing"]  # by volume
    cards = seg[seg["group_id"] == "grp-cards"]
    assert cards["theme_id"].tolist() == ["card-arrival", "card-delivery"]  # largest first
    assert cards["volume"].sum() == cards["group_volume"].iloc[0] == 60
    assert cards["share_of_group"].tolist() == pytest.approx([35 / 60, 25 / 60])
    assert cards["group"].iloc[0] == "Cards and delivery (2 themes)"
    exports = seg[seg["group_id"] == "exports"]
    assert len(exports) == 1 and not exports["grouped"].iloc[0] and exports["group"].iloc[0] == "CSV exports"


def test_segments_keep_only_the_quarter_asked_for():
    both = pd.concat([_drill(Q), _drill(P, scale=3)], ignore_index=True)
    seg = group_charts.group_segments(both, Q)
    assert seg["group_volume"].max() == 100 and len(seg) == 5


def test_chart_title_names_the_largest_group_not_the_largest_ungrouped_theme():
    spec = group_charts.theme_groups(_drill(), Q, PALETTE).to_dict()
    title = spec["title"]["text"]
    assert title == f"Cards and delivery is the largest theme group: 30% of feedback in {Q}"
    assert "2 groups" in spec["title"]["subtitle"] and "ungrouped" in spec["title"]["subtitle"]


def test_chart_stacks_member_themes_in_their_palette_colours_with_tooltips():
    spec = group_charts.theme_groups(_drill(), Q, PALETTE).to_dict()
    bars, text = _units(spec)
    enc = bars["encoding"]
    assert enc["y"]["sort"] == ["CSV exports", "Cards and delivery (2 themes)", "Billing (2 themes)"]
    assert enc["x"]["field"] == "volume" and enc["x"]["stack"] == "zero"
    scale = enc["color"]["scale"]
    colours = dict(zip(scale["domain"], scale["range"], strict=True))
    assert colours["Card arrival"] == PALETTE["card-arrival"]
    assert colours["Refunds"] == PALETTE["refunds"]
    titles = {t["title"] for t in enc["tooltip"]}
    assert {"Group", "Theme", "Items", "Share of feedback", "Share of the group"} <= titles
    assert text["encoding"]["tooltip"]
    rows = pd.DataFrame(_values(spec, bars))
    assert rows.groupby("group_id")["volume"].sum().to_dict() == {
        "exports": 100,
        "grp-cards": 60,
        "grp-billing": 40,
    }
    totals = pd.DataFrame(_values(spec, text)).set_index("group_id")
    assert totals.loc["grp-billing", "share_text"] == "20.0%"


def test_chart_keeps_the_top_bars_and_says_so():
    spec = group_charts.theme_groups(_drill(), Q, PALETTE, top=2).to_dict()
    bars, _ = _units(spec)
    assert bars["encoding"]["y"]["sort"] == ["CSV exports", "Cards and delivery (2 themes)"]
    assert "top 2 of 3" in spec["title"]["subtitle"]


def test_no_groups_gives_an_empty_chart_that_says_so():
    children = pd.DataFrame({"theme_id": ["exports"], "volume": [5], "share": [1.0], "quarter": [Q]})
    drill = hierarchy.drilldown(children, children, {"exports": "exports"}).merge(LABELS, on="theme_id")
    spec = group_charts.theme_groups(drill, Q, PALETTE).to_dict()
    assert "No theme groups" in spec["title"]["text"]


def test_missing_columns_are_refused():
    with pytest.raises(MissingColumnsError):
        group_charts.theme_groups(pd.DataFrame({"theme_id": ["a"]}), Q, PALETTE)
