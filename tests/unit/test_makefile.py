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


def _dry_run(*args: str) -> str:
    return subprocess.run(["make", "-n", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_lab_allows_root_only_as_root_and_passes_lab_args():
    import os

    line = next(
        x for x in _dry_run("lab", "LAB_ARGS=--port 8890 --no-browser").splitlines() if "jupyter lab" in x
    )
    assert ("--allow-root" in line) == (os.getuid() == 0)
    assert line.rstrip().endswith("--port 8890 --no-browser")
    assert "--config=config/jupyter_server_config.py" in line


def test_lab_file_browser_hides_the_jupytext_twins():
    from jupyter_server.services.contents.filemanager import FileContentsManager
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("jupyter_server_config.py", path=str(REPO / "config")).load_config()
    manager = FileContentsManager(config=config, root_dir=str(REPO / "notebooks"))
    listed = [entry["name"] for entry in manager.get("", content=True)["content"]]
    notebooks = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    assert notebooks and sorted(n for n in listed if n.endswith(".ipynb")) == notebooks
    assert not [n for n in listed if n.endswith(".py")]


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_clean_keeps_the_embedding_cache_and_clean_cache_removes_it():
    clean = [x for x in _dry_run("clean").splitlines() if x.startswith("rm ")]
    assert clean and not any(".cache" in x for x in clean)
    assert any(x.split()[-1] == ".cache" for x in _dry_run("clean-cache").splitlines() if x.startswith("rm "))
