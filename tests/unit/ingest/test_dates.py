"""Dates are never guessed: day/month order is proven by the values or configured, else refused."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest

from workbench.core.config import FileSource
from workbench.core.errors import SourceError
from workbench.ingest.normalize import normalise, parse_dates
from workbench.ingest.sources import RawInput, SourceRead
from workbench.ingest.sources.files import trace

PULLED = dt.datetime(2026, 7, 15, 12, tzinfo=dt.UTC)


def _mixed_ddmmyy(n: int = 2224, seed: int = 3) -> tuple[list[str], list[dt.datetime]]:
    """dd-mm-yy texts over two years, like the complaint export of the issue, and their true dates."""
    rng = random.Random(seed)
    truth = [dt.datetime(2015, 1, 1) + dt.timedelta(days=rng.randrange(730)) for _ in range(n)]
    return [d.strftime("%d-%m-%y") for d in truth], truth


def test_mixed_dd_mm_yy_column_is_read_day_first_with_zero_rows_misdated():
    texts, truth = _mixed_ddmmyy()
    assert parse_dates(pl.Series("d", texts), None, None).to_list() == truth


def test_a_month_first_format_on_day_first_data_is_refused_not_half_swapped():
    texts, _ = _mixed_ddmmyy()
    with pytest.raises(SourceError, match=r"date_format '%m-%d-%y' reads .* only fit '%d-%m-%y'"):
        parse_dates(pl.Series("d", texts), "%m-%d-%y", None)


def test_a_column_that_fits_both_orders_is_refused_with_two_examples_and_the_fix():
    with pytest.raises(SourceError) as err:
        parse_dates(
            pl.Series("when", ["03/04/2026", "05/06/2026", "07/07/2026"]), None, None, where="source 's'"
        )
    message = str(err.value)
    assert "\n" not in message
    assert "source 's'" in message and "'when'" in message
    assert "'03/04/2026'" in message and "'05/06/2026'" in message
    assert "date_format" in message and "dayfirst" in message


def test_values_proving_both_orders_are_refused():
    with pytest.raises(SourceError, match=r"mixes day-first and month-first.*'22-04-15'.*'04-13-15'"):
        parse_dates(pl.Series("d", ["22-04-15", "01-02-15", "04-13-15"]), None, None)


def test_configured_dayfirst_is_honoured_and_contradicted_dayfirst_refused():
    us = pl.Series("d", ["03/04/2026", "12/01/2026"])
    assert parse_dates(us, None, False).to_list() == [dt.datetime(2026, 3, 4), dt.datetime(2026, 12, 1)]
    assert parse_dates(us, None, True).to_list() == [dt.datetime(2026, 4, 3), dt.datetime(2026, 1, 12)]
    with pytest.raises(SourceError, match="dayfirst: false but '25/12/2026' can only be day-first"):
        parse_dates(pl.Series("d", ["03/04/2026", "25/12/2026"]), None, False)


def test_day_first_with_times_and_impossible_days():
    out = parse_dates(pl.Series("d", ["18-12-2024 17:17", "30-02-2024 10:00", "01-12-2024"]), None, None)
    assert out.to_list() == [dt.datetime(2024, 12, 18, 17, 17), None, dt.datetime(2024, 12, 1)]


def _feedback(dates: list[str], **options) -> pl.DataFrame:
    n = len(dates)
    data = {"id": [str(i) for i in range(n)], "when": dates, "body": ["x"] * n}
    source = FileSource(
        name="src",
        path="x.csv",
        columns={"id": "feedback_id", "when": "created_at", "body": "text"},
        constants={"channel": "app_review"},
        **options,
    )
    read = SourceRead(source, "feedback", trace(pl.DataFrame(data), "x.csv"), [RawInput("x.csv", b"", "x")])
    return normalise(read, now=PULLED)


def test_relative_words_future_rows_and_absurd_years_reject_their_row_only():
    frame = _feedback(
        ["2026-07-01", "today", "now", "2031-01-05", "0001-01-01", "9999-12-31", "2026-07-15 20:00"]
    )
    reasons = frame["_reason"].to_list()
    assert reasons[0] is None
    assert reasons[1] == "created_at: 'today' is a relative word, not a date"
    assert reasons[2] == "created_at: 'now' is a relative word, not a date"
    assert reasons[3] == "created_at: '2031-01-05 00:00' is after the pull time (2026-07-15 12:00 UTC)"
    assert reasons[4] == "created_at: '0001-01-01' has an implausible year (outside 1900-2199)"
    assert "created_at: '9999-12-31' has an implausible year (outside 1900-2199)" in reasons[5]
    assert reasons[6] is None  # within the widest time-zone offset of the pull time


def test_iso_dates_in_a_day_first_column_keep_their_month():
    """pandas, which reads what polars cannot, swaps day and month of ISO dates when told dayfirst."""
    values = pl.Series("d", ["2026-07-01", "2026-07-03T11:00:00+02:00", "2026-07-04 10:00", "13/07/2026"])
    out = parse_dates(values, None, None).to_list()
    assert out == [
        dt.datetime(2026, 7, 1),
        dt.datetime(2026, 7, 3, 9),  # the offset converted to UTC, not 7 March
        dt.datetime(2026, 7, 4, 10),
        dt.datetime(2026, 7, 13),
    ]
