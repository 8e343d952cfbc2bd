"""Quarter labels and their date bounds, with a configurable fiscal-year start.

Analysts write quarters three ways (``2026Q3``, ``2026-Q3``, ``Q3-2026``); every
module works with the canonical ``2026Q3`` string and asks this module for bounds.
A fiscal year that starts in month *m* is named by the calendar year in which it
ends, the convention pandas uses for ``Q-<month>`` periods (FY starting Feb 2025
ends Jan 2026 and is FY2026).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from workbench.core.errors import QuarterError

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_PATTERNS = (
    re.compile(r"^(?P<year>\d{4})-?Q(?P<q>[1-4])$", re.IGNORECASE),
    re.compile(r"^Q(?P<q>[1-4])-?(?P<year>\d{4})$", re.IGNORECASE),
)


def _freq(fy_start_month: int) -> str:
    if not 1 <= fy_start_month <= 12:
        raise QuarterError(f"fiscal_year_start_month must be 1..12, got {fy_start_month}")
    # The fiscal year ends in the month before it starts.
    return f"Q-{_MONTHS[(fy_start_month - 2) % 12]}"


@dataclass(frozen=True, order=True)
class Quarter:
    """A fiscal quarter. ``str(q)`` is the canonical label, e.g. ``2026Q3``."""

    year: int
    q: int
    fy_start_month: int = 1

    @classmethod
    def parse(cls, text: str, fy_start_month: int = 1) -> Quarter:
        """Read ``2026Q3``, ``2026-Q3`` or ``Q3-2026`` (case-insensitive)."""
        cleaned = str(text).strip()
        for pattern in _PATTERNS:
            match = pattern.match(cleaned)
            if match:
                year = int(match["year"])
                if not 1900 <= year <= 2199:  # pandas timestamps end in 2262; no data predates 1900
                    raise QuarterError(f"quarter {text!r} is out of range: use a year from 1900 to 2199")
                return cls(year, int(match["q"]), fy_start_month)
        raise QuarterError(f"cannot read quarter {text!r}: write it as 2026Q3, 2026-Q3 or Q3-2026")

    @classmethod
    def of(cls, when: pd.Timestamp | str, fy_start_month: int = 1) -> Quarter:
        """The quarter a date falls in."""
        period = pd.Timestamp(when).to_period(_freq(fy_start_month))
        return cls(period.qyear, period.quarter, fy_start_month)

    @property
    def _period(self) -> pd.Period:
        return pd.Period(f"{self.year}Q{self.q}", freq=_freq(self.fy_start_month))

    @property
    def start(self) -> pd.Timestamp:
        """First instant of the quarter (inclusive)."""
        return self._period.start_time.normalize()

    @property
    def end(self) -> pd.Timestamp:
        """First instant after the quarter (exclusive), so ``start <= t < end``."""
        return (self._period + 1).start_time.normalize()

    def shift(self, n: int) -> Quarter:
        period = self._period + n
        return Quarter(period.qyear, period.quarter, self.fy_start_month)

    def previous(self) -> Quarter:
        return self.shift(-1)

    def window(self, n: int) -> list[Quarter]:
        """The ``n`` quarters ending at (and including) this one, oldest first."""
        return [self.shift(-i) for i in range(n - 1, -1, -1)]

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"


def quarter_labels(dates: pd.Series, fy_start_month: int = 1) -> pd.Series:
    """Vectorised canonical quarter label for each date (missing where the date is missing)."""
    stamps = pd.to_datetime(dates, errors="coerce")
    periods = stamps.dt.to_period(_freq(fy_start_month))
    labels = (
        periods.dt.qyear.astype("Int64").astype(str) + "Q" + periods.dt.quarter.astype("Int64").astype(str)
    )
    return labels.where(stamps.notna(), None)


def last_complete_quarter(max_date: pd.Timestamp, fy_start_month: int = 1) -> Quarter:
    """The last quarter whose final day is on or before ``max_date``.

    The default report quarter: a quarter that is still running would show
    falling volumes that are only the calendar.
    """
    current = Quarter.of(max_date, fy_start_month)
    last_day = current.end - pd.Timedelta(days=1)
    return current if pd.Timestamp(max_date).normalize() >= last_day else current.previous()


def quarter_range(first: Quarter, last: Quarter) -> list[str]:
    """Every canonical label from ``first`` to ``last`` inclusive, so gaps show as zero, not as nothing."""
    labels, current = [], first
    while current <= last:
        labels.append(str(current))
        current = current.shift(1)
    return labels
