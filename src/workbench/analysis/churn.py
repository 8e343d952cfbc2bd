"""Churn and retention: logo and ARR churn, churn reasons as themes, and ARR at risk.

Definitions (documented because churn numbers are only comparable when these are fixed):

* An account is **active at the start of a quarter** when it was created before the quarter
  starts (or has no ``created_at``) and had not churned before it starts. These accounts are
  the denominator.
* It **churned in the quarter** when it was active at the start and ``start <= churned_at < end``.
  Accounts created and churned inside the same quarter are not in the denominator and so not
  counted (they never started the quarter as customers).
* **Logo churn** = churned / active at start. **ARR churn** = ARR of the churned / ARR of the
  active at start, using each account's ``arr`` as exported (the canonical table holds one ARR
  per account, its latest, so ARR churn is approximate when ARR changed over time).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd

from workbench.analysis.joins import UNASSIGNED, record_themes, require_columns, theme_labels
from workbench.analysis.stats import wilson_interval
from workbench.core.quarters import Quarter, quarter_labels, quarter_range

logger = logging.getLogger(__name__)

ALL = "All"
# Below this score a text is negative, for assignments that carry no ``sentiment_label`` (outputs
# written before labels existed); VADER's usual cut-off.
NEGATIVE_SENTIMENT = -0.05


def _default_quarters(accounts: pd.DataFrame, fy_start_month: int) -> list[str]:
    churned = pd.to_datetime(accounts["churned_at"]).dropna()
    if churned.empty:
        return []
    return quarter_range(Quarter.of(churned.min(), fy_start_month), Quarter.of(churned.max(), fy_start_month))


def churn_rates(
    accounts: pd.DataFrame,
    quarters: Iterable[str] | None = None,
    by: str | None = "segment",
    include_total: bool = True,
    fy_start_month: int = 1,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Logo churn and ARR churn per quarter (and segment), with a Wilson CI on logo churn.

    Args:
        accounts: canonical accounts (``account_id, segment, arr, created_at, churned_at``).
        quarters: quarter labels to compute; None for every quarter from the first to the last
            churn date.
        by: a column of ``accounts`` to split by (``"segment"``, ``"region"``, ``"plan"``) or None.
        include_total: add rows with ``<by> = "All"`` (ignored when ``by`` is None, which gives
            only those rows).
        fy_start_month: fiscal-year start month.
        confidence: level of the Wilson interval on logo churn.

    Returns:
        ``quarter, <by or 'segment'>, active_start, churned, logo_churn, ci_low, ci_high,
        arr_start, arr_churned, arr_churn``; rates are 0..1. Groups with no active account at
        the start of a quarter have no row for it. Sorted by quarter, then group with "All" last.
    """
    require_columns(accounts, ["account_id", "arr", "churned_at"], "accounts")
    group_col = by or "segment"
    if by is not None:
        require_columns(accounts, [by], "accounts")
    labels = (
        [str(Quarter.parse(q, fy_start_month)) for q in quarters]
        if quarters is not None
        else _default_quarters(accounts, fy_start_month)
    )
    created = (
        pd.to_datetime(accounts["created_at"])
        if "created_at" in accounts.columns
        else pd.Series(pd.NaT, index=accounts.index)
    )
    churned_at = pd.to_datetime(accounts["churned_at"])
    groups = (
        accounts[by].astype("string").fillna("Unknown")
        if by is not None
        else pd.Series(ALL, index=accounts.index)
    )
    arr = accounts["arr"].astype(float).fillna(0.0)
    rows = []
    for label in labels:
        q = Quarter.parse(label, fy_start_month)
        active = (created.isna() | (created < q.start)) & (churned_at.isna() | (churned_at >= q.start))
        churned = active & (churned_at >= q.start) & (churned_at < q.end)
        frame = pd.DataFrame(
            {
                group_col: groups,
                "active": active,
                "churned": churned,
                "arr_active": arr.where(active, 0.0),
                "arr_churned": arr.where(churned, 0.0),
            }
        )
        parts = [frame]
        if by is not None and include_total:
            parts.append(frame.assign(**{group_col: ALL}))
        agg = (
            pd.concat(parts, ignore_index=True)
            .groupby(group_col)
            .agg(
                active_start=("active", "sum"),
                churned=("churned", "sum"),
                arr_start=("arr_active", "sum"),
                arr_churned=("arr_churned", "sum"),
            )
            .reset_index()
        )
        agg.insert(0, "quarter", label)
        rows.append(agg)
    cols = [
        "quarter",
        group_col,
        "active_start",
        "churned",
        "logo_churn",
        "ci_low",
        "ci_high",
        "arr_start",
        "arr_churned",
        "arr_churn",
    ]
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.concat(rows, ignore_index=True)
    out = out[out["active_start"] > 0]  # a group with no customer at the start has no churn rate
    out["active_start"] = out["active_start"].astype(int)
    out["churned"] = out["churned"].astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["logo_churn"] = np.where(out["active_start"] > 0, out["churned"] / out["active_start"], np.nan)
        out["arr_churn"] = np.where(out["arr_start"] > 0, out["arr_churned"] / out["arr_start"], np.nan)
    out["ci_low"], out["ci_high"] = wilson_interval(out["churned"], out["active_start"], confidence)
    out["_order"] = (out[group_col] == ALL).astype(int)
    out = out.sort_values(["quarter", "_order", group_col]).drop(columns="_order")
    return out[cols].reset_index(drop=True)


def churn_reasons(
    feedback: pd.DataFrame,
    assignments: pd.DataFrame,
    themes: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    quarters: Iterable[str] | None = None,
    channel: str = "churn_survey",
) -> pd.DataFrame:
    """Churn-survey answers mapped to themes: why customers say they left.

    Args:
        feedback: canonical feedback; only rows with ``channel == channel`` are used.
        assignments: theme engine assignments (rows with ``table == 'feedback'``).
        themes: theme table; answers in hidden or unknown themes count as ``"Unassigned"``.
        accounts: when given, the ARR of the distinct accounts behind each theme is added.
        quarters: feedback quarters to include; None for all.
        channel: the channel holding churn reasons.

    Returns:
        ``theme_id (null for unassigned), label, responses, share, accounts, arr``: ``share`` of
        all answers in scope (0..1), ``accounts`` distinct account ids, ``arr`` their summed ARR
        (NaN without ``accounts``). Sorted by responses, unassigned last.
    """
    require_columns(feedback, ["feedback_id", "channel"], "feedback")
    survey = feedback[feedback["channel"] == channel]
    if quarters is not None:
        survey = survey[survey["quarter"].isin([str(Quarter.parse(q)) for q in quarters])]
    pairs = record_themes(assignments, "feedback").rename(columns={"record_id": "feedback_id"})
    labels = theme_labels(themes)
    pairs = pairs[pairs["theme_id"].isin(labels["theme_id"])][["feedback_id", "theme_id"]]
    cols = ["feedback_id"] + (["account_id"] if "account_id" in survey.columns else [])
    frame = survey[cols].merge(pairs, on="feedback_id", how="left", validate="1:m")
    frame = frame.merge(labels[["theme_id", "label"]], on="theme_id", how="left", validate="m:1")
    frame["label"] = frame["label"].fillna(UNASSIGNED)
    if "account_id" not in frame.columns:
        frame["account_id"] = pd.NA
    out = (
        frame.groupby(["theme_id", "label"], dropna=False)
        .agg(responses=("feedback_id", "nunique"), accounts=("account_id", "nunique"))
        .reset_index()
    )
    out["share"] = out["responses"] / len(survey) if len(survey) else np.nan
    if accounts is not None:
        arr = accounts[["account_id", "arr"]]
        pairs_acc = frame[["theme_id", "account_id"]].dropna(subset=["account_id"]).drop_duplicates()
        pairs_acc = pairs_acc.merge(arr, on="account_id", how="inner", validate="m:1")
        sums = pairs_acc.groupby("theme_id", dropna=False)["arr"].sum()
        out["arr"] = out["theme_id"].map(sums).fillna(0.0)
        if out["theme_id"].isna().any():
            out.loc[out["theme_id"].isna(), "arr"] = float(
                pairs_acc[pairs_acc["theme_id"].isna()]["arr"].sum()
            )
    else:
        out["arr"] = np.nan
    out["_unassigned"] = out["theme_id"].isna().astype(int)
    out = out.sort_values(["_unassigned", "responses", "label"], ascending=[True, False, True])
    return out[["theme_id", "label", "responses", "share", "accounts", "arr"]].reset_index(drop=True)


def arr_at_risk(
    feedback: pd.DataFrame,
    assignments: pd.DataFrame,
    accounts: pd.DataFrame,
    quarter: str,
    themes: pd.DataFrame | None = None,
    threshold: float | None = None,
    min_negative: int = 2,
    fy_start_month: int = 1,
) -> pd.DataFrame:
    """Active accounts whose negative feedback is rising: revenue to save before it churns.

    An account is flagged when, in ``quarter``, it wrote at least ``min_negative`` negative
    feedback items **and** more than in the previous quarter. Negative is the theme engine's
    ``sentiment_label`` from ``assignments`` (its neutral band, docs/sentiment.md), or a score
    below ``threshold`` when one is given or the assignments carry no label. Active means a
    customer at the end of the quarter (created before the end, not churned by then).

    Args:
        feedback: canonical feedback (``feedback_id, account_id, created_at``; ``quarter`` used
            when present).
        assignments: theme engine assignments with ``sentiment``.
        accounts: canonical accounts.
        quarter: the report quarter.
        themes: theme table; when given, the most frequent theme of the account's negative
            feedback this quarter is labelled.
        threshold: sentiment below this is negative (None: the engine's label, else
            :data:`NEGATIVE_SENTIMENT`).
        min_negative: negative items needed this quarter.
        fy_start_month: fiscal-year start month.

    Returns:
        ``account_id, name, segment, arr, negative_now, negative_prev, feedback_now,
        top_theme_id, top_theme`` sorted by ARR (largest first), then account_id.
    """
    require_columns(feedback, ["feedback_id", "account_id", "created_at"], "feedback")
    require_columns(assignments, ["table", "record_id", "sentiment"], "assignments")
    q = Quarter.parse(quarter, fy_start_month)
    now, prev = str(q), str(q.previous())
    fb_quarter = (
        feedback["quarter"]
        if "quarter" in feedback.columns
        else quarter_labels(feedback["created_at"], fy_start_month)
    )
    fb = feedback.assign(_q=fb_quarter)[["feedback_id", "account_id", "_q"]]
    fb = fb[fb["_q"].isin([now, prev]) & fb["account_id"].notna()]
    pairs = record_themes(assignments, "feedback").rename(columns={"record_id": "feedback_id"})
    labelled = threshold is None and "sentiment_label" in pairs.columns
    keep = ["feedback_id", "sentiment"] + (["sentiment_label"] if labelled else [])
    sentiment = pairs.drop_duplicates("feedback_id")[keep]
    fb = fb.merge(sentiment, on="feedback_id", how="inner", validate="1:1")
    if labelled:
        fb["_neg"] = (fb["sentiment_label"] == "negative").to_numpy(dtype=bool)
    else:
        fb["_neg"] = fb["sentiment"] < (NEGATIVE_SENTIMENT if threshold is None else threshold)
    counts = (
        fb.assign(
            negative_now=fb["_neg"] & (fb["_q"] == now),
            negative_prev=fb["_neg"] & (fb["_q"] == prev),
            feedback_now=fb["_q"] == now,
        )
        .groupby("account_id")[["negative_now", "negative_prev", "feedback_now"]]
        .sum()
        .astype(int)
    )
    flagged = counts[
        (counts["negative_now"] >= min_negative) & (counts["negative_now"] > counts["negative_prev"])
    ]
    acc = accounts
    created = (
        pd.to_datetime(acc["created_at"])
        if "created_at" in acc.columns
        else pd.Series(pd.NaT, index=acc.index)
    )
    churned = (
        pd.to_datetime(acc["churned_at"])
        if "churned_at" in acc.columns
        else pd.Series(pd.NaT, index=acc.index)
    )
    active = (created.isna() | (created < q.end)) & (churned.isna() | (churned >= q.end))
    info_cols = [c for c in ("account_id", "name", "segment", "arr") if c in acc.columns]
    out = flagged.reset_index().merge(
        acc.loc[active, info_cols], on="account_id", how="inner", validate="1:1"
    )
    top = _top_negative_theme(fb, pairs, now, themes)
    out = out.merge(top, on="account_id", how="left", validate="1:1")
    for col in ("name", "segment"):
        if col not in out.columns:
            out[col] = pd.NA
    cols = [
        "account_id",
        "name",
        "segment",
        "arr",
        "negative_now",
        "negative_prev",
        "feedback_now",
        "top_theme_id",
        "top_theme",
    ]
    return out[cols].sort_values(["arr", "account_id"], ascending=[False, True]).reset_index(drop=True)


def _top_negative_theme(
    fb: pd.DataFrame, pairs: pd.DataFrame, now: str, themes: pd.DataFrame | None
) -> pd.DataFrame:
    """Most frequent theme of each account's negative feedback in the quarter (ties: theme id)."""
    negative = fb[fb["_neg"] & (fb["_q"] == now)][["feedback_id", "account_id"]]
    tagged = negative.merge(pairs[["feedback_id", "theme_id"]], on="feedback_id", how="inner", validate="1:m")
    tagged = tagged[tagged["theme_id"].notna()]
    if themes is not None:
        tagged = tagged[tagged["theme_id"].isin(theme_labels(themes)["theme_id"])]
    counts = tagged.groupby(["account_id", "theme_id"]).size().rename("n").reset_index()
    counts = counts.sort_values(["account_id", "n", "theme_id"], ascending=[True, False, True])
    top = counts.drop_duplicates("account_id")[["account_id", "theme_id"]].rename(
        columns={"theme_id": "top_theme_id"}
    )
    if themes is not None:
        labels = theme_labels(themes)[["theme_id", "label"]].rename(
            columns={"theme_id": "top_theme_id", "label": "top_theme"}
        )
        top = top.merge(labels, on="top_theme_id", how="left", validate="m:1")
    else:
        top["top_theme"] = top["top_theme_id"]
    return top
