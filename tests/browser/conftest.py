"""Browser set-up for the browser tests: they find, or install, their own headless Chromium.

On a fresh machine ``make test`` must pass without a manual step (issue 13): where the tests run
as root with apt (containers, CI), the ``chromium`` fixture installs Debian's package itself, as
``.ci/run`` does; anywhere else a missing browser fails with the one-line fix.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
INSTALL = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium", "fonts-dejavu-core"]
FIX = "headless Chromium is missing: run `sudo apt-get install -y chromium`, then the tests again"


def _apt(args: list[str]) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        return subprocess.run(args, env=env, capture_output=True, timeout=900, check=False).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def ensure_chromium(path: Path = CHROMIUM) -> Path | None:
    """``path`` once Chromium is there, installing it with apt when running as root; else ``None``."""
    if path.exists():
        return path
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    if not _apt(INSTALL):  # the package lists may be missing on a fresh image
        _apt(["apt-get", "update", "-q"])
        _apt(INSTALL)
    return path if path.exists() else None


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The Chromium executable for Playwright (``executable_path``), set up if it can be."""
    found = ensure_chromium()
    if found is None:
        pytest.fail(FIX, pytrace=False)
    return found
