"""The win-rate chart title and the executive headline compare the same two quarters."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from workbench.analysis.insights import win_rate_insight
from workbench.analysis.sales import win_rate_by_quarter, win_rate_change
from workbench.viz.sales import win_rate_trend


def _deals(per_quarter: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """per_quarter: closing date -> (won, lost)."""
    rows = []
    for day, (won, lost) in per_quarter.items():
        rows += [("won", day)] * won + [("lost", day)] * lost
    return pd.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(len(rows))],
            "outcome": [o for o, _ in rows],
            "closed_at": pd.to_datetime([d for _, d in rows]),
            "amount": 10.0,
        }
    )


def _chart_title(deals: pd.DataFrame, quarter: str) -> str:
    spec = win_rate_trend(win_rate_by_quarter(deals), quarter).to_dict()
    text = spec["title"]["text"]
    return " ".join(text) if isinstance(text, list) else text


def test_a_quarter_without_deals_before_is_no_comparison_in_both():
    """2026Q2 closed nothing: neither the chart nor the headline compares 2026Q3 with 2026Q1."""
    deals = _deals({"2026-02-01": (2, 8), "2026-08-01": (9, 1)})
    change = win_rate_change(win_rate_by_quarter(deals), "2026Q3")
    assert change.prev_quarter == "2026Q2" and not change.comparable and math.isnan(change.p_value)
    title = _chart_title(deals, "2026Q3")
    assert "QoQ" not in title and "no deals closed in 2026Q2" in title
    ins = win_rate_insight(deals, "2026Q3")
    assert ins.delta is None and "no 2026Q2 data" in ins.headline


def test_chart_and_headline_state_the_same_change():
    deals = _deals({"2026-02-01": (2, 8), "2026-05-01": (3, 7), "2026-08-01": (9, 1)})
    change = win_rate_change(win_rate_by_quarter(deals), "2026Q3")
    assert (change.prev_won, change.prev_closed) == (3, 10)
    assert change.delta_pts == pytest.approx(60.0)
    ins = win_rate_insight(deals, "2026Q3")
    assert ins.delta == pytest.approx(change.delta_pts) and ins.significant == (change.p_value < 0.05)
    assert "up 60 pts QoQ" in _chart_title(deals, "2026Q3") and "from 30% in 2026Q2" in ins.headline
    assert win_rate_change(win_rate_by_quarter(deals), "2026Q4") is None
