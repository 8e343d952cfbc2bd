"""Shared fixtures.

The expensive chain (demo company -> pull -> themes -> report) runs at most once per
test session, in a temporary copy of the project, and every integration test reads from it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support import HOSTILE_TEXT, REPORT_DB_URL, REPORT_SECRET, make_project

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Embeddings are keyed by model and text hash, so sharing the cache between test sessions is safe
# and makes local reruns warm. CI starts from a clean clone, so it always measures a cold run.
os.environ.setdefault("WORKBENCH_CACHE_DIR", str(REPO / ".cache"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout; tests that need it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present (it never is on a user's fresh clone)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory):
    """Settings of a temporary project holding the full demo company, pulled (all quarters)."""
    from workbench.core.config import load_settings
    from workbench.demo import company as demo
    from workbench.ingest import pull

    root = make_project(tmp_path_factory.mktemp("demo_project"))
    settings = load_settings(root=root)
    demo.generate(settings.paths.demo, seed=settings.demo_seed)
    pull.pull(settings, quarter=None, all_quarters=True)
    return settings


@pytest.fixture(scope="session")
def themed_settings(demo_settings):
    """The demo project after the theme engine ran for the latest quarter."""
    from workbench.themes import engine as themes

    themes.run(demo_settings, quarter=None)
    return demo_settings


@pytest.fixture(scope="session")
def demo_report(themed_settings, tmp_path_factory):
    """The quarterly report of the themed demo, built once (``pipeline.build(..., skip_pull=True)``).

    It is built in a copy of the project so that other tests keep the untouched data: the copy gets
    a hostile evidence quote for every theme and a hostile suffix on one theme label, and the build
    runs with a secret and a credentialed database URL in the environment, both also pasted into a
    second theme's label so that the pages would carry them if the scrubber did not.
    """
    import pandas as pd

    from workbench import pipeline
    from workbench.core.config import load_settings
    from workbench.core.store import themes_path

    root = tmp_path_factory.mktemp("report_project")
    for part in ("config", "notebooks", "data/processed", "data/models"):
        if (themed_settings.root / part).exists():
            shutil.copytree(themed_settings.root / part, root / part)
    settings = load_settings(root=root)
    quotes = pd.read_parquet(themes_path(settings, "quotes"))
    planted = quotes.drop_duplicates("theme_id").assign(quote=HOSTILE_TEXT, rank=0)
    pd.concat([planted, quotes], ignore_index=True).to_parquet(themes_path(settings, "quotes"), index=False)
    theme_table = pd.read_parquet(themes_path(settings, "themes"))
    theme_table.loc[theme_table.index[0], "label"] = f"{theme_table['label'].iloc[0]} {HOSTILE_TEXT}"
    # The environment's secrets also reach the data (an analyst pasted them into a label), so the
    # report's pages really carry them and only the build's scrubber keeps them out of the files.
    leaky = f"{theme_table['label'].iloc[1]} (ask {REPORT_SECRET} at {REPORT_DB_URL})"
    theme_table.loc[theme_table.index[1], "label"] = leaky
    theme_table.to_parquet(themes_path(settings, "themes"), index=False)
    saved = {k: os.environ.get(k) for k in ("WORKBENCH_TEST_SECRET", "WORKBENCH_TEST_DB_URL")}
    os.environ.update(WORKBENCH_TEST_SECRET=REPORT_SECRET, WORKBENCH_TEST_DB_URL=REPORT_DB_URL)
    try:
        result = pipeline.build(settings, skip_pull=True)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return result
