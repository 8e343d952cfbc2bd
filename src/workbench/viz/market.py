"""Charts for competitors and the market (inputs: :mod:`workbench.analysis.market` outputs).

Competitor colours are fixed by name order so that a competitor keeps its colour across the
share-of-voice, timeline and win-rate charts of the same report.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import altair as alt
import pandas as pd

from workbench.analysis.market import NO_COMPETITOR
from workbench.core.formatting import pct
from workbench.viz import style as theme
from workbench.viz.charts import WIDTH, empty_chart, records, require, title

logger = logging.getLogger(__name__)


def competitor_scale(names: Sequence[str]) -> alt.Scale:
    """A colour per competitor, stable for a given set of names (sorted, palette order)."""
    domain = sorted({str(n) for n in names})
    return alt.Scale(domain=domain, range=theme.extended_palette(len(domain)))


def share_of_voice_chart(sov: pd.DataFrame, quarter: str) -> alt.Chart:
    """Each competitor's share of mentions per quarter (:func:`workbench.analysis.market.share_of_voice`)."""
    require(sov, ["quarter", "competitor", "mentions", "share", "change_pts"], "share_of_voice_chart")
    rows = sov[sov["quarter"].astype(str) <= str(quarter)]
    now = rows[rows["quarter"].astype(str) == str(quarter)].sort_values("share", ascending=False)
    if now.empty or now["mentions"].sum() == 0:
        return empty_chart(f"No competitor mentions in {quarter}")
    lead = now.iloc[0]
    change = lead["change_pts"]
    delta = "" if pd.isna(change) else f", {change:+.0f} pts QoQ"  # change_pts is already in points
    text = f"{lead['competitor']} leads share of voice in {quarter}: {pct(lead['share'])}{delta}"
    return (
        alt.Chart(records(rows))
        .mark_bar()
        .encode(
            x=alt.X("quarter:O", title=None),
            y=alt.Y(
                "share:Q", stack="normalize", title="Share of competitor mentions", axis=alt.Axis(format="%")
            ),
            color=alt.Color("competitor:N", title=None, scale=competitor_scale(rows["competitor"])),
            tooltip=[
                alt.Tooltip("quarter:O", title="Quarter"),
                alt.Tooltip("competitor:N", title="Competitor"),
                alt.Tooltip("mentions:Q", title="Mentions", format=","),
                alt.Tooltip("share:Q", title="Share", format=".0%"),
            ],
        )
        .properties(width=WIDTH, title=title(text, "Mentions in feedback and deal notes, by quarter"))
    )


def competitor_win_rates(
    rates: pd.DataFrame, no_competitor: str = NO_COMPETITOR, window: str | None = None
) -> alt.Chart:
    """Win rate against each competitor with its CI.

    Args:
        rates: :func:`workbench.analysis.market.win_rate_vs_competitor`.
        no_competitor: the label of deals naming no competitor.
        window: the quarters the rates cover, e.g. ``"2025Q4-2026Q3"``; stated in the title, because
            the executive headline quotes the report quarter alone and one fact must not read as
            two numbers.
    """
    require(
        rates,
        ["competitor", "won", "lost", "closed", "win_rate", "ci_low", "ci_high", "significant_vs_rest"],
        "competitor_win_rates",
    )
    span = f" in {window}" if window else ""
    rows = rates[rates["closed"] > 0].sort_values("win_rate")
    if rows.empty:
        return empty_chart("No closed deals naming a competitor")
    named = rows[rows["competitor"] != no_competitor]
    sig = named[named["significant_vs_rest"].astype(bool)]
    base_rate = rows["won"].sum() / rows["closed"].sum()
    if len(sig):
        worst = sig.iloc[0]
        rest_won, rest_closed = rows["won"].sum() - worst["won"], rows["closed"].sum() - worst["closed"]
        rest = pct(rest_won / rest_closed) if rest_closed else "n/a"
        text = (
            f"We win {pct(worst['win_rate'])} against {worst['competitor']} vs {rest} elsewhere{span} "
            "(significant)"
        )
    elif len(named):
        worst = named.iloc[0]
        text = (
            f"Lowest win rate against {worst['competitor']} ({pct(worst['win_rate'])}{span}), "
            "not significantly below the rest"
        )
    else:
        text = f"Win rate {pct(base_rate)}{span}; no deal named a competitor"
    rows = rows.assign(
        verdict=rows["significant_vs_rest"]
        .astype(bool)
        .map({True: "Differs significantly", False: "Not significant"})
    )
    base = alt.Chart(records(rows)).encode(
        y=alt.Y("competitor:N", sort=rows["competitor"].tolist(), title=None)
    )
    tooltip = [
        alt.Tooltip("competitor:N", title="Competitor"),
        alt.Tooltip("win_rate:Q", title="Win rate", format=".0%"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".0%"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".0%"),
        alt.Tooltip("won:Q", title="Won"),
        alt.Tooltip("lost:Q", title="Lost"),
        alt.Tooltip("verdict:N", title="Versus the rest"),
    ]
    bars = base.mark_rule(strokeWidth=2, color=theme.NEUTRAL).encode(
        x=alt.X(
            "ci_low:Q", title="Win rate (95% CI)", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
        ),
        x2="ci_high:Q",
        tooltip=tooltip,
    )
    dots = base.mark_point(filled=True, size=90).encode(
        x="win_rate:Q",
        color=alt.Color(
            "verdict:N",
            title=None,
            scale=alt.Scale(
                domain=["Differs significantly", "Not significant"], range=[theme.NEGATIVE, theme.ACCENT]
            ),
        ),
        tooltip=tooltip,
    )
    return (bars + dots).properties(
        width=WIDTH,
        title=title(text, f"Deals closed{span or ' in the window'}, by competitor named on the deal"),
    )


def mention_timeline_chart(
    timeline: pd.DataFrame,
    releases: pd.DataFrame | None = None,
    top: int = 5,
    since: str | None = None,
    until: str | None = None,
) -> alt.Chart:
    """Weekly mentions per competitor, spikes marked, competitor releases as rules.

    Args:
        timeline: :func:`workbench.analysis.market.mention_timeline` output.
        releases: :func:`workbench.analysis.market.release_timeline` output (``date, competitor, title,
            spike_after``); optional.
        top: competitors with the most mentions shown.
        since: first date shown (e.g. the start of the four quarters ending at the report quarter).
        until: first date not shown (the end of the report quarter), so later weeks do not leak in.
    """
    require(timeline, ["period", "competitor", "mentions", "spike"], "mention_timeline_chart")
    periods = pd.to_datetime(timeline["period"])
    keep_rows = pd.Series(True, index=timeline.index)
    if since:
        keep_rows &= periods >= pd.Timestamp(since)
    if until:
        keep_rows &= periods < pd.Timestamp(until)
    timeline = timeline[keep_rows]
    if releases is not None and len(releases):
        dates = pd.to_datetime(releases["date"])
        in_view = (dates >= pd.Timestamp(since)) if since else pd.Series(True, index=releases.index)
        if until:
            in_view &= dates < pd.Timestamp(until)
        releases = releases[in_view]
    if timeline.empty or timeline["mentions"].sum() == 0:
        return empty_chart("No competitor mentions")
    keep = timeline.groupby("competitor")["mentions"].sum().sort_values(ascending=False).head(top).index
    rows = timeline[timeline["competitor"].isin(keep)]
    scale = competitor_scale(rows["competitor"])
    text = "No spike in competitor mentions"
    rel = None
    if releases is not None and len(releases):
        require(releases, ["date", "competitor", "title", "spike_after"], "mention_timeline_chart releases")
        rel = releases[releases["competitor"].isin(keep)]
        spiked = rel[rel["spike_after"].astype(bool)]
        if len(spiked):
            last = spiked.sort_values("date").iloc[-1]
            text = f"Mentions of {last['competitor']} spiked after its release \u201c{last['title']}\u201d"
    if text.startswith("No spike") and rows["spike"].astype(bool).any():
        last = rows[rows["spike"].astype(bool)].sort_values("period").iloc[-1]
        text = f"Mentions of {last['competitor']} spiked in the week of {pd.Timestamp(last['period']).date()}"
    tooltip = [
        alt.Tooltip("period:T", title="Week of"),
        alt.Tooltip("competitor:N", title="Competitor"),
        alt.Tooltip("mentions:Q", title="Mentions"),
    ]
    lines = (
        alt.Chart(records(rows))
        .mark_line()
        .encode(
            x=alt.X("period:T", title=None),
            y=alt.Y("mentions:Q", title="Mentions per week"),
            color=alt.Color("competitor:N", title=None, scale=scale),
            tooltip=tooltip,
        )
    )
    spikes = (
        alt.Chart(records(rows[rows["spike"].astype(bool)]))
        .mark_point(size=70, filled=True)
        .encode(
            x="period:T",
            y="mentions:Q",
            color=alt.Color("competitor:N", title=None, scale=scale),
            tooltip=[*tooltip, alt.Tooltip("spike:N", title="Spike")],
        )
    )
    layers = [lines, spikes]
    if rel is not None and len(rel):
        layers.append(
            alt.Chart(records(rel[["date", "competitor", "title"]]))
            .mark_rule(strokeDash=[4, 3])
            .encode(
                x="date:T",
                color=alt.Color("competitor:N", title=None, scale=scale),
                tooltip=[
                    alt.Tooltip("date:T", title="Release"),
                    alt.Tooltip("competitor:N", title="Competitor"),
                    alt.Tooltip("title:N", title="What"),
                ],
            )
        )
    return alt.layer(*layers).properties(
        width=WIDTH, title=title(text, "Weekly mentions; dots = spikes, dashed lines = competitor releases")
    )


def market_metric_chart(series: pd.DataFrame, metric: str, quarter_end: str | None = None) -> alt.Chart:
    """One market metric over time, a line per entity.

    Input: :func:`workbench.analysis.market.market_metric_series`.
    """
    require(series, ["date", "metric", "entity", "value"], "market_metric_chart")
    rows = series[series["metric"] == metric].sort_values("date")
    if quarter_end:
        rows = rows[pd.to_datetime(rows["date"]) < pd.Timestamp(quarter_end)]
    if rows.empty:
        return empty_chart(f"No data for {metric}")
    latest = rows.sort_values("date").groupby("entity").tail(1).sort_values("value", ascending=False)
    lead = latest.iloc[0]
    label = metric.replace("_pct", " (%)").replace("_", " ")
    text = f"{lead['entity']} leads {label} at {lead['value']:,.3g} ({pd.Timestamp(lead['date']).date()})"
    return (
        alt.Chart(records(rows))
        .mark_line()
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("value:Q", title=label.capitalize(), scale=alt.Scale(zero=False)),
            color=alt.Color("entity:N", title=None, scale=competitor_scale(rows["entity"])),
            tooltip=[
                alt.Tooltip("date:T", title="Date"),
                alt.Tooltip("entity:N", title="Who"),
                alt.Tooltip("value:Q", title=label.capitalize(), format=",.3g"),
            ],
        )
        .properties(width=WIDTH, height=220, title=title(text, label.capitalize()))
    )
