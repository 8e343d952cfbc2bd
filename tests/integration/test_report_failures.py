"""The publish rules with tiny single-purpose notebooks (real kernels, no data, a few seconds each).

A failing notebook never erases the last good report, lands in ``reports/_failed/<quarter>/`` and
makes the build fail naming the notebook and the cell; the other notebooks still run; secrets never
reach a file.
"""

from __future__ import annotations

import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from workbench.core.config import load_settings
from workbench.core.quarters import Quarter
from workbench.report.build import ReportError, render

PARAMS = (
    'quarter: str = ""  # reporting quarter\nconfig: str = ""  # workbench.yaml\n'
    'output_dir: str = ""  # output folder\nsegment: str = ""  # segment filter'
)
SECRET = "wb-test-secret-7f3a9c1e"


def _notebook(path, *sources):
    nb = new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "workbench": {"title": path.stem.replace("_", " "), "description": "tiny"},
        }
    )
    nb.cells = [new_markdown_cell(f"# {path.stem}"), new_code_cell(PARAMS, metadata={"tags": ["parameters"]})]
    nb.cells += [new_code_cell(s) for s in sources]
    nbformat.write(nb, path)


@pytest.fixture
def tiny_project(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "workbench.yaml").write_text(
        "report:\n  notebooks: [a_ok, b_fails]\n", encoding="utf-8"
    )
    (tmp_path / "config" / "sources.yaml").write_text("tables: {}\n", encoding="utf-8")
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    _notebook(
        nbs / "a_ok.ipynb",
        "from pathlib import Path\n(Path(output_dir) / 'tables').mkdir(exist_ok=True)\n"
        "(Path(output_dir) / 'tables' / 'a.csv').write_text('x\\n1\\n')\nprint('quarter', quarter)",
    )
    _notebook(nbs / "b_fails.ipynb", "x = 1", "y = x + 1\nraise RuntimeError('the data is not there')")
    return load_settings(root=tmp_path)


@pytest.mark.timeout(240)
def test_failure_keeps_the_last_good_report(tiny_project):
    settings, q = tiny_project, Quarter(2026, 3)
    first = render(settings, q, only=["a_ok"])
    assert first.ok, first.summary()
    target = settings.paths.reports / "2026Q3"
    good_index = (target / "index.html").read_text(encoding="utf-8")
    assert (target / "a_ok.html").is_file() and (target / "tables" / "a.csv").is_file()

    second = render(settings, q)
    assert not second.ok and not second.published
    runs = {r.name: r for r in second.runs}
    assert runs["a_ok"].ok  # the other notebook still ran
    assert not runs["b_fails"].ok and runs["b_fails"].cell == 4  # markdown, parameters, x = 1, the raise
    summary = second.summary()
    assert "b_fails FAILED at cell 4" in summary and "RuntimeError: the data is not there" in summary
    assert (target / "index.html").read_text(encoding="utf-8") == good_index
    assert not (target / "_failed").exists()  # failures never travel with the published report
    failed = nbformat.read(settings.paths.reports / "_failed" / "2026Q3" / "b_fails.ipynb", as_version=4)
    assert any(o.get("ename") == "RuntimeError" for c in failed.cells for o in c.get("outputs", []))
    assert not [p for p in settings.paths.reports.glob(".*") if ".tmp-" in p.name or ".old-" in p.name]


@pytest.mark.timeout(240)
def test_secret_in_the_environment_reaches_no_file(tiny_project, monkeypatch):
    settings = tiny_project
    monkeypatch.setenv("WORKBENCH_TEST_SECRET", SECRET)
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://analyst:pa55word-xyz@db.internal:5432/crm")
    # A careless notebook that prints the environment: the build must still leak nothing.
    _notebook(settings.paths.notebooks / "a_ok.ipynb", "import os\nprint(dict(os.environ))")
    result = render(settings, Quarter(2026, 3), only=["a_ok"])
    assert result.ok, result.summary()
    assert {"a_ok.ipynb", "a_ok.html"} <= {p.name for p in result.redacted}  # caught, and said so
    assert "secrets were redacted" in result.summary()
    for path in (settings.paths.reports / "2026Q3").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET.encode() not in data and b"pa55word-xyz" not in data, path.name
    assert os.environ["WORKBENCH_TEST_SECRET"] == SECRET  # only outputs are scrubbed


def test_unknown_notebook_is_a_user_error(tiny_project):
    with pytest.raises(ReportError, match="unknown notebook"):
        render(tiny_project, Quarter(2026, 3), only=["nope"])
