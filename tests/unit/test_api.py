"""The analyst API (``import workbench as wb``): discoverable, lazy, forgiving, never silently empty."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import workbench as wb
from workbench.core.asof import output_as_of, table_as_of
from workbench.core.errors import ConfigError, QuarterError, UnknownNameError
from workbench.core.names import match_name, normalize_quarters
from workbench.core.quarters import Quarter
from workbench.core.schemas import OUTPUTS, TABLES

REPO = Path(__file__).resolve().parents[2]
Q1 = Quarter(2026, 1)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A tiny project: the repo's config and two hand-made processed tables (no pull, no manifest)."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    processed = tmp_path / "data" / "processed"
    (processed / "themes").mkdir(parents=True)
    pd.DataFrame(
        {
            "feedback_id": ["f1", "f2", "f3"],
            "created_at": pd.to_datetime(["2026-02-01", "2026-08-01", "2026-08-02"]),
            "quarter": ["2026Q1", "2026Q3", "2026Q3"],
            "text": ["a", "b", "c"],
        }
    ).to_parquet(processed / "feedback.parquet", index=False)
    pd.DataFrame({"account_id": ["a1", "a2"], "segment": ["Enterprise", "SMB"]}).to_parquet(
        processed / "accounts.parquet", index=False
    )
    pd.DataFrame({"theme_id": ["t1", "t2"], "label": ["Saves time", "Slow exports"]}).to_parquet(
        processed / "themes" / "themes.parquet", index=False
    )
    monkeypatch.delenv("WORKBENCH_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ------------------------------------------------------------------------------ discoverable


def test_dir_lists_the_documented_api():
    names = dir(wb)
    for name in ("load_settings", "load_table", "load_output", "open_report", "use", "schema", "Quarter",
                 "theme_color", "redact_pii", "feedback_assignments", "win_rate_by_quarter", "visualize",
                 "offline_charts", "search", "palette"):  # fmt: skip
        assert name in names and name in wb.__all__
    for name in wb.__all__:
        assert callable(getattr(wb, name)), name


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        wb.nope  # noqa: B018


def test_import_workbench_is_lazy():
    code = (
        "import sys, workbench; print(sorted(m for m in ('pandas', 'altair', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_documented_name_is_in_docs_analyst_md():
    text = (REPO / "docs" / "analyst.md").read_text(encoding="utf-8")
    for name in ("load_table", "load_output", "open_report", "use", "schema", "visualize", "offline_charts"):
        assert f"wb.{name}" in text, name


# --------------------------------------------------------------------------------- the project


def test_no_project_says_how_to_point_at_one(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"wb\.use\(.*WORKBENCH_HOME"):
        wb.load_settings()


def test_use_finds_the_project_from_a_folder_inside_it(project, tmp_path_factory, monkeypatch):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)
    (project / "notebooks" / "mine").mkdir(parents=True)
    settings = wb.use(project / "notebooks" / "mine")
    assert settings.root == project.resolve()
    assert os.environ["WORKBENCH_HOME"] == str(project.resolve())
    assert wb.load_settings().root == project.resolve()
    assert len(wb.load_table("feedback")) == 3


def test_use_refuses_a_folder_outside_any_project(tmp_path):
    with pytest.raises(ConfigError, match="no config/workbench.yaml"):
        wb.use(tmp_path)


# ------------------------------------------------------------------------------ names and quarters


@pytest.mark.parametrize("spelling", ["2026Q3", "2026-Q3", "2026q3", "Q3-2026", " q3-2026 "])
def test_every_quarter_spelling_selects_the_same_rows(project, spelling):
    assert wb.load_table("feedback", quarters=[spelling])["feedback_id"].tolist() == ["f2", "f3"]
    assert len(wb.load_table("feedback", quarters=spelling)) == 2


def test_an_unreadable_quarter_raises_instead_of_returning_nothing(project):
    with pytest.raises(QuarterError, match="2026Q3, 2026-Q3 or Q3-2026"):
        wb.load_table("feedback", quarters=["2026-Q5"])


def test_table_and_output_names_are_case_insensitive_and_typos_list_valid_names(project):
    assert len(wb.load_table("FeedBack")) == 3
    assert wb.load_output("Themes")["label"].tolist() == ["Saves time", "Slow exports"]
    with pytest.raises(UnknownNameError, match=r"Did you mean 'quotes'\?.*Valid: .*assignments.*metrics"):
        wb.load_output("quote")
    with pytest.raises(UnknownNameError, match="Valid: accounts, competitors, deals"):
        wb.load_table("feedbak_items")


def test_segments_and_themes_match_case_insensitively(project):
    assert wb.match_segment("enterprise") == "Enterprise"
    with pytest.raises(UnknownNameError, match="Valid: Enterprise, SMB"):
        wb.match_segment("Mid Market")
    assert wb.theme_id("SAVES TIME") == "t1"
    assert wb.theme_id("t2") == "t2"
    with pytest.raises(UnknownNameError, match="Did you mean 'Slow exports'"):
        wb.theme_id("slow export")


def test_match_name_and_normalize_quarters():
    assert match_name(" smb ", ["SMB", "Enterprise"], "segment") == "SMB"
    assert normalize_quarters(["Q1-2026", "2026q1", "2025-Q4"]) == ["2026Q1", "2025Q4"]
    with pytest.raises(UnknownNameError, match=r"unknown segment 'x'\. Valid: Enterprise, SMB"):
        match_name("x", ["SMB", "Enterprise"], "segment")


def test_quarter_helpers():
    assert wb.parse_quarter("Q3-2026") == "2026Q3"
    assert wb.quarter_of("2026-08-15") == "2026Q3"
    assert wb.quarter_window("2026-Q1", 3) == ["2025Q3", "2025Q4", "2026Q1"]


# ------------------------------------------------------------------------------------- schema


def test_schema_documents_inputs_and_theme_outputs():
    frame = wb.schema()
    assert set(frame.loc[frame["kind"] == "output", "name"]) >= {"assignments", "themes", "metrics", "quotes"}
    assert set(frame.loc[frame["kind"] == "table", "name"]) == set(TABLES)
    assert frame["description"].str.len().gt(0).all()
    assert wb.schema("QUOTES")["column"].tolist()[:3] == ["theme_id", "rank", "quote"]


def test_output_dictionary_matches_what_the_engine_writes():
    from workbench.core.schemas import ASSIGNMENT_COLUMNS, THEME_COLUMNS
    from workbench.themes.metrics import METRIC_COLUMNS
    from workbench.themes.quotes import QUOTE_COLUMNS

    assert list(OUTPUTS["metrics"]) == METRIC_COLUMNS
    assert list(OUTPUTS["quotes"]) == QUOTE_COLUMNS
    assert OUTPUTS["assignments"] is ASSIGNMENT_COLUMNS and OUTPUTS["themes"] is THEME_COLUMNS


# --------------------------------------------------------------------------------- as of a quarter


def test_table_as_of_drops_later_rows_and_reopens_later_events():
    deals = pd.DataFrame(
        {
            "deal_id": ["d1", "d2", "d3"],
            "created_at": pd.to_datetime(["2026-01-10", "2026-02-01", "2026-05-01"]),
            "closed_at": pd.to_datetime(["2026-03-01", "2026-04-20", pd.NaT]),
            "outcome": ["won", "lost", "open"],
        }
    )
    out = table_as_of(deals, "deals", Q1)
    assert out["deal_id"].tolist() == ["d1", "d2"]
    assert out["outcome"].tolist() == ["won", "open"] and out["closed_at"].isna().tolist() == [False, True]
    assert deals["outcome"].tolist() == ["won", "lost", "open"]  # input untouched
    accounts = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "created_at": pd.to_datetime(["2025-01-01", "2025-06-01", "2026-06-01"]),
            "churned_at": pd.to_datetime(["2026-02-01", "2026-09-01", pd.NaT]),
        }
    )
    out = table_as_of(accounts, "accounts", Q1)
    assert out["account_id"].tolist() == ["a", "b"] and out["churned_at"].isna().tolist() == [False, True]


def test_output_as_of_keeps_quarters_up_to_the_report_quarter():
    quotes = pd.DataFrame({"quote": ["old", "now", "later"], "quarter": ["2025Q4", "2026Q1", "2026Q3"]})
    assert output_as_of(quotes, Q1)["quote"].tolist() == ["old", "now"]
    themes = pd.DataFrame({"theme_id": ["t"]})
    assert output_as_of(themes, Q1).equals(themes)


def test_workbench_schema_prints_the_theme_outputs():
    from typer.testing import CliRunner

    from workbench.cli import app

    out = CliRunner().invoke(app, ["schema"]).output
    for name in ("feedback", "assignments", "themes", "metrics", "quotes", "arr_touched"):
        assert f"\n{name}" in out or name in out
    one = CliRunner().invoke(app, ["schema", "Metrics"])
    assert one.exit_code == 0 and "p_adjusted" in one.output and "feedback_id" not in one.output


def test_open_report_creates_no_folder_until_something_is_written(project):
    ctx = wb.open_report(quarter="2026Q1")
    assert ctx.q == "2026Q1" and not ctx.out_dir.exists()
    ctx.save_table(pd.DataFrame({"a": [1]}), "t")
    assert (ctx.out_dir / "tables" / "t.csv").is_file()


def test_a_report_notebook_outside_the_project_says_how_to_point_at_it(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"WORKBENCH_HOME.*wb\.use"):
        wb.open_report()
