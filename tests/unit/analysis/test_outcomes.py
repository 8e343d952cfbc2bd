"""Feature adoption, before/after windows around a ship date, and the wins that credit teams."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from workbench.analysis.outcomes import before_after, before_after_all, feature_adoption, wins
from workbench.core.config import ShippedItem

W1, W2 = pd.Timestamp("2026-01-05"), pd.Timestamp("2026-01-12")  # Mondays

USAGE = pd.DataFrame(
    {
        "account_id": ["a1", "a2", "a2", "a1", "a2"],
        "period": [W1, W1, W1, W2, W2],
        "feature": ["export", "export", "dashboard", "export", "export"],
        "active_users": [3.0, 0.0, 2.0, 1.0, 2.0],
        "events": [10.0, 0.0, 4.0, 2.0, 5.0],
    }
)


def test_feature_adoption_weekly_counts_real_use_only():
    out = feature_adoption(USAGE, features=["export"])
    assert out["period"].tolist() == [W1, W2]
    assert out["adopting_accounts"].tolist() == [1, 2]  # a2 had a row but no use in week 1
    assert out["active_users"].tolist() == [3.0, 3.0]
    assert out["base_accounts"].tolist() == [2, 2]
    assert out["adoption_rate"].tolist() == [0.5, 1.0]
    assert out["quarter"].tolist() == ["2026Q1", "2026Q1"]


def test_feature_adoption_quarterly_with_the_customer_base_from_accounts():
    accounts = pd.DataFrame(
        {
            "account_id": ["a1", "a2", "a3", "a4"],
            "created_at": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-06-01", "2026-02-01"]),
            "churned_at": pd.to_datetime([None, None, "2025-12-01", None]),
        }
    )
    out = feature_adoption(USAGE, accounts, freq="Q").set_index("feature")
    assert out.loc["export", "adopting_accounts"] == 2
    assert out.loc["export", "active_users"] == 3.0  # mean weekly users, not a sum over weeks
    assert out.loc["export", "events"] == 17.0
    assert out.loc["export", "base_accounts"] == 2  # a3 churned before, a4 joined after the start
    assert out.loc["dashboard", "adoption_rate"] == 0.5


SHIP = dt.date(2026, 3, 2)  # a Monday
ITEM = ShippedItem(
    id="bulk-export",
    name="Bulk export",
    shipped_on=SHIP,
    feature="export",
    theme_id="T1",
    teams=["Data Platform", "Support"],
)
QUIET = ShippedItem(id="dark-mode", name="Dark mode", shipped_on=SHIP, theme_id="T2", teams=["Design"])


def ba_inputs():
    ship = pd.Timestamp(SHIP)
    rows = []  # (offset days from ship, theme, sentiment)
    rows += [(-27 + i, "T1", -0.6 + 0.01 * i) for i in range(20)]  # 20 before
    rows += [(1 + 6 * i, "T1", 0.1 + 0.01 * i) for i in range(4)]  # 4 after
    rows += [(-25 + 2 * i, "T2", 0.0) for i in range(10)] + [(2 * i, "T2", 0.0) for i in range(10)]
    rows += [(-60, "T1", -0.9), (40, "T1", -0.9)]  # outside the 28-day windows
    feedback = pd.DataFrame(
        {
            "feedback_id": [f"f{i}" for i in range(len(rows))],
            "created_at": [ship + pd.Timedelta(days=d) for d, _, _ in rows],
        }
    )
    assign = pd.DataFrame(
        {
            "table": "feedback",
            "record_id": feedback["feedback_id"],
            "theme_id": [t for _, t, _ in rows],
            "sentiment": [s for _, _, s in rows],
        }
    )
    weeks = [ship + pd.Timedelta(weeks=w) for w in range(-4, 4)]
    usage = pd.DataFrame(
        [(f"a{i}", week, "export", 1.0, 1.0) for week in weeks for i in range(2 if week < ship else 6)],
        columns=["account_id", "period", "feature", "active_users", "events"],
    )
    return usage, assign, feedback


def test_before_after_same_length_windows_and_tests():
    usage, assign, feedback = ba_inputs()
    out = before_after(ITEM, usage, assign, feedback, window_days=28).set_index("metric")
    vol = out.loc["theme_volume"]
    assert (vol["before"], vol["after"]) == (20, 4)
    assert vol["change_pct"] == pytest.approx(-80.0)
    assert vol["p_value"] == pytest.approx(0.00154, abs=1e-4)  # binomial(4; 24, 0.5), two-sided
    assert bool(vol["significant"])
    share = out.loc["theme_share"]
    assert share["before"] == pytest.approx(20 / 30) and share["after"] == pytest.approx(4 / 14)
    assert out.loc["theme_sentiment", "after"] > out.loc["theme_sentiment", "before"]
    adopt = out.loc["adopting_accounts"]
    assert (adopt["before"], adopt["after"]) == (2.0, 6.0)
    assert adopt["p_value"] < 0.05  # all four weeks after exceed all four before
    assert vol["window_days"] == 28 and vol["before_start"] == pd.Timestamp("2026-02-02")


def test_before_after_default_window_is_capped_by_the_data():
    usage, assign, feedback = ba_inputs()
    out = before_after(ITEM, None, assign, feedback)
    # feedback spans ship-60 .. ship+40 days: the after side limits the window to 41 days
    assert set(out["window_days"]) == {41}
    assert set(out["metric"]) == {"theme_volume", "theme_share", "theme_sentiment"}


def test_before_after_without_enough_data_is_empty():
    usage, assign, feedback = ba_inputs()
    late = ITEM.model_copy(update={"shipped_on": dt.date(2026, 4, 10)})
    assert before_after(late, usage, assign, feedback).empty


def test_wins_credit_teams_for_significant_improvements_only():
    usage, assign, feedback = ba_inputs()
    themes = pd.DataFrame(
        {"theme_id": ["T1", "T2"], "label": ["Export is slow", "Too dark"], "kind": ["blocker", "blocker"]}
    )
    results = before_after_all([QUIET, ITEM], usage, assign, feedback, window_days=28)
    out = wins([QUIET, ITEM], results, themes)
    assert out["item_id"].tolist() == ["bulk-export", "dark-mode"]
    win = out.iloc[0]
    assert bool(win["is_win"]) and win["credit"] == "Thanks to Data Platform and Support"
    assert win["teams"] == "Data Platform, Support"
    assert (
        "'Export is slow' down 57% as a share of feedback: 66.7% -> 28.6% (20 -> 4 items)" in win["evidence"]
    )
    assert win["adoption_change_pct"] == pytest.approx(200.0)
    assert win["headline_metric"] == "theme_share"  # both qualify: the customers' theme comes first
    quiet = out.iloc[1]
    # its blocker theme's volume held (10 -> 10) while its share rose: significant, but the wrong way
    assert not bool(quiet["is_win"]) and quiet["headline_metric"] == ""
    assert "'Too dark' up 114% as a share of feedback" in quiet["evidence"]


def test_a_value_theme_rising_is_the_win():
    usage, assign, feedback = ba_inputs()
    results = before_after(ITEM, None, assign, feedback, window_days=28)
    themes = pd.DataFrame({"theme_id": ["T1"], "label": ["Love the exports"], "kind": ["value"]})
    assert not bool(wins([ITEM], results, themes).iloc[0]["is_win"])  # a value theme fell: no win


def test_a_significant_but_tiny_adoption_rise_is_not_credited():
    results = pd.DataFrame(
        [
            {
                "item_id": "dark-mode",
                "metric": "adopting_accounts",
                "before": 440.0,
                "after": 454.0,
                "change": 14.0,
                "change_pct": 3.2,
                "p_value": 1e-5,
                "significant": True,
                "window_days": 91,
            },
        ]
    )
    out = wins([QUIET], results)
    assert not bool(out.iloc[0]["is_win"])
    assert "(significant, but under 10%)" in out.iloc[0]["evidence"]
    assert bool(wins([QUIET], results, min_change_pct=3.0).iloc[0]["is_win"])


def test_inputs_are_not_mutated():
    frames = (USAGE, *ba_inputs())
    before = [f.copy(deep=True) for f in frames]
    feature_adoption(frames[0], freq="Q")
    before_after(ITEM, *frames[1:], window_days=28)
    for old, new in zip(before, frames, strict=True):
        pd.testing.assert_frame_equal(old, new)


def test_quarterly_adoption_base_uses_the_fiscal_quarter_without_accounts():
    """FY starting in February: January belongs to the previous fiscal quarter (Nov-Jan)."""
    import pandas as pd

    from workbench.analysis.outcomes import feature_adoption

    usage = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "period": pd.to_datetime(["2026-01-12", "2026-02-09", "2026-02-16"]),
            "feature": ["sso", "sso", "dashboards"],
            "active_users": [1.0, 1.0, 1.0],
            "events": [1.0, 1.0, 1.0],
        }
    )
    out = feature_adoption(usage, freq="Q", fy_start_month=2).set_index(["feature", "period"])
    # Feb-Apr 2026 holds accounts b and c: sso adoption there is 1 of 2, not 1 of 3.
    row = out.loc[("sso", pd.Timestamp("2026-02-01"))]
    assert row["adopting_accounts"] == 1
    assert row["base_accounts"] == 2
    assert out.loc[("sso", pd.Timestamp("2025-11-01")), "base_accounts"] == 1


def _theme_window(theme_before: int, theme_after: int, other_before: int, other_after: int):
    """Assignments and feedback spread evenly over 28 days either side of SHIP."""
    ship = pd.Timestamp(SHIP)
    rows = []
    for n, sign, theme in (
        (theme_before, -1, "T1"),
        (theme_after, 1, "T1"),
        (other_before, -1, "T9"),
        (other_after, 1, "T9"),
    ):
        rows += [(ship + pd.Timedelta(hours=sign * (1 + i * 27 * 24 // max(n, 1))), theme) for i in range(n)]
    feedback = pd.DataFrame(
        {"feedback_id": [f"f{i}" for i in range(len(rows))], "created_at": [r[0] for r in rows]}
    )
    assign = pd.DataFrame(
        {
            "table": "feedback",
            "record_id": feedback["feedback_id"],
            "theme_id": [r[1] for r in rows],
            "sentiment": 0.0,
        }
    )
    return assign, feedback


def test_dropping_a_source_does_not_credit_a_team():
    """All feedback fell by 60% (a source was dropped): the theme's volume fell, its share did not."""
    assign, feedback = _theme_window(100, 40, 400, 160)
    results = before_after(
        QUIET.model_copy(update={"theme_id": "T1"}), None, assign, feedback, window_days=28
    )
    vol = results.set_index("metric").loc["theme_volume"]
    assert bool(vol["significant"]) and vol["change_pct"] == pytest.approx(-60.0)  # raw volume "improved"
    out = wins([QUIET.model_copy(update={"theme_id": "T1"})], results).iloc[0]
    assert not bool(out["is_win"]) and out["headline_metric"] == ""
    assert "as a share of feedback: 20.0% -> 20.0%" in out["evidence"]


def test_a_falling_share_with_steady_totals_is_a_theme_win():
    assign, feedback = _theme_window(100, 40, 400, 460)
    item = QUIET.model_copy(update={"theme_id": "T1"})
    out = wins([item], before_after(item, None, assign, feedback, window_days=28)).iloc[0]
    assert bool(out["is_win"]) and out["headline_metric"] == "theme_share"
    assert out["share_before"] == pytest.approx(0.2) and out["share_after"] == pytest.approx(0.08)
    assert out["share_p_value"] < 0.05
