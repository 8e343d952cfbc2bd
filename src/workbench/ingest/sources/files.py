"""File sources: csv, tsv, parquet, json (array of records), jsonl and xlsx.

Every file is read once into memory: the same bytes are hashed, copied into the raw snapshot
and parsed, so the snapshot is exactly what was parsed. A large csv, tsv, parquet or jsonl file
is instead copied block by block (:class:`TextCheck` makes the checks below on each block) and
parsed from its snapshot copy in batches (:func:`read_batches`): :mod:`workbench.ingest.stream`.

Text files are checked before parsing, because the parser's own errors on bad input are cryptic:

- an empty file is an error (a file with only a header is fine: zero rows);
- bytes that are not valid in the configured encoding give the byte offset and line;
- a byte-order mark is skipped;
- a csv that comes out as one column whose header holds another delimiter is the wrong
  delimiter, and the error says which ``delimiter:`` to set.

CSV values are read as text (no type guessing), so the pull decides every type and can say
which value in which row it could not read.
"""

from __future__ import annotations

import glob
import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from workbench.core.config import FileSource
from workbench.core.errors import SourceError
from workbench.ingest.sources import FILE, INTERNAL, ROW, RawInput, SourceRead

logger = logging.getLogger(__name__)

BOM = b"\xef\xbb\xbf"
_UTF8 = {"utf-8", "utf8", "utf-8-sig", "utf_8", "utf_8_sig"}
_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


def read_file_source(
    source: FileSource, table: str, root: Path, folders: list[Path] | None = None
) -> SourceRead:
    """Read every file the source's path (or glob) names, in sorted order."""
    paths = resolve_paths(source, root, folders)
    frames: list[pl.DataFrame] = []
    inputs: list[RawInput] = []
    for path in paths:
        data = path.read_bytes()
        frame = parse_bytes(data, source, path)
        frames.append(trace(frame, path.name))
        inputs.append(RawInput(name=_unique_name(path.name, inputs), data=data, origin=str(path)))
        logger.debug("source %s: %s: %d rows", source.name, path.name, frame.height)
    frame = frames[0] if len(frames) == 1 else _stack(frames, source)
    if source.where:
        before = frame.height
        frame = filter_rows(frame, source.where, source.name)
        logger.info("source %s: where kept %d of %d rows", source.name, frame.height, before)
    return SourceRead(source=source, table=table, frame=frame, inputs=inputs)


def filter_rows(frame: pl.DataFrame, condition: str, name: str) -> pl.DataFrame:
    """The rows for which the SQL ``condition`` holds, run by polars' SQL engine (never ``eval``).

    The condition is parsed first (sqlglot) as the WHERE clause of ``SELECT * FROM self``: it must
    stay one plain condition on the frame's columns, so a subquery, a UNION or a table function
    such as ``read_csv(...)`` (which could reach other files) is refused before anything runs.
    Row numbers (``_row``) are those of the file, so rejects still point at the right line.

    Raises:
        SourceError: a condition that is not a plain condition, or that polars cannot evaluate.
    """
    import sqlglot
    from sqlglot import exp

    query = f"SELECT * FROM self WHERE {condition}"
    bad = f"source {name!r}: `where:` must be one condition on the columns, e.g. \"language = 'en'\""
    try:
        statements = sqlglot.parse(query, read="postgres")
    except Exception:
        raise SourceError(f"{bad}; it does not parse as SQL") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Select):
        raise SourceError(bad)
    tables = list(statements[0].find_all(exp.Table))
    nested = [n for n in statements[0].find_all(exp.Select, exp.Subquery) if n is not statements[0]]
    if nested or [t.name for t in tables] != ["self"] or statements[0].args.get("joins"):
        raise SourceError(f"{bad}; subqueries and other tables are not allowed")
    try:
        return frame.sql(query)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        first = re.sub(r"values: \[.*", "values (use TRY_CAST to skip them)", first)[:200]  # no data echoed
        raise SourceError(f"source {name!r}: `where:` cannot be evaluated: {first}") from None


def resolve_paths(source: FileSource, root: Path, folders: list[Path] | None = None) -> list[Path]:
    """The files a source names. A glob that matches nothing is a missing file.

    Every file must lie inside the project or a folder the config names in ``data_folders``
    (links resolved first), so a path such as ``../../etc/passwd`` is refused before it is read.
    """
    pattern = Path(source.path).expanduser()
    if not pattern.is_absolute():
        pattern = root / pattern
    if glob.has_magic(str(pattern)):
        paths = sorted(Path(p) for p in glob.glob(str(pattern)) if Path(p).is_file())
    else:
        paths = [pattern] if pattern.is_file() else []
    allowed = [root.resolve(), *(f.resolve() for f in folders or [])]
    outside = [p for p in paths if not any(p.resolve().is_relative_to(a) for a in allowed)]
    if outside or (not paths and not any(pattern.resolve().is_relative_to(a) for a in allowed)):
        raise SourceError(
            f"source {source.name!r}: {source.path} is outside the project; list its folder under "
            "`data_folders:` in the sources config to allow it"
        )
    if not paths:
        what = "no file matches" if glob.has_magic(str(pattern)) else "file not found:"
        raise SourceError(f"source {source.name!r}: {what} {source.path} (looked for {pattern})")
    return paths


def parse_bytes(data: bytes, source: FileSource, path: Path) -> pl.DataFrame:
    """Parse one file's bytes into a frame with clean, unique column names."""
    fmt = source.resolved_format
    where = f"source {source.name!r}: {path.name}"
    if fmt in ("csv", "tsv", "json", "jsonl"):
        data = _as_utf8(data, source.encoding, where)
        if not data.strip():
            raise SourceError(f"{where}: the file is empty (no header, no rows)")
    elif not data:
        raise SourceError(f"{where}: the file is empty (0 bytes)")
    try:
        if fmt in ("csv", "tsv"):
            frame = _read_delimited(data, source, fmt, where)
        elif fmt == "parquet":
            frame = pl.read_parquet(io.BytesIO(data))
        elif fmt == "json":
            frame = _read_json(data, where)
        elif fmt == "jsonl":
            frame = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
        else:
            frame = _read_xlsx(data, source, where)
    except SourceError:
        raise
    except Exception as exc:  # parser errors of every library end here, as one line
        raise SourceError(f"{where}: cannot read as {fmt}: {_first_line(exc)}") from None
    return flatten(clean_columns(frame))


def trace(frame: pl.DataFrame, file: str, first: int = 1) -> pl.DataFrame:
    """``frame`` with ``_row`` (1-based record number; ``first`` for its first row) and ``_file``."""
    return frame.with_columns(
        pl.int_range(first, pl.len() + first, dtype=pl.Int64).alias(ROW),
        pl.lit(file, dtype=pl.String).alias(FILE),
    )


def clean_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Header names without byte-order marks or surrounding spaces; blanks and repeats made unique.

    Names the pull uses for tracing rows (``_row``, ``_file``) are renamed ``<name>_original``.
    """
    seen: set[str] = set()
    names: list[str] = []
    for i, raw in enumerate(frame.columns, start=1):
        name = str(raw).replace("\ufeff", "").strip() or f"column_{i}"
        if name in INTERNAL or name.startswith("_source") or name == "_reason":
            name = f"{name}_original"
        base, n = name, 2
        while name in seen:
            name, n = f"{base}_{n}", n + 1
        seen.add(name)
        names.append(name)
    return frame.rename(dict(zip(frame.columns, names, strict=True)))


_LATIN1 = {"latin-1", "latin1", "iso-8859-1", "iso8859-1", "iso_8859_1", "l1", "8859"}


def _as_utf8(data: bytes, encoding: str, where: str) -> bytes:
    """UTF-8 bytes without a byte-order mark; a clear error for bytes the encoding cannot hold.

    ``latin-1`` is read as cp1252 when the file holds bytes 0x80-0x9F: in latin-1 those are
    invisible control characters, in the Windows exports that say "latin-1" they are quotes,
    dashes and the euro sign (browsers treat the label the same way).
    """
    utf8 = encoding.lower() in _UTF8
    if encoding.lower() in _LATIN1 and any(0x80 <= b <= 0x9F for b in data):
        try:
            text = data.decode("cp1252")
            logger.info("%s: latin-1 file has bytes 0x80-0x9F: read as cp1252", where)
            return text.lstrip("\ufeff").encode("utf-8")
        except UnicodeDecodeError:
            pass  # one of the five bytes cp1252 leaves undefined: latin-1 it is
    try:
        text = data.decode("utf-8-sig" if utf8 else encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"{where}: byte 0x{data[exc.start]:02x} at offset {exc.start} (line {line}) is not valid "
            f"{encoding}; {_encoding_hint(data, utf8)}"
        ) from None
    if utf8:
        return data[len(BOM) :] if data.startswith(BOM) else data
    return text.lstrip("\ufeff").encode("utf-8")


def _encoding_hint(data: bytes, utf8: bool) -> str:
    """Which ``encoding:`` to try: UTF-16 has a byte-order mark or a NUL byte beside every ASCII one."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head.count(b"\x00") > len(head) // 4:
        return "it looks like UTF-16: set `encoding: utf-16`"
    return "set `encoding:` (e.g. cp1252 for Windows exports)" if utf8 else "check `encoding:`"


def _read_delimited(data: bytes, source: FileSource, fmt: str, where: str) -> pl.DataFrame:
    delimiter = _delimiter(source)
    frame = pl.read_csv(
        io.BytesIO(data),
        separator=delimiter,
        infer_schema=False,
        has_header=True,
        quote_char='"',
        raise_if_empty=False,
    )
    check_delimiter(frame.columns, delimiter, where)
    return frame


def check_delimiter(columns: list[str], delimiter: str, where: str) -> None:
    """Refuse a file read as one column whose header holds another delimiter, naming the fix."""
    if len(columns) != 1:
        return
    header = columns[0]
    for other, label in _DELIMITER_NAMES.items():
        if other != delimiter and other in header:
            shown = "\\t" if other == "\t" else other
            raise SourceError(  # the header itself is never echoed: it is the file's content
                f"{where}: read as a single column; its header holds {label} characters, so it looks "
                f'{label}-separated: set `delimiter: "{shown}"`'
            )


# ---------------------------------------------------------------------------------- streamed files

# Formats whose large files are parsed batch by batch from its snapshot copy (json and xlsx
# are one document each: they are always read whole).
STREAMABLE = frozenset({"csv", "tsv", "parquet", "jsonl"})


def streamable(source: FileSource) -> bool:
    """Whether the source's files can be read in batches: a streamable format, text in UTF-8.

    Other encodings are transcoded in memory (:func:`_as_utf8`), so they are read whole.
    """
    fmt = source.resolved_format
    return fmt in STREAMABLE and (fmt == "parquet" or source.encoding.lower() in _UTF8)


class TextCheck:
    """The checks :func:`parse_bytes` makes on a whole text file, made block by block as it is copied.

    Call it with each block in order, then :meth:`finish`. It raises the same errors: bytes that
    are not valid UTF-8 (with their offset and line), and a file with nothing but blanks.
    """

    def __init__(self, source: FileSource, where: str) -> None:
        import codecs

        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._source, self._where = source, where
        self._text = source.resolved_format != "parquet"
        self._head = b""  # the first bytes, for the UTF-16 hint
        self._offset = self._lines = 0  # bytes and newlines before the current block
        self._blank = True
        self._size = 0

    def __call__(self, block: bytes) -> None:
        self._size += len(block)
        if not self._text:
            return
        if len(self._head) < 4096:
            self._head += block[: 4096 - len(self._head)]
        if self._blank and block.strip():
            self._blank = False
        pending = self._decoder.getstate()[0]  # an incomplete character left by the last block
        try:
            self._decoder.decode(block)
        except UnicodeDecodeError as exc:
            self._fail(pending + block, exc.start, self._offset - len(pending))
        self._offset += len(block)
        self._lines += block.count(b"\n")

    def finish(self) -> None:
        """Raise for a file that ends inside a character, or holds nothing but blanks."""
        if not self._text:
            if not self._size:
                raise SourceError(f"{self._where}: the file is empty (0 bytes)")
            return
        pending = self._decoder.getstate()[0]
        try:
            self._decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            self._fail(pending, exc.start, self._offset - len(pending))
        if self._blank:
            raise SourceError(f"{self._where}: the file is empty (no header, no rows)")

    def _fail(self, data: bytes, start: int, base: int) -> None:
        # data may begin with a partial character of the previous block: no newline among those bytes
        line = self._lines + data[:start].count(b"\n") + 1
        raise SourceError(
            f"{self._where}: byte 0x{data[start]:02x} at offset {base + start} (line {line}) is not valid "
            f"{self._source.encoding}; {_encoding_hint(self._head, True)}"
        ) from None


def read_batches(path: Path, source: FileSource, rows: int, where: str) -> Iterator[pl.DataFrame]:
    """The rows of one file in batches of about ``rows``, as :func:`parse_bytes` reads the whole.

    Columns are cleaned and flattened as there; ``_row`` and ``_file`` are not added yet. A file
    with a header and no rows gives one empty batch with its columns, so it is never silent.
    Parsed by polars' streaming engine from the file (the snapshot copy), so memory stays about
    one batch.

    Raises:
        SourceError: a file the parser cannot read, or a csv with the wrong delimiter.
    """
    fmt = source.resolved_format
    try:
        lazy = _scan(path, source)
        if fmt in ("csv", "tsv"):
            check_delimiter(lazy.collect_schema().names(), _delimiter(source), where)
        empty = True
        for batch in lazy.collect_batches(chunk_size=rows):
            empty = False
            yield flatten(clean_columns(batch))
        if empty:
            yield flatten(clean_columns(pl.DataFrame(schema=lazy.collect_schema())))
    except SourceError:
        raise
    except Exception as exc:  # parser errors of every library end here, as one line
        raise SourceError(f"{where}: cannot read as {fmt}: {_first_line(exc)}") from None


def file_layout(path: Path, source: FileSource) -> dict[str, str]:
    """A streamable file's columns (cleaned names) and types, from its header or metadata only.

    Empty when the file cannot be scanned; reading it will say why.
    """
    try:
        schema = _scan(path, source).collect_schema()
    except Exception:
        return {}
    return {name: str(dtype) for name, dtype in clean_columns(pl.DataFrame(schema=schema)).schema.items()}


def _scan(path: Path, source: FileSource) -> pl.LazyFrame:
    """The lazy reader of one file, with the options :func:`parse_bytes` reads it with."""
    fmt = source.resolved_format
    if fmt in ("csv", "tsv"):
        return pl.scan_csv(
            path,
            separator=_delimiter(source),
            infer_schema=False,
            has_header=True,
            quote_char='"',
            raise_if_empty=False,
        )
    if fmt == "parquet":
        return pl.scan_parquet(path)
    return pl.scan_ndjson(path, infer_schema_length=None)


def _delimiter(source: FileSource) -> str:
    return source.delimiter or ("\t" if source.resolved_format == "tsv" else ",")


# Keys under which APIs and export tools wrap their list of records.
WRAPPER_KEYS = frozenset({"data", "results", "items", "records", "rows", "reviews", "entries", "value"})


def _read_json(data: bytes, where: str) -> pl.DataFrame:
    """A JSON array of records, an object wrapping one such array, or a single record.

    An object is a wrapper only when the array of records is its only value, or sits under a
    key wrappers use (``data``, ``results``, ``items``, ...); otherwise the object is itself one
    record and its list-valued fields stay in the row (as JSON text), not in place of it.
    """
    parsed = json.loads(data)
    if isinstance(parsed, dict):
        arrays = {
            k: v
            for k, v in parsed.items()
            if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)
        }
        if len(arrays) == 1 and (len(parsed) == 1 or next(iter(arrays)).lower() in WRAPPER_KEYS):
            parsed = next(iter(arrays.values()))
        else:
            parsed = [parsed]
    if not isinstance(parsed, list) or not all(isinstance(r, dict) for r in parsed):
        raise SourceError(f"{where}: expected a JSON array of records (or jsonl: set `format: jsonl`)")
    return pl.from_dicts(parsed, infer_schema_length=None) if parsed else pl.DataFrame()


def _read_xlsx(data: bytes, source: FileSource, where: str) -> pl.DataFrame:
    """Excel through openpyxl, every cell as text so the pull decides types as for csv."""
    import pandas as pd

    book = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
    sheet = source.sheet if source.sheet is not None else book.sheet_names[0]
    if sheet not in book.sheet_names:
        raise SourceError(f"{where}: no sheet {sheet!r}; sheets found: {', '.join(book.sheet_names)}")
    frame = pd.read_excel(book, sheet_name=sheet, dtype=object)
    frame.columns = [str(c) for c in frame.columns]
    frame = frame.astype(object).where(frame.notna(), None)
    return pl.from_pandas(frame.map(_cell_text))


# Integers above this are not exact in a float: an 18-digit id typed into Excel has lost digits.
_EXACT_FLOAT = 2**53


def _cell_text(value: object) -> str | None:
    """An Excel cell as the text a csv export would show: 12 not 12.0.

    A number too large to be exact as a float (an id Excel stored as a number) is shown in
    scientific notation, so the pull rejects it with the Excel hint instead of keeping digits
    Excel invented.
    """
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _EXACT_FLOAT:
        return repr(float(value))  # Excel keeps every number as a double: these digits are invented
    if isinstance(value, float):
        if value.is_integer():
            return repr(value) if abs(value) >= _EXACT_FLOAT else str(int(value))
        return repr(value)
    if isinstance(value, bool):
        return str(value).upper()
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


def flatten(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested JSON values (objects, lists) become JSON text, so every column is a plain value."""
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested()]
    if not nested:
        return frame
    return frame.with_columns(
        pl.col(name).map_elements(
            lambda v: json.dumps(v.to_list() if isinstance(v, pl.Series) else v, default=str),
            return_dtype=pl.String,
        )
        for name in nested
    )


def _stack(frames: list[pl.DataFrame], source: FileSource) -> pl.DataFrame:
    """Several files of one source (a glob) as one frame; columns missing from a file are null."""
    try:
        return pl.concat(frames, how="diagonal_relaxed")
    except Exception as exc:
        raise SourceError(
            f"source {source.name!r}: the files matching {source.path} do not share a layout: "
            f"{_first_line(exc)}"
        ) from None


def _unique_name(name: str, inputs: list[RawInput]) -> str:
    taken = {i.name for i in inputs}
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{n}-{name}", n + 1
    return candidate


def _first_line(exc: Exception) -> str:
    """The parser's message, first line, without the data it quotes (a field of the file)."""
    message = re.sub(r"`[^`]*`?", "`...`", str(exc), flags=re.DOTALL)
    message = re.sub(r'"[^"\n]{20,}"' + r"|'[^'\n]{20,}'", "'...'", message)
    text = message.strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
