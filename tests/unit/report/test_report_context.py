"""The notebook-facing context: parameters -> settings, quarter, segment-narrowed tables, chart output."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from workbench.report.context import SegmentError, open_report
from workbench.report.html import CHART_MIME


@pytest.fixture
def project(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "workbench.yaml").write_text("report:\n  company: <b>Acme</b>\n", encoding="utf-8")
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    pd.DataFrame(
        {"account_id": ["a1", "a2"], "segment": ["Enterprise", "SMB"], "arr": [10.0, 1.0], "source": "crm"}
    ).to_parquet(processed / "accounts.parquet")
    pd.DataFrame(
        {
            "feedback_id": ["f1", "f2", "f3"],
            "account_id": ["a1", "a2", None],
            "created_at": pd.to_datetime(["2026-05-01", "2026-06-01", "2026-10-02"]),
            "text": ["x", "y", "z"],
            "source": "tickets",
        }
    ).to_parquet(processed / "feedback.parquet")
    pd.DataFrame(
        {
            "deal_id": ["d1"],
            "account_id": ["a2"],
            "created_at": pd.to_datetime(["2026-04-01"]),
            "source": "crm",
        }
    ).to_parquet(processed / "deals.parquet")
    return tmp_path


def test_defaults_resolve_quarter_and_scratch_output(project):
    ctx = open_report(config=str(project / "config" / "workbench.yaml"))
    assert ctx.q == "2026Q2" and ctx.prev == "2026Q1"  # Q4 has only begun and Q3 has no row
    assert ctx.out_dir == project / "reports" / "scratch" / "2026Q2"  # never the published report
    assert alt.theme.active == "workbench"


def test_segment_narrows_record_tables(project, tmp_path):
    ctx = open_report(
        str(project / "config" / "workbench.yaml"), "2026-Q2", str(tmp_path / "out"), "Enterprise"
    )
    assert ctx.q == "2026Q2"
    assert ctx.table("accounts")["account_id"].tolist() == ["a1"]
    assert ctx.table("feedback")["feedback_id"].tolist() == ["f1"]  # no account: not placeable in a segment
    assert ctx.table("deals").empty
    with pytest.raises(SegmentError, match="matches no account"):
        open_report(str(project / "config" / "workbench.yaml"), "2026Q2", str(tmp_path / "o2"), "Nope").table(
            "accounts"
        )


def test_show_exports_and_displays_spec_plus_png(project, tmp_path):
    ctx = open_report(str(project / "config" / "workbench.yaml"), "2026Q2", str(tmp_path / "out"))
    chart = (
        alt.Chart(pd.DataFrame({"a": ["x"], "b": [1]}))
        .mark_bar()
        .encode(x="b:Q", y="a:N", tooltip=["a"])
        .properties(title="A finding")
    )
    shown = ctx.show(chart, "My chart")
    data, meta = shown._repr_mimebundle_()
    assert data[CHART_MIME]["title"] == "A finding" and data["image/png"].startswith("iVBOR")
    assert meta == {"workbench": {"chart": "my_chart"}}
    assert sorted(p.name for p in ctx.charts_dir.iterdir()) == [
        "my_chart.csv",
        "my_chart.html",
        "my_chart.png",
        "my_chart.svg",
    ]
    assert ctx.save_table(pd.DataFrame({"a": [1]}), "t 1").name == "t_1.csv"


def test_header_and_coverage_escape(project, tmp_path):
    ctx = open_report(str(project / "config" / "workbench.yaml"), "2026Q2", str(tmp_path / "out"))
    assert "&lt;b&gt;Acme" in ctx.header("Title <i>") and "<b>Acme" not in ctx.header("T")
    assert "6 rows from 3 sources" in ctx.coverage()  # 2 accounts + 3 feedback + 1 deal


def test_index_kpis_follow_the_segment_filter(project):
    """A segment report's index page counts the same rows as its notebooks, not the whole company."""
    from workbench.core.config import load_settings
    from workbench.core.quarters import Quarter
    from workbench.report.build import _kpis

    pd.DataFrame(
        {
            "deal_id": ["d1"],
            "account_id": ["a2"],
            "created_at": pd.to_datetime(["2026-04-01"]),
            "closed_at": pd.to_datetime(["2026-05-01"]),
            "outcome": ["won"],
            "amount": [5.0],
            "source": "crm",
        }
    ).to_parquet(project / "data" / "processed" / "deals.parquet")
    settings = load_settings(project / "config" / "workbench.yaml")
    q = Quarter.parse("2026Q2")
    everyone = _kpis(settings, q).set_index("kpi")["value"]
    enterprise = _kpis(settings, q, "Enterprise").set_index("kpi")["value"]
    assert everyone["feedback_items"] == 2 and enterprise["feedback_items"] == 1
    assert everyone["bookings"] == 5 and enterprise["bookings"] == 0
