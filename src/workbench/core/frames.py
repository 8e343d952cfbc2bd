"""Checks on the frames handed between steps.

One required-columns check for every layer (ingest, themes, analysis, viz), so that a missing
column always raises the same :class:`~workbench.core.errors.MissingColumnsError` with the same
message shape, whichever step noticed it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from workbench.core.errors import MissingColumnsError

logger = logging.getLogger(__name__)


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str, hint: str = "") -> None:
    """Raise :class:`MissingColumnsError` naming the columns ``frame`` lacks, and those it has.

    Args:
        frame: the frame to check.
        columns: the columns the caller needs.
        what: the frame's name in the message (``"deals"``, ``"theme_ranking"``).
        hint: an optional next step for the user, e.g. "re-run `workbench pull`".
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "none"
        tail = f"; {hint}" if hint else ""
        raise MissingColumnsError(f"{what} lacks column(s) {missing} (found: {found}){tail}")


def hidden_theme_ids(themes: pd.DataFrame | None) -> set:
    """Theme ids the registry marks ``hidden`` (noise): assigned, but never counted or reported.

    The one test of "hidden" for every layer, so that metrics, quotes, rankings and headlines
    always leave out the same themes. The status is compared trimmed and case-insensitively,
    because an analyst who types ``Hidden`` in a hand-edited table means the same thing.

    Args:
        themes: the theme table (:data:`workbench.core.schemas.THEME_COLUMNS`); ``None`` or a table
            without ``status`` hides nothing.
    """
    if themes is None or "status" not in themes.columns or "theme_id" not in themes.columns:
        return set()
    status = themes["status"].astype("string").fillna("").str.strip().str.lower()
    return set(themes.loc[status == "hidden", "theme_id"])


def visible_themes(themes: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``themes`` that may be reported: every theme not in :func:`hidden_theme_ids`."""
    return themes[~themes["theme_id"].isin(hidden_theme_ids(themes))]
