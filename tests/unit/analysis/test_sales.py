"""Pipeline and win/loss on a hand-built CRM of seven deals whose answers are worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.joins import AnalysisInputError
from workbench.analysis.sales import (
    loss_reasons,
    lost_deal_themes,
    pipeline_by,
    product_gaps,
    sales_cycle,
    win_rate_by_quarter,
)

NaT = pd.NaT


def ts(text):
    return pd.Timestamp(text) if text else NaT


# deal, account, stage, amount, created, closed, outcome, loss reason, competitor, product
DEALS = pd.DataFrame(
    [
        ("D1", "A", "Closed Won", 100.0, "2026-01-10", "2026-02-10", "won", None, "Pulse HQ", "X"),
        ("D2", "B", "Closed Lost", 200.0, "2026-01-15", "2026-03-01", "lost", "Price", "Pulse HQ", "X"),
        ("D3", "C", "Closed Lost", 300.0, "2026-02-01", "2026-04-05", "lost", "Missing feature", None, "Y"),
        ("D4", "A", "Closed Won", 400.0, "2026-03-01", "2026-04-20", "won", None, None, "Y"),
        ("D5", "B", "Proposal", 500.0, "2026-04-01", None, "open", None, None, "X"),
        ("D6", None, "Discovery", 600.0, "2026-05-01", None, "open", None, None, "Y"),
        ("D7", "C", "Closed Lost", 50.0, "2026-04-02", "2026-05-15", "lost", "Price", "pulsehq", "X"),
    ],
    columns=[
        "deal_id",
        "account_id",
        "stage",
        "amount",
        "created_at",
        "closed_at",
        "outcome",
        "loss_reason",
        "competitor",
        "product",
    ],
).assign(created_at=lambda d: d["created_at"].map(ts), closed_at=lambda d: d["closed_at"].map(ts))
ACCOUNTS = pd.DataFrame(
    {"account_id": ["A", "B", "C"], "segment": ["SMB", "Enterprise", "Mid-Market"], "arr": [10.0, 20.0, 30.0]}
)
COMPETITORS = pd.DataFrame({"name": ["Pulse HQ"], "aliases": ["PulseHQ|Pulse"]})
ASSIGNMENTS = pd.DataFrame(
    {
        "table": ["deals"] * 7 + ["feedback"],
        "record_id": ["D1", "D2", "D3", "D4", "D5", "D6", "D7", "D2"],
        "theme_id": [None, "T1", "T1", "T2", "T2", "T1", "T3", "T2"],
        "sentiment": [0.0] * 8,
    }
)
THEMES = pd.DataFrame(
    {
        "theme_id": ["T1", "T2", "T3"],
        "label": ["Reporting gaps", "SSO", "noise"],
        "kind": ["blocker", "blocker", "unknown"],
        "status": ["registered", "registered", "hidden"],
    }
)


@pytest.fixture(autouse=True)
def inputs_untouched():
    before = [f.copy(deep=True) for f in (DEALS, ACCOUNTS, ASSIGNMENTS, THEMES)]
    yield
    for old, new in zip(before, (DEALS, ACCOUNTS, ASSIGNMENTS, THEMES), strict=True):
        pd.testing.assert_frame_equal(old, new)


def test_pipeline_by_stage_is_the_open_deals_now():
    out = pipeline_by(DEALS, by="stage")
    assert out["stage"].tolist() == ["Discovery", "Proposal"]
    assert out["deals"].tolist() == [1, 1]
    assert out["value"].tolist() == [600.0, 500.0]
    assert out["share_of_value"].tolist() == pytest.approx([600 / 1100, 500 / 1100])


def test_pipeline_at_a_past_quarter_end_reconstructs_what_was_open():
    # At the end of 2026Q1 (2026-04-01) D3 and D4 were open; D5 was created on 04-01, after the end.
    out = pipeline_by(DEALS, by="product", quarter="2026Q1")
    assert dict(zip(out["product"], out["value"], strict=True)) == {"Y": 700.0}
    assert out["deals"].tolist() == [2]


def test_pipeline_by_segment_joins_accounts_and_keeps_unmatched_deals():
    out = pipeline_by(DEALS, ACCOUNTS, by="segment")
    assert dict(zip(out["segment"], out["value"], strict=True)) == {"Unknown": 600.0, "Enterprise": 500.0}


def test_pipeline_by_segment_without_accounts_is_a_clear_error():
    with pytest.raises(AnalysisInputError, match="accounts"):
        pipeline_by(DEALS, by="segment")
    with pytest.raises(AnalysisInputError, match="cannot group"):
        pipeline_by(DEALS, by="colour")


def test_win_rate_by_quarter_uses_the_closing_quarter_and_wilson_bounds():
    out = win_rate_by_quarter(DEALS)
    assert out["quarter"].tolist() == ["2026Q1", "2026Q2"]
    assert out["won"].tolist() == [1, 1]
    assert out["closed"].tolist() == [2, 3]
    assert out["win_rate"].tolist() == pytest.approx([0.5, 1 / 3])
    # Wilson 95% for 1 of 2: centre 0.5, half-width z*sqrt(p(1-p)/n + z^2/4n^2)/(1+z^2/n)
    assert out.loc[0, "ci_low"] == pytest.approx(0.0945, abs=1e-4)
    assert out.loc[0, "ci_high"] == pytest.approx(0.9055, abs=1e-4)
    assert out["lost_value"].tolist() == [200.0, 350.0]


def test_win_rate_by_product_and_by_competitor_with_aliases():
    by_product = win_rate_by_quarter(DEALS, by="product")
    q2 = by_product[by_product["quarter"] == "2026Q2"].set_index("product")
    assert q2.loc["Y", "win_rate"] == 0.5 and q2.loc["X", "win_rate"] == 0.0
    by_comp = win_rate_by_quarter(DEALS, by="competitor", competitors=COMPETITORS)
    pulse = by_comp[by_comp["competitor"] == "Pulse HQ"].set_index("quarter")
    assert pulse.loc["2026Q1", "closed"] == 2 and pulse.loc["2026Q2", "lost"] == 1  # "pulsehq" mapped
    assert "No competitor named" in set(by_comp["competitor"])


def test_win_rate_by_segment():
    out = win_rate_by_quarter(DEALS, by="segment", accounts=ACCOUNTS)
    q2 = out[out["quarter"] == "2026Q2"].set_index("segment")
    assert q2.loc["SMB", "win_rate"] == 1.0
    assert q2.loc["Mid-Market", "closed"] == 2


def test_wilson_matches_textbook_values():
    from workbench.analysis.stats import wilson_interval

    low, high = wilson_interval(np.array([0, 5]), np.array([10, 10]))
    assert low[0] == 0.0 and high[0] == pytest.approx(0.2775, abs=1e-4)
    assert (low[1], high[1]) == pytest.approx((0.2366, 0.7634), abs=1e-4)


def test_sales_cycle_median_and_p75_by_quarter_and_outcome():
    out = sales_cycle(DEALS).set_index(["quarter", "outcome"])
    assert out.loc[("2026Q1", "won"), "median_days"] == 31
    assert out.loc[("2026Q1", "lost"), "median_days"] == 45
    assert out.loc[("2026Q2", "lost"), "median_days"] == 53  # 63 and 43 days
    assert out.loc[("2026Q2", "lost"), "p75_days"] == 58
    assert out.loc[("2026Q2", "all"), "deals"] == 3
    assert out.loc[("2026Q2", "all"), "median_days"] == 50


def test_loss_reasons_compare_with_previous_quarter():
    out = loss_reasons(DEALS, "2026Q2")
    assert out["loss_reason"].tolist() == ["Missing feature", "Price"]
    assert out["share"].tolist() == [0.5, 0.5]
    assert out.set_index("loss_reason")["change"].to_dict() == {"Missing feature": 1, "Price": 0}


def test_loss_reason_missing_is_reported_not_dropped():
    deals = DEALS.assign(loss_reason=DEALS["loss_reason"].where(DEALS["deal_id"] != "D3", None))
    out = loss_reasons(deals, "2026Q2")
    assert set(out["loss_reason"]) == {"Not given", "Price"}
    assert out["deals"].sum() == 2


def test_lost_deal_themes_skip_hidden_themes():
    out = lost_deal_themes(DEALS, ASSIGNMENTS, THEMES)
    assert out["theme_id"].tolist() == ["T1"]  # T2 only on won/open deals, T3 hidden
    row = out.iloc[0]
    assert (row["lost_deals"], row["lost_value"], row["won_deals"]) == (2, 500.0, 0)
    assert row["share_of_lost"] == pytest.approx(2 / 3)
    assert row["loss_rate"] == 1.0


def test_lost_deal_themes_for_one_competitor_and_quarter():
    out = lost_deal_themes(
        DEALS, ASSIGNMENTS, THEMES, quarter="2026Q1", competitor="Pulse HQ", competitors=COMPETITORS
    )
    assert out["theme_id"].tolist() == ["T1"] and out["lost_deals"].tolist() == [1]
    assert lost_deal_themes(DEALS, ASSIGNMENTS, THEMES, quarter="2026Q2", competitor="Pulse HQ").empty


def test_product_gaps_rank_themes_by_lost_plus_open_value():
    out = product_gaps(DEALS, ASSIGNMENTS, THEMES, "2026Q2")
    assert out["theme_id"].tolist() == ["T1", "T2"]
    t1 = out.iloc[0]
    assert (t1["lost_value"], t1["open_value"], t1["blocked_value"]) == (300.0, 600.0, 900.0)
    assert out.iloc[1]["blocked_value"] == 500.0
    assert out["rank"].tolist() == [1, 2]
