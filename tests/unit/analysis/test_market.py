"""Share of voice, win rate against competitors, mention spikes around releases, market metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.joins import AnalysisInputError
from workbench.analysis.market import (
    NO_COMPETITOR,
    market_metric_change,
    market_metric_series,
    mention_timeline,
    release_timeline,
    share_of_voice,
    win_rate_vs_competitor,
)

MONDAY = pd.Timestamp("2026-01-05")  # a Monday


def mention_rows(competitor, dates, quarter=None):
    return pd.DataFrame(
        {
            "table": "feedback",
            "record_id": [f"{competitor}-{i}" for i in range(len(dates))],
            "quarter": quarter,
            "created_at": pd.to_datetime(dates),
            "competitor": competitor,
        }
    )


def test_share_of_voice_fills_quiet_quarters_and_measures_change():
    m = pd.concat(
        [
            mention_rows("A", ["2026-01-10"] * 3, "2026Q1"),
            mention_rows("B", ["2026-01-11"], "2026Q1"),
            mention_rows("A", ["2026-07-01"], "2026Q3"),
        ],
        ignore_index=True,
    )
    out = share_of_voice(m).set_index(["quarter", "competitor"])
    assert out.loc[("2026Q1", "A"), "share"] == 0.75
    assert out.loc[("2026Q1", "B"), "share"] == 0.25
    assert out.loc[("2026Q2", "A"), "mentions"] == 0  # the quiet quarter is there, as zeros
    assert out.loc[("2026Q3", "A"), "share"] == 1.0
    assert out.loc[("2026Q3", "A"), "change_pts"] == pytest.approx(100.0)
    assert np.isnan(out.loc[("2026Q1", "A"), "change_pts"])


def test_share_of_voice_of_one_table_only():
    m = pd.concat(
        [
            mention_rows("A", ["2026-01-10"], "2026Q1"),
            mention_rows("B", ["2026-01-10"], "2026Q1").assign(table="deals"),
        ],
        ignore_index=True,
    )
    out = share_of_voice(m, table="deals")
    assert out["competitor"].tolist() == ["B"] and out["share"].tolist() == [1.0]


def test_win_rate_vs_competitor_with_test_against_the_rest():
    rows = (
        [("Pulse HQ", "won")] * 2 + [("pulsehq", "lost")] * 18 + [(None, "won")] * 30 + [(None, "lost")] * 20
    )
    deals = pd.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(len(rows))],
            "competitor": [c for c, _ in rows],
            "outcome": [o for _, o in rows],
            "amount": 10.0,
            "closed_at": pd.Timestamp("2026-05-01"),
        }
    )
    competitors = pd.DataFrame({"name": ["Pulse HQ"], "aliases": ["PulseHQ"]})
    out = win_rate_vs_competitor(deals, competitors).set_index("competitor")
    pulse = out.loc["Pulse HQ"]
    assert (pulse["won"], pulse["lost"], pulse["closed"]) == (2, 18, 20)
    assert pulse["win_rate"] == 0.1 and pulse["lost_value"] == 180.0
    assert pulse["ci_low"] < 0.1 < pulse["ci_high"]
    assert pulse["p_value"] < 0.001 and bool(pulse["significant_vs_rest"])
    assert out.loc[NO_COMPETITOR, "win_rate"] == 0.6
    assert win_rate_vs_competitor(deals, competitors, quarters=["2026Q1"]).empty


def weekly(competitor, counts, start=MONDAY):
    dates = [start + pd.Timedelta(weeks=w, days=2) for w, n in enumerate(counts) for _ in range(n)]
    return mention_rows(competitor, dates)


def test_mention_timeline_zero_fills_and_flags_spikes_over_twice_the_trailing_median():
    m = pd.concat(
        [weekly("A", [1, 1, 0, 1, 1, 1, 1, 1, 5, 2]), weekly("B", [0, 0, 0, 0, 0, 0, 0, 0, 0, 1])],
        ignore_index=True,
    )
    out = mention_timeline(m)
    a = out[out["competitor"] == "A"].reset_index(drop=True)
    assert len(a) == 10 and a["period"].iloc[0] == MONDAY
    assert a.loc[2, "mentions"] == 0
    assert a.loc[8, "baseline"] == 1.0 and bool(a.loc[8, "spike"])
    assert not a["spike"].drop(index=8).any()  # week 9 has 2 mentions: below min_count
    assert not out.loc[out["competitor"] == "B", "spike"].any()
    assert np.isnan(a.loc[3, "baseline"])  # needs 4 earlier weeks


def test_mention_timeline_monthly_and_bad_freq():
    m = mention_rows("A", ["2026-01-03", "2026-01-30", "2026-03-05"])
    out = mention_timeline(m, freq="M")
    assert out["period"].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert out["mentions"].tolist() == [2, 0, 1]
    with pytest.raises(AnalysisInputError):
        mention_timeline(m, freq="fortnight")


def test_release_timeline_links_releases_to_following_spikes():
    m = weekly("A", [1, 1, 0, 1, 1, 1, 1, 1, 5, 2])
    timeline = mention_timeline(m)
    events = pd.DataFrame(
        {
            "date": pd.to_datetime(
                [MONDAY + pd.Timedelta(weeks=8, days=1), MONDAY + pd.Timedelta(weeks=2), MONDAY]
            ),
            "competitor": ["A", "A", "A"],
            "kind": ["Release", "release", "funding"],
            "title": ["A 2.0", "A 1.1", "Series B"],
        }
    )
    out = release_timeline(events, timeline).set_index("title")
    assert list(out.index) == ["A 1.1", "A 2.0"]  # funding is not a release; sorted by date
    big = out.loc["A 2.0"]
    assert bool(big["spike_after"]) and big["peak_period"] == MONDAY + pd.Timedelta(weeks=8)
    assert big["mentions_after"] == 7  # its own week (5) and the next (2), within 14 days
    assert not bool(out.loc["A 1.1", "spike_after"]) and pd.isna(out.loc["A 1.1", "peak_period"])


METRICS = pd.DataFrame(
    {
        "date": pd.to_datetime(["2026-02-01", "2026-03-31", "2026-05-01", "2026-06-30", "2026-06-30"]),
        "metric": ["rating", "rating", "rating", "rating", "share"],
        "entity": ["A", "A", "A", "A", "us"],
        "value": [4.0, 4.2, 4.5, 3.9, 0.3],
    }
)


def test_market_metric_series_filters_and_adds_quarters():
    out = market_metric_series(METRICS, metrics=["rating"])
    assert out["quarter"].tolist() == ["2026Q1", "2026Q1", "2026Q2", "2026Q2"]
    assert len(market_metric_series(METRICS, entities=["us"])) == 1


def test_market_metric_change_compares_quarter_end_levels():
    out = market_metric_change(METRICS, "2026Q2").set_index(["metric", "entity"])
    row = out.loc[("rating", "A")]
    assert (row["value"], row["prev_value"]) == (3.9, 4.2)
    assert row["change"] == pytest.approx(-0.3)
    assert row["change_pct"] == pytest.approx(-0.3 / 4.2 * 100)
    assert np.isnan(out.loc[("share", "us"), "prev_value"])


def test_a_count_that_chance_explains_is_not_a_spike():
    # 6 mentions over a median of 2.5 is > 2x, but P(X >= 6 | Poisson 2.5) = 0.04: not below 0.01.
    out = mention_timeline(weekly("A", [2, 3, 2, 3, 2, 3, 2, 3, 6, 12]))
    assert out["spike"].tolist() == [False] * 9 + [True]


def test_win_rate_by_competitor_is_one_definition_for_both_views():
    """Blank, padded and missing names: the market table and the quarterly view group them alike."""
    from workbench.analysis.sales import win_rate_by_quarter

    deals = pd.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(7)],
            "competitor": ["Acme", " Acme ", "", "   ", None, "Acme", "Zed"],
            "outcome": ["won", "lost", "lost", "won", "lost", "lost", "won"],
            "amount": 10.0,
            "closed_at": pd.to_datetime(["2026-02-01"] * 4 + ["2026-05-01"] * 3),
        }
    )
    overall = win_rate_vs_competitor(deals).set_index("competitor")
    assert set(overall.index) == {"Acme", "Zed", NO_COMPETITOR}  # no "" group, no " Acme " group
    assert (overall.loc["Acme", "won"], overall.loc["Acme", "lost"]) == (1, 2)
    assert (overall.loc[NO_COMPETITOR, "won"], overall.loc[NO_COMPETITOR, "lost"]) == (1, 2)
    quarterly = win_rate_by_quarter(deals, by="competitor")
    summed = quarterly.groupby("competitor")[["won", "lost", "closed"]].sum()
    pd.testing.assert_frame_equal(
        summed.sort_index(),
        overall[["won", "lost", "closed"]].sort_index(),
        check_names=False,
        check_index_type=False,
    )
    q1 = win_rate_vs_competitor(deals, quarters=["2026Q1"]).set_index("competitor")
    assert (q1.loc[NO_COMPETITOR, "won"], q1.loc[NO_COMPETITOR, "lost"]) == (1, 1)
