"""Readers that turn one configured source into rows as read, plus the bytes the snapshot keeps.

One module per kind of source: :mod:`workbench.ingest.sources.files` (csv, tsv, parquet, json, jsonl,
xlsx) and :mod:`workbench.ingest.sources.sql` (the embedded DuckDB warehouse or a SQLAlchemy URL from
the environment). Both return a :class:`SourceRead`; the pull snapshots it, then normalises it.
Every reader raises :class:`workbench.core.errors.SourceError` with a one-line message naming the
source (and the file) when the input cannot be read at all.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from workbench.core.config import FileSource, SourcesConfig, SqlSource
from workbench.core.quarters import Quarter

ROW = "_row"  # 1-based record number within its file (or query result)
FILE = "_file"  # file name the record came from (the query's source name for SQL)
INTERNAL = (ROW, FILE)


@dataclass(frozen=True)
class RawInput:
    """One input exactly as read: a file's bytes, or a query result written as parquet."""

    name: str  # file name inside the snapshot folder of its source
    data: bytes
    origin: str  # the configured path that was read, or 'sql' (never a URL)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class SourceRead:
    """The rows of one source as read, before any mapping.

    Attributes:
        source: the configured source.
        table: the canonical table it feeds.
        frame: the columns as read (header names cleaned of byte-order marks and spaces),
            plus ``_file`` and ``_row`` so every row can be traced back to the input.
        inputs: what the raw snapshot copies, with their hashes.
        params: quarter bounds that were bound to the query (SQL only), ISO strings.
    """

    source: FileSource | SqlSource
    table: str
    frame: pl.DataFrame
    inputs: list[RawInput]
    params: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.frame.height

    def schema(self) -> dict[str, str]:
        """Column -> dtype of the rows as read, for the snapshot manifest."""
        return {name: str(dtype) for name, dtype in self.frame.schema.items() if name not in INTERNAL}


def read_source(
    source: FileSource | SqlSource,
    table: str,
    root: Path,
    config: SourcesConfig,
    quarter: Quarter | None,
) -> SourceRead:
    """Read one source. ``quarter`` bounds SQL queries that reference them; ``None`` means all."""
    folders = data_folders(config, root)
    if isinstance(source, FileSource):
        from workbench.ingest.sources.files import read_file_source

        return read_file_source(source, table, root, folders)
    from workbench.ingest.sources.sql import read_sql_source

    return read_sql_source(source, table, root, config.warehouse, quarter, folders)


def data_folders(config: SourcesConfig, root: Path) -> list[Path]:
    """The folders outside the project that the config names (``data_folders``), absolute.

    Links are kept as written (a query names ``../shared/data/...`` even when ``shared`` is a
    link); whoever checks a path resolves both sides.
    """
    folders = []
    for entry in config.data_folders:
        path = Path(entry).expanduser()
        folders.append(Path(os.path.normpath(path if path.is_absolute() else root / path)))
    return folders


__all__ = ["FILE", "INTERNAL", "ROW", "RawInput", "SourceRead", "data_folders", "read_source"]
