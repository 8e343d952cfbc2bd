"""Reports from whatever data a team has: each shipped example config, feedback plus deals, isolation.

Every project here is synthetic and small (a few hundred rows written at the paths the example
configs name), so the whole chain (pull -> themes -> five notebooks -> publish) runs as a user runs
it, through the ``workbench`` command, in a couple of minutes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from report_projects import EXAMPLE_DATA, EXAMPLES, combined_sources, example_project

from workbench.core.config import load_settings
from workbench.core.errors import MissingDataError
from workbench.core.store import load_table

PAGES = [
    "00_executive_summary",
    "10_customer_themes",
    "20_sales_and_win_loss",
    "30_market_and_competitors",
    "40_product_outcomes",
]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def workbench(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("WORKBENCH_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def page_text(path: Path) -> str:
    """The visible text of a page (scripts, styles and tags removed, whitespace collapsed)."""
    html = path.read_text(encoding="utf-8")
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def published(settings, quarter: str) -> Path:
    folder = settings.paths.reports / quarter
    assert {*PAGES, "index"} <= {p.stem for p in folder.glob("*.html")}
    return folder


def test_every_file_based_example_has_synthetic_data():
    file_based = {p.stem for p in EXAMPLES.glob("*.yaml") if "url_env" not in p.read_text(encoding="utf-8")}
    assert file_based == set(EXAMPLE_DATA), "add a generator for the new example to report_projects.py"


def test_feedback_only_example_publishes_every_page_and_claims_nothing_unsupported(tmp_path):
    config = example_project(tmp_path, "google_play_reviews", quarters=1)
    root = config.parent.parent
    proc = workbench("report", "-c", str(config), cwd=root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "UNEXPECTED" not in proc.stderr
    settings = load_settings(config)
    assert not (root / "data" / "demo").exists()  # a user's sources never bring the demo along
    quarter = json.loads(next(settings.paths.reports.glob("*/manifest.json")).read_text())["parameters"][
        "quarter"
    ]
    folder = published(settings, quarter)
    texts = {p: page_text(folder / f"{p}.html") for p in [*PAGES, "index"]}
    everything = " ".join(texts.values())
    # one quarter of data: nothing is compared with the quarter before it
    assert "(compared with" not in everything and "changes are against" not in everything
    assert "no earlier quarter with data" in texts["00_executive_summary"]
    assert "remains the largest theme" not in everything and "concentrated in Unknown" not in everything
    assert "No themed feedback" not in everything  # the feedback is themed; what lacks is ARR
    assert "touches the most revenue" not in texts["00_executive_summary"]  # no ARR: no revenue claim
    # absent sections say which table and which config key would fill them
    sentence = "needs deals data, which this project does not have: add a source under `tables.deals` in"
    assert sentence in texts["20_sales_and_win_loss"]
    assert "`tables.market_metrics`" in texts["30_market_and_competitors"]
    assert "`tables.usage`" in texts["40_product_outcomes"] and "`shipped:`" in texts["40_product_outcomes"]
    assert "Feedback items" in texts["index"] and "Win rate" not in texts["index"]
    assert not (folder / "_failed").exists()


def test_feedback_plus_deals_and_switching_configs_never_leaks(tmp_path):
    config = example_project(tmp_path, "marketplace_reviews_tsv", quarters=3)
    root = config.parent.parent
    EXAMPLE_DATA["crm_opportunities"](tmp_path / "shared" / "data", 3)
    both = combined_sources(root, "both.yaml", ["marketplace_reviews_tsv", "crm_opportunities"])
    both_config = root / "config" / "both.yaml.workbench.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    both_config.write_text(yaml.safe_dump({**data, "sources": both}), encoding="utf-8")

    # 1. feedback plus deals and accounts: every page, with the deal sections filled
    proc = workbench("report", "-c", str(both_config), cwd=root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    both_settings = load_settings(both_config)
    quarter = re.search(r"report (\d{4}Q\d): published", proc.stderr).group(1)
    folder = published(both_settings, quarter)
    sales = page_text(folder / "20_sales_and_win_loss.html")
    assert "needs deals data" not in sales and (folder / "tables" / "win_rate_by_quarter.csv").is_file()
    assert "(compared with" in page_text(folder / "00_executive_summary.html")  # earlier quarters have data
    assert "Win rate" in page_text(folder / "index.html")

    # 2. the feedback-only config in the same project: its own workspace, the deals are absent
    proc = workbench("pull", "--all", "-c", str(config), cwd=root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    only = load_settings(config)
    assert only.paths.processed != both_settings.paths.processed
    assert len(load_table("feedback", only)) == len(load_table("feedback", both_settings))
    with pytest.raises(MissingDataError, match=r"no deals data: .*tables.deals"):
        load_table("deals", only)

    # 3. the same sources file edited to drop feedback: the old feedback is absent, not stale
    (root / both).write_text(
        yaml.safe_dump({**yaml.safe_load((root / both).read_text()), "tables": {}}), encoding="utf-8"
    )
    with pytest.raises(MissingDataError, match="no feedback data"):
        load_table("feedback", load_settings(both_config))


def test_segment_report_from_the_command_line(tmp_path):
    """Issue 9: ``workbench report --segment`` narrows every page and publishes beside the full report."""
    config = example_project(tmp_path, "marketplace_reviews_tsv", quarters=2)
    root = config.parent.parent
    EXAMPLE_DATA["crm_opportunities"](tmp_path / "shared" / "data", 2)
    both = combined_sources(root, "both.yaml", ["crm_opportunities"])
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    config.write_text(yaml.safe_dump({**data, "sources": both}), encoding="utf-8")
    proc = workbench(
        "report", "-c", str(config), "--segment", "smb", "--only", "20_sales_and_win_loss", cwd=root
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    settings = load_settings(config)
    [folder] = [p for p in settings.paths.reports.iterdir() if p.name.endswith("_smb")]
    assert "segment: SMB" in page_text(folder / "20_sales_and_win_loss.html")
