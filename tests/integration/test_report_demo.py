"""The full quarterly report of the demo company (built once per session by the ``demo_report`` fixture)."""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support import HOSTILE_TEXT, REPORT_DB_URL, REPORT_SECRET

from workbench.core.config import ReportSettings, load_settings
from workbench.report.data import default_quarter
from workbench.report.runner import OWNER_FILE, TEMP_PREFIX

pytestmark = pytest.mark.slow
MAX_PAGE_BYTES = 5 * 1024 * 1024
NOTEBOOKS = ReportSettings().notebooks


@pytest.fixture(scope="module")
def folder(demo_report) -> Path:
    assert demo_report.ok, demo_report.summary()
    return demo_report.target


def test_every_report_and_the_index_are_published(demo_report, folder):
    assert [r.name for r in demo_report.runs] == NOTEBOOKS and all(r.ok for r in demo_report.runs)
    for name in NOTEBOOKS:
        assert (folder / f"{name}.ipynb").is_file() and (folder / f"{name}.html").is_file()
    assert (folder / "index.html").is_file() and (folder / "manifest.json").is_file()
    assert not (folder / "_failed").exists()
    settings = load_settings(root=folder.parents[1])
    assert demo_report.quarter == str(default_quarter(settings))  # last complete quarter by default


def test_every_chart_is_exported_in_four_forms(folder):
    pngs = sorted((folder / "charts").glob("*.png"))
    assert len(pngs) >= 20
    for png in pngs:
        for ext in (".svg", ".html", ".csv"):
            assert png.with_suffix(ext).is_file(), png.with_suffix(ext).name
    assert len(list((folder / "tables").glob("*.csv"))) >= 15


def test_pages_are_small_self_contained_and_carry_one_bundle(folder):
    for page in [*folder.glob("*.html"), *(folder / "charts").glob("*.html")]:
        text = page.read_text(encoding="utf-8")
        assert page.stat().st_size <= MAX_PAGE_BYTES, page.name
        assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']?(https?:)?//", text), page.name
        charts = text.count('class="wb-chart-spec"')
        assert text.count("window.vegaEmbed=") == (1 if charts else 0), page.name


def test_executive_pages_show_no_code_or_noise(folder):
    for name in NOTEBOOKS:
        text = (folder / f"{name}.html").read_text(encoding="utf-8")
        for needle in (
            "open_report(",
            "from workbench import",
            "ctx.show(",
            "Traceback",
            "Warning:",
            'quarter: str = ""',
            "In&nbsp;[",
        ):
            assert needle not in text, f"{name}: {needle!r}"


def test_executive_summary_states_insights_that_link_to_details(folder):
    text = (folder / "00_executive_summary.html").read_text(encoding="utf-8")
    findings, _, drivers = text.partition('id="What-moves-the-numbers"')
    assert drivers, "the executive summary has no drivers section"
    assert 5 <= findings.count('<li class="wb-insight') <= 7
    assert drivers.count('<li class="wb-insight') == 1, "one headline for the strongest driver"
    for href in set(re.findall(r'href="(\d\d_[a-z_]+\.html)#([a-z-]+)"', text)):
        page = (folder / href[0]).read_text(encoding="utf-8")
        assert f'id="{href[1]}"' in page, href
    assert "Data coverage" in text and "Rejected" in text


def test_manifest_records_inputs_versions_commit_and_parameters(demo_report, folder):
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    inputs = {i["path"]: i for i in manifest["inputs"]}
    feedback = inputs["data/processed/feedback.parquet"]
    assert re.fullmatch(r"[0-9a-f]{64}", feedback["sha256"]) and feedback["rows"] > 10_000
    assert "data/processed/themes/assignments.parquet" in inputs and "config/workbench.yaml" in inputs
    assert manifest["packages"]["altair"] and manifest["packages"]["papermill"]
    assert "commit" in manifest["git"]
    assert manifest["parameters"]["quarter"] == demo_report.quarter
    assert [n["name"] for n in manifest["notebooks"]] == NOTEBOOKS


def test_untrusted_text_is_escaped_everywhere(folder):
    pages = [*folder.glob("*.html"), *(folder / "charts").glob("*.html")]
    assert any("&lt;script&gt;window.__wbXss" in p.read_text(encoding="utf-8") for p in pages)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert HOSTILE_TEXT not in text and "<script>window.__wbXss" not in text, page.name
        assert "<img src=x" not in text and '<img src="x"' not in text, page.name


def test_no_secret_reaches_any_file(demo_report, folder):
    """The secrets are in the environment AND in a theme label the pages render: the scrubber must act."""
    assert any(p.suffix == ".html" for p in demo_report.redacted)  # it caught them, and said so
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert REPORT_SECRET.encode() not in data and REPORT_DB_URL.encode() not in data, path
            assert b"pa55-wb-9c1d" not in data, path


def test_partial_rebuild_reproduces_the_same_numbers(demo_report, folder, monkeypatch):
    """Same data and config, same numbers; ``only`` rebuilds one report and keeps the others."""
    from workbench import pipeline

    settings = load_settings(root=folder.parents[1])
    names = ["win_rate_by_quarter", "loss_reasons", "product_gaps", "sales_cycle", "lost_deal_themes"]
    before = {n: (folder / "tables" / f"{n}.csv").read_bytes() for n in names}
    others = (folder / "10_customer_themes.html").read_bytes()
    # The same environment as the first build: its secrets are planted in a theme label.
    monkeypatch.setenv("WORKBENCH_TEST_SECRET", REPORT_SECRET)
    monkeypatch.setenv("WORKBENCH_TEST_DB_URL", REPORT_DB_URL)
    again = pipeline.build(
        settings, quarter=demo_report.quarter, only=["20_sales_and_win_loss"], skip_pull=True
    )
    assert again.ok, again.summary()
    assert [r.name for r in again.runs] == ["20_sales_and_win_loss"]
    for n in names:
        after = (folder / "tables" / f"{n}.csv").read_bytes()
        diff = difflib.unified_diff(before[n].decode().splitlines(), after.decode().splitlines(), lineterm="")
        assert after == before[n], f"{n}.csv changed:\n" + "\n".join(diff)
    assert (folder / "10_customer_themes.html").read_bytes() == others


def test_a_rerun_with_nothing_changed_reuses_every_notebook(demo_report, folder, monkeypatch):
    """Nothing the notebooks depend on changed: no notebook runs and the published folder is untouched."""
    from workbench import pipeline

    settings = load_settings(root=folder.parents[1])
    monkeypatch.setenv("WORKBENCH_TEST_SECRET", REPORT_SECRET)
    monkeypatch.setenv("WORKBENCH_TEST_DB_URL", REPORT_DB_URL)
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    # A killed build's notebook-runner folder (its owner process is gone) is cleaned even so.
    stale = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
    (stale / OWNER_FILE).write_text(str(_dead_pid()), encoding="utf-8")
    again = pipeline.build(settings, quarter=demo_report.quarter, skip_pull=True)
    assert not stale.exists(), "a frozen rerun must still clean what killed builds left"
    assert again.ok and again.runs == [], again.summary()
    assert sorted(again.reused) == sorted(settings.report.notebooks)
    assert "reused 5 notebook(s)" in again.summary()
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["freeze"]) == set(settings.report.notebooks)


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid
