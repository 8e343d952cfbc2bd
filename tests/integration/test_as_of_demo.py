"""A report for quarter Q never shows data dated after Q: quotes, chart inputs, tables and insights."""

from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.slow


def test_an_earlier_quarter_sees_nothing_later(themed_settings, tmp_path):
    from workbench.analysis.insights import load_inputs
    from workbench.report.context import open_report
    from workbench.report.html import theme_quotes

    latest = themed_settings  # the theme engine ran for the latest quarter, so later data exists
    ctx = open_report(str(latest.config_path), "Q1-2026", str(tmp_path))
    assert ctx.q == "2026Q1"
    end = ctx.quarter.end
    for name in ("feedback", "deals", "usage", "market_events", "market_metrics"):
        frame = ctx.table(name)
        from workbench.core.schemas import TABLES

        column = TABLES[name].date_column
        assert len(frame) and (pd.to_datetime(frame[column]) < end).all(), name
    deals = ctx.table("deals")
    assert not (pd.to_datetime(deals["closed_at"]) >= end).any()
    assert not (pd.to_datetime(ctx.table("accounts")["churned_at"]) >= end).any()
    for name in ("assignments", "metrics", "quotes", "splits_segment"):
        quarters = ctx.output(name)["quarter"].dropna().astype(str)
        assert len(quarters) and (quarters <= "2026Q1").all(), name
    metrics = ctx.output("metrics")
    page = theme_quotes(ctx.output("quotes"), metrics[metrics["quarter"] == ctx.q], ctx.output("themes"))
    assert "2026Q2" not in page and "2026Q3" not in page
    inputs = load_inputs(latest, "2026Q1")
    assert (inputs["metrics"]["quarter"].astype(str) <= "2026Q1").all()
    assert (pd.to_datetime(inputs["feedback"]["created_at"]) < end).all()


def test_segment_names_are_case_insensitive_in_reports(themed_settings, tmp_path):
    from workbench.core.errors import SegmentError
    from workbench.report.context import open_report

    ctx = open_report(str(themed_settings.config_path), "2026Q3", str(tmp_path), segment="enterprise")
    assert set(ctx.table("accounts")["segment"]) == {"Enterprise"} and ctx.segment == "Enterprise"
    with pytest.raises(SegmentError, match="Valid: Enterprise, Mid-Market, SMB"):
        open_report(str(themed_settings.config_path), "2026Q3", str(tmp_path), segment="Enterprize").table(
            "accounts"
        )
