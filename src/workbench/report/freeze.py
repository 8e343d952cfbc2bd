"""Reusing a published report when nothing it depends on changed (in the spirit of Quarto's freeze).

A rerun of ``make quarterly`` with nothing new spent half a minute re-executing five notebooks
that could only produce the same pages. Each notebook's *freeze key* is a hash of everything its
output depends on:

- the content (sha256) of every processed table, rejects file and theme output, and of the config
  files (:func:`workbench.report.manifest.input_files`), plus the validated settings in use
  (so ``-c other.yaml`` counts);
- the report parameters (quarter, segment);
- the notebook file itself;
- the workbench package's own source files and the versions of the packages that draw the pages
  (so a code or dependency change reruns everything).

The keys are stored in the report's ``manifest.json`` (``"freeze"``). A build compares them with
the published report's: a notebook whose key matches is reused as published; the others are rerun
(a partial rebuild), or nothing runs at all. ``workbench report --force`` reruns every notebook.
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path

from workbench.core.config import Settings
from workbench.report.manifest import input_files, package_versions, sha256_file

PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def source_digest(root: Path = PACKAGE_ROOT) -> str:
    """sha256 over the workbench package's Python files and report assets, in path order."""
    digest = hashlib.sha256()
    kinds = {".py", ".css", ".js", ".j2"}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in kinds):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


# Settings that say how notebooks run, not what they compute: left out of the key, so that the
# machine-dependent default of max_parallel (cores + 1) never makes a moved project rerun.
RUN_ONLY_SETTINGS = {"report": {"max_parallel", "cell_timeout_s", "warm_workers"}}


def common_key(settings: Settings, quarter: str, segment: str = "") -> str:
    """The part of every notebook's key that all notebooks share (data, settings, code, parameters)."""
    basis = {
        "inputs": [(i["path"], i["sha256"]) for i in input_files(settings)],
        "settings": settings.model_dump(mode="json", exclude=RUN_ONLY_SETTINGS),
        "quarter": quarter,
        "segment": segment,
        "source": source_digest(),
        "packages": package_versions(),
        "python": platform.python_version(),
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()


def freeze_keys(settings: Settings, quarter: str, names: list[str], segment: str = "") -> dict[str, str]:
    """Each notebook's freeze key: the common key combined with the notebook file's content."""
    common = common_key(settings, quarter, segment)
    out = {}
    for name in names:
        notebook = settings.paths.notebooks / f"{name}.ipynb"
        own = sha256_file(notebook) if notebook.is_file() else "missing"
        out[name] = hashlib.sha256(f"{common}:{own}".encode()).hexdigest()
    return out


def recorded_keys(target: Path) -> dict[str, str]:
    """The freeze keys of the report published at ``target`` (empty when none or unreadable)."""
    try:
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    keys = manifest.get("freeze") or {}
    return {str(k): str(v) for k, v in keys.items()} if isinstance(keys, dict) else {}


def stale_notebooks(keys: dict[str, str], recorded: dict[str, str]) -> list[str]:
    """The notebooks whose key differs from the published one, in ``keys`` order."""
    return [name for name, key in keys.items() if recorded.get(name) != key]
