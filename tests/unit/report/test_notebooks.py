"""Report notebooks stay thin, parameterised, output-free and in sync with their jupytext pairs."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import jupytext
import nbformat
import papermill as pm
import pytest

from workbench.core.config import ReportSettings

NOTEBOOKS = Path(__file__).resolve().parents[3] / "notebooks"
REPORT = [NOTEBOOKS / f"{name}.ipynb" for name in ReportSettings().notebooks]
ALL = [*REPORT, NOTEBOOKS / "explore" / "starter.ipynb"]
PARAMETERS = {"quarter", "config", "output_dir", "segment"}


def _ids(paths):
    return [p.stem for p in paths]


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_one_parameters_cell_with_typed_documented_defaults(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    params = pm.inspect_notebook(str(path))
    assert set(params) == PARAMETERS
    for name, p in params.items():
        assert p["inferred_type_name"] == "str", name
        assert p["help"], f"{name} has no comment explaining it"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_thin_no_function_or_class_definitions(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Lambda)]
            assert not defs, f"{path.name}: move logic into the workbench package"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_paired_script_is_in_sync(path):
    script = path.with_suffix(".py")
    assert script.is_file(), f"{path.name} has no jupytext pair"
    ipynb, py = jupytext.read(path), jupytext.read(script)
    assert ipynb.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    cells = [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in ipynb.cells]
    assert cells == [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in py.cells]


@pytest.mark.parametrize("path", REPORT, ids=_ids(REPORT))
def test_report_notebook_has_a_title_and_description(path):
    meta = nbformat.read(path, as_version=4).metadata
    assert meta["workbench"]["title"] and meta["workbench"]["description"]
    assert meta["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_every_workbench_call_exists(path):
    """Catches a renamed analysis function before a 5-minute report run does."""
    nb = nbformat.read(path, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    tree = ast.parse(source)
    modules: dict[str, object] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("workbench"):
            for alias in node.names:
                mod = importlib.import_module(node.module)
                target = getattr(mod, alias.name, None)
                if target is None:
                    target = importlib.import_module(f"{node.module}.{alias.name}")
                modules[alias.asname or alias.name] = target
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
            owner = modules[node.value.id]
            if isinstance(owner, type(ast)):  # a module: the attribute must exist
                assert hasattr(owner, node.attr), f"{path.name}: {node.value.id}.{node.attr} does not exist"


def test_insight_anchors_exist_in_the_notebooks():
    from workbench.analysis.insights import LINKS

    for link in LINKS.values():
        page, anchor = link.split("#")
        text = (NOTEBOOKS / page.replace(".html", ".py")).read_text(encoding="utf-8")
        assert f'id="{anchor}"' in text, f"{page} lacks the anchor #{anchor}"
