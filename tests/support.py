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


def offline_page(browser, width: int = 1280, height: int = 900):
    """A Chromium page that may load ``file:`` URLs only, recording what a page tried and said.

    Returns:
        ``(page, outside, errors, dialogs)``: the page; the URLs it tried to reach beyond
        ``file:`` (each aborted); console errors and page errors; dialog messages (dismissed).
    """
    context = browser.new_context(viewport={"width": width, "height": height})
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return page, outside, errors, dialogs


# Headless Chromium as every browser test starts it: no sandbox (root in CI), no GPU, nothing
# fetched in the background (the pages must work offline).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
]
