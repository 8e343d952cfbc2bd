"""Small joins shared by the analyses: record -> theme, theme id -> label, deal -> closing quarter.

Kept in one place so that every analysis reads the theme engine's outputs the same way:
hidden (noise) themes never appear in a ranking, unassigned records are counted as
"Unassigned" rather than dropped, and a deal belongs to the quarter in which it closed.
"""

from __future__ import annotations

import logging

import pandas as pd

from workbench.core.errors import AnalysisInputError as AnalysisInputError  # re-exported
from workbench.core.frames import require_columns as require_columns  # re-exported: the one check
from workbench.core.frames import visible_themes
from workbench.core.quarters import Quarter, quarter_labels

logger = logging.getLogger(__name__)

UNASSIGNED = "Unassigned"


def theme_labels(themes: pd.DataFrame, include_hidden: bool = False) -> pd.DataFrame:
    """``theme_id, label, kind`` for the themes that may be reported.

    Hidden themes are the registry's way of saying "this cluster is noise"; a ranking that
    showed them would undo the analyst's curation, so they are dropped unless asked for.
    """
    frame = themes.copy() if include_hidden else visible_themes(themes).copy()
    if "label" not in frame.columns:
        frame["label"] = frame["theme_id"]
    if "kind" not in frame.columns:
        frame["kind"] = "unknown"
    out = frame[["theme_id", "label", "kind"]].drop_duplicates("theme_id")
    out["label"] = out["label"].fillna(out["theme_id"])
    return out.reset_index(drop=True)


def record_themes(assignments: pd.DataFrame, table: str) -> pd.DataFrame:
    """Distinct ``record_id, theme_id`` pairs (plus sentiment and its label) for one source table.

    Records without a theme are kept with ``theme_id`` null, so callers decide whether the
    unassigned share matters to them. Duplicate pairs are dropped: a record that somehow got
    the same theme twice must not count twice in a revenue sum.
    """
    rows = assignments[assignments["table"] == table]
    cols = ["record_id", "theme_id"] + [c for c in ("sentiment", "sentiment_label") if c in rows.columns]
    return rows[cols].drop_duplicates(["record_id", "theme_id"]).reset_index(drop=True)


def closed_quarter(deals: pd.DataFrame, fy_start_month: int = 1) -> pd.Series:
    """The quarter label of each deal's ``closed_at`` (null for open deals).

    The canonical ``quarter`` column of deals is the quarter the opportunity was *created*;
    win rates and losses are reported in the quarter the deal *closed*, when the outcome
    became known.
    """
    return quarter_labels(deals["closed_at"], fy_start_month)


def open_at_end(deals: pd.DataFrame, quarter: str, fy_start_month: int = 1) -> pd.Series:
    """Boolean mask: the deal was open (created, not yet closed) at the end of ``quarter``.

    Reconstructs the pipeline as it stood at the quarter end, so the report for a past quarter
    shows that quarter's pipeline and not today's.
    """
    end = Quarter.parse(quarter, fy_start_month).end
    created = pd.to_datetime(deals["created_at"])
    closed = pd.to_datetime(deals["closed_at"])
    return (created < end) & (closed.isna() | (closed >= end))
