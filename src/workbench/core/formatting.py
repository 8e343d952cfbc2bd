"""Numbers as the reports write them: one definition for chart titles, headlines and KPI cards."""

from __future__ import annotations

import math

_COMPACT = ((1e9, "B"), (1e6, "M"), (1e3, "k"))


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value: float | None) -> str:
    """``1234567`` -> ``$1.2M``; ``n/a`` when missing."""
    if _missing(value):
        return "n/a"
    v = float(value)
    for cut, suffix in _COMPACT:
        if abs(v) >= cut:
            return f"${v / cut:.1f}{suffix}"
    return f"${v:,.0f}"


def pct(value: float | None, signed: bool = False, digits: int = 0) -> str:
    """A 0..1 rate as text: ``0.41`` -> ``41%`` (``+41%`` when signed); ``n/a`` when missing."""
    if _missing(value):
        return "n/a"
    return f"{float(value) * 100:{'+' if signed else ''}.{digits}f}%"
