"""``workbench report`` / ``workbench demo`` as a user (and ``make quarterly``) sees them: honest exit codes.

The pipeline is replaced by a stub here, so these tests check only the command's contract: a
report that is not published exits non-zero, every failure is one line, the segment option
reaches the pipeline and the demo never appears for a user's own sources.
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path

import pytest
import yaml

from workbench import cli, pipeline
from workbench.report.build import ReportResult
from workbench.report.runner import NotebookRun


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "workbench.yaml").write_text("sources: config/mine.yaml\n", encoding="utf-8")
    # a user's sources file with no `warehouse:` key (whose default names the demo warehouse)
    (tmp_path / "config" / "mine.yaml").write_text(
        yaml.safe_dump({"tables": {"feedback": [{"name": "r", "path": "data/in/r.csv"}]}}), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKBENCH_HOME", raising=False)
    return tmp_path


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["workbench", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.run()
    return int(exit_info.value.code or 0), capsys.readouterr().err


def stub_build(monkeypatch, result=None, error=None) -> dict:
    seen: dict = {}

    def build(settings, quarter=None, only=None, skip_pull=False, segment="", force=False, warm=None):
        seen.update(
            quarter=quarter, only=only, skip_pull=skip_pull, segment=segment, settings=settings, force=force
        )
        if error is not None:
            raise error
        return result

    monkeypatch.setattr(pipeline, "build", build)
    return seen


def test_a_report_not_published_exits_1(project, monkeypatch, capsys):
    failed = ReportResult("2026Q3", project / "reports" / "2026Q3")
    failed.runs = [NotebookRun("20_sales", False, 1.0, Path("x.ipynb"), error="MissingDataError: deals")]
    stub_build(monkeypatch, failed)
    code, err = run_cli(monkeypatch, capsys, "report", "--skip-pull")
    assert code == 1
    assert "NOT published" in err and "reports/_failed/2026Q3" in err and "Traceback" not in err


def test_a_published_report_exits_0_and_segment_reaches_the_pipeline(project, monkeypatch, capsys):
    ok = ReportResult("2026Q3", project / "reports" / "2026Q3_enterprise", published=True)
    seen = stub_build(monkeypatch, ok)
    code, err = run_cli(monkeypatch, capsys, "report", "--segment", "Enterprise", "-q", "2026-Q3")
    assert code == 0, err
    assert seen["segment"] == "Enterprise" and seen["quarter"] == "2026-Q3"
    assert not (project / "data" / "demo").exists()  # no implicit demo for a user's sources


def test_force_reaches_the_pipeline_and_is_off_by_default(project, monkeypatch, capsys):
    ok = ReportResult("2026Q3", project / "reports" / "2026Q3", published=True)
    seen = stub_build(monkeypatch, ok)
    assert run_cli(monkeypatch, capsys, "report", "--skip-pull")[0] == 0
    assert seen["force"] is False
    assert run_cli(monkeypatch, capsys, "report", "--skip-pull", "--force")[0] == 0
    assert seen["force"] is True


def test_full_disk_is_one_line_not_a_traceback(project, monkeypatch, capsys):
    stub_build(monkeypatch, error=OSError(errno.ENOSPC, "No space left on device", "reports/x.png"))
    code, err = run_cli(monkeypatch, capsys, "report", "--skip-pull")
    assert code == 2 and "Traceback" not in err
    [line] = [x for x in err.splitlines() if x.strip()]
    assert line.startswith("error: the disk is full while writing reports/x.png")


def test_an_unexpected_error_is_one_line(project, monkeypatch, capsys):
    stub_build(monkeypatch, error=RuntimeError("boom\nsecond line"))
    code, err = run_cli(monkeypatch, capsys, "report", "--skip-pull")
    assert code == 1 and "Traceback" not in err
    assert err.strip().splitlines() == ["error: RuntimeError: boom second line (run with -v for details)"]


@pytest.mark.parametrize("quarter", ["0000Q1", "9999Q4", "2026Q5"])
def test_impossible_quarters_are_one_line(project, monkeypatch, capsys, quarter):
    monkeypatch.setattr(pipeline, "refresh_pull", lambda settings: False)
    code, err = run_cli(monkeypatch, capsys, "report", "-q", quarter)
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error: ") and quarter in err


def test_demo_refuses_a_users_own_sources(project, monkeypatch, capsys):
    code, err = run_cli(monkeypatch, capsys, "demo")
    assert code == 2 and "refusing to write the demo company for config/mine.yaml" in err
    assert not (project / "data" / "demo").exists()


def test_demo_configuration_is_recognised(tmp_path):
    from workbench.core.config import load_settings

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "workbench.yaml").write_text("{}\n", encoding="utf-8")
    sources = {
        "warehouse": "data/demo/warehouse.duckdb",
        "tables": {"accounts": [{"name": "a", "query": "SELECT 1"}]},
    }
    (tmp_path / "config" / "sources.yaml").write_text(yaml.safe_dump(sources), encoding="utf-8")
    assert cli._is_demo_configuration(load_settings(root=tmp_path))
    sources["tables"] = {"feedback": [{"name": "r", "path": "exports/r.csv"}]}  # warehouse key unused
    (tmp_path / "config" / "sources.yaml").write_text(yaml.safe_dump(sources), encoding="utf-8")
    assert not cli._is_demo_configuration(load_settings(root=tmp_path))


def test_warm_workers_start_only_for_a_build_with_new_data(project, monkeypatch):
    from workbench.core.config import load_settings

    started = []

    class Recorder:
        def __init__(self, count, cwd, kernel_name="python3", env=None):
            started.append(count)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    monkeypatch.setattr(pipeline, "WarmWorkers", Recorder)
    monkeypatch.setattr(pipeline, "select_notebooks", lambda settings, only: list(only or ["a", "b", "c"]))
    settings = load_settings(project / "config" / "workbench.yaml")
    fresh = {"value": False}
    monkeypatch.setattr(pipeline, "snapshot_is_fresh", lambda s: fresh["value"])

    with pipeline.warm_workers(settings) as warm:  # new data due: one per notebook
        assert isinstance(warm, Recorder)
    with pipeline.warm_workers(settings, only=["b"]) as warm:
        assert isinstance(warm, Recorder)
    with pipeline.warm_workers(settings, skip_pull=True) as warm:
        assert warm is None
    fresh["value"] = True
    with pipeline.warm_workers(settings) as warm:  # nothing new: most notebooks will be reused
        assert warm is None
    fresh["value"] = False
    off = settings.model_copy(update={"report": settings.report.model_copy(update={"warm_workers": False})})
    with pipeline.warm_workers(off) as warm:
        assert warm is None
    assert started == [3, 1]


def test_themes_prepare_readies_the_embedding_model_and_the_topic_models_imports(
    project, monkeypatch, capsys
):
    from workbench.themes import bertopic_model, embeddings

    monkeypatch.setattr(embeddings, "prepare", lambda settings: "embedding model ready")
    monkeypatch.setattr(bertopic_model, "prepare", lambda: "topic model imported")
    monkeypatch.setattr(sys, "argv", ["workbench", "themes", "prepare"])
    with pytest.raises(SystemExit) as exit_info:
        cli.run()
    assert int(exit_info.value.code or 0) == 0
    assert capsys.readouterr().out.splitlines() == ["embedding model ready", "topic model imported"]


def test_the_topic_model_prepare_imports_bertopic():
    from workbench.themes import bertopic_model

    message = bertopic_model.prepare()
    assert "bertopic" in sys.modules and message.startswith("topic model imported in ")
