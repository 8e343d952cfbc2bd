"""``workbench pull``: snapshot every source, normalise and validate into ``data/processed/``.

The steps, and why they come in this order:

0. Take the pull lock (one pull at a time) and clean what killed pulls left behind.
1. Read every source (:mod:`workbench.ingest.sources`) and copy what was read into a new raw snapshot
   ``data/raw/<pulled-at>/``, before anything is interpreted, so any number in a report can be
   traced back to the exact bytes it came from. Its manifest is written once all is processed.
   A large file that is its table's only source is copied in blocks and parsed later, from the
   copy, batch by batch (:mod:`workbench.ingest.stream`); steps 2-3 then run per batch.
2. Normalise each source (:mod:`workbench.ingest.normalize`): mapping, values, ids, types. Time tables
   keep only the rows of the pulled quarter (rows outside it are counted, not rejected).
3. Per table: reject repeated ids, add ``quarter``, validate with pandera; rows that fail go to
   ``<table>.rejects.parquet`` with ``_source``, ``_file``, ``_row``, ``_reason`` and ``_pulled``
   (the quarter whose pull rejected it: a ``--quarter`` pull keeps other quarters' rejects).
   Processed + rejected equals the rows that came in, per source, checked on every pull.
4. Write the new ``data/processed/`` in a temporary folder and swap it in. With ``--quarter Q``
   the time tables keep the other quarters already processed and only Q's rows are replaced;
   dimension tables (accounts, competitors) are replaced whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

from workbench.core.config import FileSource, Settings, SourcesConfig
from workbench.core.errors import WorkbenchError
from workbench.core.progress import progress
from workbench.core.quarters import Quarter, quarter_labels
from workbench.core.schemas import TABLES
from workbench.core.store import processed_path, write_atomic
from workbench.ingest.normalize import (
    QUARTER,
    REASON,
    SOURCE,
    TRACE,
    TRUNCATED,
    add_quarters,
    mark_duplicates,
    normalise,
    top_reasons,
    validate,
    within_quarter,
)
from workbench.ingest.snapshot import (
    MANIFEST,
    claim_snapshot_dir,
    clean_leftovers,
    pull_lock,
    pulled_at_stamp,
    staging_dir,
    swap_in,
    write_inputs,
    write_json,
)
from workbench.ingest.sources import FILE, INTERNAL, ROW, SourceRead, data_folders, read_source
from workbench.ingest.stream import StreamedRead, TableWriter, process_batches, should_stream, snapshot_source

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceCount:
    """Rows of one source in one pull.

    ``read`` rows came from the source; ``outside`` of them fall outside the pulled quarter
    (kept in the snapshot, not processed); the other ``input`` rows are each either
    ``processed`` or ``rejected``.
    """

    source: str
    table: str
    kind: str
    read: int
    outside: int
    input: int
    processed: int
    rejected: int


@dataclass(frozen=True)
class TableCount:
    """Rows of one table in one pull; ``rows`` is the processed table's size after it."""

    table: str
    input: int
    processed: int
    rejected: int
    rows: int
    rejects_path: Path | None
    reasons: tuple[tuple[str, int, str], ...] = ()  # the commonest reject reasons: (reason, rows, example)
    kept_previous: bool = False  # the sources gave 0 rows, so the last pull's table was kept


@dataclass
class PullResult:
    """What a pull did: where it wrote, and every row accounted for."""

    pulled_at: str
    snapshot_dir: Path
    processed_dir: Path
    quarter: str | None  # the quarter asked for; None for --all
    quarters: list[str]  # quarters holding rows from this pull
    tables: dict[str, TableCount] = field(default_factory=dict)
    sources: list[SourceCount] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """table -> {input, processed, rejected, rows}."""
        return {
            t.table: {"input": t.input, "processed": t.processed, "rejected": t.rejected, "rows": t.rows}
            for t in self.tables.values()
        }

    @property
    def rejects_paths(self) -> dict[str, Path]:
        return {t.table: t.rejects_path for t in self.tables.values() if t.rejects_path is not None}

    @property
    def rejected(self) -> int:
        return sum(t.rejected for t in self.tables.values())

    def summary(self) -> str:
        """A few lines for the terminal: rows per table, rejects and where they are, empty quarters."""
        scope = self.quarter or "all quarters"
        lines = [f"pulled {scope} from {len(self.sources)} source(s); snapshot {self.snapshot_dir}"]
        for t in self.tables.values():
            kept = f" (table now {t.rows:,} rows)" if t.rows != t.processed else ""
            lines.append(f"  {t.table:<15} {t.processed:>9,} rows{kept}")
        for t in self.tables.values():
            if t.kept_previous:
                lines.append(
                    f"  WARNING {t.table}: the sources gave 0 rows (a header-only file?); "
                    f"the table of the last pull is kept ({t.rows:,} rows)"
                )
            if t.rejected:
                lines.append(f"  {t.rejected:,} {t.table} rows rejected -> {t.rejects_path}")
                for reason, count, example in t.reasons:
                    lines.append(f"    {count:>9,}  {reason}  (e.g. {example})")
        if self.quarter and not self.time_rows():
            lines.append(f"  quarter {self.quarter} has no data: 0 rows")
        lines.append(f"processed tables in {self.processed_dir}")
        return "\n".join(lines)

    def time_rows(self) -> int:
        """Rows of time tables this pull processed (0: the quarter has no data).

        Rows whose date cannot be read are rejected in every quarter's pull, so they do not count.
        """
        return sum(t.processed for t in self.tables.values() if TABLES[t.table].date_column)


def pull(settings: Settings, quarter: str | None = None, all_quarters: bool = False) -> PullResult:
    """Snapshot every configured source, then normalise and validate into ``data/processed/``.

    Args:
        settings: the project's settings (paths, fiscal year, sources config).
        quarter: pull this quarter (``2026Q3``, ``2026-Q3`` or ``Q3-2026``) of the time tables.
        all_quarters: pull everything the sources hold instead.

    Raises:
        WorkbenchError: neither or both of ``quarter`` and ``all_quarters``; a source that cannot
            be read (:class:`~workbench.core.errors.SourceError`); a bad config or quarter.
    """
    if bool(quarter) == bool(all_quarters):
        raise WorkbenchError("say which data to pull: a quarter (e.g. 2026Q3) or all quarters, not both")
    q = Quarter.parse(quarter, settings.fiscal_year_start_month) if quarter else None
    config = settings.load_sources()
    with pull_lock(settings.paths.data):
        clean_leftovers(settings.paths.processed, settings.paths.raw)
        return _pull(settings, config, q)


def _pull(settings: Settings, config: SourcesConfig, q: Quarter | None) -> PullResult:
    paths = settings.paths
    now = dt.datetime.now(dt.UTC)
    snapshot = claim_snapshot_dir(paths.raw, pulled_at_stamp(now))
    logger.info("pulling %s into snapshot %s", q or "all quarters", snapshot.name)
    result = PullResult(
        pulled_at=now.isoformat(timespec="seconds"),
        snapshot_dir=snapshot,
        processed_dir=paths.processed,
        quarter=str(q) if q else None,
        quarters=[],
    )
    staged: Path | None = None
    n_sources = sum(len(sources) for sources in config.tables.values())
    try:
        with _progress(n_sources + len(config.tables)) as step:
            reads, entries = _read_all(config, settings.root, q, snapshot, step)
            staged = staging_dir(paths.processed)
            _process_all(result, reads, list(config.tables), settings, q, staged, step, now)
        # The snapshot's manifest is its "complete" mark: written only once everything is processed.
        write_json(snapshot / MANIFEST, _snapshot_manifest(now, q, config, reads, entries))
        kept = {t.table for t in result.tables.values() if t.kept_previous}
        swap_in(staged, paths.processed, _owned(set(config.tables) - kept))
    except BaseException:
        # A failed pull leaves no trace: the last good processed data, and no snapshot of its own.
        if staged is not None:
            shutil.rmtree(staged, ignore_errors=True)
        shutil.rmtree(snapshot, ignore_errors=True)
        raise
    logger.info("pull done: %s", ", ".join(f"{t} {c['processed']:,}" for t, c in result.counts.items()))
    return result


def _owned(tables: Iterable[str]) -> set[str]:
    """Names in data/processed/ that a pull of these tables rewrites (stale rejects included)."""
    return {MANIFEST} | {f"{t}{suffix}" for t in tables for suffix in (".parquet", ".rejects.parquet")}


def _process_all(
    result: PullResult,
    reads: list[SourceRead | StreamedRead],
    tables: list[str],
    settings: Settings,
    q: Quarter | None,
    staged: Path,
    step: Callable[[str], None],
    now: dt.datetime,
) -> None:
    """Normalise, validate and write every table into ``staged``; fill in ``result``."""
    covered: set[str] = set()
    for table in tables:
        step(f"validating {table}")
        quarters, table_count, source_counts = _process_table(
            table, [r for r in reads if r.table == table], settings, q, staged, now
        )
        result.tables[table] = table_count
        result.sources.extend(source_counts)
        covered |= quarters
    result.quarters = [str(q)] if q else sorted(covered)
    write_json(staged / MANIFEST, _processed_manifest(result, settings))


# ------------------------------------------------------------------------------------------ reading


def _read_all(
    config: SourcesConfig, root: Path, q: Quarter | None, snapshot: Path, step: Callable[[str], None]
) -> tuple[list[SourceRead | StreamedRead], dict[str, list[dict[str, Any]]]]:
    """Read every source in config order, copying each into the snapshot as soon as it is read.

    A large file that is a table's only source is only copied here (:mod:`workbench.ingest.stream`):
    it is parsed from its copy, batch by batch, when its table is processed.
    """
    reads: list[SourceRead | StreamedRead] = []
    entries: dict[str, list[dict[str, Any]]] = {}
    folders = data_folders(config, root)
    for table, sources in config.tables.items():
        for source in sources:
            step(f"reading {source.name} -> {table}")
            if should_stream(source, root, folders):
                if len(sources) == 1:
                    streamed, entries[source.name] = snapshot_source(source, table, root, folders, snapshot)
                    reads.append(streamed)
                    continue
                logger.warning(  # several sources share one duplicate check and one column layout
                    "source %s is large but %s has %d sources: it is read whole",
                    source.name,
                    table,
                    len(sources),
                )
            read = read_source(source, table, root, config, q)
            entries[source.name] = write_inputs(snapshot, read, root)
            reads.append(read)
            logger.info("source %s -> %s: %d rows read", source.name, table, read.rows)
    return reads, entries


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[str], None]]:
    """The one progress display (:func:`workbench.core.progress.progress`): ``step(label)`` starts a step."""
    with progress("pulling", total, log=logger) as steps:
        yield steps.start


# --------------------------------------------------------------------------------------- processing


def _process_table(
    table: str,
    reads: list[SourceRead | StreamedRead],
    settings: Settings,
    q: Quarter | None,
    staged: Path,
    now: dt.datetime | None = None,
) -> tuple[set[str], TableCount, list[SourceCount]]:
    """Normalise, validate and write one table: the quarters it holds, its count and per-source counts."""
    if len(reads) == 1 and isinstance(reads[0], StreamedRead):
        return _process_streamed(table, reads[0], settings, q, staged, now)
    whole = [r for r in reads if isinstance(r, SourceRead)]
    spec = TABLES[table]
    fy = settings.fiscal_year_start_month
    frames: list[pl.DataFrame] = []
    read_rows: dict[str, tuple[int, int]] = {}
    for read in whole:
        if read.rows == 0 and read.frame.width:
            logger.warning("source %s -> %s: 0 rows (a header-only file?)", read.source.name, table)
        norm, outside = within_quarter(normalise(read, now), table, q)
        read_rows[read.source.name] = (read.rows, outside)
        frames.append(norm)
    combined = _stack(frames, table) if frames else pl.DataFrame()

    kept = _kept_rows(settings, table, q)
    taken = set(kept[spec.id_column].dropna().astype(str)) if spec.id_column and len(kept) else set()
    if combined.width:
        combined = add_quarters(mark_duplicates(combined, table, taken), table, fy)
        valid, rejected = validate(combined, table)
    else:
        valid, rejected = pd.DataFrame(), _no_rejects()

    counts = [
        _source_count(
            read, table, *read_rows[read.source.name], _processed_of(valid, read.source.name), rejected
        )
        for read in whole
    ]
    old = _previous_to_keep(whole, settings, table)
    if old is not None:
        return _quarters_of(old), TableCount(table, 0, 0, 0, len(old), None, kept_previous=True), counts
    final = _final_frame(valid, kept, table)
    write_atomic(final, staged / f"{table}.parquet")
    parts = [_reject_rows(read.frame, rejected, read.source.name) for read in whole]
    count = _finish_table(settings, table, q, staged, rejected, parts, len(valid), len(final), counts)
    return _quarters_of(final), count, counts


def _process_streamed(
    table: str,
    read: StreamedRead,
    settings: Settings,
    q: Quarter | None,
    staged: Path,
    now: dt.datetime | None,
) -> tuple[set[str], TableCount, list[SourceCount]]:
    """:func:`_process_table` for a table fed by one large file, batch by batch (:mod:`.stream`).

    Valid rows are appended to the staged table as each batch is validated; rejects (few) are
    gathered, so the processed and rejects tables are those a whole-file pull writes.
    """
    spec = TABLES[table]
    name = read.source.name
    kept = _kept_rows(settings, table, q)
    taken = (
        pl.from_pandas(kept[spec.id_column].dropna().astype(str)).cast(pl.String).unique()
        if spec.id_column and len(kept)
        else None
    )
    writer = TableWriter(staged / f"{table}.parquet")
    before: list[pl.DataFrame] = []
    by_schema: list[pl.DataFrame] = []
    parts: list[pl.DataFrame] = []
    quarters = _quarters_of(kept)
    outside = processed = 0
    template = pd.DataFrame()
    try:
        for batch in process_batches(read, now, q, settings.fiscal_year_start_month, taken):
            outside += batch.outside
            processed += len(batch.valid)
            if len(batch.valid):
                frame = _final_frame(batch.valid, pd.DataFrame() if writer.started else kept, table)
                writer.write(frame, batch.types)
                quarters |= _quarters_of(batch.valid)
            template = batch.valid.iloc[:0]
            rejected = pl.concat([batch.rejected_before, batch.rejected_by_schema])
            if rejected.height:
                parts.append(_reject_rows(batch.raw, rejected, name))
            before.append(batch.rejected_before)
            by_schema.append(batch.rejected_by_schema)
            # A line per million rows on the console; every batch in a debug log.
            level = (
                logging.INFO
                if read.rows // 10**6 > (read.rows - batch.raw.height) // 10**6
                else logging.DEBUG
            )
            logger.log(level, "source %s -> %s: %s rows done", name, table, f"{read.rows:,}")
    finally:
        writer.close()
    if read.rows == 0:
        logger.warning("source %s -> %s: 0 rows (a header-only file?)", name, table)
    rejected = pl.concat(before + by_schema) if before else _no_rejects()
    counts = [_source_count(read, table, read.rows, outside, processed, rejected)]
    old = _previous_to_keep([read], settings, table)
    if old is not None:
        (staged / f"{table}.parquet").unlink(missing_ok=True)
        return _quarters_of(old), TableCount(table, 0, 0, 0, len(old), None, kept_previous=True), counts
    rows = writer.rows
    if not writer.started:  # no valid row: the table is the rows kept, or empty with its columns
        final = _final_frame(template, kept, table)
        write_atomic(final, staged / f"{table}.parquet")
        rows = len(final)
    count = _finish_table(settings, table, q, staged, rejected, parts, processed, rows, counts)
    return quarters, count, counts


def _no_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema={SOURCE: pl.String, FILE: pl.String, ROW: pl.Int64, REASON: pl.String})


def _processed_of(valid: pd.DataFrame, name: str) -> int:
    return int((valid[SOURCE] == name).sum()) if len(valid) else 0


def _quarters_of(frame: pd.DataFrame) -> set[str]:
    return {str(label) for label in frame[QUARTER].dropna().unique()} if QUARTER in frame.columns else set()


def _source_count(
    read: SourceRead | StreamedRead,
    table: str,
    n_read: int,
    outside: int,
    processed: int,
    rejected: pl.DataFrame,
) -> SourceCount:
    """One source's count; processed + rejected must equal its input rows, or the pull is wrong."""
    name = read.source.name
    n_rejected = rejected.filter(pl.col(SOURCE) == name).height
    n_input = n_read - outside
    if processed + n_rejected != n_input:  # every row accounted for, or the pull is wrong
        raise RuntimeError(
            f"bug: source {name}: {processed} processed + {n_rejected} rejected != {n_input} input rows"
        )
    kind = "file" if isinstance(read.source, FileSource) else "sql"
    return SourceCount(name, table, kind, n_read, outside, n_input, processed, n_rejected)


def _previous_to_keep(
    reads: list[SourceRead] | list[StreamedRead], settings: Settings, table: str
) -> pd.DataFrame | None:
    """The last pull's table when only header-only files came in (such an export must not
    silently empty a table); None when there is nothing to keep."""
    previous = processed_path(settings, table)
    header_only = all(isinstance(r.source, FileSource) and r.rows == 0 for r in reads)
    if not (reads and header_only and previous.is_file()):
        return None
    old = pd.read_parquet(previous)
    if not len(old):
        return None
    logger.warning("%s: the sources gave 0 rows; keeping the %d rows of the last pull", table, len(old))
    return old


def _finish_table(
    settings: Settings,
    table: str,
    q: Quarter | None,
    staged: Path,
    rejected: pl.DataFrame,
    parts: list[pl.DataFrame],
    processed: int,
    rows: int,
    counts: list[SourceCount],
) -> TableCount:
    """Write the table's rejects file (keeping other quarters' rejects) and count the table."""
    rejects_path = None  # where the rejects will be once the staged folder is swapped in
    reasons: tuple[tuple[str, int, str], ...] = ()
    earlier = _earlier_rejects(settings, table, q)
    if rejected.height or len(earlier):
        frame = _rejects_table(parts, q) if rejected.height else earlier.iloc[:0]
        if len(earlier):
            frame = pd.concat([earlier, frame], ignore_index=True) if len(frame) else earlier
            # A row every quarter's pull rejects (no date) is one record, tagged with its latest pull.
            same = [c for c in frame.columns if c != PULLED]
            frame = frame.drop_duplicates(subset=same, keep="last").reset_index(drop=True)
        name = write_atomic(frame, staged / f"{table}.rejects.parquet").name
        rejects_path = settings.paths.processed / name
    if rejected.height:
        places = [f"{f} row {r}" for f, r in zip(rejected[FILE], rejected[ROW], strict=True)]
        reasons = tuple(top_reasons(rejected[REASON].to_list(), where=places))
        logger.warning("%s: %d row(s) rejected -> %s.rejects.parquet", table, rejected.height, table)
    n_input = sum(c.input for c in counts)
    return TableCount(table, n_input, processed, rejected.height, rows, rejects_path, reasons)


PULLED = "_pulled"  # in the rejects file: the quarter whose pull rejected the row ('all' for --all)


def _earlier_rejects(settings: Settings, table: str, q: Quarter | None) -> pd.DataFrame:
    """Rejects of earlier pulls of other quarters, kept so a quarter's pull loses no reject record.

    A ``--quarter Q`` pull replaces Q's rejects and keeps the others; an ``--all`` pull
    re-reads everything, so it replaces them all.
    """
    path = settings.paths.processed / f"{table}.rejects.parquet"
    if q is None or not path.is_file():
        return pd.DataFrame()
    earlier = pd.read_parquet(path)
    if PULLED not in earlier.columns:
        return pd.DataFrame()
    return earlier[earlier[PULLED] != str(q)].reset_index(drop=True)


def _stack(frames: list[pl.DataFrame], table: str) -> pl.DataFrame:
    """Sources of one table as one frame. Extra columns whose types clash between sources become text.

    Canonical columns already share one type (normalising set it), so only extras can clash.
    """
    try:
        return pl.concat(frames, how="diagonal_relaxed")
    except pl.exceptions.PolarsError:
        fixed = {*TABLES[table].names, SOURCE, QUARTER, TRUNCATED, *INTERNAL, *TRACE}
        as_text = [
            f.with_columns(pl.col(c).cast(pl.String) for c in f.columns if c not in fixed) for f in frames
        ]
        return pl.concat(as_text, how="diagonal_relaxed")


def _kept_rows(settings: Settings, table: str, q: Quarter | None) -> pd.DataFrame:
    """Rows of other quarters already processed, kept by a ``--quarter`` pull of a time table."""
    date_col = TABLES[table].date_column
    path = processed_path(settings, table)
    if q is None or date_col is None or not path.exists():
        return pd.DataFrame()
    existing = pd.read_parquet(path)
    if date_col not in existing.columns:
        return pd.DataFrame()
    # Relabel, so that a changed fiscal-year start cannot leave two labels for one quarter.
    labels = quarter_labels(existing[date_col], settings.fiscal_year_start_month)
    existing = existing.assign(**{QUARTER: labels})
    kept = existing[existing[QUARTER] != str(q)].reset_index(drop=True)
    logger.info("%s: keeping %d processed row(s) of other quarters", table, len(kept))
    return kept


def _final_frame(valid: pd.DataFrame, kept: pd.DataFrame, table: str) -> pd.DataFrame:
    """The processed table: canonical columns, source, quarter, text_truncated, then extras."""
    spec = TABLES[table]
    new = valid.drop(columns=[c for c in TRACE if c in valid.columns])
    if len(kept):
        new = pd.concat([kept, new], ignore_index=True) if len(new) else kept
    added = [SOURCE, QUARTER, TRUNCATED] if spec.date_column else [SOURCE, TRUNCATED]
    first = [c for c in [*spec.names, *added] if c in new.columns]
    if not len(new.columns):  # a table configured with no sources: empty, with its columns
        new = pd.DataFrame({c: pd.Series(dtype=object) for c in [*spec.names, *added]})
        first = list(new.columns)
    return new[first + [c for c in new.columns if c not in first]]


def _reject_rows(raw: pl.DataFrame, rejected: pl.DataFrame, name: str) -> pl.DataFrame:
    """The rows of source ``name`` that ``rejected`` names, as read (every value as text), in file order."""
    keys = rejected.filter(pl.col(SOURCE) == name).select(FILE, ROW, REASON)
    if keys.is_empty():
        return pl.DataFrame()
    text = raw.with_columns(pl.col(c).cast(pl.String) for c in raw.columns if c not in INTERNAL)
    rows = text.join(keys, on=[FILE, ROW], how="inner", validate="1:1", maintain_order="left")
    return rows.with_columns(pl.lit(name).alias("_source"))


def _rejects_table(parts: list[pl.DataFrame], q: Quarter | None = None) -> pd.DataFrame:
    """Rejected rows as read with ``_source``, ``_file``, ``_row``, ``_reason`` and ``_pulled`` first."""
    frame = pl.concat([p for p in parts if p.height], how="diagonal_relaxed").with_columns(
        pl.lit(str(q) if q else "all").alias(PULLED)
    )
    front = ["_source", FILE, ROW, REASON, PULLED]
    return frame.select(front + [c for c in frame.columns if c not in front]).to_pandas()


# ---------------------------------------------------------------------------------------- manifests


def _snapshot_manifest(
    now: dt.datetime,
    q: Quarter | None,
    config: SourcesConfig,
    reads: list[SourceRead],
    entries: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """What was read, from where, when; never a URL or a credential (SQL sources name only url_env)."""
    sources = {}
    for read in reads:
        src = read.source
        info: dict[str, Any] = {"table": read.table, "kind": src.kind, "rows": read.rows}
        if isinstance(src, FileSource):
            info |= {"path": src.path, "format": src.resolved_format}
        else:
            info |= {
                "database": f"${src.url_env}" if src.url_env else config.warehouse,
                "query": src.query,
                "params": read.params,
            }
        info |= {"inputs": entries[src.name], "schema": read.schema()}
        sources[src.name] = info
    return {
        "pulled_at": now.isoformat(timespec="seconds"),
        "quarter": str(q) if q else "all",
        "bounds": {"start": q.start.isoformat(), "end": q.end.isoformat()} if q else None,
        "sources": sources,
    }


def _processed_manifest(result: PullResult, settings: Settings) -> dict[str, Any]:
    def rel(path: Path | None) -> str | None:
        if path is None:
            return None
        try:
            return path.relative_to(settings.root).as_posix()
        except ValueError:
            return str(path)

    return {
        "pulled_at": result.pulled_at,
        "snapshot": rel(result.snapshot_dir),
        "quarter": result.quarter or "all",
        "quarters": result.quarters,
        "fiscal_year_start_month": settings.fiscal_year_start_month,
        "tables": {
            t.table: {
                "input": t.input,
                "processed": t.processed,
                "rejected": t.rejected,
                "rows": t.rows,
                "rejects": rel(t.rejects_path),
            }
            for t in result.tables.values()
        },
        "sources": [vars(c) for c in result.sources],
    }
