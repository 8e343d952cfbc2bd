"""Drivers on hand-built frames whose answer is known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.analysis import drivers

# 200 NPS responses: the 40 raising "billing" are all detractors (score 2), the other 160 are
# 80 promoters (10) and 80 passives (8). "docs" is raised by 40 responses spread evenly.
N, N_BILLING = 200, 40


def _responses() -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = [f"r{i}" for i in range(N)]
    score = [2] * N_BILLING + [10, 8] * ((N - N_BILLING) // 2)
    responses = pd.DataFrame(
        {"record_id": ids, "score": score, "account_id": [f"a{i % 100}" for i in range(N)]}
    )
    pairs = pd.DataFrame(
        {"record_id": ids[:N_BILLING] + ids[::5], "theme_id": ["billing"] * N_BILLING + ["docs"] * (N // 5)}
    )
    return responses, pairs


def test_nps_value_categories():
    assert drivers.nps_value(pd.Series([0, 6, 7, 8, 9, 10])).tolist() == [-1, -1, 0, 0, 1, 1]
    assert drivers.nps([10, 10, 0, 8]) == pytest.approx(25.0)


def test_nps_driver_found_with_known_difference_and_impact():
    responses, pairs = _responses()
    out = drivers.nps_drivers(
        responses, pairs, labels=pd.DataFrame({"theme_id": ["billing"], "label": ["Billing"]})
    )
    billing = out.set_index("theme_id").loc["billing"]
    assert billing["n_with"] == N_BILLING and billing["n_without"] == N - N_BILLING
    assert billing["nps_with"] == pytest.approx(-100.0)
    assert billing["nps_without"] == pytest.approx(50.0)
    assert billing["difference"] == pytest.approx(-150.0)
    # share 0.2 x -150 = -30 points; the overall NPS (-20) is 30 below the rest's (+50 x ... ) check:
    assert billing["impact"] == pytest.approx(-30.0)
    overall = drivers.nps(responses["score"])
    assert overall == pytest.approx(0.2 * -100 + 0.8 * 50)
    assert billing["ci_low"] < -150 < billing["ci_high"]
    assert billing["significant"] and "costs 30.0 points" in billing["statement"]
    assert out.iloc[0]["theme_id"] == "billing"


def test_nps_driver_not_stated_when_no_difference():
    rng = np.random.default_rng(1)
    responses = pd.DataFrame({"record_id": [f"r{i}" for i in range(400)], "score": rng.integers(0, 11, 400)})
    pairs = pd.DataFrame({"record_id": responses["record_id"][::4], "theme_id": "random"})
    out = drivers.nps_drivers(responses, pairs)
    assert not out["significant"].any()
    assert (out["statement"] == "").all()


def test_nps_small_group_is_not_tested():
    responses, pairs = _responses()
    out = drivers.nps_drivers(responses, pairs.iloc[:3], min_n=10)
    assert np.isnan(out.iloc[0]["p_value"]) and not out.iloc[0]["significant"]


def test_account_level_nps_uses_account_pairs():
    responses, pairs = _responses()
    out = drivers.nps_drivers(responses, pairs)
    billing = out.set_index("theme_id").loc["billing"]
    assert billing["accounts_with"] + billing["accounts_without"] == responses["account_id"].nunique()


def test_account_level_nps_difference_has_the_delta_method_ci():
    """60 accounts with two responses each. The 20 raising "billing" (on one of their responses)
    are half detractors, half passives (+1/0/-1 mean -0.5); the 40 others half promoters, half
    passives (mean +0.5). Account difference -100 NPS points; per account one value, so
    se = 100 * sqrt(s1^2/20 + s0^2/40) with the sample variances 20*0.25/19 and 40*0.25/39."""
    n_with, n_without = 20, 40
    scores = [2] * 10 + [8] * 10 + [10] * 20 + [8] * 20
    accounts = [f"a{i}" for i in range(n_with + n_without)]
    responses = pd.DataFrame(
        {
            "record_id": [f"r{i}-{k}" for i in range(len(accounts)) for k in range(2)],
            "score": [s for s in scores for _ in range(2)],
            "account_id": [a for a in accounts for _ in range(2)],
        }
    )
    pairs = pd.DataFrame({"record_id": [f"r{i}-0" for i in range(n_with)], "theme_id": "billing"})
    billing = drivers.nps_drivers(responses, pairs).set_index("theme_id").loc["billing"]
    assert billing["accounts_with"] == n_with and billing["accounts_without"] == n_without
    assert billing["account_difference"] == pytest.approx(-100.0)
    se = 100 * np.sqrt((20 * 0.25 / 19) / n_with + (40 * 0.25 / 39) / n_without)
    assert billing["account_ci_low"] == pytest.approx(-100 - 1.959964 * se, rel=1e-6)
    assert billing["account_ci_high"] == pytest.approx(-100 + 1.959964 * se, rel=1e-6)
    # the response level counts 20 vs 100 responses, so its interval differs from the account one
    assert billing["ci_high"] - billing["ci_low"] != pytest.approx(
        billing["account_ci_high"] - billing["account_ci_low"]
    )


def test_account_level_ci_is_nan_for_a_small_group():
    responses, pairs = _responses()
    out = drivers.nps_drivers(responses, pairs.iloc[:3], min_n=10)
    row = out.iloc[0]
    assert np.isnan(row["account_ci_low"]) and np.isnan(row["account_ci_high"])


def _accounts(n: int = 400) -> pd.DataFrame:
    # Accounts a0..a99 raise "outage" in 2026Q2 and half of them churn in 2026Q3; of the other 300, 6 churn.
    churned = [
        pd.Timestamp("2026-08-01") if (i < 100 and i % 2 == 0) or (i >= 100 and i % 50 == 0) else pd.NaT
        for i in range(n)
    ]
    return pd.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(n)],
            "arr": [1000.0] * n,
            "created_at": pd.Timestamp("2020-01-01"),
            "churned_at": pd.to_datetime(churned),
        }
    )


def test_churn_driver_relative_risk_and_arr_at_risk():
    accounts = _accounts()
    raised = pd.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(100)] + [f"a{i}" for i in range(100, 400, 3)],
            "quarter": "2026Q2",
            "theme_id": ["outage"] * 100 + ["docs"] * 100,
        }
    )
    out = drivers.churn_drivers(accounts, raised, ["2026Q2"]).set_index("theme_id")
    outage = out.loc["outage"]
    assert (outage["churned_with"], outage["n_with"]) == (50, 100)
    assert (outage["churned_without"], outage["n_without"]) == (6, 300)
    assert outage["relative_risk"] == pytest.approx(0.5 / 0.02)
    assert outage["ci_low"] > 1 and outage["significant"]
    assert outage["arr_at_risk"] == pytest.approx(50 * 1000.0)
    assert "relative risk 25.0" in outage["statement"]
    # "docs" raisers (2 of 100 churned) are compared with a rest that holds the outage raisers:
    # the association is real but protective, so it is below 1.
    assert out.loc["docs"]["relative_risk"] < 1


def test_churn_panel_excludes_accounts_gone_before_next_quarter():
    accounts = _accounts(4).assign(churned_at=pd.to_datetime(["2026-05-01", "2026-08-01", None, None]))
    panel = drivers.account_quarter_panel(accounts, ["2026Q2"])
    assert panel["account_id"].tolist() == ["a1", "a2", "a3"]
    assert panel["churned_next"].tolist() == [True, False, False]


def test_deal_driver_lift():
    # 50 lost and 50 won deals with notes; "missing-sso" is in 25 lost and 5 won notes.
    deals = pd.DataFrame(
        {
            "deal_id": [f"d{i}" for i in range(100)],
            "outcome": ["lost"] * 50 + ["won"] * 50,
            "closed_at": pd.Timestamp("2026-08-15"),
            "notes": "some notes",
            "amount": 10.0,
        }
    )
    pairs = pd.DataFrame(
        {
            "record_id": [f"d{i}" for i in range(25)] + [f"d{i}" for i in range(50, 55)],
            "theme_id": "missing-sso",
        }
    )
    out = drivers.deal_drivers(deals, pairs, quarters=["2026Q3"]).iloc[0]
    assert (out["lost_with"], out["lost_deals"], out["won_with"], out["won_deals"]) == (25, 50, 5, 50)
    assert out["lift"] == pytest.approx(5.0)
    assert out["ci_low"] > 1 and out["significant"]
    assert "5.0x as often" in out["statement"]
    assert drivers.deal_drivers(deals, pairs, quarters=["2026Q2"]).empty


def test_bh_adjust_matches_scipy_and_keeps_nan():
    p = pd.Series([0.01, np.nan, 0.04, 0.03])
    adj = drivers.bh_adjust(p)
    assert np.isnan(adj[1])
    assert adj[[0, 2, 3]].tolist() == pytest.approx([0.03, 0.04, 0.04])


def test_strongest_picks_smallest_adjusted_p():
    responses, pairs = _responses()
    nps = drivers.nps_drivers(responses, pairs)
    best = drivers.strongest(nps, None, None)
    assert best["kind"] == "nps" and best["row"]["theme_id"] == "billing"
    assert drivers.strongest(nps.assign(significant=False), None, None) is None


def test_driver_insight_headlines_the_strongest_driver():
    from workbench.analysis.insights import LINKS, driver_insight

    responses, pairs = _responses()
    nps = drivers.nps_drivers(
        responses, pairs, labels=pd.DataFrame({"theme_id": ["billing"], "label": ["Billing"]})
    )
    found = driver_insight(nps, None, None)
    assert found.id == "driver" and found.link == LINKS["driver"] and found.significant
    assert found.headline == "'Billing' costs the most NPS: 30.0 points"
    assert found.detail == nps.iloc[0]["statement"]
    assert driver_insight(nps.assign(significant=False), None, None) is None


def test_compute_rolls_up_to_parent_groups_counting_each_response_once():
    # 100 NPS responses in 2026Q3: r0-r19 raise "a1" and r10-r29 raise "a2" (both children of
    # "grp-a"), all 30 of them detractors; the other 70 are promoters.
    ids = [f"r{i}" for i in range(100)]
    feedback = pd.DataFrame(
        {
            "feedback_id": ids,
            "created_at": pd.Timestamp("2026-08-01"),
            "score": [0] * 30 + [10] * 70,
            "account_id": [f"acc{i}" for i in range(100)],
            "channel": "nps",
        }
    )
    assignments = pd.DataFrame(
        {
            "table": "feedback",
            "record_id": ids[:20] + ids[10:30],
            "theme_id": ["a1"] * 20 + ["a2"] * 20,
        }
    )
    themes = pd.DataFrame({"theme_id": ["a1", "a2"], "label": ["A one", "A two"]})
    parents = {"a1": "grp-a", "a2": "grp-a"}
    names = pd.DataFrame({"theme_id": ["grp-a"], "label": ["Group A"]})
    nps, churn, deals = drivers.compute(
        "2026Q3", assignments, themes, feedback, parents=parents, parent_labels=names
    )
    row = nps.set_index("theme_id").loc["grp-a"]
    assert (row["label"], row["n_with"], row["n_without"]) == ("Group A", 30, 70)
    assert row["nps_with"] == pytest.approx(-100) and row["nps_without"] == pytest.approx(100)
    assert churn is None and deals is None
    children, _, _ = drivers.compute("2026Q3", assignments, themes, feedback)
    assert set(children["theme_id"]) == {"a1", "a2"} and children["n_with"].tolist() == [20, 20]


def test_format_p():
    assert drivers.format_p(pd.Series([0.0001, 0.0123, np.nan])).tolist() == ["< 0.001", "0.012", ""]
