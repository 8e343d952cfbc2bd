"""The count-change test, shared by the theme metrics and the before/after analyses.

It lives in ``core`` because both ``themes`` (theme metrics) and ``analysis`` (outcomes) need
it and ``themes`` may not import ``analysis``; :mod:`workbench.analysis.stats` re-exports it.
"""

from __future__ import annotations

import logging

from scipy import stats

logger = logging.getLogger(__name__)


def count_change_pvalue(
    before: float,
    after: float,
    exposure_before: float = 1.0,
    exposure_after: float = 1.0,
) -> float:
    """Two-sided exact p-value that two counts come from the same rate per unit of exposure.

    Conditional on the total, the ``after`` count of two Poisson counts with equal rates is
    Binomial(before + after, exposure_after / (exposure_before + exposure_after)). With the
    default equal exposures this is the test for "did volume change" over two windows of the same
    length; with the quarter's total feedback as exposure it is the test for "did the theme's
    rate per item of feedback change", so that a quarter with more feedback overall does not make
    every theme look like it grew.

    Args:
        before: the count in the first window (e.g. a theme's items last quarter).
        after: the count in the second window.
        exposure_before: the first window's exposure (its length, or its total items).
        exposure_after: the second window's exposure.

    Returns:
        The p-value, or NaN when nothing can be tested (both counts 0, or an exposure <= 0).
    """
    total = int(before) + int(after)
    if total == 0 or exposure_before <= 0 or exposure_after <= 0:
        return float("nan")
    rate = exposure_after / (exposure_before + exposure_after)
    return float(stats.binomtest(int(after), total, rate).pvalue)
