"""Competitor mentions in customer feedback and deal notes, from the competitor alias dictionary.

The ``competitors`` table (config-driven: a canonical ``name`` and ``|``-separated ``aliases``)
is compiled into one regular expression per competitor. Matching is:

* **whole word**: the match may not touch a letter, digit or underscore on either side, so
  "Pulse" never fires inside "impulse" or "pulses" (lookarounds ``(?<!\\w)`` / ``(?!\\w)``
  rather than ``\\b``, because ``\\b`` misbehaves at names that begin or end with punctuation
  such as "Monday.com" or "C++");
* **case-insensitive**;
* **alias-aware**: every alias maps to the canonical name; inside a name, a space may be
  written as a space, a hyphen or nothing ("Pulse HQ", "Pulse-HQ", "PulseHQ");
* **possessive-tolerant**: "Asana's" matches "Asana" (the apostrophe is not a word character);
* **longest wins**: when two competitors' names overlap in a text ("Pulse" and
  "Pulse Analytics"), only the longer match counts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import pandas as pd

from workbench.analysis.joins import require_columns
from workbench.core.quarters import quarter_labels

NO_COMPETITOR = "No competitor named"

logger = logging.getLogger(__name__)

MENTION_COLUMNS = ["table", "record_id", "quarter", "created_at", "competitor"]


def aliases_of(name: str, aliases: str | None) -> list[str]:
    """The canonical name plus its aliases, stripped, de-duplicated, longest first."""
    found = [str(name).strip()]
    if isinstance(aliases, str):
        found += [a.strip() for a in aliases.split("|")]
    seen: dict[str, str] = {}
    for alias in found:
        if alias and alias.casefold() not in seen:
            seen[alias.casefold()] = alias
    return sorted(seen.values(), key=lambda a: (-len(a), a))


def _alias_regex(alias: str) -> str:
    # Each run of spaces inside a name may be written as spaces, a hyphen or nothing at all.
    parts = [re.escape(p) for p in alias.split()]
    return r"[\s\-]?".join(parts) if len(parts) > 1 else parts[0]


def compile_patterns(competitors: pd.DataFrame) -> dict[str, re.Pattern[str]]:
    """One compiled, case-insensitive, whole-word pattern per canonical competitor name.

    Args:
        competitors: canonical ``competitors`` table (``name``, optional ``aliases``).

    Returns:
        ``{canonical name: pattern}``, in table order.
    """
    require_columns(competitors, ["name"], "competitors")
    alias_col = (
        competitors["aliases"]
        if "aliases" in competitors.columns
        else pd.Series(None, index=competitors.index)
    )
    patterns: dict[str, re.Pattern[str]] = {}
    for name, aliases in zip(competitors["name"].tolist(), alias_col.tolist(), strict=True):
        if not isinstance(name, str) or not name.strip():
            continue
        alternatives = "|".join(_alias_regex(a) for a in aliases_of(name, aliases))
        patterns[name.strip()] = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    return patterns


def find_competitors(text: str | None, patterns: dict[str, re.Pattern[str]]) -> list[str]:
    """Canonical names of the competitors mentioned in ``text``, in order of first appearance.

    A match that lies inside a longer match of another competitor is discarded (longest wins).
    """
    if not isinstance(text, str) or not text:
        return []
    spans: list[tuple[int, int, str]] = []
    for name, pattern in patterns.items():
        spans.extend((m.start(), m.end(), name) for m in pattern.finditer(text))
    if not spans:
        return []
    kept = [
        (s, e, n)
        for s, e, n in spans
        if not any(n2 != n and s2 <= s and e <= e2 and (e2 - s2) > (e - s) for s2, e2, n2 in spans)
    ]
    ordered: dict[str, int] = {}
    for start, _end, name in sorted(kept):
        ordered.setdefault(name, start)
    return list(ordered)


def canonical_competitor(values: pd.Series, competitors: pd.DataFrame) -> pd.Series:
    """Map a structured competitor column (e.g. ``deals.competitor``) to canonical names.

    A CRM field typed by hand holds aliases ("pulsehq", "Pulse HQ"); the first competitor found in
    the value wins. Values that name no known competitor are kept as written (stripped), so an
    unknown rival is visible instead of silently merged; nulls stay null.
    """
    patterns = compile_patterns(competitors)
    mapped = []
    for value in values.tolist():
        if not isinstance(value, str) or not value.strip():
            mapped.append(None)
            continue
        hits = find_competitors(value, patterns)
        mapped.append(hits[0] if hits else value.strip())
    return pd.Series(mapped, index=values.index, dtype="string", name=values.name)


def competitor_names(values: pd.Series, competitors: pd.DataFrame | None = None) -> pd.Series:
    """The competitor of each deal as every win-rate view groups it: the one definition.

    With the alias dictionary, names are mapped by :func:`canonical_competitor`; without it they
    are only stripped. Blank, whitespace-only and missing values all become
    :data:`NO_COMPETITOR`, so "" and None never form two groups (or a group named "").
    """
    if competitors is not None:
        names = canonical_competitor(values, competitors)
    else:
        names = values.astype("string").str.strip().replace("", pd.NA)
    return names.fillna(NO_COMPETITOR).rename(values.name)


def _scan(
    table: str,
    ids: Iterable,
    texts: Iterable,
    dates: pd.Series,
    quarters: pd.Series,
    patterns: dict[str, re.Pattern[str]],
) -> list[tuple]:
    rows = []
    for rid, text, when, quarter in zip(ids, texts, dates, quarters, strict=True):
        for name in find_competitors(text, patterns):
            rows.append((table, rid, quarter, when, name))
    return rows


def mentions(
    feedback: pd.DataFrame | None,
    deals: pd.DataFrame | None,
    competitors: pd.DataFrame,
    fy_start_month: int = 1,
) -> pd.DataFrame:
    """Every competitor mention in feedback text and deal notes, one row per record and competitor.

    A deal also "mentions" the competitor named in its structured ``competitor`` field (mapped to
    its canonical name), because that is the sales team's own record of who it competed with.
    Several mentions of one competitor in one record count once: share of voice counts
    customers' records, not repetitions.

    Args:
        feedback: canonical feedback (``feedback_id``, ``text``, ``created_at``); None to skip.
        deals: canonical deals (``deal_id``, ``notes``, ``competitor``, ``created_at``); None to skip.
        competitors: canonical competitors (``name``, ``aliases``).
        fy_start_month: fiscal-year start, used only when a frame lacks a ``quarter`` column.

    Returns:
        ``table ('feedback'|'deals'), record_id, quarter, created_at, competitor`` sorted by
        created_at, table, record_id, competitor. The ``quarter`` is the record's own
        (creation) quarter.
    """
    patterns = compile_patterns(competitors)
    rows: list[tuple] = []
    sources = [("feedback", feedback, "feedback_id", "text"), ("deals", deals, "deal_id", "notes")]
    for table, frame, id_col, text_col in sources:
        if frame is None or frame.empty:
            continue
        require_columns(frame, [id_col, "created_at"], table)
        dates = pd.to_datetime(frame["created_at"])
        quarters = frame["quarter"] if "quarter" in frame.columns else quarter_labels(dates, fy_start_month)
        if text_col in frame.columns:
            rows += _scan(
                table,
                frame[id_col].tolist(),
                frame[text_col].tolist(),
                dates.tolist(),
                quarters.tolist(),
                patterns,
            )
        if table == "deals" and "competitor" in frame.columns:
            named = canonical_competitor(frame["competitor"], competitors)
            keep = named.notna() & named.isin(list(patterns)).fillna(False)
            rows += list(
                zip(
                    ["deals"] * int(keep.sum()),
                    frame[id_col][keep].tolist(),
                    quarters[keep].tolist(),
                    dates[keep].tolist(),
                    named[keep].tolist(),
                    strict=True,
                )
            )
    out = pd.DataFrame(rows, columns=MENTION_COLUMNS)
    out["created_at"] = pd.to_datetime(out["created_at"])
    out = out.drop_duplicates(["table", "record_id", "competitor"])
    logger.debug("competitor mentions: %d rows from %d patterns", len(out), len(patterns))
    return out.sort_values(["created_at", "table", "record_id", "competitor"]).reset_index(drop=True)
