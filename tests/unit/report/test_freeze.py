"""Freeze keys: a notebook is reused only when nothing it depends on changed."""

from __future__ import annotations

import json

import pandas as pd
from support import make_project

from workbench.core.config import load_settings
from workbench.report.freeze import freeze_keys, recorded_keys, source_digest, stale_notebooks

NAMES = ["00_executive_summary", "10_customer_themes"]


def _project(tmp_path):
    root = make_project(tmp_path / "p")
    settings = load_settings(root=root)
    settings.paths.processed.mkdir(parents=True)
    pd.DataFrame({"id": ["a", "b"], "text": ["slow export", "great support"]}).to_parquet(
        settings.paths.processed / "feedback.parquet", index=False
    )
    return settings


def test_keys_are_stable_when_nothing_changed(tmp_path):
    settings = _project(tmp_path)
    assert freeze_keys(settings, "2026Q3", NAMES) == freeze_keys(settings, "2026Q3", NAMES)


def test_a_data_change_makes_every_notebook_stale(tmp_path):
    settings = _project(tmp_path)
    before = freeze_keys(settings, "2026Q3", NAMES)
    pd.DataFrame({"id": ["a", "b"], "text": ["slow export", "great support!"]}).to_parquet(
        settings.paths.processed / "feedback.parquet", index=False
    )
    assert stale_notebooks(freeze_keys(settings, "2026Q3", NAMES), before) == NAMES


def test_a_notebook_change_makes_only_that_notebook_stale(tmp_path):
    settings = _project(tmp_path)
    before = freeze_keys(settings, "2026Q3", NAMES)
    path = settings.paths.notebooks / "10_customer_themes.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = "# A new title\n"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert stale_notebooks(freeze_keys(settings, "2026Q3", NAMES), before) == ["10_customer_themes"]


def test_parameters_and_settings_are_part_of_the_key(tmp_path):
    settings = _project(tmp_path)
    base = freeze_keys(settings, "2026Q3", NAMES)
    assert stale_notebooks(freeze_keys(settings, "2026Q2", NAMES), base) == NAMES
    assert stale_notebooks(freeze_keys(settings, "2026Q3", NAMES, segment="SMB"), base) == NAMES
    other = settings.model_copy(update={"demo_seed": settings.demo_seed + 1})
    assert stale_notebooks(freeze_keys(other, "2026Q3", NAMES), base) == NAMES


def test_how_notebooks_run_is_not_part_of_the_key(tmp_path):
    settings = _project(tmp_path)
    base = freeze_keys(settings, "2026Q3", NAMES)
    report = settings.report.model_copy(
        update={"max_parallel": 7, "cell_timeout_s": 99, "warm_workers": False}
    )
    assert freeze_keys(settings.model_copy(update={"report": report}), "2026Q3", NAMES) == base
    titled = settings.report.model_copy(update={"title": "Another title"})
    assert stale_notebooks(freeze_keys(settings.model_copy(update={"report": titled}), "2026Q3", NAMES), base)


def test_source_digest_follows_the_code(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("x = 1\n")
    first = source_digest(package)
    (package / "a.py").write_text("x = 2\n")
    assert source_digest(package) != first


def test_recorded_keys_of_a_missing_or_broken_manifest_are_empty(tmp_path):
    assert recorded_keys(tmp_path) == {}
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    assert recorded_keys(tmp_path) == {}
    (tmp_path / "manifest.json").write_text(json.dumps({"freeze": {"a": "k"}}), encoding="utf-8")
    assert recorded_keys(tmp_path) == {"a": "k"}
    assert stale_notebooks({"a": "k", "b": "k2"}, recorded_keys(tmp_path)) == ["b"]
