"""Matching the names analysts type (tables, outputs, segments, themes) to the names that exist.

A typo must never return an empty frame: ``load_table("feedback", quarters=["2026-Q3"])`` once
gave 0 rows because the spelling differed from the stored label. Names are therefore matched
case-insensitively and ignoring surrounding spaces, and a name that matches nothing raises
:class:`UnknownNameError` listing the valid names (closest first).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from workbench.core.errors import UnknownNameError
from workbench.core.quarters import Quarter

__all__ = ["UnknownNameError", "match_name", "match_names", "normalize_quarters"]


def _key(text: object) -> str:
    return " ".join(str(text).split()).casefold()


def match_name(value: str, valid: Iterable[str], what: str = "name") -> str:
    """The valid name ``value`` means, compared case-insensitively.

    Args:
        value: what the user typed.
        valid: the names that exist (their spelling is returned).
        what: the kind of name, for the error message ("segment", "theme output"...).

    Raises:
        UnknownNameError: no valid name matches; the message suggests the closest and lists all.
    """
    names = [str(v) for v in dict.fromkeys(valid)]
    lookup = {_key(n): n for n in names}
    found = lookup.get(_key(value))
    if found is not None:
        return found
    close = difflib.get_close_matches(_key(value), list(lookup), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(repr(lookup[c]) for c in close)}?" if close else ""
    listed = ", ".join(sorted(names)) if names else "(none available)"
    raise UnknownNameError(f"unknown {what} {value!r}.{hint} Valid: {listed}")


def match_names(values: Iterable[str], valid: Iterable[str], what: str = "name") -> list[str]:
    """:func:`match_name` for each value (order kept, duplicates dropped)."""
    valid = list(valid)
    return list(dict.fromkeys(match_name(v, valid, what) for v in values))


def normalize_quarters(quarters: Iterable[str] | str, fy_start_month: int = 1) -> list[str]:
    """Canonical labels (``2026Q3``) for quarters written in any accepted spelling.

    ``2026Q3``, ``2026-Q3``, ``2026q3`` and ``Q3-2026`` all give ``2026Q3``; anything else raises
    :class:`~workbench.core.errors.QuarterError` naming the accepted spellings.
    """
    if isinstance(quarters, str):
        quarters = [quarters]
    return list(dict.fromkeys(str(Quarter.parse(q, fy_start_month)) for q in quarters))
