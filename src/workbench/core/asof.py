"""Tables as they stood at the end of a quarter: a report for quarter Q never sees later data.

The processed tables hold every pulled quarter, and the theme outputs hold every quarter the
latest model assigned. A report for an earlier quarter (``--quarter 2026Q1`` after the 2026Q3
pull) must read like it was built at the end of that quarter: quotes said in 2026Q3, deals won in
2026Q2 or accounts that churned later would otherwise leak into it with no warning.
:func:`table_as_of` and :func:`output_as_of` are the one cut every report page goes through.
"""

from __future__ import annotations

import logging

import pandas as pd

from workbench.core.quarters import Quarter
from workbench.core.schemas import TABLES

logger = logging.getLogger(__name__)

#: Per table: datetime columns that record a later event on a row that already existed. Such a
#: row is kept, but the event is blanked (and, for deals, the outcome is reopened), because at the
#: end of the quarter the event had not happened yet.
_LATER_EVENTS = {"accounts": ("churned_at",), "deals": ("closed_at",)}


def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    values = pd.to_datetime(frame[column], errors="coerce")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values


def table_as_of(frame: pd.DataFrame, table: str, quarter: Quarter) -> pd.DataFrame:
    """``frame`` (a canonical table) as known at the end of ``quarter``.

    Rows dated on or after the quarter's end (by the table's date column, and ``created_at``
    for accounts) are dropped. Later events on earlier rows are blanked: an account that churned
    after the quarter is still active in it; a deal closed after the quarter is still open.
    Tables without dates (competitors) are returned as they are. The input is not modified.

    Args:
        frame: the canonical table.
        table: its name in :data:`workbench.core.schemas.TABLES`.
        quarter: the report quarter.
    """
    spec = TABLES.get(table)
    if spec is None or frame.empty:
        return frame
    end = quarter.end
    keep = pd.Series(True, index=frame.index)
    for column in {spec.date_column, "created_at" if table == "accounts" else None} - {None}:
        if column in frame.columns:
            keep &= ~(_dates(frame, column) >= end)
    out = frame.loc[keep].copy()
    for column in _LATER_EVENTS.get(table, ()):
        if column not in out.columns:
            continue
        later = (_dates(out, column) >= end).to_numpy()
        if not later.any():
            continue
        out.loc[later, column] = pd.NaT
        if table == "deals" and "outcome" in out.columns:
            out.loc[later, "outcome"] = "open"
    dropped = len(frame) - len(out)
    if dropped:
        logger.debug("%s as of %s: %d later rows left out", table, quarter, dropped)
    return out.reset_index(drop=True)


def output_as_of(frame: pd.DataFrame, quarter: Quarter) -> pd.DataFrame:
    """A theme-engine output without the rows of quarters after ``quarter`` (no ``quarter`` column: as is)."""
    if "quarter" not in frame.columns or frame.empty:
        return frame
    labels = frame["quarter"].astype("string")
    later = labels.notna() & (labels > str(quarter))
    return frame.loc[~later.to_numpy()].reset_index(drop=True)
