"""Evidence quotes: a few representative, diverse, redacted customer quotes per theme.

A theme is believed when it is backed by the customers' own words, so each theme carries
quotes that (1) sound like the theme (high similarity to its centroid), (2) are not the same
complaint five times, (3) come from different customers and channels, (4) fit on a slide,
and (5) never leak personal data. Escaping is deliberately *not* done here: quotes are stored
as plain text and every renderer escapes them with :func:`workbench.themes.text.escape_html`.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from workbench.core.errors import ValidationFailed
from workbench.themes.embeddings import l2_normalise
from workbench.themes.text import redact_pii

logger = logging.getLogger(__name__)

QUOTE_COLUMNS = ["theme_id", "rank", "quote", "doc_id", "account_id", "channel", "quarter"]
MAX_COSINE = 0.92  # embeddings this close say the same thing
MAX_JACCARD = 0.6  # character 5-shingle overlap above this is a copy or a template
SHINGLE = 5
MIN_CHARS = 25  # "Great app!" is true but is not evidence of anything
ELLIPSIS = "\u2026"

_WS = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w]+")
_SENTENCE_END = re.compile(r"[.!?](?=\s)")


def trim_quote(text: str, max_chars: int) -> str:
    """``text`` with whitespace collapsed, cut to at most ``max_chars`` at a sentence or word boundary.

    A quote cut mid-word reads as an error in a deck; a cut at a sentence end keeps the
    customer's thought whole. The ellipsis shows the reader that the quote goes on.

    Args:
        text: the (already redacted) text.
        max_chars: hard upper bound on the result's length, ellipsis included.
    """
    text = _WS.sub(" ", text).strip()
    if len(text) <= max_chars:
        return text
    budget = max_chars - 2  # room for " …"
    head = text[: budget + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(head) if m.end() <= budget]
    if ends and ends[-1] >= budget // 2:
        return head[: ends[-1]] + " " + ELLIPSIS
    budget = max_chars - 1  # room for "…"
    head = text[: budget + 1]
    space = head.rfind(" ", 0, budget + 1)
    cut = head[:space] if space >= budget // 2 else head[:budget]
    return cut.rstrip(" ,;:-\u2013\u2014") + ELLIPSIS


def _shingles(text: str) -> frozenset[str]:
    norm = _NON_WORD.sub(" ", text.lower()).strip()
    if len(norm) <= SHINGLE:
        return frozenset([norm])
    return frozenset(norm[i : i + SHINGLE] for i in range(len(norm) - SHINGLE + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two shingle sets (0 when both are empty)."""
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def _centroid_similarity(theme_ids: pd.Series, unit: np.ndarray) -> np.ndarray:
    """Cosine of each row to the mean of its theme's rows: a stand-in when ``similarity`` is missing."""
    out = np.full(len(theme_ids), np.nan)
    codes, uniques = pd.factorize(theme_ids)
    for code in range(len(uniques)):
        rows = np.flatnonzero(codes == code)
        centre = unit[rows].mean(axis=0)
        norm = np.linalg.norm(centre)
        if norm > 0:
            out[rows] = unit[rows] @ (centre / norm)
    return out


def _pick(group: pd.DataFrame, unit: np.ndarray | None, per_theme: int, pool: int) -> list[int]:
    """Greedy pick of up to ``per_theme`` positions (into ``group``) in preference order.

    ``group`` is sorted best-first (similarity desc, doc_id asc). At each step the next quote is
    the first candidate, by the key (account already quoted, outside the top ``pool``, channel
    already quoted, position), that is not a near-duplicate of a quote already picked. So: a new
    account beats a repeated one (until accounts run out); among the most representative
    ``pool`` candidates a new channel is preferred; position breaks every tie deterministically.
    Unknown accounts count as distinct people (anonymous reviews); unknown channels never count
    as new.
    """
    n = len(group)
    account_codes, account_names = pd.factorize(group["account_id"])  # -1: unknown account
    channel_codes, channel_names = pd.factorize(group["channel"])
    texts = group["text"].tolist()
    position = np.arange(n)
    outside_pool = (position >= pool).astype(np.int64)
    rejected = np.zeros(n, dtype=bool)
    shingles: dict[int, frozenset[str]] = {}
    account_used = np.zeros(len(account_names) + 1, dtype=np.int64)  # last slot: unknown, never "used"
    channel_used = np.zeros(len(channel_names) + 1, dtype=np.int64)
    channel_used[-1] = 1  # an unknown channel shows no new channel: it gets no preference
    picked: list[int] = []

    def shingle(i: int) -> frozenset[str]:
        if i not in shingles:
            shingles[i] = _shingles(texts[i])
        return shingles[i]

    def near_duplicate(i: int) -> bool:
        if unit is not None and picked and float((unit[picked] @ unit[i]).max()) > MAX_COSINE:
            return True
        return any(jaccard(shingle(i), shingle(j)) > MAX_JACCARD for j in picked)

    while len(picked) < per_theme:
        key = (
            account_used[account_codes] * (4 * n)
            + outside_pool * (2 * n)
            + channel_used[channel_codes] * n
            + position
        )
        key[rejected] = np.iinfo(np.int64).max
        chosen = None
        for i in np.argsort(key, kind="stable"):
            if rejected[i]:
                break
            rejected[i] = True  # either picked now or a near-duplicate forever
            if not near_duplicate(int(i)):
                chosen = int(i)
                break
        if chosen is None:
            break
        picked.append(chosen)
        if account_codes[chosen] >= 0:
            account_used[account_codes[chosen]] = 1
        if channel_codes[chosen] >= 0:
            channel_used[channel_codes[chosen]] = 1
    return picked


def select_quotes(
    docs: pd.DataFrame,
    embeddings: np.ndarray | None,
    per_theme: int = 5,
    max_chars: int = 280,
    min_chars: int = MIN_CHARS,
) -> pd.DataFrame:
    """Up to ``per_theme`` evidence quotes per theme: representative, diverse, short, redacted.

    Candidates are texts of at least ``min_chars`` characters, ordered by ``similarity`` to the
    theme centroid (ties: ``doc_id``), so the first quote is the one that best says what the theme
    is. Then, greedily:

    - near-duplicates of a picked quote are rejected (cosine > 0.92 on the embeddings when given,
      and character 5-shingle Jaccard > 0.6 always, which catches templates and copy-paste);
    - one quote per account until the theme's accounts run out (unknown accounts count as distinct),
      so one loud customer cannot stand in for a trend;
    - among the ``4 * per_theme`` most representative candidates, a channel not yet quoted is
      preferred, so the evidence shows the theme across tickets, reviews and calls.

    Each quote is redacted with :func:`workbench.themes.text.redact_pii` *before* trimming (a trim could
    cut an e-mail address into a shape the patterns no longer recognise), then trimmed by
    :func:`trim_quote`. Quotes are not HTML-escaped: renderers escape.

    Args:
        docs: one row per document with ``doc_id``, ``theme_id``, ``text`` and, where known,
            ``account_id``, ``channel``, ``quarter``, ``similarity``. Rows with a null
            ``theme_id`` (unassigned) are skipped.
        embeddings: row-aligned with ``docs`` (position, not index), or None.
        per_theme: quotes wanted per theme.
        max_chars: maximum quote length, ellipsis included.
        min_chars: shorter texts are never quoted.

    Returns:
        ``theme_id, rank, quote, doc_id, account_id, channel, quarter``, sorted by theme_id, rank
        (rank 1 is the most representative).
    """
    missing = [c for c in ("doc_id", "theme_id", "text") if c not in docs.columns]
    if missing:
        raise ValidationFailed(f"quote candidates lack column(s) {missing}")
    if embeddings is not None and len(embeddings) != len(docs):
        raise ValidationFailed(
            f"embeddings have {len(embeddings)} rows but there are {len(docs)} documents; they must align"
        )
    frame = pd.DataFrame(
        {
            "doc_id": docs["doc_id"].astype(object).to_numpy(),
            "theme_id": docs["theme_id"].astype(object).to_numpy(),
            "text": docs["text"].astype(object).to_numpy(),
        }
    )
    for col in ("account_id", "channel", "quarter"):
        frame[col] = docs[col].astype(object).to_numpy() if col in docs.columns else None
    unit = l2_normalise(embeddings) if embeddings is not None and len(docs) else None
    similarity = (
        pd.to_numeric(docs["similarity"], errors="coerce").to_numpy(dtype=float)
        if "similarity" in docs.columns
        else np.full(len(docs), np.nan)
    )
    if unit is not None and np.isnan(similarity).any():
        computed = _centroid_similarity(frame["theme_id"], unit)
        similarity = np.where(np.isnan(similarity), computed, similarity)
    frame["similarity"] = np.nan_to_num(similarity, nan=-np.inf)
    frame["_row"] = np.arange(len(frame))
    frame["text"] = frame["text"].map(lambda t: _WS.sub(" ", t).strip() if isinstance(t, str) else "")
    frame = frame[frame["theme_id"].notna() & (frame["text"].str.len() >= min_chars)]
    frame = frame.assign(_theme_key=frame["theme_id"].astype(str), _doc_key=frame["doc_id"].astype(str))
    frame = frame.sort_values(
        ["_theme_key", "similarity", "_doc_key"], ascending=[True, False, True], kind="stable"
    )

    rows = []
    pool = max(4 * per_theme, 20)
    for _, group in frame.groupby("_theme_key", sort=True):
        group = group.reset_index(drop=True)
        group_unit = unit[group["_row"].to_numpy()] if unit is not None else None
        for rank, i in enumerate(_pick(group, group_unit, per_theme, pool), start=1):
            row = group.iloc[i]
            rows.append(
                {
                    "theme_id": row["theme_id"],
                    "rank": rank,
                    "quote": trim_quote(redact_pii(row["text"]), max_chars),
                    "doc_id": row["doc_id"],
                    "account_id": row["account_id"],
                    "channel": row["channel"],
                    "quarter": row["quarter"],
                }
            )
    out = pd.DataFrame(rows, columns=QUOTE_COLUMNS)
    out["rank"] = out["rank"].astype("int64")
    logger.debug("picked %d quotes for %d themes", len(out), out["theme_id"].nunique())
    return out
