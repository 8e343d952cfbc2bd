"""Helpers and constants the test modules import (``conftest`` holds only fixtures).

Test folders have conftest files of their own, so ``from support import ...`` would pick
whichever was imported first; this module has a name of its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


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


# Untrusted text planted in the report's copy of the project: it must render as inert text everywhere.
HOSTILE_TEXT = (
    "<script>window.__wbXss = 1; alert('xss')</script><img src=x onerror=\"window.__wbXss = 2\"> **md**"
)
REPORT_SECRET = "wb-session-secret-4d2f8e61"
REPORT_DB_URL = "postgresql://analyst:pa55-wb-9c1d@db.internal:5432/crm"
