"""``manifest.json`` of a report: exactly what it was built from, so a number can be traced back.

Reproducibility ("the same data and config give the same numbers") is only checkable if the
report records its inputs: every processed table and theme output with its sha256 and row
count, the config files' hashes, the package versions, the git commit and the parameters.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from workbench.core.config import Settings
from workbench.report.data import pull_manifest

logger = logging.getLogger(__name__)

#: Packages whose version can change a number or a picture in the report.
PACKAGES = (
    "workbench",
    "pandas",
    "numpy",
    "pyarrow",
    "polars",
    "duckdb",
    "scikit-learn",
    "scipy",
    "bertopic",
    "sentence-transformers",
    "torch",
    "model2vec",
    "umap-learn",
    "hdbscan",
    "vadersentiment",
    "altair",
    "vl-convert-python",
    "papermill",
    "nbconvert",
    "nbclient",
    "jupytext",
    "pandera",
    "pydantic",
)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks (processed tables can be large).

    One build asks for the same inputs' digests three times (the freeze keys, the rendered
    manifest's keys, the manifest's input list), so digests are remembered per file identity:
    path, inode, size and modification time. Every write in this project replaces a file by
    rename (a new inode), so a changed file is never answered from memory.
    """
    stat = path.stat()
    return _sha256(str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns, chunk)


@functools.lru_cache(maxsize=4096)
def _sha256(path: str, inode: int, size: int, mtime_ns: int, chunk: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def parquet_rows(path: Path) -> int | None:
    """Row count from the Parquet footer, without reading the data."""
    try:
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    except Exception:  # a corrupt or non-parquet file: the hash still identifies it
        logger.warning("cannot read the row count of %s", path)
        return None


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """Installed version of each package (``None`` when not installed)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_state(root: Path) -> dict[str, Any]:
    """The commit the code was at and whether the work tree had changes (``None`` outside git)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def input_files(settings: Settings) -> list[dict[str, Any]]:
    """Every processed table, rejects file and theme output, plus the config files, hashed."""
    root = settings.root
    files: list[Path] = []
    processed = settings.paths.processed
    if processed.is_dir():
        files += sorted(processed.glob("*.parquet")) + sorted((processed / "themes").glob("*.parquet"))
    for cfg in (
        settings.resolve("config/workbench.yaml"),
        settings.resolve(settings.sources),
        settings.resolve(settings.themes.registry),
    ):
        if cfg.is_file():
            files.append(cfg)
    out = []
    for path in files:
        try:
            rel = str(path.relative_to(root))
        except ValueError:
            rel = str(path)
        entry: dict[str, Any] = {"path": rel, "sha256": sha256_file(path), "bytes": path.stat().st_size}
        if path.suffix == ".parquet":
            entry["rows"] = parquet_rows(path)
        out.append(entry)
    return out


def build_manifest(
    settings: Settings,
    parameters: dict[str, Any],
    notebooks: list[dict[str, Any]],
    built_at: dt.datetime,
) -> dict[str, Any]:
    """The manifest as a JSON-ready dict (written by the report builder)."""
    pull = pull_manifest(settings)
    return {
        "built_at": built_at.isoformat(timespec="seconds"),
        "parameters": parameters,
        "notebooks": notebooks,
        "inputs": input_files(settings),
        "pull": {
            k: pull[k] for k in ("pulled_at", "created_at", "snapshot", "quarter", "quarters") if k in pull
        },
        "settings": settings.model_dump(mode="json"),
        "packages": package_versions(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "git": git_state(settings.root),
    }
