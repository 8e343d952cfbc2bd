"""One definition per concept: every user error class, and the one required-columns check."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pandas as pd
import pytest

import workbench
from workbench.core import errors
from workbench.core.errors import MissingColumnsError, WorkbenchError
from workbench.core.frames import require_columns


def _modules():
    for info in pkgutil.walk_packages(workbench.__path__, "workbench."):
        try:
            yield importlib.import_module(info.name)
        except ImportError:  # an optional dependency (e.g. bertopic) that is not installed here
            continue


def test_every_workbench_error_class_is_defined_in_core_errors():
    elsewhere = {
        f"{cls.__module__}.{cls.__qualname__}"
        for module in _modules()
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, WorkbenchError) and cls.__module__ != errors.__name__
    }
    assert not elsewhere, f"define these in workbench.core.errors: {sorted(elsewhere)}"


def test_old_import_paths_still_give_the_same_classes():
    from workbench.analysis.joins import AnalysisInputError
    from workbench.core.config import ConfigError
    from workbench.core.quarters import QuarterError
    from workbench.core.store import MissingDataError
    from workbench.report.build import ReportError
    from workbench.report.context import SegmentError
    from workbench.report.data import NoDataError
    from workbench.viz.charts import ChartInputError

    assert AnalysisInputError is errors.AnalysisInputError and ChartInputError is errors.ChartInputError
    assert ConfigError is errors.ConfigError and QuarterError is errors.QuarterError
    assert MissingDataError is errors.MissingDataError and NoDataError is errors.NoDataError
    assert ReportError is errors.ReportError and SegmentError is errors.SegmentError


def test_require_columns_names_what_is_missing_and_what_was_found():
    frame = pd.DataFrame({"a": [1], "b": [2]})
    require_columns(frame, ["a", "b"], "frame")  # nothing missing: no error
    with pytest.raises(MissingColumnsError, match=r"deals lacks column\(s\) \['c'\] \(found: a, b\); re-run"):
        require_columns(frame, ["a", "c"], "deals", "re-run `workbench pull`")


def test_every_layer_raises_the_same_missing_columns_error():
    """Analysis, themes and charts share the check, so one ``except`` catches a missing column anywhere."""
    from workbench.analysis.sales import win_rate_by_quarter
    from workbench.themes.engine import documents
    from workbench.viz.charts import theme_ranking

    empty = pd.DataFrame({"x": [1]})
    with pytest.raises(MissingColumnsError, match="deals lacks"):
        win_rate_by_quarter(empty)
    with pytest.raises(MissingColumnsError, match="feedback lacks"):
        documents(empty)
    with pytest.raises(MissingColumnsError, match="theme_ranking lacks"):
        theme_ranking(empty, pd.DataFrame(), "2026Q1", {})
