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
