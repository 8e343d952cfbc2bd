"""Reading and writing the processed tables (the one place that knows the file layout).

Layout under ``data/processed/``::

    <table>.parquet            validated canonical table, every pulled quarter
    <table>.rejects.parquet    rows that failed validation, with `_reason`
    manifest.json              the pull that produced them
    themes/                    theme engine outputs (assignments, themes, metrics, ...)

Writers go through :func:`write_atomic` so that a failure never leaves a half-written file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.core.config import Settings, load_settings
from workbench.core.errors import MissingDataError
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
    if not path.exists():
        raise MissingDataError(f"{table} has not been pulled yet ({path}); run `workbench pull`")
    frame = pd.read_parquet(path)
    if quarters is not None and "quarter" in frame.columns:
        frame = frame[frame["quarter"].isin(list(quarters))].reset_index(drop=True)
    return frame


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
    if not path.exists():
        raise MissingDataError(f"theme output {name!r} not found ({path}); run `workbench themes`")
    return pd.read_parquet(path)


def atomic(path: Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` for a temporary path in the same folder, then rename it over ``path``.

    The one atomic-write mechanism of the package: a crash leaves either the old file or the new
    one, never half of one. The temporary file does not exist when ``write`` is called, because
    some writers (DuckDB) refuse an existing empty file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_atomic(frame: pd.DataFrame, path: Path) -> Path:
    """Write parquet through :func:`atomic`."""
    return atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))
