"""Quarter labels in three spellings, their bounds, and a configurable fiscal-year start."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.core.quarters import Quarter, QuarterError, last_complete_quarter, quarter_labels


@pytest.mark.parametrize("text", ["2026Q3", "2026-Q3", "Q3-2026", "q3-2026", " 2026q3 ", "Q32026"])
def test_three_spellings_read_the_same(text):
    assert Quarter.parse(text) == Quarter(2026, 3)
    assert str(Quarter.parse(text)) == "2026Q3"


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "26Q3", "Q3", "2026 Q3 ", "third quarter"])
def test_unreadable_quarters_say_how_to_write_them(text):
    with pytest.raises(QuarterError, match=r"write it as 2026Q3, 2026-Q3 or Q3-2026"):
        Quarter.parse(text)


def test_calendar_bounds_are_start_inclusive_end_exclusive():
    q = Quarter.parse("2026Q3")
    assert (q.start, q.end) == (pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01"))
    q4 = Quarter.parse("2026Q4")
    assert (q4.start, q4.end) == (pd.Timestamp("2026-10-01"), pd.Timestamp("2027-01-01"))


def test_fiscal_year_starting_in_february_is_named_by_the_year_it_ends():
    # FY2026 runs February 2025 to January 2026
    q1 = Quarter.parse("2026Q1", fy_start_month=2)
    assert (q1.start, q1.end) == (pd.Timestamp("2025-02-01"), pd.Timestamp("2025-05-01"))
    q4 = Quarter.parse("Q4-2026", fy_start_month=2)
    assert (q4.start, q4.end) == (pd.Timestamp("2025-11-01"), pd.Timestamp("2026-02-01"))
    assert Quarter.of("2026-01-31", fy_start_month=2) == Quarter(2026, 4, 2)
    assert Quarter.of("2026-02-01", fy_start_month=2) == Quarter(2027, 1, 2)


def test_fiscal_year_starting_in_july():
    q1 = Quarter.parse("2027Q1", fy_start_month=7)
    assert (q1.start, q1.end) == (pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01"))


def test_quarter_of_a_date_and_labels_of_a_column():
    assert Quarter.of("2026-09-30 23:59:59") == Quarter(2026, 3)
    dates = pd.Series(pd.to_datetime(["2026-01-01", "2026-12-31", None]))
    labels = quarter_labels(dates)
    assert labels.iloc[:2].tolist() == ["2026Q1", "2026Q4"] and pd.isna(labels.iloc[2])
    assert quarter_labels(dates, fy_start_month=4).iloc[:2].tolist() == ["2026Q4", "2027Q3"]


def test_shift_previous_and_window():
    q = Quarter(2026, 1)
    assert q.previous() == Quarter(2025, 4)
    assert q.shift(5) == Quarter(2027, 2)
    assert [str(x) for x in q.window(3)] == ["2025Q3", "2025Q4", "2026Q1"]


@pytest.mark.parametrize(
    ("max_date", "expected"),
    [("2026-09-30", "2026Q3"), ("2026-09-29", "2026Q2"), ("2026-10-01", "2026Q3")],
)
def test_last_complete_quarter(max_date, expected):
    assert str(last_complete_quarter(pd.Timestamp(max_date))) == expected


def test_invalid_fiscal_start_month():
    with pytest.raises(QuarterError, match="fiscal_year_start_month must be 1..12"):
        _ = Quarter.parse("2026Q1", fy_start_month=13).start


def test_quarter_range_spans_year_ends_inclusively():
    from workbench.core.quarters import quarter_range

    got = quarter_range(Quarter.parse("2025Q3"), Quarter.parse("2026Q2"))
    assert got == ["2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    assert quarter_range(Quarter.parse("2026Q2"), Quarter.parse("2026Q1")) == []
