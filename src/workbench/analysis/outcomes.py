"""Outcomes and wins: feature adoption over time, before/after views of shipped items, team credit.

The shipped items come from ``settings.shipped`` (:class:`workbench.core.config.ShippedItem`: id,
name, shipped_on, feature, theme_id, teams). A before/after view compares two windows of the
same length on either side of the ship date, so a seasonal or growing baseline is not mistaken
for an effect as long as the window is short; the window is capped by the data available after
the ship date (and ``max_window_days``). Volume changes are tested with an exact conditional
binomial test (equal windows, :func:`workbench.core.stats.count_change_pvalue`), a theme's share
of feedback with the two-proportion test, sentiment with Welch's t-test, weekly adoption with the
Mann-Whitney U test. Wins are judged on the share, never on raw volume.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis.joins import AnalysisInputError, record_themes, require_columns, theme_labels
from workbench.analysis.stats import count_change_pvalue, two_proportion_pvalue
from workbench.core.config import ShippedItem
from workbench.core.quarters import Quarter, quarter_labels

logger = logging.getLogger(__name__)

BEFORE_AFTER_COLUMNS = [
    "item_id",
    "item",
    "metric",
    "before",
    "after",
    "change",
    "change_pct",
    "p_value",
    "significant",
    "window_days",
    "before_start",
    "shipped_on",
    "after_end",
]
WIN_COLUMNS = [
    "item_id",
    "item",
    "shipped_on",
    "teams",
    "theme_id",
    "theme",
    "volume_before",
    "volume_after",
    "volume_change_pct",
    "volume_p_value",
    "sentiment_before",
    "sentiment_after",
    "adoption_before",
    "adoption_after",
    "adoption_change_pct",
    "adoption_p_value",
    "share_before",
    "share_after",
    "share_change_pct",
    "share_p_value",
    "headline_metric",
    "is_win",
    "evidence",
    "credit",
]


def _adopting(usage: pd.DataFrame) -> pd.DataFrame:
    """Usage rows that show real use (any active user or event); rows with neither column count."""
    signal = pd.Series(False, index=usage.index)
    has_signal_col = False
    for col in ("active_users", "events"):
        if col in usage.columns:
            has_signal_col = True
            signal |= usage[col].fillna(0) > 0
    return usage[signal] if has_signal_col else usage


def feature_adoption(
    usage: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    freq: Literal["W", "Q"] = "W",
    features: Iterable[str] | None = None,
    fy_start_month: int = 1,
) -> pd.DataFrame:
    """Accounts adopting each feature, and its active users, per week or per quarter.

    Args:
        usage: canonical usage (``account_id, period, feature, active_users, events``).
        accounts: canonical accounts; when given the adoption rate's denominator is the accounts
            that were customers at the start of the bucket (created before it, not churned
            before it). Without it, the denominator is the accounts with any usage in the bucket.
        freq: ``"W"`` (weeks starting Monday) or ``"Q"`` (quarters).
        features: features to keep; None for all.
        fy_start_month: fiscal-year start month (for ``"Q"`` and the ``quarter`` column).

    Returns:
        ``period (bucket start), quarter, feature, adopting_accounts, active_users, events,
        base_accounts, adoption_rate``. ``adopting_accounts`` = distinct accounts with use in the
        bucket; ``active_users`` = mean over the usage periods in the bucket of the summed
        active users (summing weekly users over a quarter would count people many times);
        ``events`` = total events. Sorted by feature then period.
    """
    require_columns(usage, ["account_id", "period", "feature"], "usage")
    if freq not in ("W", "Q"):
        raise AnalysisInputError(f"freq must be 'W' or 'Q', got {freq!r}")
    frame = usage if features is None else usage[usage["feature"].isin(list(features))]
    stamps = pd.to_datetime(frame["period"])
    frame = frame.assign(_bucket=_bucket_starts(stamps, freq, fy_start_month), _period=stamps)
    for col in ("active_users", "events"):
        if col not in frame.columns:
            frame[col] = np.nan
    used = _adopting(frame)
    adopters = used.groupby(["_bucket", "feature"])["account_id"].nunique().rename("adopting_accounts")
    per_period = frame.groupby(["_bucket", "feature", "_period"])["active_users"].sum(min_count=1)
    users = per_period.groupby(level=["_bucket", "feature"]).mean().rename("active_users")
    events = frame.groupby(["_bucket", "feature"])["events"].sum(min_count=1).rename("events")
    out = pd.concat([adopters, users, events], axis=1).reset_index()
    out["adopting_accounts"] = out["adopting_accounts"].fillna(0).astype(int)
    out = out.rename(columns={"_bucket": "period"})
    out["base_accounts"] = _base_accounts(out["period"], usage, accounts, freq, fy_start_month)
    out["adoption_rate"] = np.where(
        out["base_accounts"] > 0, out["adopting_accounts"] / out["base_accounts"].clip(1), np.nan
    )
    out["quarter"] = quarter_labels(out["period"], fy_start_month)
    cols = [
        "period",
        "quarter",
        "feature",
        "adopting_accounts",
        "active_users",
        "events",
        "base_accounts",
        "adoption_rate",
    ]
    return out[cols].sort_values(["feature", "period"]).reset_index(drop=True)


def _bucket_starts(stamps: pd.Series, freq: str, fy_start_month: int) -> pd.Series:
    """Start of each stamp's week (Monday) or fiscal quarter: the one bucketing rule of this module."""
    if freq == "W":
        return stamps.dt.to_period("W-SUN").dt.start_time
    return quarter_labels(stamps, fy_start_month).map(lambda q: Quarter.parse(q, fy_start_month).start)


def _base_accounts(
    buckets: pd.Series, usage: pd.DataFrame, accounts: pd.DataFrame | None, freq: str, fy_start_month: int
) -> np.ndarray:
    """Customer base per bucket start: active accounts, or accounts with any usage in the bucket."""
    starts = pd.to_datetime(buckets)
    if accounts is not None:
        created = pd.to_datetime(accounts["created_at"]) if "created_at" in accounts.columns else None
        churned = pd.to_datetime(accounts["churned_at"]) if "churned_at" in accounts.columns else None
        cache: dict[pd.Timestamp, int] = {}
        for start in starts.unique():
            active = pd.Series(True, index=accounts.index)
            if created is not None:
                active &= created.isna() | (created <= start)
            if churned is not None:
                active &= churned.isna() | (churned > start)
            cache[start] = int(active.sum())
        return starts.map(cache).to_numpy()
    bucket = _bucket_starts(pd.to_datetime(usage["period"]), freq, fy_start_month)
    per_bucket = usage.assign(_b=bucket).groupby("_b")["account_id"].nunique()
    return starts.map(per_bucket).fillna(0).astype(int).to_numpy()


def _window(
    item: ShippedItem,
    data_start: pd.Timestamp,
    data_end: pd.Timestamp,
    window_days: int | None,
    max_window_days: int,
) -> int:
    ship = pd.Timestamp(item.shipped_on)
    if window_days is not None:
        return int(window_days)
    after = (data_end.normalize() - ship).days + 1
    before = (ship - data_start.normalize()).days
    return int(max(0, min(max_window_days, after, before)))


def _row(
    item: ShippedItem, metric: str, before: float, after: float, p_value: float, alpha: float, window: int
) -> dict:
    ship = pd.Timestamp(item.shipped_on)
    change = after - before
    return {
        "item_id": item.id,
        "item": item.name,
        "metric": metric,
        "before": before,
        "after": after,
        "change": change,
        "change_pct": change / before * 100 if before else np.nan,
        "p_value": p_value,
        "significant": bool(p_value < alpha) if not np.isnan(p_value) else False,
        "window_days": window,
        "before_start": ship - pd.Timedelta(days=window),
        "shipped_on": ship,
        "after_end": ship + pd.Timedelta(days=window),
    }


def before_after(
    item: ShippedItem,
    usage: pd.DataFrame | None,
    assignments: pd.DataFrame | None,
    feedback: pd.DataFrame | None,
    window_days: int | None = None,
    max_window_days: int = 91,
    min_window_days: int = 14,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Adoption, and the related theme's volume and sentiment, before vs after a ship date.

    Windows: before = ``[shipped_on - w, shipped_on)``, after = ``[shipped_on, shipped_on + w)``,
    with ``w = window_days`` or, by default, the largest length up to ``max_window_days`` that
    the data covers on both sides (usage periods, and the feedback the theme engine assigned), so
    both windows are complete.

    Metrics (rows), each only when the item names what it needs:

    * ``adopting_accounts``: mean per usage period of accounts using ``item.feature``;
      Mann-Whitney U test on the per-period counts.
    * ``active_users``: mean per usage period of the feature's summed active users; same test.
    * ``theme_volume``: feedback items assigned to ``item.theme_id`` in each window; exact
      binomial test (equal windows, so equal rates mean a 50/50 split).
    * ``theme_share``: the theme's share of all assigned feedback in the window (controls for
      overall volume growth); two-proportion test.
    * ``theme_sentiment``: mean inferred sentiment of the theme's items (the engine's ``sentiment``,
      docs/sentiment.md); Welch's t-test.

    Args:
        item: the shipped item.
        usage: canonical usage (None to skip adoption).
        assignments: theme engine assignments with ``sentiment`` (None to skip the theme).
        feedback: canonical feedback, for the ``created_at`` of each assigned item.
        window_days: fixed window length; None to choose it from the data.
        max_window_days: cap for the automatic window.
        min_window_days: shorter windows are not analysed (an empty frame is returned).
        alpha: significance level.

    Returns:
        Columns :data:`BEFORE_AFTER_COLUMNS`: ``item_id, item, metric, before, after, change,
        change_pct (percent), p_value, significant, window_days, before_start, shipped_on,
        after_end``; one row per metric.
    """
    starts, ends = [], []
    if usage is not None and item.feature and not usage.empty:
        stamps = pd.to_datetime(usage["period"])
        starts.append(stamps.min())
        ends.append(stamps.max() + pd.Timedelta(days=6))
    if feedback is not None and assignments is not None and item.theme_id and not feedback.empty:
        # Only the feedback the theme engine assigned counts: it may cover fewer quarters than the pull.
        assigned = feedback["feedback_id"].isin(
            assignments.loc[assignments["table"] == "feedback", "record_id"]
        )
        stamps = pd.to_datetime(feedback.loc[assigned, "created_at"])
        if len(stamps):
            starts.append(stamps.min())
            ends.append(stamps.max())
    if not starts:
        return pd.DataFrame(columns=BEFORE_AFTER_COLUMNS)
    window = _window(item, max(starts), min(ends), window_days, max_window_days)
    if window < min_window_days:
        logger.warning("before/after for %s: only %d day(s) of data on one side; skipped", item.id, window)
        return pd.DataFrame(columns=BEFORE_AFTER_COLUMNS)
    ship = pd.Timestamp(item.shipped_on)
    lo, hi = ship - pd.Timedelta(days=window), ship + pd.Timedelta(days=window)
    rows = []
    if usage is not None and item.feature:
        rows += _adoption_rows(item, usage, ship, lo, hi, alpha, window)
    if assignments is not None and feedback is not None and item.theme_id:
        rows += _theme_rows(item, assignments, feedback, ship, lo, hi, alpha, window)
    return pd.DataFrame(rows, columns=BEFORE_AFTER_COLUMNS)


def _adoption_rows(item, usage, ship, lo, hi, alpha, window) -> list[dict]:
    frame = usage[usage["feature"] == item.feature].assign(_period=pd.to_datetime(usage["period"]))
    frame = frame[(frame["_period"] >= lo) & (frame["_period"] < hi)]
    every = pd.to_datetime(usage["period"])
    periods = pd.Series(sorted(every[(every >= lo) & (every < hi)].unique()))
    adopting = _adopting(frame).groupby("_period")["account_id"].nunique().reindex(periods, fill_value=0)
    users_col = (
        frame["active_users"] if "active_users" in frame.columns else pd.Series(0.0, index=frame.index)
    )
    users = frame.assign(_u=users_col).groupby("_period")["_u"].sum().reindex(periods, fill_value=0.0)
    rows = []
    for metric, series in (("adopting_accounts", adopting), ("active_users", users)):
        before, after = series[series.index < ship], series[series.index >= ship]
        if before.empty or after.empty:
            continue
        p = (
            float(stats.mannwhitneyu(before, after).pvalue)
            if (before.nunique() + after.nunique() > 2 or before.iloc[0] != after.iloc[0])
            else 1.0
        )
        rows.append(_row(item, metric, float(before.mean()), float(after.mean()), p, alpha, window))
    return rows


def _theme_rows(item, assignments, feedback, ship, lo, hi, alpha, window) -> list[dict]:
    pairs = record_themes(assignments, "feedback").rename(columns={"record_id": "feedback_id"})
    dated = pairs.merge(
        feedback[["feedback_id", "created_at"]], on="feedback_id", how="inner", validate="m:1"
    )
    dated = dated.assign(created_at=pd.to_datetime(dated["created_at"]))
    dated = dated[(dated["created_at"] >= lo) & (dated["created_at"] < hi)]
    after_mask = dated["created_at"] >= ship
    docs_before = dated.loc[~after_mask, "feedback_id"].nunique()
    docs_after = dated.loc[after_mask, "feedback_id"].nunique()
    theme = dated[dated["theme_id"] == item.theme_id]
    t_after = theme["created_at"] >= ship
    vol_b, vol_a = int((~t_after).sum()), int(t_after.sum())
    rows = [
        _row(item, "theme_volume", vol_b, vol_a, count_change_pvalue(vol_b, vol_a), alpha, window),
        _row(
            item,
            "theme_share",
            vol_b / docs_before if docs_before else np.nan,
            vol_a / docs_after if docs_after else np.nan,
            two_proportion_pvalue(vol_b, docs_before, vol_a, docs_after),
            alpha,
            window,
        ),
    ]
    if "sentiment" in theme.columns:
        s_b, s_a = theme.loc[~t_after, "sentiment"].dropna(), theme.loc[t_after, "sentiment"].dropna()
        p = (
            float(stats.ttest_ind(s_b, s_a, equal_var=False).pvalue)
            if len(s_b) > 1 and len(s_a) > 1
            else np.nan
        )
        rows.append(
            _row(
                item,
                "theme_sentiment",
                float(s_b.mean()) if len(s_b) else np.nan,
                float(s_a.mean()) if len(s_a) else np.nan,
                p,
                alpha,
                window,
            )
        )
    return rows


def before_after_all(
    items: Sequence[ShippedItem],
    usage: pd.DataFrame | None,
    assignments: pd.DataFrame | None,
    feedback: pd.DataFrame | None,
    **kwargs,
) -> pd.DataFrame:
    """:func:`before_after` for every shipped item, concatenated (same columns)."""
    frames = [before_after(item, usage, assignments, feedback, **kwargs) for item in items]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=BEFORE_AFTER_COLUMNS)


def _metric(results: pd.DataFrame, item_id: str, metric: str) -> pd.Series | None:
    rows = results[(results["item_id"] == item_id) & (results["metric"] == metric)]
    return rows.iloc[0] if len(rows) else None


def _credible(row: pd.Series, min_change_pct: float) -> bool:
    """Significant and at least ``min_change_pct`` in size (either direction)."""
    return (
        bool(row["significant"]) and pd.notna(row["change_pct"]) and abs(row["change_pct"]) >= min_change_pct
    )


def _caveat(row: pd.Series, min_change_pct: float) -> str:
    if not row["significant"]:
        return " (not significant)"
    if not _credible(row, min_change_pct):
        return f" (significant, but under {min_change_pct:g}%)"
    return ""


def _join_teams(teams: list[str]) -> str:
    if not teams:
        return ""
    return teams[0] if len(teams) == 1 else ", ".join(teams[:-1]) + " and " + teams[-1]


def wins(
    items: Sequence[ShippedItem],
    results: pd.DataFrame,
    themes: pd.DataFrame | None = None,
    min_change_pct: float = 10.0,
) -> pd.DataFrame:
    """The wins to celebrate: shipped items whose before/after shows a significant improvement.

    An item is a **win** when its theme's **share** of feedback moved significantly the right way
    (a blocker, goal or unclassified theme's share fell; a ``value`` theme's share rose) or its
    feature's adopting accounts rose significantly, in both cases by at least ``min_change_pct``.
    The share, not the raw volume, is judged because raw volume also falls when a source is
    dropped or feedback is quiet overall; a team is not credited for that. ``headline_metric``
    names the one significant change a headline may quote (``theme_share``, else ``adoption``;
    the customers' own words come first when both qualify; empty when nothing qualifies), so no
    headline phrases a change that was not significant. The size floor is
    there because a growing customer base alone lifts weekly adoption a few percent over a
    quarter, which a test on 13 weekly counts calls significant; crediting a team for that
    would be crediting the calendar. Items that are not wins are still listed (``is_win``
    False) so the report can show them honestly as "no measurable change yet".

    Args:
        items: the shipped items (``settings.shipped``).
        results: output of :func:`before_after_all`.
        themes: theme table, for labels and kinds.
        min_change_pct: smallest change, in percent, credited as a win.

    Returns:
        Columns :data:`WIN_COLUMNS`: ``item_id, item, shipped_on, teams ("A, B"), theme_id, theme
        (label), volume_before, volume_after, volume_change_pct, volume_p_value, sentiment_before,
        sentiment_after, adoption_before, adoption_after, adoption_change_pct, adoption_p_value,
        share_before, share_after, share_change_pct, share_p_value, headline_metric, is_win,
        evidence (templated sentence), credit ("Thanks to A and B")``. Wins first, the
        largest significant change first. Text fields are raw; renderers escape them.
    """
    labels = theme_labels(themes, include_hidden=True).set_index("theme_id") if themes is not None else None
    rows = []
    for item in items:
        vol = _metric(results, item.id, "theme_volume")
        share = _metric(results, item.id, "theme_share")
        sent = _metric(results, item.id, "theme_sentiment")
        adopt = _metric(results, item.id, "adopting_accounts")
        label = item.theme_id
        kind = "unknown"
        if labels is not None and item.theme_id in labels.index:
            label, kind = labels.loc[item.theme_id, "label"], labels.loc[item.theme_id, "kind"]
        theme_win = bool(
            share is not None
            and _credible(share, min_change_pct)
            and ((share["change"] > 0) if kind == "value" else (share["change"] < 0))
        )
        adopt_win = bool(adopt is not None and _credible(adopt, min_change_pct) and adopt["change"] > 0)
        headline_metric = "theme_share" if theme_win else "adoption" if adopt_win else ""
        parts = []
        if share is not None and pd.notna(share["before"]) and pd.notna(share["after"]):
            direction = "down" if share["change"] < 0 else "up"
            sig = _caveat(share, min_change_pct)
            pct = f" {abs(share['change_pct']):.0f}%" if pd.notna(share["change_pct"]) else ""
            counts = f" ({vol['before']:.0f} -> {vol['after']:.0f} items)" if vol is not None else ""
            parts.append(
                f"'{label}' {direction}{pct} as a share of feedback: {share['before']:.1%} -> "
                f"{share['after']:.1%}{counts} in {share['window_days']} days{sig}"
            )
        if adopt is not None:
            pct = f" {abs(adopt['change_pct']):.0f}%" if pd.notna(adopt["change_pct"]) else ""
            direction = "up" if adopt["change"] >= 0 else "down"
            sig = _caveat(adopt, min_change_pct)
            parts.append(
                f"{item.feature} adoption {direction}{pct}: {adopt['before']:.0f} -> "
                f"{adopt['after']:.0f} accounts a week{sig}"
            )
        evidence = (
            (f"Since {item.name} shipped on {item.shipped_on:%Y-%m-%d}: " + "; ".join(parts))
            if parts
            else f"{item.name} shipped on {item.shipped_on:%Y-%m-%d}; too little data to measure yet"
        )
        rows.append(
            {
                "item_id": item.id,
                "item": item.name,
                "shipped_on": pd.Timestamp(item.shipped_on),
                "teams": ", ".join(item.teams),
                "theme_id": item.theme_id,
                "theme": label,
                "volume_before": vol["before"] if vol is not None else np.nan,
                "volume_after": vol["after"] if vol is not None else np.nan,
                "volume_change_pct": vol["change_pct"] if vol is not None else np.nan,
                "volume_p_value": vol["p_value"] if vol is not None else np.nan,
                "sentiment_before": sent["before"] if sent is not None else np.nan,
                "sentiment_after": sent["after"] if sent is not None else np.nan,
                "adoption_before": adopt["before"] if adopt is not None else np.nan,
                "adoption_after": adopt["after"] if adopt is not None else np.nan,
                "adoption_change_pct": adopt["change_pct"] if adopt is not None else np.nan,
                "adoption_p_value": adopt["p_value"] if adopt is not None else np.nan,
                "share_before": share["before"] if share is not None else np.nan,
                "share_after": share["after"] if share is not None else np.nan,
                "share_change_pct": share["change_pct"] if share is not None else np.nan,
                "share_p_value": share["p_value"] if share is not None else np.nan,
                "headline_metric": headline_metric,
                "is_win": theme_win or adopt_win,
                "evidence": evidence,
                "credit": f"Thanks to {_join_teams(item.teams)}" if item.teams else "",
            }
        )
    out = pd.DataFrame(rows, columns=WIN_COLUMNS)
    if out.empty:
        return out
    share_size = out["share_change_pct"].abs().fillna(0)
    adopt_size = out["adoption_change_pct"].abs().fillna(0)
    strength = np.select(
        [out["headline_metric"] == "theme_share", out["headline_metric"] == "adoption"],
        [share_size, adopt_size],
        default=np.maximum(share_size, adopt_size),
    )
    out = out.assign(_s=strength).sort_values(["is_win", "_s", "item_id"], ascending=[False, False, True])
    return out.drop(columns="_s").reset_index(drop=True)
