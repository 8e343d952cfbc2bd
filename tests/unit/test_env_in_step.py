"""environment.yml and pyproject.toml must pin the same packages at the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def _pins(specs: list[str]) -> dict[str, str]:
    pins = {}
    for spec in specs:
        if spec.startswith("-"):
            continue
        name, _, version = spec.partition("==")
        assert version, f"{spec!r} is not pinned with =="
        pins[re.sub(r"\[.*\]", "", name).lower()] = version
    return pins


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = _pins(project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in env["dependencies"]
    assert _pins(pip_section) == declared


def test_constraints_agree_with_direct_pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = _pins(project["dependencies"] + project["optional-dependencies"]["dev"])
    locked = {}
    for line in (REPO / "requirements" / "constraints.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==", 1)
            locked[name.strip().lower().replace("_", "-")] = version.strip()
    mismatched = {n: (v, locked.get(n)) for n, v in declared.items() if locked.get(n) != v}
    assert not mismatched, f"pyproject pins differ from requirements/constraints.txt: {mismatched}"


def _locked() -> dict[str, str]:
    locked = {}
    for line in (REPO / "requirements" / "constraints.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==", 1)
            locked[name.strip().lower().replace("_", "-")] = version.strip()
    return locked


def test_install_hints_in_the_code_name_the_pinned_versions():
    """The fourth place versions live: the ``pip install '...'`` hint an EmbeddingError prints."""
    from workbench.themes.embeddings import _PINS

    declared = _pins(list(_PINS.values()))
    locked = _locked()
    assert declared, "no install hints found"
    stale = {n: (v, locked.get(n)) for n, v in declared.items() if locked.get(n) != v}
    assert not stale, f"install hints differ from requirements/constraints.txt: {stale}"


def test_the_installed_torch_is_the_pinned_cpu_build():
    """Catches a CUDA wheel (gigabytes, and not what environment.yml promises) or a drifted version."""
    from importlib import metadata

    import torch

    pinned = _pins(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"])["torch"]
    installed = metadata.version("torch")
    base, _, local = installed.partition("+")
    assert base == pinned, f"installed torch {installed}, pinned {pinned}"
    assert torch.version.cuda is None and local in ("", "cpu"), (
        f"installed torch {installed} is a CUDA build (torch.version.cuda={torch.version.cuda})"
    )
