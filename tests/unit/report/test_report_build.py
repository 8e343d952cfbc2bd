"""The build's skip rules (demo, fresh snapshot, fresh themes) and its inputs, on tiny file trees."""

from __future__ import annotations

import os
import time

import pytest

from workbench.core.config import load_settings
from workbench.core.quarters import Quarter
from workbench.demo import demo_needed
from workbench.pipeline import snapshot_is_fresh, themes_are_fresh
from workbench.report.build import (
    ReportError,
    ReportResult,
    config_for_notebooks,
    select_notebooks,
)

SOURCES = """
warehouse: data/demo/warehouse.duckdb
tables:
  feedback:
    - {kind: file, name: nps, path: data/demo/exports/nps.csv}
    - {kind: sql, name: tickets, query: "select 1"}
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "workbench.yaml").write_text("report:\n  notebooks: [a, b]\n", encoding="utf-8")
    (tmp_path / "config" / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    (tmp_path / "notebooks").mkdir()
    for name in ("a", "b"):
        (tmp_path / "notebooks" / f"{name}.ipynb").write_text("{}", encoding="utf-8")
    return load_settings(root=tmp_path)


def _touch(path, when):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    os.utime(path, (when, when))


def test_demo_is_needed_only_when_sources_point_at_a_missing_demo(project):
    assert demo_needed(project)
    _touch(project.paths.demo / "warehouse.duckdb", time.time())
    assert not demo_needed(project)


def test_snapshot_fresh_only_when_newer_than_every_input(project):
    now = time.time()
    _touch(project.paths.demo / "warehouse.duckdb", now - 100)
    _touch(project.paths.demo / "exports" / "nps.csv", now - 100)
    os.utime(project.resolve("config/sources.yaml"), (now - 100, now - 100))
    assert not snapshot_is_fresh(project)  # never pulled
    _touch(project.paths.processed / "manifest.json", now - 50)
    assert snapshot_is_fresh(project)
    _touch(project.paths.demo / "exports" / "nps.csv", now)  # a new export arrived
    assert not snapshot_is_fresh(project)


def test_a_live_database_source_is_never_fresh(project, tmp_path):
    (tmp_path / "config" / "sources.yaml").write_text(
        "tables:\n  feedback:\n    - {kind: sql, name: crm, query: 'select 1', url_env: CRM_URL}\n",
        encoding="utf-8",
    )
    _touch(project.paths.processed / "manifest.json", time.time() + 10)
    assert not snapshot_is_fresh(project)


def test_themes_fresh_needs_newer_outputs_from_a_fit_for_the_quarter(project):
    now = time.time()
    _touch(project.paths.processed / "feedback.parquet", now - 100)
    os.utime(project.resolve("config/workbench.yaml"), (now - 100, now - 100))
    for name in ("assignments", "metrics"):
        _touch(project.paths.processed / "themes" / f"{name}.parquet", now - 10)
    _touch(project.paths.models / "themes" / "2026Q2" / "state.json", now - 60)
    _touch(project.paths.models / "themes" / "2026Q3" / "state.json", now - 20)
    assert themes_are_fresh(project, Quarter(2026, 3))
    assert not themes_are_fresh(project, Quarter(2026, 2))  # the last fit was for another quarter
    _touch(project.paths.processed / "feedback.parquet", now)  # data pulled after the fit
    assert not themes_are_fresh(project, Quarter(2026, 3))


def test_select_notebooks(project):
    assert select_notebooks(project, None) == ["a", "b"]
    assert select_notebooks(project, ["b"]) == ["b"]
    with pytest.raises(ReportError, match="unknown notebook"):
        select_notebooks(project, ["c"])
    (project.paths.notebooks / "b.ipynb").unlink()
    with pytest.raises(ReportError, match="notebook not found"):
        select_notebooks(project, None)


def test_notebooks_reload_the_same_config_file(project, tmp_path):
    assert config_for_notebooks(project) == (tmp_path / "config" / "workbench.yaml").resolve()
    other = tmp_path / "config" / "other.yaml"
    other.write_text("report:\n  title: Other\n", encoding="utf-8")
    assert config_for_notebooks(load_settings(other)) == other.resolve()
    elsewhere = tmp_path / "elsewhere" / "x.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text("{}\n", encoding="utf-8")
    settings = load_settings(elsewhere, root=tmp_path)  # its location cannot carry the root along
    assert config_for_notebooks(settings) == settings.resolve("config/workbench.yaml")


def test_result_summary_says_what_failed_and_where():
    from pathlib import Path

    from workbench.report.runner import NotebookRun

    result = ReportResult("2026Q3", Path("reports/2026Q3"), steps={"notebooks": 12.0})
    result.runs = [
        NotebookRun("a", True, 3.0, Path("a.ipynb")),
        NotebookRun("b", False, 1.0, Path("b.ipynb"), cell=5, cell_source="x = y\n", error="NameError: y"),
    ]
    assert not result.ok
    text = result.summary()
    assert (
        "NOT published" in text
        and "b FAILED at cell 5 `x = y`: NameError: y" in text
        and "reports/_failed/2026Q3" in text
    )
