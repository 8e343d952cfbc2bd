"""Shared fixtures.

The expensive chain (demo company -> pull -> themes -> report) runs at most once per
test session, in a temporary copy of the project, and every integration test reads from it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

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


def make_project(root: Path) -> Path:
    """A throwaway project: the repo's config and notebooks, empty data/ and reports/."""
    shutil.copytree(REPO / "config", root / "config")
    if (REPO / "notebooks").is_dir():
        shutil.copytree(
            REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
        )
    (root / "data").mkdir()
    (root / "reports").mkdir()
    return root


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory):
    """Settings of a temporary project holding the full demo company, pulled (all quarters)."""
    from workbench import demo, pull
    from workbench.config import load_settings

    root = make_project(tmp_path_factory.mktemp("demo_project"))
    settings = load_settings(root=root)
    demo.generate(settings.paths.demo, seed=settings.demo_seed)
    pull.pull(settings, quarter=None, all_quarters=True)
    return settings


@pytest.fixture(scope="session")
def themed_settings(demo_settings):
    """The demo project after the theme engine ran for the latest quarter."""
    from workbench import themes

    themes.run(demo_settings, quarter=None)
    return demo_settings
