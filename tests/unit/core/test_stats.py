"""The count-change test: one definition for theme metrics and before/after windows."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from workbench.analysis import stats as analysis_stats
from workbench.core.stats import count_change_pvalue


def test_equal_windows_is_the_binomial_half_test():
    assert count_change_pvalue(20, 4) == pytest.approx(stats.binomtest(4, 24, 0.5).pvalue)
    assert count_change_pvalue(10, 10) == pytest.approx(1.0)
    assert math.isnan(count_change_pvalue(0, 0))


def test_exposure_makes_growth_in_step_with_the_total_no_change():
    """A theme that doubles while all feedback doubles has not changed its rate."""
    assert count_change_pvalue(50, 100) < 1e-4  # raw volume: "doubled"
    assert count_change_pvalue(50, 100, 1000, 2000) == pytest.approx(1.0, abs=0.05)
    assert count_change_pvalue(50, 100, 2000, 1000) < 1e-10  # quadrupled per item of feedback
    assert math.isnan(count_change_pvalue(5, 5, 0, 10))


def test_analysis_and_themes_use_the_same_function():
    from workbench.themes import metrics

    assert analysis_stats.count_change_pvalue is count_change_pvalue
    assert metrics.count_change_pvalue is count_change_pvalue
    assert not hasattr(metrics, "_pvalue")
