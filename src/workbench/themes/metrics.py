"""Theme metrics per quarter: volume, share, accounts, ARR touched, sentiment, intent, QoQ change.

The theme engine says *which* theme each customer text belongs to; this module says how much
each theme matters and whether it is really moving. Everything is a pure function of the
assignments and the canonical ``feedback`` and ``accounts`` tables, returning tidy frames
(one row per quarter and theme) that the notebooks chart and the executive summary quotes.

Significance of a quarter-over-quarter change
---------------------------------------------
A theme's volume in two quarters is compared with the exact conditional binomial test for two
Poisson counts: given the theme's total over both quarters ``x_cur + x_prev``, the current count
is Binomial(x_cur + x_prev, p0) under "no change", with ``p0 = N_cur / (N_cur + N_prev)`` where
``N`` is the quarter's assigned feedback. Why this test:

- it is exact, so it stays honest at the small counts where themes start (a z-test on 3 vs 9
  items is unreliable);
- conditioning on the quarter totals means a quarter in which *all* feedback grew (a new source
  was pulled, the customer base doubled) does not make every theme "rising": it tests the change
  in the theme's share of the conversation, which is what "rising" should mean.

Every quarter tests every theme at once, so with 40 themes and alpha = 0.05 about two themes
would look "significant" by chance each quarter. The p-values are therefore adjusted with
Benjamini-Hochberg across the themes of a quarter (``p_adjusted``, false discovery rate at
alpha), and ``significant`` means ``p_adjusted < alpha``; ``p_value`` keeps the raw value.

A theme is flagged ``rising`` / ``falling`` only when the change is significant, the
larger of its two volumes reaches ``settings.min_volume`` (a swing from 2 to 9 items is not a
trend worth a headline), and its share and its volume move the same way (so a headline never
reads "rising, -10%"). ``new`` means it had no volume in a previous quarter that did have data.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from workbench.core.config import ThemeSettings
from workbench.core.errors import ValidationFailed
from workbench.core.frames import hidden_theme_ids as _hidden_ids
from workbench.core.frames import require_columns as _require
from workbench.core.quarters import Quarter
from workbench.core.stats import count_change_pvalue
from workbench.themes.registry import CANDIDATE_PREFIX
from workbench.themes.text import INTENTS

logger = logging.getLogger(__name__)

INTENT_SHARES = tuple(i for i in INTENTS if i != "other")  # "other" is the remainder
# Negative items: ``sentiment_label == 'negative'`` when the assignments carry labels (the theme
# engine's sentiment head, see workbench.themes.sentiment); for older assignments with a score only,
# a score below VADER's own threshold for a negative compound score.
NEGATIVE_BELOW = -0.05
METRIC_COLUMNS = [
    "quarter",
    "theme_id",
    "volume",
    "share",
    "accounts",
    "arr_touched",
    "sentiment_mean",
    "negative_share",
    "rating_mean",
    "nps_mean",
    *(f"intent_{i}" for i in INTENT_SHARES),
    "prev_volume",
    "prev_share",
    "change_pct",
    "p_value",
    "p_adjusted",
    "significant",
    "trend",
    "is_emerging",
    "rank_by_volume",
    "rank_by_arr",
]
SPLIT_GROUPS = {"segment": "Unknown", "channel": "unknown"}  # group column -> label for missing values


def _merge(left: pd.DataFrame, right: pd.DataFrame, validate: str, what: str, **kwargs) -> pd.DataFrame:
    try:
        return left.merge(right, validate=validate, **kwargs)
    except pd.errors.MergeError as exc:
        raise ValidationFailed(f"{what}: duplicate keys ({exc})") from None


def _ids_with_status(themes: pd.DataFrame | None, status: str) -> set:
    if themes is None or "status" not in themes.columns:
        return set()
    return set(themes.loc[themes["status"].astype("string").fillna("") == status, "theme_id"])


def feedback_assignments(
    assignments: pd.DataFrame,
    feedback: pd.DataFrame,
    accounts: pd.DataFrame,
    themes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Assigned feedback joined to its feedback row and account: one row per assigned feedback item.

    Only ``table == 'feedback'`` assignments count: deal notes are sales' words, not customer
    voice, and are analysed with the deals. Unassigned items and items in hidden (noise) themes
    are dropped, so shares are shares of the real themes.

    Returns:
        ``doc_id, record_id, quarter, theme_id, sentiment, sentiment_label, intent, channel,
        account_id, rating, score, segment, arr`` (missing optional inputs become nulls). ``rating``
        and ``score`` are what the customer stated (stars, NPS), kept beside the inferred sentiment.
    """
    _require(assignments, ["table", "record_id", "quarter", "theme_id"], "assignments")
    _require(feedback, ["feedback_id"], "feedback")
    _require(accounts, ["account_id"], "accounts")
    rows = assignments.loc[assignments["table"] == "feedback"].copy()
    for col in ("doc_id", "sentiment", "sentiment_label", "intent"):
        if col not in rows.columns:
            rows[col] = None
    rows = rows[["doc_id", "record_id", "quarter", "theme_id", "sentiment", "sentiment_label", "intent"]]
    fb = feedback[
        [
            c
            for c in ("feedback_id", "channel", "account_id", "rating", "score", "quarter")
            if c in feedback.columns
        ]
    ].rename(columns={"quarter": "_fb_quarter"})
    for col in ("channel", "account_id", "rating", "score"):
        if col not in fb.columns:
            fb[col] = None
    merged = _merge(
        rows,
        fb,
        "1:1",
        "assignments vs feedback",
        how="left",
        left_on="record_id",
        right_on="feedback_id",
        indicator="_found",
    )
    unknown = int((merged["_found"] == "left_only").sum())
    if unknown:
        logger.warning(
            "%d feedback assignments refer to feedback ids that are not in the feedback table", unknown
        )
    if "_fb_quarter" in merged.columns:
        merged["quarter"] = merged["quarter"].fillna(merged["_fb_quarter"])
    acc = accounts[[c for c in ("account_id", "segment", "arr") if c in accounts.columns]]
    for col in ("segment", "arr"):
        if col not in acc.columns:
            acc = acc.assign(**{col: None})
    merged = _merge(
        merged.drop(columns=["_found"]), acc, "m:1", "feedback vs accounts", how="left", on="account_id"
    )
    hidden = _hidden_ids(themes)
    keep = merged["theme_id"].notna() & ~merged["theme_id"].isin(hidden)
    out = merged.loc[
        keep,
        [
            "doc_id",
            "record_id",
            "quarter",
            "theme_id",
            "sentiment",
            "sentiment_label",
            "intent",
            "channel",
            "account_id",
            "rating",
            "score",
            "segment",
            "arr",
        ],
    ]
    out = out.astype({"sentiment": "float64", "rating": "float64", "score": "float64", "arr": "float64"})
    return out.reset_index(drop=True)


def _negative(rows: pd.DataFrame) -> pd.Series:
    """1.0 for a negative item, 0.0 otherwise, NaN without sentiment: the label first, else the score."""
    score_says = (rows["sentiment"] < NEGATIVE_BELOW).where(rows["sentiment"].notna())
    if "sentiment_label" not in rows.columns:
        return score_says.astype("float64")
    labels = rows["sentiment_label"]
    label_says = (labels == "negative").where(labels.notna())
    return label_says.where(labels.notna(), score_says).astype("float64")


def _per_theme_quarter(rows: pd.DataFrame) -> pd.DataFrame:
    """Aggregates that need only the rows of one (quarter, theme)."""
    keys = ["quarter", "theme_id"]
    frame = rows.assign(
        _negative=_negative(rows),
        **{f"intent_{i}": (rows["intent"] == i).astype("float64") for i in INTENT_SHARES},
    )
    grouped = frame.groupby(keys, sort=True)
    agg = grouped.agg(
        volume=("theme_id", "size"),
        accounts=("account_id", "nunique"),
        sentiment_mean=("sentiment", "mean"),
        negative_share=("_negative", "mean"),
        rating_mean=("rating", "mean"),
        nps_mean=("score", "mean"),
        **{f"intent_{i}": (f"intent_{i}", "mean") for i in INTENT_SHARES},
    )
    # ARR touched: each account once, however many times it spoke about the theme.
    distinct = frame.dropna(subset=["account_id"]).drop_duplicates([*keys, "account_id"])
    agg["arr_touched"] = distinct.groupby(keys)["arr"].sum(min_count=0)
    agg["arr_touched"] = agg["arr_touched"].fillna(0.0)
    return agg


def _benjamini_hochberg(p_values: pd.Series) -> pd.Series:
    """Benjamini-Hochberg adjusted p-values (NaN stays NaN): see the module docstring."""
    out = pd.Series(np.nan, index=p_values.index)
    tested = p_values.notna()
    if tested.any():
        out[tested] = stats.false_discovery_control(p_values[tested].to_numpy(dtype=float), method="bh")
    return out


def theme_metrics(
    assignments: pd.DataFrame,
    feedback: pd.DataFrame,
    accounts: pd.DataFrame,
    quarters: Sequence[str],
    settings: ThemeSettings,
    themes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One tidy row per (quarter, theme) for ``quarters``: size, reach, tone, intent and QoQ change.

    Args:
        assignments: the theme engine's assignments (:data:`workbench.core.schemas.ASSIGNMENT_COLUMNS`);
            must include the quarter before each requested quarter for the QoQ columns.
        feedback: the canonical feedback table (``feedback_id``, ``channel``, ``account_id``, ``rating``).
        accounts: the canonical accounts table (``account_id``, ``segment``, ``arr``).
        quarters: canonical quarter labels to report, e.g. ``["2026Q2", "2026Q3"]``.
        settings: ``min_volume`` and ``alpha`` decide the rising/falling flags.
        themes: optional theme table (:data:`workbench.core.schemas.THEME_COLUMNS`): hidden themes are
            dropped, emerging ones flagged, and registered themes with no volume still get a row.

    Returns:
        Columns :data:`METRIC_COLUMNS`. ``share`` is of the quarter's assigned feedback;
        ``change_pct`` is the volume change in percent (NaN when the previous volume is 0);
        ``p_adjusted`` is ``p_value`` adjusted (Benjamini-Hochberg) across the quarter's themes;
        ``prev_*``, ``change_pct`` and the p-values are NaN when the previous quarter has no
        assigned feedback at all (no history: the trend is then ``steady``, never ``new``).
        Sorted by quarter and rank_by_volume.
    """
    rows = feedback_assignments(assignments, feedback, accounts, themes)
    rows["quarter"] = rows["quarter"].astype(str)
    quarters = [str(Quarter.parse(q)) for q in quarters]
    previous = {q: str(Quarter.parse(q).previous()) for q in quarters}
    span = sorted(set(quarters) | set(previous.values()))
    rows = rows[rows["quarter"].isin(span)]

    theme_ids = set(rows["theme_id"])
    if themes is not None:
        theme_ids |= set(themes["theme_id"]) - _hidden_ids(themes)
    theme_ids = sorted(theme_ids, key=str)
    if not theme_ids:
        return pd.DataFrame(columns=METRIC_COLUMNS)

    grid = pd.MultiIndex.from_product([span, theme_ids], names=["quarter", "theme_id"])
    agg = _per_theme_quarter(rows).reindex(grid)
    for col in ("volume", "accounts", "arr_touched"):
        agg[col] = agg[col].fillna(0)
    agg = agg.astype({"volume": "int64", "accounts": "int64"})
    totals = rows.groupby("quarter").size().reindex(span, fill_value=0)
    agg["total"] = agg.index.get_level_values("quarter").map(totals).astype("int64")
    agg["share"] = np.where(agg["total"] > 0, agg["volume"] / agg["total"].where(agg["total"] > 0), np.nan)
    agg = agg.reset_index()

    cur = agg[agg["quarter"].isin(quarters)].copy()
    prev = agg[["quarter", "theme_id", "volume", "share", "total"]].rename(
        columns={
            "quarter": "_prev_quarter",
            "volume": "prev_volume",
            "share": "prev_share",
            "total": "prev_total",
        }
    )
    cur["_prev_quarter"] = cur["quarter"].map(previous)
    cur = _merge(cur, prev, "1:1", "quarter grid", how="left", on=["_prev_quarter", "theme_id"])
    history = cur["prev_total"] > 0
    cur["prev_volume"] = cur["prev_volume"].astype("float64").where(history)
    cur["prev_share"] = cur["prev_share"].where(history)
    cur["change_pct"] = np.where(
        history & (cur["prev_volume"] > 0),
        (cur["volume"] - cur["prev_volume"]) / cur["prev_volume"].where(cur["prev_volume"] > 0) * 100.0,
        np.nan,
    )
    cur["p_value"] = [
        count_change_pvalue(p, x, m, n) if h else float("nan")
        for x, p, n, m, h in zip(
            cur["volume"],
            cur["prev_volume"].fillna(0),
            cur["total"],
            cur["prev_total"].fillna(0),
            history,
            strict=True,
        )
    ]
    cur["p_adjusted"] = cur.groupby("quarter")["p_value"].transform(_benjamini_hochberg)
    cur["significant"] = (cur["p_adjusted"] < settings.alpha).fillna(False).astype(bool)
    big_enough = np.maximum(cur["volume"], cur["prev_volume"].fillna(0)) >= settings.min_volume
    flagged = cur["significant"] & big_enough
    share_delta = cur["share"] - cur["prev_share"]
    volume_delta = cur["volume"] - cur["prev_volume"]
    cur["trend"] = np.select(
        [
            history & (cur["prev_volume"] == 0) & (cur["volume"] > 0),
            flagged & (share_delta > 0) & (volume_delta > 0),
            flagged & (share_delta < 0) & (volume_delta < 0),
        ],
        ["new", "rising", "falling"],
        default="steady",
    )
    cur["is_emerging"] = cur["theme_id"].astype(str).str.startswith(CANDIDATE_PREFIX) | cur["theme_id"].isin(
        _ids_with_status(themes, "emerging")
    )
    by_quarter = cur.groupby("quarter")
    cur["rank_by_volume"] = by_quarter["volume"].rank(method="min", ascending=False).astype("int64")
    cur["rank_by_arr"] = by_quarter["arr_touched"].rank(method="min", ascending=False).astype("int64")
    cur = cur.sort_values(["quarter", "rank_by_volume", "theme_id"], kind="stable")
    return cur[METRIC_COLUMNS].reset_index(drop=True)


def theme_splits(
    assignments: pd.DataFrame,
    feedback: pd.DataFrame,
    accounts: pd.DataFrame,
    by: str,
    quarters: Sequence[str] | None = None,
    themes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Theme volume split by ``segment`` or ``channel``, with the lift that shows concentration.

    ``concentration`` = the group's share of the theme / the group's share of all assigned
    feedback that quarter. A theme raised evenly has lift 1 everywhere; an Enterprise-concentrated
    theme has lift > 1 for Enterprise, even when Enterprise writes little feedback overall
    (which raw counts would hide).

    Args:
        by: ``segment`` (from accounts; unknown accounts are ``Unknown``) or ``channel``.
        quarters: restrict to these quarters (default: all).
        themes: optional theme table; hidden themes are dropped.

    Returns:
        ``quarter, theme_id, <by>, volume, share_of_theme, share_of_group, concentration``: every
        theme and group that has volume in the quarter (zero cells included, lift 0).
    """
    if by not in SPLIT_GROUPS:
        raise ValidationFailed(f"cannot split themes by {by!r}; expected one of {sorted(SPLIT_GROUPS)}")
    rows = feedback_assignments(assignments, feedback, accounts, themes)
    rows["quarter"] = rows["quarter"].astype(str)
    rows[by] = rows[by].astype(object).where(rows[by].notna(), SPLIT_GROUPS[by])
    if quarters is not None:
        rows = rows[rows["quarter"].isin([str(Quarter.parse(q)) for q in quarters])]
    columns = ["quarter", "theme_id", by, "volume", "share_of_theme", "share_of_group", "concentration"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    cells = rows.groupby(["quarter", "theme_id", by]).size().rename("volume")
    frames = []
    for quarter, part in cells.groupby(level="quarter", sort=True):
        part = part.droplevel("quarter")
        grid = pd.MultiIndex.from_product(
            [sorted(part.index.unique("theme_id"), key=str), sorted(part.index.unique(by), key=str)],
            names=["theme_id", by],
        )
        frames.append(part.reindex(grid, fill_value=0).reset_index().assign(quarter=quarter))
    out = pd.concat(frames, ignore_index=True)
    theme_total = out.groupby(["quarter", "theme_id"])["volume"].transform("sum")
    group_total = out.groupby(["quarter", by])["volume"].transform("sum")
    quarter_total = out.groupby("quarter")["volume"].transform("sum")
    out["share_of_theme"] = out["volume"] / theme_total
    out["share_of_group"] = out["volume"] / group_total
    out["concentration"] = out["share_of_theme"] / (group_total / quarter_total)
    out["volume"] = out["volume"].astype("int64")
    return out[columns].sort_values(["quarter", "theme_id", by], kind="stable").reset_index(drop=True)


def emerging_themes(metrics: pd.DataFrame, quarter: str | None = None) -> pd.DataFrame:
    """Rows of :func:`theme_metrics` worth a look as emerging: candidate themes and themes new this quarter.

    Args:
        metrics: output of :func:`theme_metrics`.
        quarter: keep only this quarter (default: all).

    Returns:
        The matching rows, largest volume first within each quarter.
    """
    _require(metrics, ["quarter", "theme_id", "volume", "trend", "is_emerging"], "metrics")
    keep = (metrics["is_emerging"].astype(bool) | (metrics["trend"] == "new")) & (metrics["volume"] > 0)
    if quarter is not None:
        keep &= metrics["quarter"] == str(Quarter.parse(quarter))
    out = metrics[keep].sort_values(
        ["quarter", "volume", "theme_id"], ascending=[True, False, True], kind="stable"
    )
    return out.reset_index(drop=True)
