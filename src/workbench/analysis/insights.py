"""Headline insights for the executive summary: computed from the data, phrased by templates.

No language model writes these: each insight has a fixed template per outcome, and the data
decides which template applies. The rule that keeps the summary honest: **a change that is not
statistically significant is never stated as a finding**. It is phrased as "no significant
change" (and ``significant`` is False) or the insight is omitted. Rankings ("touches the most
ARR") are descriptive facts of the quarter and carry ``significant=True``.

Text from the data (theme labels, competitor and team names) is kept **raw** in ``headline`` and
``detail``: whoever renders an insight (notebook, index page, chart) must HTML-escape it.

The insights, in order (at most 7, at least the 5 whose inputs are present):

1. ``rising-theme``: the fastest-rising theme (metrics ``trend == 'rising'``).
2. ``top-arr-theme``: the theme touching the most ARR.
3. ``segment-theme``: a theme significantly concentrated in one segment (binomial test of the
   segment's share of the theme against its share of all feedback, Bonferroni-corrected).
4. ``competitive-threat``: the competitor we lost most deals to, with the win rate against it.
5. ``win-rate``: the quarter's win rate against the previous quarter.
6. ``churn``: logo churn against the previous quarter (ARR churn in the detail).
7. ``top-win``: the shipped item with the largest significant improvement, crediting its teams.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis.churn import churn_rates
from workbench.analysis.drivers import strongest
from workbench.analysis.joins import theme_labels
from workbench.analysis.market import NO_COMPETITOR, win_rate_vs_competitor
from workbench.analysis.outcomes import before_after_all
from workbench.analysis.outcomes import wins as outcome_wins
from workbench.analysis.sales import lost_deal_themes, win_rate_by_quarter, win_rate_change
from workbench.analysis.stats import two_proportion_pvalue
from workbench.core.asof import output_as_of, table_as_of
from workbench.core.config import Settings
from workbench.core.formatting import money, pct
from workbench.core.frames import hidden_theme_ids
from workbench.core.quarters import Quarter
from workbench.core.store import MissingDataError, load_output, load_table

logger = logging.getLogger(__name__)

#: Report page and anchor each insight links to. The report notebooks put an element with the
#: matching id (e.g. a heading or ``<a id="rising-themes">``) where the detail is shown.
LINKS = {
    "rising-theme": "10_customer_themes.html#rising-themes",
    "top-arr-theme": "10_customer_themes.html#themes-by-arr",
    "segment-theme": "10_customer_themes.html#themes-by-segment",
    "competitive-threat": "30_market_and_competitors.html#win-rate-by-competitor",
    "win-rate": "20_sales_and_win_loss.html#win-rate",
    "churn": "40_product_outcomes.html#churn",
    "top-win": "40_product_outcomes.html#wins",
    "driver": "10_customer_themes.html#drivers",
}
INSIGHT_COLUMNS = [
    "id",
    "headline",
    "value",
    "value_label",
    "delta",
    "delta_label",
    "significant",
    "link",
    "detail",
]


@dataclass(frozen=True)
class Insight:
    """One headline of the executive summary.

    Attributes:
        id: stable key (see :data:`LINKS`).
        headline: the templated sentence (raw text: escape when rendering).
        value: the headline number (a count, an amount or a rate 0..1); None when there is none.
        value_label: ``value`` formatted for a KPI tile, e.g. ``"41%"`` or ``"$1.2M"``.
        delta: quarter-over-quarter change of ``value`` (percent for counts and amounts,
            percentage points for rates); None when there is no previous quarter.
        delta_label: what ``delta`` means, e.g. ``"pts vs 2026Q2"``.
        significant: True when the headline states a finding (a significant change or a
            descriptive ranking); False for "no significant change" statements.
        link: report page and anchor holding the detail.
        detail: one or two sentences with the supporting numbers (raw text).
    """

    id: str
    headline: str
    value: float | None
    value_label: str
    delta: float | None
    delta_label: str
    significant: bool
    link: str
    detail: str


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _none_if_nan(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _label_map(themes: pd.DataFrame) -> dict:
    return dict(zip(*theme_labels(themes, include_hidden=True)[["theme_id", "label"]].T.values, strict=True))


# --------------------------------------------------------------------------------------- themes


def rising_theme_insight(metrics: pd.DataFrame, themes: pd.DataFrame, quarter: str) -> Insight:
    """The fastest-rising theme, or "no theme rose significantly" when none is flagged rising."""
    q = Quarter.parse(quarter)
    prev = str(q.previous())
    rows = metrics[(metrics["quarter"] == str(q)) & (metrics["trend"] == "rising")]
    if rows.empty:
        return Insight(
            "rising-theme",
            f"No theme rose significantly in {q}",
            None,
            "-",
            None,
            f"vs {prev}",
            False,
            LINKS["rising-theme"],
            "No theme's share of feedback grew significantly with enough volume to report.",
        )
    top = rows.sort_values(["change_pct", "volume", "theme_id"], ascending=[False, False, True]).iloc[0]
    label = _label_map(themes).get(top["theme_id"], top["theme_id"])
    headline = (
        f"'{label}' is the fastest-rising theme: up {top['change_pct']:.0f}% on {prev} "
        f"to {int(top['volume']):,} items"
    )
    detail = (
        f"{int(top['prev_volume']):,} -> {int(top['volume']):,} items ({_p(top['p_value'])}); "
        f"{top['share']:.0%} of feedback in {q}"
    )
    # Accounts and ARR only where the data has them (a review export has neither).
    if int(top.get("accounts", 0) or 0) > 0:
        detail += f", from {int(top['accounts']):,} accounts"
        if float(top.get("arr_touched", 0) or 0) > 0:
            detail += f" with {money(top['arr_touched'])} ARR"
    detail += "."
    return Insight(
        "rising-theme",
        headline,
        float(top["volume"]),
        f"{int(top['volume']):,}",
        float(top["change_pct"]),
        f"% vs {prev}",
        True,
        LINKS["rising-theme"],
        detail,
    )


def top_arr_theme_insight(metrics: pd.DataFrame, themes: pd.DataFrame, quarter: str) -> Insight | None:
    """The theme raised by the accounts holding the most ARR.

    None when the quarter has no metrics, or when no themed feedback is linked to an account with
    ARR (app-store reviews): "touches the most revenue: $0" would claim what the data can't show.
    """
    q = Quarter.parse(quarter)
    prev = str(q.previous())
    rows = metrics[(metrics["quarter"] == str(q)) & (metrics["volume"] > 0)]
    if rows.empty or not (pd.to_numeric(rows["arr_touched"], errors="coerce") > 0).any():
        return None
    top = rows.sort_values(["arr_touched", "volume", "theme_id"], ascending=[False, False, True]).iloc[0]
    label = _label_map(themes).get(top["theme_id"], top["theme_id"])
    before = metrics[(metrics["quarter"] == prev) & (metrics["theme_id"] == top["theme_id"])]
    prev_arr = float(before["arr_touched"].iloc[0]) if len(before) else np.nan
    delta = (top["arr_touched"] - prev_arr) / prev_arr * 100 if prev_arr and not np.isnan(prev_arr) else None
    headline = (
        f"'{label}' touches the most revenue: {money(top['arr_touched'])} ARR across "
        f"{int(top['accounts']):,} accounts"
    )
    detail = f"{int(top['volume']):,} items in {q} ({top['share']:.0%} of feedback)."
    if delta is not None:
        detail += f" ARR touched was {money(prev_arr)} in {prev}."
    return Insight(
        "top-arr-theme",
        headline,
        float(top["arr_touched"]),
        money(top["arr_touched"]),
        _none_if_nan(delta),
        f"% vs {prev}",
        True,
        LINKS["top-arr-theme"],
        detail,
    )


def segment_theme_insight(
    splits_segment: pd.DataFrame,
    themes: pd.DataFrame,
    quarter: str,
    alpha: float = 0.05,
    min_volume: int = 30,
) -> Insight | None:
    """The theme most over-represented in one segment, when that is significant; else None.

    Each (theme, segment) with theme volume >= ``min_volume`` is tested with a one-sided binomial
    test: is the segment's share of the theme above its share of all feedback? The p-values are
    Bonferroni-corrected for the number of pairs tested, because picking the most extreme of
    dozens of pairs would otherwise find "concentration" in noise. Among significant pairs the
    highest concentration (lift) wins. The ``Unknown`` segment is never reported.

    Args:
        splits_segment: ``theme_splits(..., by="segment")`` output (quarter, theme_id, segment,
            volume, share_of_theme, share_of_group, concentration).
    """
    q = str(Quarter.parse(quarter))
    rows = splits_segment[splits_segment["quarter"] == q]
    if rows.empty:
        return None
    rows = rows.assign(
        _theme_total=rows.groupby("theme_id")["volume"].transform("sum"),
        _group_share=rows.groupby("segment")["volume"].transform("sum") / rows["volume"].sum(),
    )
    hidden = hidden_theme_ids(themes)
    cand = rows[
        (rows["_theme_total"] >= min_volume)
        & (rows["segment"] != "Unknown")
        & (rows["concentration"] > 1)
        & ~rows["theme_id"].isin(hidden)
    ]
    if cand.empty:
        return None
    tested = rows[(rows["_theme_total"] >= min_volume) & (rows["segment"] != "Unknown")]
    p = [
        float(stats.binomtest(int(v), int(n), float(g), alternative="greater").pvalue)
        for v, n, g in zip(cand["volume"], cand["_theme_total"], cand["_group_share"], strict=True)
    ]
    cand = cand.assign(p_adj=np.minimum(np.asarray(p) * max(len(tested), 1), 1.0))
    sig = cand[cand["p_adj"] < alpha]
    if sig.empty:
        return None
    top = sig.sort_values(["concentration", "volume", "theme_id"], ascending=[False, False, True]).iloc[0]
    label = _label_map(themes).get(top["theme_id"], top["theme_id"])
    headline = (
        f"'{label}' is concentrated in {top['segment']}: {top['share_of_theme']:.0%} of its feedback "
        f"vs {top['_group_share']:.0%} of all feedback"
    )
    detail = (
        f"{int(top['volume']):,} of {int(top['_theme_total']):,} items in {q} come from {top['segment']} "
        f"accounts, {top['concentration']:.1f}x their overall share ({_p(top['p_adj'])}, corrected)."
    )
    return Insight(
        "segment-theme",
        headline,
        float(top["share_of_theme"]),
        pct(top["share_of_theme"]),
        None,
        f"share of theme from {top['segment']}",
        True,
        LINKS["segment-theme"],
        detail,
    )


# ---------------------------------------------------------------------------------------- sales


def competitive_threat_insight(
    deals: pd.DataFrame,
    quarter: str,
    competitors: pd.DataFrame | None = None,
    assignments: pd.DataFrame | None = None,
    themes: pd.DataFrame | None = None,
    alpha: float = 0.05,
    fy_start_month: int = 1,
) -> Insight | None:
    """The competitor we lost most deals to this quarter, with the win rate against it.

    It is called a *threat* only when the win rate against it is significantly below the win rate
    on the other closed deals; otherwise the headline states the loss count and says the win rate
    is not significantly different. The most common theme in those lost deals' notes is named in
    the detail when assignments are given. None when no closed deal names a competitor.
    """
    q = Quarter.parse(quarter, fy_start_month)
    prev = str(q.previous())
    now = win_rate_vs_competitor(deals, competitors, quarters=[str(q)], fy_start_month=fy_start_month)
    named = now[(now["competitor"] != NO_COMPETITOR) & (now["lost"] > 0)]
    if named.empty:
        return None
    top = named.iloc[0]  # sorted by lost deals, then closed deals
    comp = top["competitor"]
    rest_won, rest_closed = now["won"].sum() - top["won"], now["closed"].sum() - top["closed"]
    rest_rate = rest_won / rest_closed if rest_closed else np.nan
    before = win_rate_vs_competitor(deals, competitors, quarters=[prev], fy_start_month=fy_start_month)
    prev_lost = int(before.loc[before["competitor"] == comp, "lost"].sum())
    threat = bool(top["p_value"] < alpha and top["win_rate"] < rest_rate)
    if threat:
        headline = (
            f"{comp} is the main competitive threat: {int(top['lost'])} deals "
            f"({money(top['lost_value'])}) lost to them in {q}, win rate in {q} {pct(top['win_rate'])} "
            f"vs {pct(rest_rate)} on other deals"
        )
    else:
        headline = (
            f"Most deals lost to {comp} in {q} ({int(top['lost'])}), but the win rate against them "
            f"({pct(top['win_rate'])}) is not significantly different from other deals"
        )
    detail = (
        f"{int(top['won'])} won / {int(top['closed'])} closed against {comp} "
        f"(95% CI {pct(top['ci_low'])}-{pct(top['ci_high'])}, {_p(top['p_value'])}); "
        f"{prev_lost} lost to them in {prev}."
    )
    if assignments is not None and themes is not None:
        lost_themes = lost_deal_themes(
            deals,
            assignments,
            themes,
            quarter=str(q),
            competitor=comp,
            fy_start_month=fy_start_month,
            competitors=competitors,
        )
        if len(lost_themes):
            lt = lost_themes.iloc[0]
            detail += (
                f" The most common theme in those lost deals' notes: '{lt['label']}' "
                f"({int(lt['lost_deals'])} of {int(top['lost'])})."
            )
    return Insight(
        "competitive-threat",
        headline,
        float(top["lost"]),
        f"{int(top['lost'])} lost",
        float(top["lost"] - prev_lost),
        f"deals lost vs {prev}",
        threat,
        LINKS["competitive-threat"],
        detail,
    )


def _rate_change(
    key: str,
    what: str,
    now: tuple[int, int],
    before: tuple[int, int],
    q: str,
    prev: str,
    alpha: float,
    detail: str,
    up_word: str = "rose",
    down_word: str = "fell",
) -> Insight:
    x1, n1 = now
    x0, n0 = before
    rate, prev_rate = x1 / n1, (x0 / n0 if n0 else np.nan)
    p = two_proportion_pvalue(x1, n1, x0, n0)
    delta = (rate - prev_rate) * 100 if n0 else None
    significant = bool(not np.isnan(p) and p < alpha)
    if significant:
        word = up_word if rate > prev_rate else down_word
        headline = f"{what} {word} to {pct(rate)} in {q}, from {pct(prev_rate)} in {prev}"
    elif n0:
        headline = f"{what} at {pct(rate)} in {q}: no significant change from {prev} ({pct(prev_rate)})"
    else:
        headline = f"{what} at {pct(rate)} in {q} (no {prev} data to compare)"
    p_txt = f"; {_p(p)}" if not np.isnan(p) else ""
    return Insight(
        key,
        headline,
        float(rate),
        pct(rate),
        _none_if_nan(delta),
        f"pts vs {prev}",
        significant,
        LINKS[key],
        detail + p_txt + ".",
    )


def win_rate_insight(
    deals: pd.DataFrame, quarter: str, alpha: float = 0.05, fy_start_month: int = 1
) -> Insight | None:
    """The win rate of deals closed in the quarter against the previous quarter (two-proportion test).

    The comparison is :func:`workbench.analysis.sales.win_rate_change`, the same one the win-rate
    chart's title states, so the two never compare with different quarters.
    """
    rates = win_rate_by_quarter(deals, fy_start_month=fy_start_month)
    change = win_rate_change(rates, quarter, fy_start_month)
    if change is None:
        return None
    before = (change.prev_won, change.prev_closed)
    detail = f"{change.won} won of {change.closed} closed in {change.quarter}"
    if change.comparable:
        detail += f"; {before[0]} of {before[1]} in {change.prev_quarter}"
    return _rate_change(
        "win-rate",
        "Win rate",
        (change.won, change.closed),
        before,
        change.quarter,
        change.prev_quarter,
        alpha,
        detail,
    )


def churn_insight(churn: pd.DataFrame, quarter: str, alpha: float = 0.05) -> Insight | None:
    """Logo churn in the quarter against the previous quarter, from ``churn_rates(...)`` "All" rows."""
    q = Quarter.parse(quarter)
    prev = str(q.previous())
    group_col = "segment" if "segment" in churn.columns else churn.columns[1]
    rows = churn[churn[group_col] == "All"].set_index("quarter")
    if str(q) not in rows.index or rows.loc[str(q), "active_start"] == 0:
        return None
    cur = rows.loc[str(q)]
    old = rows.loc[prev] if prev in rows.index else None
    before = (int(old["churned"]), int(old["active_start"])) if old is not None else (0, 0)
    detail = (
        f"{int(cur['churned'])} of {int(cur['active_start']):,} accounts churned in {q} "
        f"({money(cur['arr_churned'])} ARR, {pct(cur['arr_churn'])} of ARR)"
    )
    if old is not None:
        detail += f"; {before[0]} of {before[1]:,} in {prev} ({pct(old['arr_churn'])} of ARR)"
    return _rate_change(
        "churn",
        "Logo churn",
        (int(cur["churned"]), int(cur["active_start"])),
        before,
        str(q),
        prev,
        alpha,
        detail,
    )


def top_win_insight(wins: pd.DataFrame | None) -> Insight | None:
    """The shipped item with the largest significant improvement, crediting its teams (None if no items).

    The headline quotes the change ``wins()`` named in ``headline_metric`` (theme share of feedback,
    or adoption), never another one: an item that won on adoption while its theme rose is
    headlined by adoption, and a raw volume change is never headlined.
    """
    if wins is None or wins.empty:
        return None
    real = wins[wins["is_win"] & wins["headline_metric"].isin(["theme_share", "adoption"])]
    if real.empty:
        return Insight(
            "top-win",
            "No shipped item shows a significant improvement yet",
            None,
            "-",
            None,
            "",
            False,
            LINKS["top-win"],
            "; ".join(wins["evidence"].astype(str).tolist()[:3]),
        )
    top = real.iloc[0]
    credit = f" ({top['credit']})" if top["credit"] else ""
    # Only the change that made it a win (significant, large enough) may be headlined: see wins().
    if top["headline_metric"] == "theme_share":
        direction = "down" if top["share_change_pct"] < 0 else "up"
        headline = (
            f"Win: '{top['theme']}' {direction} {abs(top['share_change_pct']):.0f}% as a share of "
            f"feedback since {top['item']} shipped{credit}"
        )
        value, delta = top["share_after"], top["share_change_pct"]
        value_label = f"{top['share_after']:.1%} of feedback"
    elif top["headline_metric"] == "adoption":
        headline = f"Win: adoption up {top['adoption_change_pct']:.0f}% since {top['item']} shipped{credit}"
        value, delta = top["adoption_after"], top["adoption_change_pct"]
        value_label = f"{top['adoption_after']:.0f} accounts/week"
    return Insight(
        "top-win",
        headline,
        _none_if_nan(value),
        value_label,
        _none_if_nan(delta),
        "% vs before ship",
        True,
        LINKS["top-win"],
        str(top["evidence"]),
    )


# -------------------------------------------------------------------------------------- drivers


def driver_insight(
    nps: pd.DataFrame | None, churn: pd.DataFrame | None, deals: pd.DataFrame | None
) -> Insight | None:
    """The strongest significant driver of NPS, churn or lost deals (:mod:`workbench.analysis.drivers`).

    A headline of its own beside the summary (not one of its 5-7 insights): impact, not mentions.
    None when no theme is a significant adverse driver.
    """
    best = strongest(nps, churn, deals)
    if best is None:
        return None
    row, kind = best["row"], best["kind"]
    if kind == "nps":
        headline = f"'{row['label']}' costs the most NPS: {abs(row['impact']):.1f} points"
        value, value_label, unit = float(row["impact"]), f"{row['impact']:+.1f} pts", "NPS points"
    elif kind == "churn":
        headline = (
            f"Accounts raising '{row['label']}' churn {row['relative_risk']:.1f}x as often the next quarter"
        )
        value, value_label, unit = (
            float(row["relative_risk"]),
            f"{row['relative_risk']:.1f}x",
            "relative risk",
        )
    else:
        lift = row["lift"]
        headline = f"'{row['label']}' comes up " + (
            f"{lift:.1f}x as often in lost as in won deals" if np.isfinite(lift) else "only in lost deals"
        )
        value = float(lift) if np.isfinite(lift) else None
        value_label, unit = (f"{lift:.1f}x" if np.isfinite(lift) else "lost only"), "lift in lost deals"
    return Insight(
        "driver", headline, value, value_label, None, unit, True, LINKS["driver"], row["statement"]
    )


# ------------------------------------------------------------------------------------- summary


def executive_summary(
    quarter: str,
    *,
    metrics: pd.DataFrame,
    themes: pd.DataFrame,
    splits_segment: pd.DataFrame | None = None,
    deals: pd.DataFrame | None = None,
    competitors: pd.DataFrame | None = None,
    assignments: pd.DataFrame | None = None,
    churn: pd.DataFrame | None = None,
    wins: pd.DataFrame | None = None,
    alpha: float = 0.05,
    min_volume: int = 30,
    fy_start_month: int = 1,
) -> list[Insight]:
    """The 5 to 7 headline insights of the quarter, in the order of the module docstring.

    Args:
        quarter: the report quarter.
        metrics: ``theme_metrics`` output (needs the quarter, and the previous one for deltas).
        themes: theme table (labels; hidden themes are never headlined).
        splits_segment: ``theme_splits(..., by="segment")``; enables the segment insight.
        deals: canonical deals; enables the competitive-threat and win-rate insights.
        competitors: alias dictionary, to map hand-typed competitor names.
        assignments: theme assignments; names the theme behind competitor losses.
        churn: ``churn_rates(...)`` output including "All" rows for the quarter and the previous one.
        wins: :func:`workbench.analysis.outcomes.wins` output.
        alpha: significance level for every change.
        min_volume: smallest theme volume for the segment test.
        fy_start_month: fiscal-year start month.

    Returns:
        The insights; those whose inputs are missing are left out.
    """
    q = str(Quarter.parse(quarter, fy_start_month))
    visible = metrics[
        ~metrics["theme_id"].isin(set(themes["theme_id"]) - set(theme_labels(themes)["theme_id"]))
    ]
    found: list[Insight | None] = [
        rising_theme_insight(visible, themes, q),
        top_arr_theme_insight(visible, themes, q),
        segment_theme_insight(splits_segment, themes, q, alpha, min_volume)
        if splits_segment is not None
        else None,
    ]
    if deals is not None:
        if "competitor" in deals.columns:
            found.append(
                competitive_threat_insight(deals, q, competitors, assignments, themes, alpha, fy_start_month)
            )
        found.append(win_rate_insight(deals, q, alpha, fy_start_month))
    if churn is not None:
        found.append(churn_insight(churn, q, alpha))
    found.append(top_win_insight(wins))
    insights = [i for i in found if i is not None]
    logger.info(
        "executive summary for %s: %d insights (%d significant)",
        q,
        len(insights),
        sum(i.significant for i in insights),
    )
    return insights


def insights_frame(insights: Sequence[Insight]) -> pd.DataFrame:
    """The insights as a frame (columns :data:`INSIGHT_COLUMNS`), for tables and KPI tiles.

    Text columns are raw; escape them when rendering HTML.
    """
    return pd.DataFrame([asdict(i) for i in insights], columns=INSIGHT_COLUMNS)


def load_inputs(settings: Settings, quarter: str) -> dict[str, pd.DataFrame | None]:
    """Read (and derive) every input of :func:`executive_summary` for a project.

    A thin I/O helper for notebook 00 and the index page: the theme metrics and theme table are
    required; every other input is optional and left None when it has not been produced, so the
    summary degrades to fewer insights instead of failing. Every input is cut at the end of
    ``quarter`` (:mod:`workbench.core.asof`), so a past quarter's summary never sees later data.

    Returns:
        ``metrics, themes, splits_segment, assignments, deals, competitors, churn, wins`` plus the
        raw ``feedback``, ``accounts``, ``usage`` and the ``before_after`` results.
    """
    fy = settings.fiscal_year_start_month
    q = Quarter.parse(quarter, fy)

    def table(name: str) -> pd.DataFrame | None:
        try:
            return table_as_of(load_table(name, settings), name, q)
        except MissingDataError:
            logger.info("executive summary: no %s table; its insights are skipped", name)
            return None

    def output(name: str) -> pd.DataFrame | None:
        try:
            return output_as_of(load_output(name, settings), q)
        except MissingDataError:
            logger.info("executive summary: no theme output %r; its insights are skipped", name)
            return None

    inputs: dict[str, pd.DataFrame | None] = {
        "metrics": output_as_of(load_output("metrics", settings), q),
        "themes": load_output("themes", settings),
        "splits_segment": output("splits_segment"),
        "assignments": output("assignments"),
    }
    for name in ("deals", "competitors", "accounts", "feedback", "usage"):
        inputs[name] = table(name)
    accounts = inputs["accounts"]
    inputs["churn"] = (
        churn_rates(accounts, [str(q.previous()), str(q)], by="segment", fy_start_month=fy)
        if accounts is not None and "churned_at" in accounts.columns
        else None
    )
    results = before_after_all(settings.shipped, inputs["usage"], inputs["assignments"], inputs["feedback"])
    inputs["before_after"] = results
    inputs["wins"] = outcome_wins(settings.shipped, results, inputs["themes"]) if settings.shipped else None
    return inputs


def summary_for(settings: Settings, quarter: str, inputs: dict | None = None) -> list[Insight]:
    """The executive summary of a project's processed data for ``quarter`` (loads the inputs)."""
    inputs = inputs or load_inputs(settings, quarter)
    return executive_summary(
        quarter,
        metrics=inputs["metrics"],
        themes=inputs["themes"],
        splits_segment=inputs.get("splits_segment"),
        deals=inputs.get("deals"),
        competitors=inputs.get("competitors"),
        assignments=inputs.get("assignments"),
        churn=inputs.get("churn"),
        wins=inputs.get("wins"),
        alpha=settings.themes.alpha,
        min_volume=settings.themes.min_volume,
        fy_start_month=settings.fiscal_year_start_month,
    )
