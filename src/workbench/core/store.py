"""Reading and writing the processed tables (the one place that knows the file layout).

Layout under ``data/processed/``::

    <table>.parquet            validated canonical table, every pulled quarter
    <table>.rejects.parquet    rows that failed validation, with `_reason`
    manifest.json              the pull that produced them
    themes/                    theme engine outputs (assignments, themes, metrics, ...)

Writers go through :func:`write_atomic` so that a failure never leaves a half-written file.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.core.config import Settings, load_settings
from workbench.core.errors import MissingDataError, WorkbenchError
from workbench.core.names import match_name, normalize_quarters
from workbench.core.schemas import OUTPUTS, TABLES


def processed_path(settings: Settings, table: str) -> Path:
    return settings.paths.processed / f"{table}.parquet"


def themes_path(settings: Settings, name: str) -> Path:
    """A theme-engine output, e.g. ``themes_path(s, 'assignments')``."""
    return settings.paths.processed / "themes" / f"{name}.parquet"


def load_table(
    table: str,
    settings: Settings | None = None,
    quarters: Iterable[str] | None = None,
) -> pd.DataFrame:
    """A processed canonical table as pandas, optionally only some quarters.

    Args:
        table: a name from :data:`workbench.core.schemas.TABLES`.
        settings: defaults to the project's ``config/workbench.yaml``.
        quarters: quarters to keep (time-based tables only), in any accepted spelling
            (``2026Q3``, ``2026-Q3``, ``Q3-2026``); an unreadable one raises, never 0 rows.
    """
    table = match_name(table, TABLES, "table")
    settings = settings or load_settings()
    if quarters is not None:
        quarters = normalize_quarters(quarters, settings.fiscal_year_start_month)
    path = processed_path(settings, table)
    if table not in configured_tables(settings):
        raise MissingDataError(
            f"no {table} data: {settings.sources} has no `tables.{table}` source "
            f"(add one to report on {table})"
        )
    if not path.exists() or not _in_manifest(settings, table):
        raise MissingDataError(f"{table} has not been pulled yet ({path}); run `workbench pull`")
    frame = pd.read_parquet(path)
    if quarters is not None and "quarter" in frame.columns:
        frame = frame[frame["quarter"].isin(list(quarters))].reset_index(drop=True)
    return frame


def configured_tables(settings: Settings) -> set[str]:
    """The canonical tables the current sources file feeds (at least one source each).

    Without a sources file (a project assembled by hand, a test) every table is taken as
    configured and only the files and the pull manifest decide.
    """
    if not settings.resolve(settings.sources).is_file():
        return set(TABLES)
    try:
        return {name for name, sources in settings.load_sources().tables.items() if sources}
    except WorkbenchError:
        return set()


def _in_manifest(settings: Settings, table: str) -> bool:
    """Whether the last pull of this workspace wrote ``table`` (no manifest: trust the file).

    A processed file that the latest pull did not list is a leftover of an earlier sources
    config; reading it would show another dataset's rows as if they were current.
    """
    manifest = settings.paths.processed / "manifest.json"
    if not manifest.is_file():
        return True
    try:
        tables = json.loads(manifest.read_text(encoding="utf-8")).get("tables")
    except (OSError, ValueError):
        return True
    return not isinstance(tables, dict) or table in tables


def table_available(settings: Settings, table: str) -> bool:
    """True when the current sources configure ``table`` and the last pull wrote it.

    Report pages ask this before each section, so that a table a team does not have is stated as
    absent (and which config key would fill it) rather than failing the page.
    """
    return (
        table in configured_tables(settings)
        and processed_path(settings, table).is_file()
        and _in_manifest(settings, table)
    )


def load_output(name: str, settings: Settings | None = None) -> pd.DataFrame:
    """A theme-engine output from ``data/processed/themes/<name>.parquet``.

    ``name`` is matched case-insensitively against :data:`workbench.core.schemas.OUTPUTS` and the
    files present; an unknown name raises :class:`UnknownNameError` listing the valid ones.
    """
    settings = settings or load_settings()
    folder = settings.paths.processed / "themes"
    present = sorted(p.stem for p in folder.glob("*.parquet")) if folder.is_dir() else []
    name = match_name(name, [*OUTPUTS, *present], "theme output")
    path = themes_path(settings, name)
    if not table_available(settings, "feedback") and (settings.paths.processed / "manifest.json").is_file():
        raise MissingDataError(
            f"no theme outputs: feedback is not configured in {settings.sources} or not pulled yet"
        )
    if not path.exists():
        raise MissingDataError(f"theme output {name!r} not found ({path}); run `workbench themes`")
    return pd.read_parquet(path)


def atomic(path: Path, write: Callable[[Path], Any], suffix: str = "") -> Path:
    """Call ``write(tmp)`` for a temporary path in the same folder, then rename it over ``path``.

    The one atomic-write mechanism of the package: a crash leaves either the old file (or folder)
    or the new one, never half of one. The temporary path does not exist when ``write`` is called,
    because some writers (DuckDB) refuse an existing empty file; ``write`` may create a file or a
    folder there (a saved model, a distilled embedding model). A folder replaces an existing one
    through :func:`replace_with`.

    Args:
        path: the file or folder to (re)write.
        write: writes the complete content to the path it is given.
        suffix: the temporary name's suffix, for writers that insist on one (``.onnx``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    os.unlink(name)
    tmp = Path(name)
    try:
        write(tmp)
        if tmp.is_dir():
            old = replace_with(tmp, path)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()
    return path


def replace_with(new: Path, target: Path, old: Path | None = None) -> Path | None:
    """Rename ``new`` to ``target``; an existing ``target`` is first renamed to ``old``.

    Two renames on one file system: if the second fails, the old target is put back, so
    ``target`` is always the old or the new complete version. The caller removes (or merges
    from) the returned old location afterwards; a crash in between leaves it under its hidden
    name, where the caller's recovery (report publish, pull swap) finds it.

    Args:
        new: the complete new file or folder.
        target: where it goes.
        old: where an existing target is moved first; default ``.<name>.old-<random>`` beside it.

    Returns:
        Where the previous target now lies, or None when there was none.
    """
    if not target.exists():
        os.replace(new, target)
        return None
    if old is None:
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        old.rmdir()
    os.replace(target, old)
    try:
        os.replace(new, target)
    except OSError:
        os.replace(old, target)
        raise
    return old


def write_atomic(frame: pd.DataFrame, path: Path) -> Path:
    """Write parquet through :func:`atomic`."""
    return atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))
