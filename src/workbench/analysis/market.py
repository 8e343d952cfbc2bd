"""Competitor intelligence: share of voice, win rate against each rival, releases vs mention spikes.

Inputs are the long ``mentions`` frame from :func:`workbench.analysis.competitors.mentions`, canonical
``deals``, ``market_events`` and ``market_metrics``. Outputs are tidy frames for charts.

Spike rule (used by :func:`mention_timeline` and :func:`release_timeline`): a period is a
**spike** for a competitor when its mention count

* is at least ``min_count`` (default 3),
* is more than ``ratio`` (default 2) times the baseline, the median of the previous ``trailing``
  periods (default 8, zero weeks included), and
* would be unlikely under that baseline: the Poisson upper tail ``P(X >= count)`` with mean
  ``max(baseline, 0.5)`` is below ``max_p`` (default 0.01).

A median baseline rather than a z-score because mention counts are small and bursty: one earlier
burst inflates a standard deviation and hides the next one, but barely moves a median. The
Poisson condition stops "6 mentions over a baseline of 2.5" (which happens by chance about one
week in twenty) from being flagged every few weeks. Periods with fewer than ``min_history``
earlier periods are never spikes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis.competitors import NO_COMPETITOR as NO_COMPETITOR  # re-exported
from workbench.analysis.joins import AnalysisInputError, require_columns
from workbench.analysis.sales import win_rate_by_quarter
from workbench.analysis.stats import two_proportion_pvalue, wilson_interval
from workbench.core.quarters import Quarter, quarter_labels, quarter_range

logger = logging.getLogger(__name__)

_FREQS = {"W": "W-SUN", "M": "M", "D": "D"}  # period codes; W-SUN = weeks Monday..Sunday


def share_of_voice(mentions: pd.DataFrame, table: str | None = None) -> pd.DataFrame:
    """Each competitor's share of all competitor mentions, per quarter, with the change.

    Args:
        mentions: output of :func:`workbench.analysis.competitors.mentions`.
        table: ``"feedback"`` or ``"deals"`` to count one source only; None for both.

    Returns:
        ``quarter, competitor, mentions, share, prev_share, change_pts``: ``share`` is 0..1 of
        the quarter's competitor mentions; ``change_pts`` = share - prev_share in percentage
        points (NaN in a competitor's first quarter). Every competitor appears in every quarter
        between the first and last (0 mentions where none), so charts show gaps as zeros.
    """
    require_columns(mentions, ["quarter", "competitor"], "mentions")
    frame = mentions if table is None else mentions[mentions["table"] == table]
    counts = frame.groupby(["quarter", "competitor"]).size()
    if counts.empty:
        return pd.DataFrame(
            columns=["quarter", "competitor", "mentions", "share", "prev_share", "change_pts"]
        )
    quarters = _quarter_range(counts.index.get_level_values("quarter"))
    grid = pd.MultiIndex.from_product(
        [quarters, sorted(frame["competitor"].unique())], names=["quarter", "competitor"]
    )
    out = counts.reindex(grid, fill_value=0).rename("mentions").reset_index()
    totals = out.groupby("quarter")["mentions"].transform("sum")
    out["share"] = np.where(totals > 0, out["mentions"] / totals.where(totals > 0, 1), 0.0)
    out["prev_share"] = out.groupby("competitor")["share"].shift(1)
    out["change_pts"] = (out["share"] - out["prev_share"]) * 100
    return out.reset_index(drop=True)


def _quarter_range(labels: Iterable[str]) -> list[str]:
    """Every quarter label from the first to the last (calendar ordering of 'YYYYQn' labels)."""
    parsed = sorted({Quarter.parse(q) for q in labels})
    return quarter_range(parsed[0], parsed[-1])


def win_rate_vs_competitor(
    deals: pd.DataFrame,
    competitors: pd.DataFrame | None = None,
    quarters: Iterable[str] | None = None,
    fy_start_month: int = 1,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Win rate against each competitor named on closed deals, with a Wilson CI and a test.

    Args:
        deals: canonical deals.
        competitors: the alias dictionary; when given, hand-typed names are mapped to canonical
            ones ("pulsehq" -> "Pulse HQ").
        quarters: closing quarters to include (e.g. the last four); None for all.
        fy_start_month: fiscal-year start month.
        confidence: level of the Wilson interval.

    Returns:
        ``competitor, won, lost, closed, win_rate, ci_low, ci_high, lost_value, p_value,
        significant_vs_rest``: ``p_value`` tests the win rate against this competitor versus all
        other closed deals in scope (Fisher exact for small cells, else z-test);
        ``significant_vs_rest`` = p_value < 1 - confidence. Deals naming no competitor form the
        row ``"No competitor named"``. Sorted by lost deals, then closed deals, descending.
        The counts are the sums of :func:`workbench.analysis.sales.win_rate_by_quarter` with
        ``by="competitor"`` over the quarters, so this table and the quarterly view always agree
        (same names, same blank handling, same closing quarter).
    """
    require_columns(deals, ["outcome", "closed_at", "competitor"], "deals")
    per_quarter = win_rate_by_quarter(
        deals, by="competitor", fy_start_month=fy_start_month, competitors=competitors
    )
    if quarters is not None:
        wanted = {str(Quarter.parse(q, fy_start_month)) for q in quarters}
        per_quarter = per_quarter[per_quarter["quarter"].isin(wanted)]
    out = (
        per_quarter.groupby("competitor", observed=True)
        .agg(won=("won", "sum"), lost=("lost", "sum"), lost_value=("lost_value", "sum"))
        .reset_index()
    )
    out["competitor"] = out["competitor"].astype(object)
    out["closed"] = out["won"] + out["lost"]
    out["win_rate"] = out["won"] / out["closed"]
    out["ci_low"], out["ci_high"] = wilson_interval(out["won"], out["closed"], confidence)
    total_won, total_closed = out["won"].sum(), out["closed"].sum()
    out["p_value"] = [
        two_proportion_pvalue(w, n, total_won - w, total_closed - n)
        for w, n in zip(out["won"], out["closed"], strict=True)
    ]
    out["significant_vs_rest"] = (out["p_value"] < 1 - confidence).fillna(False)
    cols = [
        "competitor",
        "won",
        "lost",
        "closed",
        "win_rate",
        "ci_low",
        "ci_high",
        "lost_value",
        "p_value",
        "significant_vs_rest",
    ]
    return (
        out[cols]
        .sort_values(["lost", "closed", "competitor"], ascending=[False, False, True])
        .reset_index(drop=True)
    )


def mention_timeline(
    mentions: pd.DataFrame,
    freq: str = "W",
    trailing: int = 8,
    ratio: float = 2.0,
    min_count: int = 3,
    min_history: int = 4,
    max_p: float = 0.01,
) -> pd.DataFrame:
    """Mentions per competitor per week (or month, or day), flagged where they spike.

    Args:
        mentions: output of :func:`workbench.analysis.competitors.mentions` (needs ``created_at``).
        freq: ``"W"`` (weeks starting Monday), ``"M"`` (calendar months) or ``"D"``.
        trailing: number of earlier periods in the baseline median.
        ratio: a spike exceeds ``ratio`` x the baseline median.
        min_count: a spike needs at least this many mentions (3 mentions over a median of 1 is noise).
        min_history: periods needed before the first one that can be a spike.
        max_p: largest Poisson upper-tail probability of the count under the baseline.

    Returns:
        ``period (start timestamp), competitor, mentions, baseline (trailing median, NaN until
        min_history periods exist), spike (bool)``; every period between the first and last
        mention appears for every competitor (zero-filled).
    """
    require_columns(mentions, ["created_at", "competitor"], "mentions")
    if freq not in _FREQS:
        raise AnalysisInputError(f"freq must be one of {sorted(_FREQS)}, got {freq!r}")
    cols = ["period", "competitor", "mentions", "baseline", "spike"]
    if mentions.empty:
        return pd.DataFrame(columns=cols)
    period = pd.to_datetime(mentions["created_at"]).dt.to_period(_FREQS[freq]).dt.start_time
    counts = pd.DataFrame({"period": period, "competitor": mentions["competitor"].astype(str)}).value_counts()
    periods = pd.period_range(period.min(), period.max(), freq=_FREQS[freq]).start_time
    grid = pd.MultiIndex.from_product(
        [periods, sorted(mentions["competitor"].astype(str).unique())], names=["period", "competitor"]
    )
    out = counts.reindex(grid, fill_value=0).rename("mentions").reset_index()
    out = out.sort_values(["competitor", "period"]).reset_index(drop=True)
    out["baseline"] = out.groupby("competitor")["mentions"].transform(
        lambda s: s.shift(1).rolling(trailing, min_periods=min_history).median()
    )
    tail = stats.poisson.sf(out["mentions"] - 1, np.maximum(out["baseline"].fillna(np.inf), 0.5))
    out["spike"] = (
        (out["mentions"] >= min_count)
        & (out["mentions"] > ratio * out["baseline"]).fillna(False)
        & (tail < max_p)
    )
    return out[cols].sort_values(["period", "competitor"]).reset_index(drop=True)


def release_timeline(
    market_events: pd.DataFrame,
    timeline: pd.DataFrame,
    window_days: int = 14,
    kinds: Iterable[str] = ("release",),
) -> pd.DataFrame:
    """Competitor releases joined with the mention counts and spikes that followed them.

    A release "drew attention" when a spike for that competitor starts within ``window_days``
    after the release date (the release's own period included). Releases of competitors with
    no mentions at all still appear, with 0 mentions.

    Args:
        market_events: canonical market events (``date, competitor, kind, title``).
        timeline: output of :func:`mention_timeline`.
        window_days: how long after a release mentions are attributed to it.
        kinds: event kinds to keep (case-insensitive).

    Returns:
        ``date, competitor, kind, title, mentions_after, baseline, spike_after, peak_period``:
        ``mentions_after`` sums the periods starting in ``[date - period length, date +
        window_days]`` that contain or follow the release; ``baseline`` is the trailing median
        of the release's period; ``peak_period`` is the spiking period (NaT when none).
    """
    require_columns(market_events, ["date", "competitor", "kind", "title"], "market_events")
    wanted = {k.lower() for k in kinds}
    events = market_events[market_events["kind"].astype("string").str.lower().isin(wanted).fillna(False)]
    events = events.assign(date=pd.to_datetime(events["date"])).sort_values("date").reset_index(drop=True)
    if timeline.empty:
        step = pd.Timedelta(days=7)
    else:
        stamps = np.sort(timeline["period"].unique())
        step = pd.Timedelta(stamps[1] - stamps[0]) if len(stamps) > 1 else pd.Timedelta(days=7)
    rows = []
    for event in events.itertuples(index=False):
        comp = timeline[timeline["competitor"] == event.competitor]
        near = comp[
            (comp["period"] > event.date - step)
            & (comp["period"] <= event.date + pd.Timedelta(days=window_days))
        ]
        spikes = near[near["spike"]]
        rows.append(
            {
                "date": event.date,
                "competitor": event.competitor,
                "kind": event.kind,
                "title": event.title,
                "mentions_after": int(near["mentions"].sum()),
                "baseline": float(near["baseline"].iloc[0]) if len(near) else np.nan,
                "spike_after": bool(len(spikes)),
                "peak_period": spikes.loc[spikes["mentions"].idxmax(), "period"] if len(spikes) else pd.NaT,
            }
        )
    cols = ["date", "competitor", "kind", "title", "mentions_after", "baseline", "spike_after", "peak_period"]
    return pd.DataFrame(rows, columns=cols)


def market_metric_series(
    market_metrics: pd.DataFrame,
    metrics: Iterable[str] | None = None,
    entities: Iterable[str] | None = None,
    fy_start_month: int = 1,
) -> pd.DataFrame:
    """Market time series in long form for line charts, optionally filtered.

    Returns:
        ``date, quarter, metric, entity, value`` sorted by metric, entity, date.
    """
    require_columns(market_metrics, ["date", "metric", "entity", "value"], "market_metrics")
    frame = market_metrics
    if metrics is not None:
        frame = frame[frame["metric"].isin(list(metrics))]
    if entities is not None:
        frame = frame[frame["entity"].isin(list(entities))]
    dates = pd.to_datetime(frame["date"])
    out = pd.DataFrame(
        {
            "date": dates,
            "quarter": frame["quarter"]
            if "quarter" in frame.columns
            else quarter_labels(dates, fy_start_month),
            "metric": frame["metric"],
            "entity": frame["entity"],
            "value": frame["value"].astype(float),
        }
    )
    return out.sort_values(["metric", "entity", "date"]).reset_index(drop=True)


def market_metric_change(market_metrics: pd.DataFrame, quarter: str, fy_start_month: int = 1) -> pd.DataFrame:
    """Each metric and entity at the end of ``quarter`` against the end of the previous quarter.

    The last observation inside a quarter stands for the quarter, because market series
    (ratings, share) are levels, not flows.

    Returns:
        ``metric, entity, value, prev_value, change, change_pct`` (change_pct in percent, NaN when
        the previous value is 0 or missing), sorted by metric then entity.
    """
    series = market_metric_series(market_metrics, fy_start_month=fy_start_month)
    q = Quarter.parse(quarter, fy_start_month)
    last = series.sort_values("date").groupby(["quarter", "metric", "entity"]).last().reset_index()
    now = last[last["quarter"] == str(q)][["metric", "entity", "value"]]
    prev = last[last["quarter"] == str(q.previous())][["metric", "entity", "value"]].rename(
        columns={"value": "prev_value"}
    )
    out = now.merge(prev, on=["metric", "entity"], how="left", validate="1:1")
    out["change"] = out["value"] - out["prev_value"]
    out["change_pct"] = np.where(
        out["prev_value"].fillna(0) != 0, out["change"] / out["prev_value"] * 100, np.nan
    )
    return out.sort_values(["metric", "entity"]).reset_index(drop=True)
