"""The ``workbench`` command as a user runs it: a user error is one line, a non-zero exit, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pull_fixtures import REVIEWS_HEADER, make_project, reviews_source, write


def _workbench(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}  # narrow, like a CI log: no wrapping allowed
    env.pop("WORKBENCH_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert proc.stderr.rstrip().splitlines()[-1] == errors[0]  # the reason is the last line, whole
    return errors[0]


@pytest.fixture
def project(tmp_path):
    make_project(tmp_path, {"feedback": [reviews_source()]})
    write(tmp_path, "reviews.csv", REVIEWS_HEADER + "1,01-07-2026 10:00,Exports are slow,2\n")
    return tmp_path


def test_pull_succeeds_and_prints_the_summary(project):
    proc = _workbench("pull", "--quarter", "2026Q3", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert "pulled 2026Q3 from 1 source(s)" in proc.stderr
    assert "feedback                1 rows" in proc.stderr
    assert (project / "data" / "processed" / "feedback.parquet").exists()


def test_missing_file_is_one_line_naming_source_and_file(project):
    (project / "data" / "in" / "reviews.csv").unlink()
    line = _error_line(_workbench("pull", "--quarter", "2026Q3", cwd=project))
    assert line.startswith("error: source 'reviews': file not found: data/in/reviews.csv (looked for ")


def test_bad_quarter_and_missing_scope_are_user_errors(project):
    assert "cannot read quarter '2026Q5'" in _error_line(_workbench("pull", "-q", "2026Q5", cwd=project))
    assert "say which data to pull" in _error_line(_workbench("pull", cwd=project))


def test_config_mistake_names_the_key(project):
    (project / "config" / "sources.yaml").write_text(
        "tables:\n  feedback:\n    - name: r\n      pathh: x.csv\n"
    )
    line = _error_line(_workbench("pull", "--all", cwd=project))
    assert "sources.yaml: tables.feedback.0.file.path: Field required" in line


@pytest.mark.parametrize(
    "command", [["--help"], ["pull", "--help"], ["demo", "--help"], ["schema", "--help"]]
)
def test_help_on_commands(command, tmp_path):
    proc = _workbench(*command, cwd=tmp_path)
    assert proc.returncode == 0 and "Usage" in proc.stdout
