"""Headline KPIs, coverage and the default quarter, on tiny frames with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.core.config import load_settings
from workbench.core.quarters import Quarter
from workbench.report.data import (
    NoDataError,
    coverage,
    default_quarter,
    default_quarter_of,
    headline_kpis,
    table_coverage,
)

Q3 = Quarter(2026, 3)


def _frames():
    feedback = pd.DataFrame(
        {
            "created_at": pd.to_datetime(
                ["2026-04-10", "2026-05-01", "2026-07-02", "2026-08-09", "2026-09-30"]
            ),
            "account_id": ["a1", "a2", "a1", "a1", None],
            "score": [10, 3, 9, 10, np.nan],
        }
    )
    deals = pd.DataFrame(
        {
            "closed_at": pd.to_datetime(
                ["2026-05-01", "2026-06-01", "2026-07-15", "2026-08-01", "2026-09-01", "2026-09-02", None]
            ),
            "outcome": ["won", "lost", "won", "won", "lost", "lost", "open"],
            "amount": [100.0, 50.0, 300.0, 100.0, 20.0, 30.0, 999.0],
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": ["a1", "a2", "a3", "a4"],
            "arr": [1000.0, 2000.0, 3000.0, 4000.0],
            "created_at": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-01", "2026-08-01"]),
            "churned_at": pd.to_datetime([None, "2026-05-15", "2026-07-20", None]),
        }
    )
    return feedback, deals, accounts


def test_headline_kpis_known_answers():
    kpis = headline_kpis(*_frames(), Q3).set_index("kpi")
    assert kpis.loc["feedback_items", "value"] == 3 and kpis.loc["feedback_items", "previous"] == 2
    assert kpis.loc["feedback_items", "delta"] == pytest.approx(0.5)
    assert kpis.loc["accounts_heard", "value"] == 1 and kpis.loc["accounts_heard", "previous"] == 2
    # NPS: Q3 scores 9, 10 -> 100; Q2 scores 10, 3 -> 0 -> +100 points
    assert kpis.loc["nps", "value"] == 100 and kpis.loc["nps", "delta"] == 100
    # win rate: Q3 2 won of 4 closed (open deal ignored); Q2 1 of 2
    assert kpis.loc["win_rate", "value"] == 0.5 and kpis.loc["win_rate", "delta"] == 0
    assert kpis.loc["bookings", "value"] == 400 and kpis.loc["bookings", "delta"] == pytest.approx(3.0)
    # logo churn Q3: a3 churned; active at start: a1, a3 (a2 churned in Q2, a4 created later) -> 1/2
    assert kpis.loc["logo_churn", "value"] == 0.5
    assert kpis.loc["logo_churn", "previous"] == pytest.approx(1 / 3)
    assert kpis.loc["arr_churned", "value"] == 3000 and kpis.loc["arr_churned", "previous"] == 2000
    assert set(kpis["good_when"]) <= {"up", "down", ""}


def test_headline_kpis_do_not_mutate_inputs():
    frames = _frames()
    copies = [f.copy() for f in frames]
    headline_kpis(*frames, Q3)
    for a, b in zip(frames, copies, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_table_coverage_counts_rows_rejects_and_dates():
    data = pd.DataFrame(
        {
            "source": ["tickets", "tickets", "nps"],
            "created_at": pd.to_datetime(["2026-01-05", "2026-03-01", "2026-02-02"]),
        }
    )
    rejected = pd.DataFrame({"_source": ["tickets", "reviews"], "_reason": ["bad date", "empty text"]})
    cov = table_coverage("feedback", data, rejected, "created_at").set_index("source")
    assert cov.loc["tickets", "rows"] == 2 and cov.loc["tickets", "rejects"] == 1
    assert cov.loc["reviews", "rows"] == 0 and cov.loc["reviews", "rejects"] == 1
    assert cov.loc["tickets", "first"] == pd.Timestamp("2026-01-05")
    assert cov.loc["tickets", "last"] == pd.Timestamp("2026-03-01")


def _project(tmp_path, feedback_dates, deal_dates):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "workbench.yaml").write_text("fiscal_year_start_month: 1\n", encoding="utf-8")
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    pd.DataFrame({"created_at": pd.to_datetime(feedback_dates), "source": "tickets"}).to_parquet(
        processed / "feedback.parquet"
    )
    pd.DataFrame({"created_at": pd.to_datetime(deal_dates), "source": "crm"}).to_parquet(
        processed / "deals.parquet"
    )
    return load_settings(root=tmp_path)


def test_default_quarter_is_the_last_complete_one(tmp_path):
    settings = _project(tmp_path, ["2026-05-01", "2026-10-03"], ["2026-09-30"])
    assert str(default_quarter(settings)) == "2026Q3"  # Q4 has barely started
    cov = coverage(settings)
    assert set(cov["table"]) == {"feedback", "deals"} and cov["rows"].sum() == 3


def test_default_quarter_counts_a_quarter_that_ends_on_the_last_day(tmp_path):
    settings = _project(tmp_path, ["2026-12-31"], ["2026-01-01"])
    assert str(default_quarter(settings, now=pd.Timestamp("2027-01-05"))) == "2026Q4"


def test_a_stray_future_row_never_moves_the_default_quarter(tmp_path):
    settings = _project(tmp_path, ["2026-05-01", "2026-08-03", "2031-11-02"], ["2026-09-30"])
    assert str(default_quarter(settings, now=pd.Timestamp("2026-10-20"))) == "2026Q3"


def test_default_quarter_skips_complete_quarters_without_data():
    dates = pd.Series(pd.to_datetime(["2025-11-01", "2026-02-01", "2026-09-01"]))
    # 2026Q3 is not complete on 2026-09-10; 2026Q2 has no row; 2026Q1 has one.
    assert str(default_quarter_of(dates, pd.Timestamp("2026-09-10"))) == "2026Q1"
    assert default_quarter_of(dates[2:], pd.Timestamp("2026-09-10")) is None


def test_no_data_is_a_user_error(tmp_path):
    settings = _project(tmp_path, [], [])
    with pytest.raises(NoDataError, match="workbench pull"):
        default_quarter(settings)
