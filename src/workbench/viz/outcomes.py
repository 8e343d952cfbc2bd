"""Charts for product outcomes, churn and wins.

Inputs: :mod:`workbench.analysis.outcomes` and :mod:`workbench.analysis.churn`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from workbench.core.formatting import money, pct
from workbench.viz import style as theme
from workbench.viz.charts import WIDTH, empty_chart, records, require, theme_color, title, with_labels

logger = logging.getLogger(__name__)

_METRIC_NAMES = {
    "adopting_accounts": "Accounts using it",
    "active_users": "Active users",
    "theme_volume": "Theme items",
    "theme_share": "Theme share",
    "theme_sentiment": "Theme sentiment",
}
#: Which significant change leads the title: customer pain and adoption before the rest; a relative
#: change of a sentiment score near zero is meaningless, so sentiment is stated in points.
_TITLE_ORDER = ("theme_volume", "adopting_accounts", "theme_share", "active_users", "theme_sentiment")


def adoption_chart(
    adoption: pd.DataFrame,
    shipped: Sequence[tuple[str, str, str]] = (),
    top: int = 6,
) -> alt.Chart:
    """Share of accounts using each feature over time, with ship dates as rules.

    Args:
        adoption: :func:`workbench.analysis.outcomes.feature_adoption` output.
        shipped: ``(date, item name, feature)`` of shipped items, drawn as dashed rules.
        top: features with the highest latest adoption shown.
    """
    require(adoption, ["period", "feature", "adoption_rate", "adopting_accounts"], "adoption_chart")
    if adoption.empty:
        return empty_chart("No usage data")
    rows = adoption.sort_values("period")
    latest = rows.groupby("feature").tail(1).sort_values("adoption_rate", ascending=False)
    keep = latest.head(top)["feature"].tolist() + [f for _, _, f in shipped if f]
    rows = rows[rows["feature"].isin(keep)]
    latest = latest[latest["feature"].isin(keep)]
    top_feature = latest.iloc[0]
    text = f"{top_feature['feature']} is the most adopted feature"
    text += f" ({pct(top_feature['adoption_rate'])} of accounts)"
    first = rows.groupby("feature").head(1).set_index("feature")["adoption_rate"]
    now_rate = latest.set_index("feature")["adoption_rate"]
    gains = (now_rate - first).dropna().sort_values(ascending=False)
    if len(gains) and gains.iloc[0] > 0.05:
        feature = gains.index[0]
        text = f"{feature} adoption grew {gains.iloc[0] * 100:+.0f} pts to {pct(now_rate[feature])}"
    domain = sorted(rows["feature"].astype(str).unique())
    scale = alt.Scale(domain=domain, range=theme.extended_palette(len(domain)))
    lines = (
        alt.Chart(records(rows))
        .mark_line()
        .encode(
            x=alt.X("period:T", title=None),
            y=alt.Y("adoption_rate:Q", title="Share of accounts using it", axis=alt.Axis(format="%")),
            color=alt.Color("feature:N", title=None, scale=scale),
            tooltip=[
                alt.Tooltip("period:T", title="Period"),
                alt.Tooltip("feature:N", title="Feature"),
                alt.Tooltip("adoption_rate:Q", title="Adoption", format=".1%"),
                alt.Tooltip("adopting_accounts:Q", title="Accounts", format=","),
            ],
        )
    )
    layers = [lines]
    if shipped:
        ships = pd.DataFrame(list(shipped), columns=["date", "item", "feature"])
        layers.append(
            alt.Chart(records(ships))
            .mark_rule(strokeDash=[4, 3], color=theme.NEUTRAL)
            .encode(
                x="date:T",
                tooltip=[
                    alt.Tooltip("date:T", title="Shipped"),
                    alt.Tooltip("item:N", title="Item"),
                    alt.Tooltip("feature:N", title="Feature"),
                ],
            )
        )
    return alt.layer(*layers).properties(
        width=WIDTH, title=title(text, "Feature adoption; dashed = ship dates")
    )


def before_after_chart(results: pd.DataFrame, item: str | None = None) -> alt.Chart:
    """Before vs after a ship date for each metric of a shipped item (``outcomes.before_after``).

    Metrics have different units, so each gets its own small panel (independent scales).
    """
    require(
        results,
        ["item_id", "item", "metric", "before", "after", "change_pct", "significant"],
        "before_after_chart",
    )
    rows = results if item is None else results[results["item"] == item]
    if rows.empty:
        return empty_chart("No before/after comparison (no shipped items configured)")
    name = rows.iloc[0]["item"]
    rows = rows[rows["item"] == name]
    sig = rows[rows["significant"].astype(bool)]
    if len(sig):
        order = {m: i for i, m in enumerate(_TITLE_ORDER)}
        best = sig.assign(_o=sig["metric"].map(order).fillna(len(order))).sort_values("_o").iloc[0]
        what = _METRIC_NAMES.get(best["metric"], str(best["metric"])).lower()
        if best["metric"] == "theme_sentiment":
            change = f"{best['after'] - best['before']:+.2f}"
        else:
            change = f"{best['change_pct']:+.0f}%"
        text = f"After {name}: {what} {change} (significant)"
    else:
        text = f"After {name}: no significant change yet"
    long = rows.melt(
        id_vars=["item", "metric", "change_pct", "significant"],
        value_vars=["before", "after"],
        var_name="when",
        value_name="value",
    )
    long["metric_name"] = long["metric"].map(_METRIC_NAMES).fillna(long["metric"])
    return (
        alt.Chart(records(long))
        .mark_bar()
        .encode(
            x=alt.X("when:N", sort=["before", "after"], title=None),
            y=alt.Y("value:Q", title=None),
            color=alt.Color(
                "when:N",
                scale=alt.Scale(domain=["before", "after"], range=[theme.NEUTRAL, theme.ACCENT]),
                legend=None,
            ),
            column=alt.Column("metric_name:N", title=None),
            tooltip=[
                alt.Tooltip("metric_name:N", title="Metric"),
                alt.Tooltip("when:N", title="Period"),
                alt.Tooltip("value:Q", title="Mean", format=",.2f"),
                alt.Tooltip("change_pct:Q", title="Change (%)", format="+.0f"),
                alt.Tooltip("significant:N", title="Significant"),
            ],
        )
        .resolve_scale(y="independent")
        .properties(width=110, height=180, title=title(text, "Equal windows before and after the ship date"))
    )


def churn_chart(churn: pd.DataFrame, quarter: str, group: str = "segment") -> alt.Chart:
    """Logo churn per quarter by segment, with the company line.

    Input: :func:`workbench.analysis.churn.churn_rates`.
    """
    require(
        churn, ["quarter", group, "churned", "logo_churn", "ci_low", "ci_high", "arr_churned"], "churn_chart"
    )
    rows = churn[churn["quarter"].astype(str) <= str(quarter)].sort_values("quarter")
    if rows.empty:
        return empty_chart("No churn data")
    overall = rows[rows[group].astype(str) == "All"]
    now = overall[overall["quarter"].astype(str) == str(quarter)]
    if len(now):
        cur = now.iloc[-1]
        rate, lost = pct(cur["logo_churn"], digits=1), money(cur["arr_churned"])
        text = f"Logo churn {rate} in {quarter} ({lost} ARR lost)"
        worst = rows[(rows["quarter"].astype(str) == str(quarter)) & (rows[group].astype(str) != "All")]
        if len(worst):
            w = worst.sort_values("logo_churn", ascending=False).iloc[0]
            text += f"; highest in {w[group]} at {pct(w['logo_churn'], digits=1)}"
    else:
        text = f"No churn figures for {quarter}"
    domain = sorted(rows[group].astype(str).unique(), key=lambda g: (g == "All", g))
    scale = alt.Scale(
        domain=domain,
        range=[
            colour if name != "All" else "#1F2328"
            for colour, name in zip(theme.extended_palette(len(domain)), domain, strict=True)
        ],
    )
    return (
        alt.Chart(records(rows))
        .mark_line(point=True)
        .encode(
            x=alt.X("quarter:O", title=None),
            y=alt.Y(
                "logo_churn:Q",
                title="Logo churn (accounts lost / active at start)",
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color(f"{group}:N", title=None, scale=scale),
            tooltip=[
                alt.Tooltip("quarter:O", title="Quarter"),
                alt.Tooltip(f"{group}:N", title=group.capitalize()),
                alt.Tooltip("logo_churn:Q", title="Logo churn", format=".1%"),
                alt.Tooltip("ci_low:Q", title="95% CI low", format=".1%"),
                alt.Tooltip("ci_high:Q", title="95% CI high", format=".1%"),
                alt.Tooltip("churned:Q", title="Accounts churned"),
                alt.Tooltip("arr_churned:Q", title="ARR churned", format="$,.0f"),
            ],
        )
        .properties(width=WIDTH, title=title(text, f"Logo churn by {group}; black = whole company"))
    )


def churn_reasons_chart(reasons: pd.DataFrame, palette: Mapping[str, str], top: int = 8) -> alt.Chart:
    """Churn-survey answers by theme (:func:`workbench.analysis.churn.churn_reasons`)."""
    require(reasons, ["theme_id", "label", "responses", "share"], "churn_reasons_chart")
    rows = reasons[reasons["theme_id"].notna() & (reasons["responses"] > 0)]
    rows = with_labels(rows.sort_values("responses", ascending=False).head(top), None)
    if rows.empty:
        return empty_chart("No churn-survey answers with a theme")
    lead = rows.iloc[0]
    text = f"{lead['label']} is the top reason customers give for leaving ({pct(lead['share'])} of answers)"
    tooltip = [
        alt.Tooltip("label:N", title="Theme"),
        alt.Tooltip("responses:Q", title="Answers"),
        alt.Tooltip("share:Q", title="Share of answers", format=".0%"),
    ]
    if "arr" in rows.columns:
        tooltip.append(alt.Tooltip("arr:Q", title="ARR of those accounts", format="$,.0f"))
    return (
        alt.Chart(records(rows))
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=rows["label"].tolist(), title=None),
            x=alt.X("responses:Q", title="Churn-survey answers"),
            color=theme_color(rows, palette),
            tooltip=tooltip,
        )
        .properties(width=WIDTH, title=title(text, "Why customers say they left, by theme"))
    )
