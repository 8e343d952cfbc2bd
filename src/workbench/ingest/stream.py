"""Streamed pulls: a large file source goes through normalising, validation and rejects in batches.

A file read whole costs about ten times its size in memory (the bytes, the parsed text, the typed
frame, the pandas copy pandera validates), so a 10M-row export would need 10 GB or more. Above
:data:`STREAM_ABOVE_BYTES` a file source of a streamable format (csv, tsv, parquet, jsonl in
UTF-8) is instead:

1. copied into the raw snapshot block by block while it is hashed and its text checked
   (:func:`workbench.ingest.snapshot.copy_input`), so the snapshot holds exactly the bytes hashed;
2. parsed from that copy, never from the original, in batches of :data:`BATCH_ROWS` rows
   (polars' streaming reader), so what is processed is exactly what was hashed;
3. run batch by batch through the same steps as a whole table (:mod:`workbench.ingest.normalize`):
   normalise, keep the pulled quarter, mark duplicates, add quarters, validate.

What a whole-file read decides from a whole column is decided once, over the whole file, and
applied to every batch: the day/month order of dates and the format polars infers from a column's
first date (:func:`whole_file_dates`, one extra pass over the copy only when a source detects its
dates), and the first row of every id (the ids kept so far travel from batch to batch). A
streamed pull therefore writes the same processed and rejects tables as a whole-file pull.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from workbench.core.config import FileSource, SqlSource
from workbench.core.quarters import Quarter
from workbench.ingest.normalize import (
    DateChoice,
    DateEvidence,
    add_quarters,
    choose_dates,
    first_rows,
    mark_duplicates,
    normalise,
    source_date_evidence,
    validate_parts,
    within_quarter,
)
from workbench.ingest.snapshot import copy_input
from workbench.ingest.sources import INTERNAL, RawInput, SourceRead
from workbench.ingest.sources.files import (
    TextCheck,
    file_layout,
    filter_rows,
    read_batches,
    resolve_paths,
    streamable,
    trace,
)

logger = logging.getLogger(__name__)

# A file source whose files hold more bytes than this is streamed. Read whole, a file costs
# about ten times its size in memory, so 256 MB stays near 3 GB at worst.
STREAM_ABOVE_BYTES = 256 * 2**20
# Rows per batch: large enough that per-batch overheads (pandera, joins) vanish, small enough
# that a batch with wide texts stays a few hundred MB.
BATCH_ROWS = 200_000


@dataclass
class StreamedRead:
    """A file source copied into the snapshot, to be parsed from the copies batch by batch.

    It stands in for a :class:`~workbench.ingest.sources.SourceRead` in the pull: ``rows`` and
    :meth:`schema` are known once the batches have been read.
    """

    source: FileSource
    table: str
    copies: list[tuple[str, Path]]  # (file name in the snapshot, the copy's path), in sorted order
    rows: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)

    def schema(self) -> dict[str, str]:
        """Column -> dtype of the rows as read, for the snapshot manifest."""
        return dict(self.columns)


def should_stream(source: FileSource | SqlSource, root: Path, folders: list[Path]) -> bool:
    """Whether a source is streamed: a streamable file source whose files exceed the threshold.

    Several files (a glob) must share one layout: read whole, files with different columns are
    stacked with the union of their columns, which batch after batch cannot know in advance.
    """
    if not isinstance(source, FileSource) or not streamable(source):
        return False
    paths = resolve_paths(source, root, folders)
    if sum(p.stat().st_size for p in paths) <= STREAM_ABOVE_BYTES:
        return False
    layouts = {json.dumps(file_layout(p, source)) for p in paths}
    if len(layouts) > 1:
        logger.warning("source %s: its files differ in columns, so they are read whole", source.name)
        return False
    return True


def snapshot_source(
    source: FileSource, table: str, root: Path, folders: list[Path], snapshot: Path
) -> tuple[StreamedRead, list[dict[str, Any]]]:
    """Copy a streamed source's files into the snapshot, checking their text as they are copied.

    Returns:
        The read to process, and the snapshot manifest's entries for its files.

    Raises:
        SourceError: a file that is empty or not valid UTF-8, as a whole-file read says it.
    """
    copies: list[tuple[str, Path]] = []
    entries: list[dict[str, Any]] = []
    for path in resolve_paths(source, root, folders):
        name = _unique_name(path.name, [n for n, _ in copies])
        check = TextCheck(source, f"source {source.name!r}: {path.name}")
        copy, entry = copy_input(snapshot, source.name, name, path, root, check)
        check.finish()
        copies.append((name, copy))
        entries.append(entry)
        logger.info(
            "source %s: %s copied into the snapshot (%s bytes)", source.name, name, f"{entry['bytes']:,}"
        )
    return StreamedRead(source, table, copies), entries


def batches(read: StreamedRead) -> Iterator[SourceRead]:
    """The source's rows batch by batch, traced (``_file``, ``_row``) and filtered by ``where``.

    Each batch is a :class:`SourceRead` of those rows; ``read.rows`` and ``read.columns`` are
    filled in as the batches go by.
    """
    src = read.source
    read.rows = 0
    for name, copy in read.copies:
        where = f"source {src.name!r}: {name}"
        first = 1
        for raw in read_batches(copy, src, BATCH_ROWS, where):
            frame = trace(raw, name, first)
            first += raw.height
            if src.where:
                frame = filter_rows(frame, src.where, src.name)
            if not read.columns:
                read.columns = {n: str(t) for n, t in frame.schema.items() if n not in INTERNAL}
            read.rows += frame.height
            # The bytes are in the snapshot copy; the placeholder only names the file in messages.
            yield SourceRead(src, read.table, frame, [RawInput(name, b"", str(copy))])


def whole_file_dates(read: StreamedRead) -> dict[str, DateChoice]:
    """The date columns' order and format anchor over the whole file (one pass), or {} if none.

    Only a source that detects its date format needs the pass: with ``date_format`` nothing is
    inferred from the column as a whole.
    """
    if read.source.date_format:
        return {}
    evidence: dict[str, DateEvidence] = {}
    last: SourceRead | None = None
    for batch in batches(read):
        for name, found in source_date_evidence(batch).items():
            evidence[name] = evidence[name].then(found) if name in evidence else found
        last = batch
    if last is None or not evidence:
        return {}
    return choose_dates(evidence, last)


@dataclass
class Batch:
    """One batch through the pipeline: its rows as read, its valid rows and its rejects."""

    raw: pl.DataFrame  # the rows as read (traced), for the rejects file
    valid: pd.DataFrame
    rejected_before: pl.DataFrame  # rows with a reason from normalising or duplicates
    rejected_by_schema: pl.DataFrame  # rows pandera rejected
    outside: int  # rows outside the pulled quarter
    types: dict[str, pa.DataType]  # the columns' arrow types as normalised (before pandas)


def process_batches(
    read: StreamedRead,
    now: dt.datetime | None,
    q: Quarter | None,
    fy_start_month: int,
    taken: pl.Series | None,
) -> Iterator[Batch]:
    """Every batch of a streamed source through normalise -> quarter -> duplicates -> validate."""
    dates = whole_file_dates(read)
    earlier: pl.DataFrame | None = None
    for batch in batches(read):
        norm = normalise(batch, now, dates)
        norm, outside = within_quarter(norm, read.table, q)
        marked = mark_duplicates(norm, read.table, taken, earlier)
        kept = first_rows(marked, read.table)
        if kept.width:
            earlier = kept if earlier is None else pl.concat([earlier, kept])
        labelled = add_quarters(marked, read.table, fy_start_month)
        valid, before, found = validate_parts(labelled, read.table)
        yield Batch(batch.frame, valid, before, found, outside, arrow_types(labelled))


def arrow_types(frame: pl.DataFrame) -> dict[str, pa.DataType]:
    """Each column's arrow type as polars holds it (text as ``large_string``, as pandas writes it)."""
    types = {f.name: f.type for f in frame.head(0).to_arrow().schema}
    return {k: pa.large_string() if t in (pa.string_view(), pa.string()) else t for k, t in types.items()}


class TableWriter:
    """Appends frames to one parquet file; the first frame fixes the columns and their types.

    The file reads back as ``DataFrame.to_parquet`` of all frames concatenated would: later
    frames are reordered to the first one's columns and cast to its types. pandas makes an
    integer column with a null float, which the cast turns back (reading gives float again where
    a null is stored, as for the whole frame); a column with no value in the first frame (a
    boolean column of None) takes its type from ``types``, the batch's types before pandas.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    @property
    def started(self) -> bool:
        return self._writer is not None

    def write(self, frame: pd.DataFrame, types: dict[str, pa.DataType] | None = None) -> None:
        if self._schema is None:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            schema = table.schema
            for i, f in enumerate(schema):
                if pa.types.is_null(f.type) and (types or {}).get(f.name) is not None:
                    schema = schema.set(i, f.with_type(types[f.name]))  # type: ignore[index]
            self._schema = schema.with_metadata(table.schema.metadata)
            table = table.cast(self._schema)
            self._writer = pq.ParquetWriter(self.path, self._schema)
        else:
            extra = [c for c in frame.columns if c not in self._schema.names]
            if extra:  # never dropped silently (should_stream reads files of several layouts whole)
                raise RuntimeError(f"bug: a later batch of {self.path.name} has new columns {extra}")
            frame = frame.reindex(columns=self._schema.names)
            table = pa.Table.from_pandas(frame, schema=self._schema, preserve_index=False)
        self._writer.write_table(table)  # type: ignore[union-attr]
        self.rows += len(frame)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def _unique_name(name: str, taken: list[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{n}-{name}", n + 1
    return candidate
