"""Normalise a source's rows into its canonical table (polars), then validate a table (pandera).

Normalising never drops a row. A value that cannot be read (a date that does not parse, a
rating that is not a number) becomes null and the row gets a ``_reason``; validation adds the
reasons pandera finds (a required value missing, a rating out of range) and the duplicate ids.
The pull then splits rows with a reason into the rejects file, so that processed + rejected
always equals the rows that came in.

Every normalised frame carries, besides the canonical and extra columns:

- ``source``: the source name from the sources config (kept in the processed table);
- ``text_truncated``: True where a text longer than :data:`workbench.core.schemas.MAX_TEXT_CHARS`
  was cut to that length (a 100,000-character review must not crash or vanish);
- ``_file``, ``_row``, ``_reason``: where the row came from and why it is rejected (null when
  it is fine). They are dropped from the processed table and kept in the rejects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass

import pandas as pd
import pandera.errors as pa_errors
import polars as pl

from workbench.core.config import FileSource, SqlSource
from workbench.core.errors import SourceError, ValidationFailed
from workbench.core.quarters import Quarter, quarter_labels
from workbench.core.schemas import MAX_TEXT_CHARS, TABLES, Col, schema
from workbench.ingest.repair import repair_text
from workbench.ingest.sources import FILE, INTERNAL, ROW, SourceRead

logger = logging.getLogger(__name__)

REASON = "_reason"
SOURCE = "source"
QUARTER = "quarter"
TRUNCATED = "text_truncated"
ADDED = (SOURCE, QUARTER, TRUNCATED)
TRACE = (FILE, ROW, REASON)

# Free-text columns keep their inner spacing; other canonical text (labels such as segment or
# product_area) also has runs of spaces collapsed, so 'White  Dot' and 'White Dot' are one value.
FREE_TEXT = frozenset({"text", "notes", "description", "title"})
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")


# ----------------------------------------------------------------------------------------- source


def normalise(
    read: SourceRead, now: dt.datetime | None = None, dates: dict[str, DateChoice] | None = None
) -> pl.DataFrame:
    """One source's rows as canonical columns with types, plus extras and the trace columns.

    ``now`` is the pull time (UTC): a row dated after it in the table's date column is rejected,
    so one stray future row cannot invent a quarter. ``dates`` are the date columns' day/month
    order and format anchor decided over the whole source (:func:`choose_dates`); a streamed pull
    passes them with every batch, so that a batch reads its dates as the whole file would. Without
    them they are decided on ``read``'s own rows.
    """
    spec = TABLES[read.table]
    now = now or dt.datetime.now(dt.UTC)
    src = read.source
    frame = _map_columns(read.frame, src, _where(read))
    frame = _apply_values(frame, src, _where(read))
    frame = frame.with_columns(pl.lit(v).alias(k) for k, v in src.constants.items())
    generated = hashed_ids(read.frame, src.id_from) if src.id_from else None  # from the columns as read
    frame = _make_ids(frame, src, read.table, _where(read), generated)

    reasons: list[pl.Series] = []
    typed: list[pl.Series] = []
    for col in spec.columns:
        if col.name not in frame.columns:
            if col.required:
                raise SourceError(
                    f"{_where(read)}: required column {col.name!r} of table {read.table} is missing: map a "
                    f"source column to it (columns found: {_found(read.frame)})"
                )
            typed.append(pl.Series(col.name, [None] * frame.height, dtype=_POLARS[col.dtype]))
            continue
        values, bad = convert(frame[col.name], col, src, _where(read), (dates or {}).get(col.name))
        typed.append(values)
        if bad is not None:
            reasons.append(bad)
        if col.name == spec.date_column:
            reasons.append(future_reasons(values, col.name, now))
    frame = frame.with_columns(typed)
    frame = frame.with_columns(
        _join_reasons(reasons, frame.height).alias(REASON), pl.lit(src.name).alias(SOURCE)
    )
    frame = truncate_texts(frame)
    extras = [c for c in frame.columns if c not in spec.names and c not in ADDED and c not in TRACE]
    frame = frame.with_columns(pl.col(c).cast(pl.String) for c in extras if frame.schema[c] == pl.Null)
    return frame.select(*spec.names, SOURCE, TRUNCATED, *extras, *TRACE)


def _where(read: SourceRead) -> str:
    if isinstance(read.source, FileSource):
        return f"source {read.source.name!r} ({', '.join(i.name for i in read.inputs)})"
    return f"source {read.source.name!r} (query)"


def _found(raw: pl.DataFrame) -> str:
    return ", ".join(c for c in raw.columns if c not in INTERNAL) or "none"


def _map_columns(raw: pl.DataFrame, src: FileSource | SqlSource, where: str) -> pl.DataFrame:
    """Apply ``derive`` and ``columns``; every column a mapping names must exist."""
    joined = [*(src.text_from or []), *(c for parts in src.timestamp_from.values() for c in parts)]
    needed = [
        *src.columns,
        *src.derive.values(),
        *joined,
        *(c for c in src.id_from or [] if c not in INTERNAL),
    ]
    for name in dict.fromkeys(needed):
        if name not in raw.columns:
            raise SourceError(f"{where}: mapped column {name!r} not found; columns found: {_found(raw)}")
    exprs = [pl.col(s).alias(t) for t, s in src.derive.items()]
    if src.text_from:
        exprs.append(_joined(src.text_from, "\n\n").alias("text"))
    exprs += [_joined(parts, " ").alias(target) for target, parts in src.timestamp_from.items()]
    exprs += [pl.col(c).alias(src.columns.get(c, c)) for c in raw.columns if c not in INTERNAL]
    names = [e.meta.output_name() for e in exprs]
    for name in dict.fromkeys(names):
        if names.count(name) > 1 and name not in src.constants:
            raise SourceError(
                f"{where}: two source columns would both become {name!r}; map one of them to another name"
            )
    kept: dict[str, pl.Expr] = {}
    for expr, name in zip(exprs, names, strict=True):
        if name in src.constants:
            continue  # a constant replaces the column
        if name in ADDED:
            logger.info(
                "%s: column %r is kept as %r (the pull sets %r)", where, name, f"{name}_original", name
            )
            expr, name = expr.alias(f"{name}_original"), f"{name}_original"
        kept.setdefault(name, expr)
    return raw.select(*kept.values(), *INTERNAL)


def _joined(columns: list[str], separator: str) -> pl.Expr:
    """The columns' trimmed texts joined by ``separator``, blanks skipped; null when all are blank."""
    parts = [
        pl.when(pl.col(c).cast(pl.String).str.strip_chars() != "").then(
            pl.col(c).cast(pl.String).str.strip_chars()
        )
        for c in columns
    ]
    text = pl.concat_str(parts, separator=separator, ignore_nulls=True)
    return pl.when(text != "").then(text)


def _apply_values(frame: pl.DataFrame, src: FileSource | SqlSource, where: str) -> pl.DataFrame:
    """Replace exported values (compared as trimmed text) by the values to store."""
    exprs = []
    for name, mapping in src.values.items():
        if name not in frame.columns:
            columns = ", ".join(c for c in frame.columns if c not in INTERNAL)
            raise SourceError(f"{where}: values: column {name!r} not found after mapping; columns: {columns}")
        new = {k: None if v is None else str(v) for k, v in mapping.items()}
        exprs.append(pl.col(name).cast(pl.String).str.strip_chars().replace(new))
    return frame.with_columns(exprs) if exprs else frame


def _make_ids(
    frame: pl.DataFrame, src: FileSource | SqlSource, table: str, where: str, generated: pl.Series | None
) -> pl.DataFrame:
    """Generated ids (``id_from``, hashed from the columns as read) and ``id_prefix``."""
    id_col = TABLES[table].id_column
    if generated is not None:
        if id_col is None:
            raise SourceError(f"{where}: id_from is set but table {table} has no id column; remove it")
        if id_col in frame.columns:
            raise SourceError(f"{where}: id_from is set and the rows already have {id_col!r}; keep one")
        frame = frame.with_columns(generated.alias(id_col))
    if src.id_prefix and id_col and id_col in frame.columns:
        frame = frame.with_columns(
            pl.when(pl.col(id_col).is_not_null())
            .then(pl.lit(src.id_prefix) + pl.col(id_col).cast(pl.String).str.strip_chars())
            .alias(id_col)
        )
    return frame


def hashed_ids(frame: pl.DataFrame, columns: list[str]) -> pl.Series:
    """A deterministic 16-hex-digit id per row from the values of ``columns``.

    sha1 of the values joined by a unit separator (null as empty text); ``_row`` is the row
    number. Python's hashlib rather than polars' hash, whose values may change between versions.
    """
    keys = frame.select(
        pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in columns], separator="\x1f")
    ).to_series()
    return pl.Series([hashlib.sha1(k.encode("utf-8")).hexdigest()[:16] for k in keys], dtype=pl.String)


# -------------------------------------------------------------------------------------------- types

_POLARS = {
    "str": pl.String,
    "float": pl.Float64,
    "int": pl.Int64,
    "datetime": pl.Datetime("us"),
    "bool": pl.Boolean,
}


def convert(
    values: pl.Series,
    col: Col,
    src: FileSource | SqlSource,
    where: str = "",
    choice: DateChoice | None = None,
) -> tuple[pl.Series, pl.Series | None]:
    """``values`` as the column's canonical type, and a reason for each value that could not be read.

    Returns the converted series (same name, null where unreadable) and a series of reasons
    (null where fine), or ``None`` when nothing could fail.

    Raises:
        SourceError: a date column whose day/month order cannot be known (see :func:`parse_dates`).
    """
    name = col.name
    text = values.dtype == pl.String
    if text and col.dtype == "str":
        # Before stripping: a mis-decoded emoji can end in a no-break space ("ðŸ˜\xa0" for 😠).
        values, repaired = repair_text(values)
        if repaired:
            logger.info("%s: repaired mis-decoded text (mojibake) in %d %s value(s)", where, repaired, name)
    if text:
        values = _blank_to_null(values.str.strip_chars())
    if col.dtype == "str":
        out = values.cast(pl.String)
        if col.name not in FREE_TEXT:
            out = out.str.replace_all(r"\s+", " ")
            missing = out.str.to_lowercase().is_in(list(MISSING_WORDS)).fill_null(False)
            out = (
                pl.DataFrame({"v": out, "m": missing})
                .select(pl.when(~pl.col("m")).then(pl.col("v")))
                .to_series()
            )
        if name in ID_COLUMNS:
            return out.alias(name), _scientific_ids(out, name)
        return out.alias(name), None
    if col.dtype == "datetime":
        values, relative = _without_relative_words(values)
        out = parse_dates(
            values, src.date_format, src.dayfirst, where=where or f"column {name!r}", choice=choice
        )
        hint = f" with date_format {src.date_format!r}" if src.date_format else " (set date_format)"
        reasons = [_reasons(values, out, f"{name}: cannot read date ", hint), _implausible_years(out, name)]
        if relative is not None:
            reasons.append(relative)
        return out.alias(name), _join_reasons(reasons, values.len())
    if col.dtype in ("float", "int"):
        out = _numbers(values, col.dtype)
        return out.alias(name), _reasons(values, out, f"{name}: not a number ", "")
    out = _booleans(values)
    return out.alias(name), _reasons(values, out, f"{name}: not true/false ", "")


# Labels and ids exported as a word for "no value" (a database NULL printed as text).
MISSING_WORDS = ("null", "none", "n/a", "nan", "#n/a", "nil")
ID_COLUMNS = frozenset({"feedback_id", "deal_id", "account_id"})
# 5.70306E+17: a long id that Excel turned into a number and rounded (distinct ids collapse).
_SCIENTIFIC = r"(?i)\d\.\d+e\+\d+$"


def _scientific_ids(values: pl.Series, name: str) -> pl.Series | None:
    hit = values.str.contains(_SCIENTIFIC).fill_null(False)
    if not hit.any():
        return None
    frame = pl.DataFrame({"v": values, "hit": hit})
    return frame.select(
        pl.when(pl.col("hit")).then(
            pl.concat_str(
                [
                    pl.lit(f"{name}: '"),
                    pl.col("v"),
                    pl.lit(
                        "' is in scientific notation: Excel stored the id as a number and dropped "
                        "digits; export the column as text (or open the csv without Excel)"
                    ),
                ]
            )
        )
    ).to_series()


# Words some exports (and pandas) turn into "the time of reading": never a date of the row.
RELATIVE_WORDS = ("today", "now", "yesterday", "tomorrow", "current_date", "current_timestamp")
# Years outside this range are typing slips or placeholders (0001-01-01, 9999-12-31): reject the row.
PLAUSIBLE_YEARS = (1900, 2200)
# A naive timestamp may be local time up to UTC+14, so "after the pull" allows that much.
FUTURE_SLACK = dt.timedelta(hours=14)

# dd/mm/yyyy or mm/dd/yyyy (also - or . separated, 2- or 4-digit year, optional time after it).
_NUMERIC_DATE = r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?:$|[ T])"


def _without_relative_words(values: pl.Series) -> tuple[pl.Series, pl.Series | None]:
    """The date texts with relative words ('today') blanked, and a reason for each one blanked."""
    relative = _relative_words(values)
    if relative is None:
        return values, None
    keep = pl.DataFrame({"v": values, "word": relative.is_not_null()})
    return keep.select(pl.when(~pl.col("word")).then(pl.col("v"))).to_series().alias(values.name), relative


def _relative_words(values: pl.Series) -> pl.Series | None:
    """A reason where the value is a word such as 'today' (read as the pull time otherwise)."""
    if values.dtype != pl.String:
        return None
    word = values.str.strip_chars().str.to_lowercase()
    hit = word.is_in(list(RELATIVE_WORDS)).fill_null(False)
    if not hit.any():
        return None
    frame = pl.DataFrame({"v": values, "hit": hit})
    return frame.select(
        pl.when(pl.col("hit")).then(
            pl.concat_str(
                [pl.lit(f"{values.name}: '"), pl.col("v"), pl.lit("' is a relative word, not a date")]
            )
        )
    ).to_series()


def _implausible_years(out: pl.Series, name: str) -> pl.Series:
    low, high = PLAUSIBLE_YEARS
    frame = pl.DataFrame({"d": out})
    year = pl.col("d").dt.year()
    return frame.select(
        pl.when((year < low) | (year >= high)).then(
            pl.concat_str(
                [
                    pl.lit(f"{name}: '"),
                    pl.col("d").dt.strftime("%Y-%m-%d"),
                    pl.lit(f"' has an implausible year (outside {low}-{high - 1})"),
                ]
            )
        )
    ).to_series()


def future_reasons(out: pl.Series, name: str, now: dt.datetime) -> pl.Series:
    """A reason where a date lies after the pull time (plus the widest time-zone offset)."""
    limit = now.replace(tzinfo=None) + FUTURE_SLACK
    frame = pl.DataFrame({"d": out})
    return frame.select(
        pl.when(pl.col("d") > limit).then(
            pl.concat_str(
                [
                    pl.lit(f"{name}: '"),
                    pl.col("d").dt.strftime("%Y-%m-%d %H:%M"),
                    pl.lit(f"' is after the pull time ({limit - FUTURE_SLACK:%Y-%m-%d %H:%M} UTC)"),
                ]
            )
        )
    ).to_series()


@dataclass(frozen=True)
class DateEvidence:
    """What a date column's texts say about their day/month order and format, mergeable over batches.

    Attributes:
        day_first: the first value that can only be day-first (first number above 12).
        month_first: the first value that can only be month-first (second number above 12).
        ambiguous: the first two distinct numeric dates that fit both orders.
        first: the first non-null value (polars infers a format from a column's first value).
    """

    day_first: str | None = None
    month_first: str | None = None
    ambiguous: tuple[str, ...] = ()
    first: str | None = None

    def then(self, later: DateEvidence) -> DateEvidence:
        """The evidence of this batch followed by ``later``'s: first examples win."""
        return DateEvidence(
            self.day_first if self.day_first is not None else later.day_first,
            self.month_first if self.month_first is not None else later.month_first,
            tuple(dict.fromkeys([*self.ambiguous, *later.ambiguous]))[:2],
            self.first if self.first is not None else later.first,
        )


@dataclass(frozen=True)
class DateChoice:
    """How a date column is read, decided once over all its rows: the order and the format anchor."""

    order: bool | None  # True day-first, False month-first, None: no numeric d/m dates
    anchor: str | None  # the column's first value, whose format polars infers for every batch


def date_evidence(values: pl.Series) -> DateEvidence:
    """The order evidence and first value of date texts (stripped, blanks and relative words null)."""
    parts = values.str.extract_groups(_NUMERIC_DATE)
    frame = pl.DataFrame(
        {
            "v": values,
            "a": parts.struct.field("1").cast(pl.Int32, strict=False),
            "b": parts.struct.field("2").cast(pl.Int32, strict=False),
        }
    ).filter(pl.col("a").is_not_null() & pl.col("b").is_not_null())
    present = values.drop_nulls()
    first = present[0] if len(present) else None
    if frame.is_empty():
        return DateEvidence(first=first)
    a, b = pl.col("a"), pl.col("b")
    day_first = frame.filter((a > 12) & (b <= 12))["v"]
    month_first = frame.filter((b > 12) & (a <= 12))["v"]
    ambiguous = frame.filter((a <= 12) & (b <= 12) & (a != b))["v"].unique(maintain_order=True)
    return DateEvidence(
        day_first[0] if len(day_first) else None,
        month_first[0] if len(month_first) else None,
        tuple(ambiguous.head(2).to_list()),
        first,
    )


def resolve_order(evidence: DateEvidence, dayfirst: bool | None, column: str, where: str) -> bool | None:
    """True for day-first, False for month-first, None when no value is a numeric d/m date.

    Raises:
        SourceError: values that prove both orders, values that prove the order opposite to the
            configured ``dayfirst``, or ambiguous values (both numbers <= 12) with no ``dayfirst``.
    """
    fix = "set date_format (e.g. '%d/%m/%Y') or dayfirst for this source"
    day_first, month_first = evidence.day_first, evidence.month_first
    if day_first is not None and month_first is not None:
        raise SourceError(
            f"{where}: column {column!r} mixes day-first and month-first dates ('{day_first}' is "
            f"day-first, '{month_first}' is month-first): {fix}, and fix the rows that differ"
        )
    if day_first is not None or month_first is not None:
        proven = day_first is not None
        example = day_first if proven else month_first
        if dayfirst is not None and dayfirst != proven:
            raise SourceError(
                f"{where}: column {column!r} has dayfirst: {str(dayfirst).lower()} but '{example}' can only "
                f"be {'day' if proven else 'month'}-first: {fix}"
            )
        logger.info(
            "%s: column %s read %s-first ('%s' proves it)",
            where,
            column,
            "day" if proven else "month",
            example,
        )
        return proven
    if evidence.ambiguous and dayfirst is None:
        first, second = evidence.ambiguous[0], evidence.ambiguous[-1]
        raise SourceError(
            f"{where}: column {column!r} has dates that fit both day-first and month-first "
            f"(e.g. '{first}', '{second}'): {fix}"
        )
    return dayfirst


def date_order(values: pl.Series, dayfirst: bool | None, where: str) -> bool | None:
    """The day/month order of date texts (:func:`resolve_order` on their :func:`date_evidence`)."""
    return resolve_order(date_evidence(values), dayfirst, values.name, where)


def date_texts(values: pl.Series) -> pl.Series:
    """Date values as :func:`parse_dates` sees them: trimmed text, blanks and relative words null."""
    if values.dtype != pl.String:
        return values
    return _without_relative_words(_blank_to_null(values.str.strip_chars()))[0]


def source_date_evidence(read: SourceRead) -> dict[str, DateEvidence]:
    """The :class:`DateEvidence` of each date column of a source whose dates are detected.

    Mapping, value replacement and constants run as in :func:`normalise`, so the evidence is
    that of the texts :func:`parse_dates` would see (other types as text, as it reads them).
    Columns read with a ``date_format``, and columns already typed as dates, need no decision and
    are left out.
    """
    src = read.source
    if src.date_format:
        return {}
    frame = _map_columns(read.frame, src, _where(read))
    frame = _apply_values(frame, src, _where(read))
    frame = frame.with_columns(pl.lit(v).alias(k) for k, v in src.constants.items())
    found = {}
    for col in TABLES[read.table].columns:
        dtype = frame.schema.get(col.name)
        if col.dtype != "datetime" or dtype is None or dtype in (pl.Date, pl.Null) or dtype.is_temporal():
            continue
        found[col.name] = date_evidence(date_texts(frame[col.name]).cast(pl.String))
    return found


def choose_dates(evidence: dict[str, DateEvidence], read: SourceRead) -> dict[str, DateChoice]:
    """The :class:`DateChoice` of each date column from the evidence of all its rows.

    Raises:
        SourceError: as :func:`resolve_order`.
    """
    where = _where(read)
    return {
        name: DateChoice(resolve_order(ev, read.source.dayfirst, name, where), ev.first)
        for name, ev in evidence.items()
    }


def parse_dates(
    values: pl.Series,
    date_format: str | None,
    dayfirst: bool | None,
    *,
    where: str = "",
    choice: DateChoice | None = None,
) -> pl.Series:
    """Datetimes (naive, UTC where the input had an offset); null where a value cannot be read.

    Day and month are never guessed. With ``date_format`` every value must match it, and a
    format that reads some rows while other rows only fit the day/month swap is refused.
    Without it, numeric dates (``03/04/2026``, ``22-04-15``) take their order from the values
    that prove it (a first number above 12 is a day, a second one above 12 is a day); a column
    whose values contradict each other, or fit both orders throughout, is refused unless
    ``dayfirst`` is set. Other texts (ISO, ``31-Jul-18``) are read by polars, then pandas.
    ``choice``, decided over a whole file, replaces what these values alone would decide.

    Raises:
        SourceError: one line naming the column, two example values and the fix.
    """
    where = where or "dates"
    dtype = values.dtype
    if dtype in (pl.Date,) or isinstance(dtype, pl.Datetime):
        return _naive_utc(values.cast(pl.Datetime("us")) if dtype == pl.Date else values)
    if dtype == pl.Null:
        return values.cast(pl.Datetime("us"))
    if dtype != pl.String:
        values = values.cast(pl.String)
    if date_format:
        out = _naive_utc(values.str.strptime(pl.Datetime("us"), date_format, strict=False))
        _check_format_order(values, out, date_format, where)
        return out
    order = choice.order if choice is not None else date_order(values, dayfirst, where)
    values = _numeric_dates_as_iso(values, order)
    out = _polars_dates(values, None if choice is None else choice.anchor, order)
    missed = out.is_null() & values.is_not_null()
    if missed.any():
        texts = values.filter(missed)
        # pandas' dayfirst also swaps year-first dates (2026-07-03 -> 7 March): those are never day-first.
        year_first = texts.str.contains(_YEAR_FIRST).fill_null(False)
        filled = pl.Series(values.name, [None] * texts.len(), dtype=pl.Datetime("us"))
        for part, dayfirst_part in ((year_first, False), (~year_first, bool(order))):
            if part.any():
                filled = filled.scatter(part.arg_true(), _pandas_dates(texts.filter(part), dayfirst_part))
        out = out.scatter(missed.arg_true(), filled)
    return out


_YEAR_FIRST = r"^\d{4}[-/.]"


def _pandas_dates(texts: pl.Series, dayfirst: bool) -> pl.Series:
    """pandas' reading of date texts polars could not read (each value's own format), naive UTC."""
    rest = pd.to_datetime(
        pd.Series(texts.to_list(), dtype=object), format="mixed", dayfirst=dayfirst, errors="coerce", utc=True
    )
    rest = rest.where((rest.dt.year >= 1) | rest.isna()).dt.tz_localize(None)
    return pl.from_pandas(rest).cast(pl.Datetime("us"))


def _polars_dates(values: pl.Series, anchor: str | None, order: bool | None) -> pl.Series:
    """polars' reading of date texts; its format is inferred from the anchor when there is one.

    polars infers one format from a column's first value: a batch of a streamed file starts
    with the whole file's first value, so every batch infers the format the whole file would and
    each value is read by the same parser (polars or pandas) as in a whole-file read.
    """
    probe = values
    if anchor is not None:
        head = _numeric_dates_as_iso(pl.Series(values.name, [anchor], dtype=pl.String), order)
        probe = pl.concat([head, values])
    try:
        out = _naive_utc(probe.str.to_datetime(strict=False, time_unit="us"))
    except Exception:  # no format could be inferred from the first value: pandas reads them all
        logger.debug("column %s: polars could not infer a date format", values.name)
        return pl.Series(values.name, [None] * values.len(), dtype=pl.Datetime("us"))
    return out.slice(1) if anchor is not None else out


def _numeric_dates_as_iso(values: pl.Series, dayfirst: bool | None) -> pl.Series:
    """Numeric d/m/y (or m/d/y) texts rewritten as ISO ``YYYY-MM-DD<rest>``; other texts unchanged.

    Two-digit years follow strptime's ``%y`` rule (00-68 -> 20xx, 69-99 -> 19xx).
    """
    if dayfirst is None:
        return values
    parts = values.str.extract_groups(_NUMERIC_DATE)
    a, b = parts.struct.field("1"), parts.struct.field("2")
    day, month = (a, b) if dayfirst else (b, a)
    frame = pl.DataFrame({"v": values, "d": day, "m": month, "y": parts.struct.field("3")})
    year = pl.col("y").cast(pl.Int32, strict=False)
    year = (
        pl.when(pl.col("y").str.len_chars() == 2)
        .then(pl.when(year < 69).then(year + 2000).otherwise(year + 1900))
        .otherwise(year)
    )
    iso = pl.concat_str(
        [
            year.cast(pl.String).str.zfill(4),
            pl.lit("-"),
            pl.col("m").str.zfill(2),
            pl.lit("-"),
            pl.col("d").str.zfill(2),
            pl.col("v").str.replace(r"^\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})", ""),
        ]
    )
    return frame.select(pl.when(pl.col("d").is_not_null()).then(iso).otherwise(pl.col("v"))).to_series()


def _check_format_order(values: pl.Series, out: pl.Series, date_format: str, where: str) -> None:
    """Refuse a format that reads some rows while other rows only fit it with day and month swapped."""
    if "%d" not in date_format or "%m" not in date_format:
        return
    failed = values.filter(out.is_null() & values.is_not_null())
    if failed.is_empty():
        return
    swapped = date_format.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    fits_swap = failed.filter(failed.str.strptime(pl.Datetime("us"), swapped, strict=False).is_not_null())
    if fits_swap.is_empty():
        return
    ok = values.filter(out.is_not_null())
    read = f"reads '{ok[0]}' but " if len(ok) else ""
    raise SourceError(
        f"{where}: column {values.name!r}: date_format {date_format!r} {read}{len(fits_swap):,} value(s) "
        f"such as '{fits_swap[0]}' only fit {swapped!r}, so day and month would be swapped: fix date_format"
    )


def _naive_utc(values: pl.Series) -> pl.Series:
    dtype = values.dtype
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        values = values.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return values.cast(pl.Datetime("us"))


def _numbers(values: pl.Series, kind: str) -> pl.Series:
    if values.dtype == pl.Boolean:
        values = values.cast(pl.Int8)
    if values.dtype == pl.String:
        values = values.str.replace_all(r"^\+", "")
    floats = (
        values.cast(pl.Float64, strict=False)
        if values.dtype.is_numeric() or values.dtype == pl.String
        else pl.Series(values.name, [None] * values.len(), dtype=pl.Float64)
    )
    if kind == "float":
        return floats
    frame = floats.to_frame("f")
    return (
        frame.select(pl.when(pl.col("f").round(0) == pl.col("f")).then(pl.col("f")))
        .to_series()
        .cast(pl.Int64)
        .alias(values.name)
    )


def _blank_to_null(values: pl.Series) -> pl.Series:
    frame = values.to_frame("v")
    return frame.select(pl.when(pl.col("v") != "").then(pl.col("v"))).to_series().alias(values.name)


def _booleans(values: pl.Series) -> pl.Series:
    if values.dtype == pl.Boolean:
        return values
    if values.dtype.is_numeric():
        return values != 0
    lowered = values.cast(pl.String).str.to_lowercase()
    return (
        pl.DataFrame({"v": lowered})
        .select(
            pl.when(pl.col("v").is_in(_TRUE))
            .then(True)
            .when(pl.col("v").is_in(_FALSE))
            .then(False)
            .otherwise(None)
            .cast(pl.Boolean)
        )
        .to_series()
        .alias(values.name)
    )


def _reasons(before: pl.Series, after: pl.Series, prefix: str, suffix: str) -> pl.Series:
    """'<prefix>'value'<suffix>' where a value was present but could not be converted."""
    frame = pl.DataFrame({"v": before.cast(pl.String), "bad": before.is_not_null() & after.is_null()})
    return frame.select(
        pl.when(pl.col("bad")).then(
            pl.concat_str([pl.lit(prefix + "'"), pl.col("v").str.slice(0, 60), pl.lit("'" + suffix)])
        )
    ).to_series()


def _join_reasons(reasons: list[pl.Series], height: int) -> pl.Series:
    if not reasons:
        return pl.Series(REASON, [None] * height, dtype=pl.String)
    frame = pl.DataFrame({f"r{i}": r for i, r in enumerate(reasons)})
    return (
        frame.select(pl.concat_str(pl.all(), separator="; ", ignore_nulls=True))
        .to_series()
        .alias(REASON)
        .replace("", None)
    )


def truncate_texts(frame: pl.DataFrame) -> pl.DataFrame:
    """Cut every text longer than MAX_TEXT_CHARS to that length and flag the row."""
    texts = [c for c, t in frame.schema.items() if t == pl.String and c not in (*TRACE, SOURCE)]
    if not texts:
        return frame.with_columns(pl.lit(False).alias(TRUNCATED))
    too_long = [pl.col(c).str.len_chars().fill_null(0) > MAX_TEXT_CHARS for c in texts]
    flagged = frame.with_columns(pl.any_horizontal(too_long).alias(TRUNCATED))
    count = flagged[TRUNCATED].sum()
    if count:
        logger.info("%d row(s) with a text over %d characters were truncated", count, MAX_TEXT_CHARS)
    return flagged.with_columns(pl.col(c).str.slice(0, MAX_TEXT_CHARS) for c in texts)


# ------------------------------------------------------------------------------------------- table


def top_reasons(reasons: list[str], n: int = 3, where: list[str] | None = None) -> list[tuple[str, int, str]]:
    """The ``n`` commonest kinds of reject reason: (kind, rows, one example value).

    A row can carry several reasons ("; " separated); each counts for its kind. The kind is the
    reason with its quoted values and numbers blanked, so "duplicate feedback_id '7'" and
    "duplicate feedback_id '8'" are one kind, shown with the first value as the example. A
    reason without a value ("text is missing") shows where its first row is (``where``).
    """
    counts: dict[str, int] = {}
    examples: dict[str, str] = {}
    for i, reason in enumerate(reasons):
        for part in dict.fromkeys(p.strip() for p in str(reason).split("; ") if p.strip()):
            quoted = re.findall(r"'[^']*'", part)
            kind = re.sub(r"'[^']*'", "...", part)
            kind = re.sub(r"\s*\([^)]*\)", "", kind)
            numbers = [] if quoted else re.findall(r"-?\d[\d.]*", kind)[:1]
            if numbers:  # an unquoted value, as in "rating: 0.0 is outside 1..5"
                kind = kind.replace(numbers[0], "...", 1)
            counts[kind] = counts.get(kind, 0) + 1
            place = where[i] if where else "-"
            examples.setdefault(kind, quoted[0] if quoted else (numbers[0] if numbers else place))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    # One line each on the console, whatever the value holds (newlines, terminal escapes).
    shown = {k: re.sub(r"[\x00-\x1f\x7f-\x9f]+", " ", v)[:80] for k, v in examples.items()}
    return [(re.sub(r"[\x00-\x1f\x7f-\x9f]+", " ", kind), count, shown[kind]) for kind, count in ranked]


FIRST_SOURCE, FIRST_ROW = "_first_source", "_first_row"


def mark_duplicates(
    frame: pl.DataFrame,
    table: str,
    taken: set[str] | pl.Series | None = None,
    earlier: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Reject every repeat of an id after its first readable row, and ids already kept elsewhere.

    ``frame`` holds the table's rows in source order; ``taken`` are ids of processed rows this
    pull keeps (other quarters), which new rows must not repeat. The first row keeps the id
    because it is the one an analyst sees first in the export; the rest name it in their reason.
    ``earlier`` are the first rows of ids met in earlier batches of a streamed pull
    (:func:`first_rows` of each marked batch), so a batch marks its rows as the whole file would.
    """
    id_col = TABLES[table].id_column
    if id_col is None or frame.is_empty():
        return frame
    ok = pl.col(REASON).is_null() & pl.col(id_col).is_not_null()
    ordered = frame.with_row_index("_order")
    first = (
        ordered.filter(ok)
        .group_by(id_col, maintain_order=True)
        .agg(
            pl.col("_order").first().alias("_first"),
            pl.col(SOURCE).first().alias(FIRST_SOURCE),
            pl.col(ROW).first().alias(FIRST_ROW),
        )
        .with_columns(pl.lit(False).alias("_before"))
    )
    if earlier is not None and earlier.height:
        ids = first[id_col]
        before = earlier.filter(pl.col(id_col).is_in(ids)).select(
            id_col,
            pl.lit(None, dtype=first.schema["_first"]).alias("_first"),
            FIRST_SOURCE,
            FIRST_ROW,
            pl.lit(True).alias("_before"),
        )
        first = pl.concat([before, first.join(before, on=id_col, how="anti")])
    marked = ordered.join(first, on=id_col, how="left", validate="m:1", maintain_order="left")
    taken_ids = pl.Series(sorted(taken), dtype=pl.String) if isinstance(taken, set) else taken
    repeat = pl.col("_before") | (pl.col("_order") != pl.col("_first"))
    reason = (
        pl.when(ok & pl.col(id_col).is_in(taken_ids if taken_ids is not None else []))
        .then(
            pl.concat_str([pl.lit(f"duplicate {id_col} '"), pl.col(id_col), pl.lit("': already processed")])
        )
        .when(ok & repeat)
        .then(
            pl.concat_str(
                [
                    pl.lit(f"duplicate {id_col} '"),
                    pl.col(id_col),
                    pl.lit("' (first kept: source "),
                    pl.col(FIRST_SOURCE),
                    pl.lit(" row "),
                    pl.col(FIRST_ROW).cast(pl.String),
                    pl.lit(")"),
                ]
            )
        )
        .otherwise(pl.col(REASON))
    )
    return marked.with_columns(reason.alias(REASON)).sort("_order").select(frame.columns)


def first_rows(marked: pl.DataFrame, table: str) -> pl.DataFrame:
    """The ids a marked batch keeps, with where each one is (for the next batch's ``earlier``)."""
    id_col = TABLES[table].id_column
    if id_col is None or marked.is_empty():
        return pl.DataFrame()
    kept = marked.filter(pl.col(REASON).is_null() & pl.col(id_col).is_not_null())
    return kept.select(id_col, pl.col(SOURCE).alias(FIRST_SOURCE), pl.col(ROW).alias(FIRST_ROW))


def within_quarter(frame: pl.DataFrame, table: str, q: Quarter | None) -> tuple[pl.DataFrame, int]:
    """The rows of a time table inside the pulled quarter (undated rows too), and how many were not.

    Rows outside it are counted, not rejected: they belong to another quarter's pull.
    """
    date_col = TABLES[table].date_column
    if q is None or date_col is None:
        return frame, 0
    when = pl.col(date_col)
    kept = frame.filter(when.is_null() | ((when >= q.start.to_pydatetime()) & (when < q.end.to_pydatetime())))
    return kept, frame.height - kept.height


def add_quarters(frame: pl.DataFrame, table: str, fy_start_month: int) -> pl.DataFrame:
    """The ``quarter`` label of every row of a time-based table (computed once per distinct date)."""
    date_col = TABLES[table].date_column
    if date_col is None:
        return frame
    dates = frame.select(pl.col(date_col).unique().drop_nulls()).to_series()
    labels = quarter_labels(pd.Series(dates.to_pandas()), fy_start_month)
    lookup = pl.DataFrame(
        {date_col: dates, QUARTER: pl.Series(labels.astype(object).tolist(), dtype=pl.String)}
    )
    return frame.join(lookup, on=date_col, how="left", validate="m:1", maintain_order="left")


def validate(frame: pl.DataFrame, table: str) -> tuple[pd.DataFrame, pl.DataFrame]:
    """Pandera on the rows without a reason yet; returns (valid rows, reasons for the others).

    The valid rows come back as pandas with the schema's types (pandas is what notebooks see).
    The reasons frame has ``source``, ``_file``, ``_row`` and ``_reason`` for every rejected row,
    including rows that already had a reason from normalising (those first, then pandera's).
    """
    valid, earlier, found = validate_parts(frame, table)
    return valid, pl.concat([earlier, found])


def validate_parts(frame: pl.DataFrame, table: str) -> tuple[pd.DataFrame, pl.DataFrame, pl.DataFrame]:
    """:func:`validate`, with the rows rejected before pandera and by pandera apart.

    A streamed pull validates batch by batch and concatenates each part over all batches, so
    its rejects come in the order a whole-file validation gives.
    """
    sch = schema(table)
    keys = [SOURCE, FILE, ROW, REASON]
    earlier = frame.filter(pl.col(REASON).is_not_null()).select(keys)
    candidates = frame.filter(pl.col(REASON).is_null()).to_pandas()
    try:
        sch.validate(candidates, lazy=True)
        failed = pd.Series(dtype=object)
    except pa_errors.SchemaErrors as exc:
        failed = _pandera_reasons(exc.failure_cases, table)
    if len(failed):
        rejected = candidates.loc[failed.index, [SOURCE, FILE, ROW]].assign(**{REASON: failed.to_numpy()})
        found = pl.from_pandas(rejected).cast({ROW: pl.Int64, REASON: pl.String})
        candidates = candidates.drop(index=failed.index)
    else:
        found = earlier.clear()
    try:
        valid = sch.validate(candidates.reset_index(drop=True))
    except (pa_errors.SchemaError, pa_errors.SchemaErrors) as exc:  # not a row problem: a bug or a type clash
        raise ValidationFailed(
            f"table {table} cannot be validated: {str(exc).splitlines()[0][:200]}"
        ) from None
    return valid, earlier, found.select(keys)


def _pandera_reasons(cases: pd.DataFrame, table: str) -> pd.Series:
    """One reason per failing row index, from pandera's failure cases."""
    unplaced = cases[cases["index"].isna()]
    if len(unplaced):
        row = unplaced.iloc[0]
        raise ValidationFailed(f"table {table}: column {row['column']!r} fails {row['check']}")
    texts = [
        _describe(str(c), str(chk), case)
        for c, chk, case in zip(cases["column"], cases["check"], cases["failure_case"], strict=True)
    ]
    by_row = pd.Series(texts, index=cases["index"].astype(int).to_numpy())
    return by_row.groupby(level=0, sort=True).agg(lambda s: "; ".join(dict.fromkeys(s)))


def _describe(column: str, check: str, case: object) -> str:
    shown = str(case)[:60]
    if check == "not_nullable":
        return f"{column} is missing"
    if check == "field_uniqueness":
        return f"duplicate {column} {shown!r}"
    if check.startswith("coerce_dtype"):
        return f"{column}: cannot store {shown!r} as {check[len('coerce_dtype(') : -1].strip(chr(39))}"
    match = re.fullmatch(r"(\w+)\((.*)\)", check)
    name, args = (match.group(1), match.group(2)) if match else (check, "")
    if name == "isin":
        allowed = ", ".join(re.findall(r"'([^']*)'", args)) or args
        return f"{column}: {shown!r} is not one of {allowed}"
    if name == "in_range":
        return f"{column}: {shown} is outside {args.replace(', ', '..')}"
    if name == "greater_than_or_equal_to":
        return f"{column}: {shown} is below {args}"
    return f"{column}: {shown!r} fails {check}"
