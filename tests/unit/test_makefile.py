"""The Makefile documents itself: `make help` is the default goal and lists every target."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _targets() -> list[str]:
    text = (REPO / "Makefile").read_text()
    return [m for m in re.findall(r"^([a-zA-Z][a-zA-Z_-]*):", text, flags=re.M)]


def test_every_target_is_documented_and_phony():
    text = (REPO / "Makefile").read_text()
    phony = set(re.search(r"^\.PHONY:(.*)$", text, flags=re.M).group(1).split())
    for target in _targets():
        assert re.search(rf"^{target}:.*## ", text, flags=re.M), f"target {target} has no '## ' help"
        assert target in phony, f"target {target} is not .PHONY"
    assert re.search(r"^\.DEFAULT_GOAL := help$", text, flags=re.M)


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_help_lists_every_target():
    out = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    for target in _targets():
        assert target in out


def test_ci_runs_the_readme_test_command():
    assert "make test" in (REPO / "README.md").read_text()
    assert "make test" in (REPO / ".ci" / "run").read_text()
