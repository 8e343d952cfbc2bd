"""Charts for pipeline and win/loss (inputs: :mod:`workbench.analysis.sales` outputs).

Titles state the finding computed from the data; a change that a test does not support is
said to be "not significant" rather than stated as a movement.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import altair as alt
import pandas as pd

from workbench.analysis.sales import win_rate_change
from workbench.core.formatting import money, pct
from workbench.viz import style as theme
from workbench.viz.charts import WIDTH, empty_chart, records, require, theme_color, title, with_labels

logger = logging.getLogger(__name__)


def win_rate_trend(win_rates: pd.DataFrame, quarter: str, alpha: float = 0.05) -> alt.Chart:
    """Win rate per closing quarter with its confidence interval.

    Args:
        win_rates: :func:`workbench.analysis.sales.win_rate_by_quarter` output (no ``by``).
        quarter: the report quarter (the title compares it with the one before).
        alpha: significance level of the quarter-over-quarter test stated in the title.
    """
    require(
        win_rates, ["quarter", "won", "lost", "closed", "win_rate", "ci_low", "ci_high"], "win_rate_trend"
    )
    rows = win_rates[win_rates["quarter"].astype(str) <= str(quarter)].sort_values("quarter")
    if rows.empty:
        return empty_chart(f"No closed deals up to {quarter}")
    change = win_rate_change(rows, quarter)  # the same comparison as the executive headline
    if change is None:
        text = f"No deals closed in {quarter}"
    else:
        text = f"Win rate {pct(change.rate)} in {change.quarter}"
        if change.comparable:
            diff = change.delta_pts
            verdict = "" if change.p_value < alpha else " (not significant)"
            text += f", {'up' if diff >= 0 else 'down'} {abs(diff):.0f} pts QoQ{verdict}"
        else:
            text += f" (no deals closed in {change.prev_quarter} to compare)"
    base = alt.Chart(records(rows)).encode(x=alt.X("quarter:O", title=None))
    tooltip = [
        alt.Tooltip("quarter:O", title="Quarter"),
        alt.Tooltip("win_rate:Q", title="Win rate", format=".0%"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".0%"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".0%"),
        alt.Tooltip("won:Q", title="Won", format=","),
        alt.Tooltip("lost:Q", title="Lost", format=","),
    ]
    band = base.mark_errorbar(color=theme.NEUTRAL, thickness=2).encode(
        y=alt.Y("ci_low:Q", title="Win rate (won / closed)", axis=alt.Axis(format="%")),
        y2="ci_high:Q",
        tooltip=tooltip,
    )
    line = base.mark_line(point=True).encode(y="win_rate:Q", tooltip=tooltip)
    return (band + line).properties(width=WIDTH, title=title(text, "Deals closed per quarter; bars = 95% CI"))


def pipeline_breakdown(pipeline: pd.DataFrame, by: str) -> alt.Chart:
    """Open pipeline value by stage, segment or product (:func:`workbench.analysis.sales.pipeline_by`)."""
    require(pipeline, [by, "deals", "value", "share_of_value"], "pipeline_breakdown")
    rows = pipeline[pipeline["value"] > 0].sort_values("value", ascending=False)
    if rows.empty:
        return empty_chart("No open pipeline")
    lead = rows.iloc[0]
    text = f"{lead[by]} holds {pct(lead['share_of_value'])} of open pipeline ({money(lead['value'])})"
    return (
        alt.Chart(records(rows))
        .mark_bar()
        .encode(
            y=alt.Y(f"{by}:N", sort=rows[by].astype(str).tolist(), title=None),
            x=alt.X("value:Q", title="Open pipeline value", axis=alt.Axis(format="$.2~s")),
            tooltip=[
                alt.Tooltip(f"{by}:N", title=by.capitalize()),
                alt.Tooltip("deals:Q", title="Deals", format=","),
                alt.Tooltip("value:Q", title="Value", format="$,.0f"),
                alt.Tooltip("share_of_value:Q", title="Share", format=".0%"),
            ],
        )
        .properties(
            width=WIDTH, title=title(text, f"Open pipeline by {by}, {money(rows['value'].sum())} in total")
        )
    )


def loss_reasons_chart(reasons: pd.DataFrame, quarter: str) -> alt.Chart:
    """Lost deals by reason in the quarter (:func:`workbench.analysis.sales.loss_reasons`)."""
    require(reasons, ["loss_reason", "deals", "value", "share", "prev_deals"], "loss_reasons_chart")
    rows = reasons[reasons["deals"] > 0].sort_values("deals", ascending=False)
    if rows.empty:
        return empty_chart(f"No lost deals in {quarter}")
    lead = rows.iloc[0]
    text = f"Top loss reason in {quarter}: {lead['loss_reason']} ({pct(lead['share'])} of lost deals)"
    return (
        alt.Chart(records(rows))
        .mark_bar()
        .encode(
            y=alt.Y("loss_reason:N", sort=rows["loss_reason"].astype(str).tolist(), title=None),
            x=alt.X("deals:Q", title="Lost deals"),
            tooltip=[
                alt.Tooltip("loss_reason:N", title="Reason"),
                alt.Tooltip("deals:Q", title="Lost deals"),
                alt.Tooltip("prev_deals:Q", title="Previous quarter"),
                alt.Tooltip("value:Q", title="Value lost", format="$,.0f"),
                alt.Tooltip("share:Q", title="Share of lost deals", format=".0%"),
            ],
        )
        .properties(width=WIDTH, title=title(text, f"Deals closed lost in {quarter}, by stated reason"))
    )


def product_gaps_chart(gaps: pd.DataFrame, top: int = 10) -> alt.Chart:
    """ "Product gaps blocking revenue": lost + open value of the deals each theme appears in."""
    require(
        gaps,
        ["theme_id", "label", "lost_value", "open_value", "blocked_value", "lost_deals", "open_deals"],
        "product_gaps_chart",
    )
    rows = gaps.sort_values("blocked_value", ascending=False).head(top)
    if rows.empty:
        return empty_chart("No theme appears in lost or open deals")
    rows = with_labels(rows, None)
    lead = rows.iloc[0]
    text = f"{lead['label']} is in {money(lead['blocked_value'])} of lost and open pipeline, the largest gap"
    long = rows.melt(
        id_vars=["theme_id", "label", "lost_deals", "open_deals", "blocked_value"],
        value_vars=["lost_value", "open_value"],
        var_name="kind",
        value_name="value",
    )
    long["kind"] = long["kind"].map({"lost_value": "Lost", "open_value": "Open"})
    return (
        alt.Chart(records(long))
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=rows["label"].tolist(), title=None),
            x=alt.X("value:Q", stack="zero", title="Deal value", axis=alt.Axis(format="$.2~s")),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=["Lost", "Open"], range=[theme.NEGATIVE, theme.NEUTRAL]),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Theme"),
                alt.Tooltip("kind:N", title="Deals"),
                alt.Tooltip("value:Q", title="Value", format="$,.0f"),
                alt.Tooltip("lost_deals:Q", title="Lost deals"),
                alt.Tooltip("open_deals:Q", title="Open deals"),
                alt.Tooltip("blocked_value:Q", title="Lost + open", format="$,.0f"),
            ],
        )
        .properties(
            width=WIDTH, title=title(text, "Themes in the notes of lost and open deals, by deal value")
        )
    )


def lost_themes_chart(lost: pd.DataFrame, palette: Mapping[str, str], top: int = 10) -> alt.Chart:
    """Themes in lost-deal notes (:func:`workbench.analysis.sales.lost_deal_themes`), by lost deals."""
    require(
        lost,
        ["theme_id", "label", "lost_deals", "lost_value", "share_of_lost", "loss_rate"],
        "lost_themes_chart",
    )
    rows = with_labels(
        lost[lost["lost_deals"] > 0].sort_values("lost_deals", ascending=False).head(top), None
    )
    if rows.empty:
        return empty_chart("No themed lost-deal notes")
    lead = rows.iloc[0]
    # No "loss rate where it appears": without the won deals' notes as a comparison it says nothing
    # (a theme found only in lost notes has a 100% loss rate by construction). Whether a theme is
    # significantly more common in lost than in won deals is the deal driver (analysis.drivers).
    text = f"{lead['label']} comes up in {pct(lead['share_of_lost'])} of lost deals' notes"
    return (
        alt.Chart(records(rows))
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=rows["label"].tolist(), title=None),
            x=alt.X("lost_deals:Q", title="Lost deals whose notes carry the theme"),
            color=theme_color(rows, palette),
            tooltip=[
                alt.Tooltip("label:N", title="Theme"),
                alt.Tooltip("lost_deals:Q", title="Lost deals"),
                alt.Tooltip("lost_value:Q", title="Lost value", format="$,.0f"),
                alt.Tooltip("share_of_lost:Q", title="Share of lost deals", format=".0%"),
                alt.Tooltip("loss_rate:Q", title="Loss rate with theme", format=".0%"),
            ],
        )
        .properties(
            width=WIDTH,
            title=title(
                text,
                "What the notes of lost deals talk about (lost vs won: 10_customer_themes.html#drivers)",
            ),
        )
    )


def sales_cycle_chart(cycle: pd.DataFrame, quarter: str) -> alt.Chart:
    """Median days to close per quarter, won against lost (:func:`workbench.analysis.sales.sales_cycle`)."""
    require(cycle, ["quarter", "outcome", "deals", "median_days"], "sales_cycle_chart")
    rows = cycle[(cycle["outcome"].isin(["won", "lost"])) & (cycle["quarter"].astype(str) <= str(quarter))]
    if rows.empty:
        return empty_chart("No closed deals")
    won = rows[(rows["outcome"] == "won") & (rows["quarter"].astype(str) == str(quarter))]
    text = (
        f"Won deals took a median {won.iloc[0]['median_days']:.0f} days to close in {quarter}"
        if len(won)
        else f"No deal won in {quarter}"
    )
    return (
        alt.Chart(records(rows))
        .mark_line(point=True)
        .encode(
            x=alt.X("quarter:O", title=None),
            y=alt.Y("median_days:Q", title="Median days from opened to closed"),
            color=alt.Color(
                "outcome:N",
                title=None,
                scale=alt.Scale(domain=["won", "lost"], range=[theme.POSITIVE, theme.NEGATIVE]),
            ),
            tooltip=[
                alt.Tooltip("quarter:O", title="Quarter"),
                alt.Tooltip("outcome:N", title="Outcome"),
                alt.Tooltip("deals:Q", title="Deals"),
                alt.Tooltip("median_days:Q", title="Median days", format=".0f"),
            ],
        )
        .properties(width=WIDTH, title=title(text, "Sales cycle by closing quarter"))
    )
