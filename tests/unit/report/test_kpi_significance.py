"""Headline KPIs carry a significance test, so a KPI card is coloured only for a real change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.stats import count_change_pvalue, two_proportion_pvalue
from workbench.core.quarters import Quarter
from workbench.report.data import headline_kpis

Q3 = Quarter(2026, 3)


def _deals(won_prev: int, lost_prev: int, won_now: int, lost_now: int) -> pd.DataFrame:
    dates = ["2026-05-01"] * (won_prev + lost_prev) + ["2026-08-01"] * (won_now + lost_now)
    outcomes = ["won"] * won_prev + ["lost"] * lost_prev + ["won"] * won_now + ["lost"] * lost_now
    return pd.DataFrame(
        {
            "created_at": pd.to_datetime(dates),
            "closed_at": pd.to_datetime(dates),
            "outcome": outcomes,
            "amount": 100.0,
        }
    )


def _feedback(prev_n: int, now_n: int) -> pd.DataFrame:
    dates = ["2026-05-01"] * prev_n + ["2026-08-01"] * now_n
    return pd.DataFrame(
        {"created_at": pd.to_datetime(dates), "account_id": [f"a{i}" for i in range(len(dates))]}
    )


def test_a_small_win_rate_dip_is_not_significant():
    kpis = headline_kpis(None, _deals(9, 11, 8, 12), None, Q3).set_index("kpi")
    assert kpis.loc["win_rate", "delta"] == pytest.approx(-0.05)
    assert kpis.loc["win_rate", "p_value"] == pytest.approx(two_proportion_pvalue(8, 20, 9, 20))
    assert not kpis.loc["win_rate", "significant"]
    assert np.isnan(kpis.loc["bookings", "p_value"]) and not kpis.loc["bookings", "significant"]


def test_a_large_win_rate_drop_is_significant():
    kpis = headline_kpis(None, _deals(60, 40, 20, 80), None, Q3).set_index("kpi")
    assert kpis.loc["win_rate", "p_value"] < 0.001 and kpis.loc["win_rate", "significant"]


def test_feedback_volume_uses_the_count_change_test():
    kpis = headline_kpis(_feedback(100, 160), None, None, Q3).set_index("kpi")
    assert kpis.loc["feedback_items", "p_value"] == pytest.approx(count_change_pvalue(100, 160))
    assert kpis.loc["feedback_items", "significant"]
    flat = headline_kpis(_feedback(100, 104), None, None, Q3).set_index("kpi")
    assert not flat.loc["feedback_items", "significant"]


def test_no_previous_quarter_means_no_test():
    kpis = headline_kpis(_feedback(0, 50), None, None, Q3).set_index("kpi")
    assert np.isnan(kpis.loc["feedback_items", "p_value"]) and not kpis.loc["feedback_items", "significant"]
