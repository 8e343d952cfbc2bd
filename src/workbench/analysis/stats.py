"""Confidence intervals and tests for rates: win rates, churn rates, shares and counts.

The analyses report many rates on small groups (a competitor with 9 closed deals, a
segment with 40 accounts). A bare percentage would overstate what such a group shows,
so every rate travels with a Wilson interval, and every "changed" claim with a test.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy import stats

from workbench.core.stats import count_change_pvalue as count_change_pvalue  # re-exported: one test

logger = logging.getLogger(__name__)


def wilson_interval(
    successes: pd.Series | np.ndarray | float,
    trials: pd.Series | np.ndarray | float,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion, vectorised.

    Wilson rather than the normal ("Wald") interval because it stays inside [0, 1] and keeps
    its coverage for small groups and for rates near 0 or 1, which is where win rates against a
    single competitor live.

    Args:
        successes: number of successes (e.g. won deals).
        trials: number of trials (e.g. closed deals); zero trials give NaN bounds.
        confidence: two-sided confidence level.

    Returns:
        ``(low, high)`` arrays of the same shape as the inputs.
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = stats.norm.ppf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def two_proportion_pvalue(x1: float, n1: float, x2: float, n2: float) -> float:
    """Two-sided p-value that two proportions ``x1/n1`` and ``x2/n2`` differ.

    Uses Fisher's exact test when any expected cell count is below 5 (small groups, where the
    z-test is unreliable) and the pooled two-proportion z-test otherwise. Returns NaN when
    either group is empty, so callers never state a change they cannot test.
    """
    if n1 <= 0 or n2 <= 0:
        return float("nan")
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]], dtype=float)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    if (expected < 5).any():
        return float(stats.fisher_exact(table.astype(int)).pvalue)
    pooled = (x1 + x2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / se
    return float(2 * stats.norm.sf(abs(z)))
