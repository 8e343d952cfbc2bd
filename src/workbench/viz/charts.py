"""Chart functions for customer themes, and the helpers every chart module shares.

Each function takes tidy frames (the outputs of the theme engine and the analyses) and returns
an ``alt.Chart``; none saves (see :mod:`workbench.report.chart_files`). The title of every chart
states the finding, computed from the data ("Onboarding friction up 41% QoQ, now #1 by ARR
touched"), because an executive reads the title and moves on; every chart has tooltips for
the one who does not. Theme colours come from a palette keyed by theme id
(:func:`workbench.viz.style.theme_palette`), so a theme has the same colour on every page.

Sales, market and outcome charts live in :mod:`workbench.viz.sales`,
:mod:`workbench.viz.market` and :mod:`workbench.viz.outcomes`.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from workbench.core.errors import ChartInputError as ChartInputError  # re-exported
from workbench.core.formatting import money, pct
from workbench.core.frames import require_columns as require  # the one required-columns check
from workbench.viz import style as theme

logger = logging.getLogger(__name__)

WIDTH = 560


# ------------------------------------------------------------------------------------ helpers


TITLE_CHARS = 78  # about the width of a 560 px chart at the house title size


def title(text: str, subtitle: str | None = None) -> alt.TitleParams:
    """A chart title (the finding) with an optional subtitle (what is plotted).

    Vega does not wrap titles, and a finding cut off at the chart's edge loses its point, so a
    long title becomes several lines (a list of strings).
    """
    lines = textwrap.wrap(text, TITLE_CHARS) or [text]
    return alt.TitleParams(text=lines if len(lines) > 1 else text, subtitle=subtitle or alt.Undefined)


def with_labels(frame: pd.DataFrame, themes: pd.DataFrame | None) -> pd.DataFrame:
    """``frame`` with a ``label`` column from the theme table (the id when a theme has no label).

    A copy is returned; the input is never modified.
    """
    out = frame.copy()
    if "label" in out.columns and out["label"].notna().all():
        out["label"] = out["label"].astype(str)
        return out
    out = out.drop(columns=["label"], errors="ignore")
    if themes is not None and {"theme_id", "label"} <= set(themes.columns):
        labels = themes[["theme_id", "label"]].drop_duplicates("theme_id")
        out = out.merge(labels, on="theme_id", how="left", validate="m:1")
    else:
        out["label"] = np.nan
    out["label"] = out["label"].astype("object").where(out["label"].notna(), out["theme_id"]).astype(str)
    return out


#: How a theme's kind (from the registry) is marked next to its label: an executive must tell a
#: value theme ("Saves time": praise) from a blocker before reading its bar as a problem.
KIND_MARKS = {"blocker": "blocker", "goal": "goal", "value": "value"}


def with_kinds(frame: pd.DataFrame, themes: pd.DataFrame | None) -> pd.DataFrame:
    """``frame`` (with ``label``) plus ``kind`` and ``display``: the label and its kind, "Saves time · value".

    Themes without a known kind (emerging candidates) keep their bare label. A copy is returned.
    """
    out = frame.drop(columns=["kind", "display"], errors="ignore")
    if themes is not None and {"theme_id", "kind"} <= set(themes.columns):
        kinds = themes[["theme_id", "kind"]].drop_duplicates("theme_id")
        out = out.merge(kinds, on="theme_id", how="left", validate="m:1")
    else:
        out = out.assign(kind=None)
    kind = [KIND_MARKS.get(k.lower()) if isinstance(k, str) else None for k in out["kind"]]
    out["kind"] = kind
    out["display"] = [
        f"{label} · {k}" if k else str(label) for label, k in zip(out["label"], kind, strict=True)
    ]
    return out


def theme_color(frame: pd.DataFrame, palette: Mapping[str, str], legend: bool = False) -> alt.Color:
    """Colour by theme label, with each label pinned to its theme id's palette colour."""
    pairs = frame[["theme_id", "label"]].drop_duplicates("label")
    scale = alt.Scale(
        domain=pairs["label"].tolist(), range=[palette.get(str(t), theme.NEUTRAL) for t in pairs["theme_id"]]
    )
    return alt.Color("label:N", title="Theme", scale=scale, legend=alt.Legend() if legend else None)


def records(frame: pd.DataFrame) -> pd.DataFrame:
    """A chart-ready copy: plain Python-typed columns (Arrow strings and nullable ints made simple).

    Vega-Lite needs JSON; pandas 3's Arrow-backed strings and ``pd.NA`` serialise unevenly, so
    every chart hands Altair a frame of objects, floats and ISO dates.
    """
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            out[col] = series.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(series):
            out[col] = series.astype(object).where(series.notna(), None)
        elif pd.api.types.is_numeric_dtype(series):
            out[col] = series.astype("float64")
        else:
            out[col] = series.astype(object).where(series.notna(), None)
    return out


def empty_chart(message: str) -> alt.Chart:
    """A chart that says there is nothing to show (so a report never silently drops a section)."""
    frame = pd.DataFrame({"message": [message]})
    return (
        alt.Chart(frame)
        .mark_text(size=14, color=theme.NEUTRAL)
        .encode(text="message:N", tooltip=[alt.Tooltip("message:N", title="Note")])
        .properties(width=WIDTH, height=60, title=title(message))
    )


def _quarter_rows(metrics: pd.DataFrame, quarter: str) -> pd.DataFrame:
    return metrics[metrics["quarter"].astype(str) == str(quarter)]


# ------------------------------------------------------------------------------------ themes

_METRIC_TOOLTIP = [
    alt.Tooltip("label:N", title="Theme"),
    alt.Tooltip("volume:Q", title="Items", format=","),
    alt.Tooltip("share:Q", title="Share of feedback", format=".1%"),
    alt.Tooltip("accounts:Q", title="Accounts", format=","),
    alt.Tooltip("arr_touched:Q", title="ARR touched", format="$,.0f"),
    alt.Tooltip("change_pct:Q", title="Change QoQ (%)", format="+.0f"),
    alt.Tooltip("trend:N", title="Trend"),
]


def theme_ranking(
    metrics: pd.DataFrame,
    themes: pd.DataFrame | None,
    quarter: str,
    palette: Mapping[str, str],
    by: str = "arr_touched",
    top: int = 10,
) -> alt.Chart:
    """Themes ranked by ARR touched (or volume) in the quarter; the title names the leader.

    Args:
        metrics: :func:`workbench.themes.metrics.theme_metrics` output.
        themes: theme table for labels.
        quarter: the report quarter.
        palette: theme id -> colour.
        by: ``arr_touched`` or ``volume``.
        top: how many themes to show.
    """
    require(metrics, ["quarter", "theme_id", "volume", "arr_touched", "change_pct", "trend"], "theme_ranking")
    rows = with_kinds(with_labels(_quarter_rows(metrics, quarter), themes), themes)
    themed = bool((rows["volume"] > 0).any())
    rows = rows[rows[by] > 0].sort_values([by, "theme_id"], ascending=[False, True]).head(top)
    if rows.empty:
        if themed and by == "arr_touched":  # say the real cause: feedback without account ARR
            return empty_chart(
                f"No ARR to rank by in {quarter}: the themed feedback is not linked to accounts"
            )
        return empty_chart(f"No themed feedback in {quarter}")
    what = "ARR touched" if by == "arr_touched" else "feedback items"
    lead = rows.iloc[0]
    rising = rows[rows["trend"] == "rising"]
    if len(rising) and rising.iloc[0]["theme_id"] == lead["theme_id"]:
        text = f"{lead['label']} up {lead['change_pct']:.0f}% QoQ, now #1 by {what}"
    elif len(rising):
        r = rising.iloc[0]
        rank = int(rows.index.get_loc(r.name)) + 1
        text = f"{r['label']} up {r['change_pct']:.0f}% QoQ, now #{rank} by {what}"
    else:
        amount = money(lead[by]) if by == "arr_touched" else f"{int(lead[by]):,} items"
        text = f"{lead['label']} leads by {what} in {quarter} ({amount})"
    subtitle = f"Top {len(rows)} themes by {what}, {quarter}"
    if len(rising) and rising.iloc[0]["theme_id"] != lead["theme_id"]:
        subtitle = f"{lead['label']} leads; " + subtitle[0].lower() + subtitle[1:]
    if any(rows["kind"]):
        subtitle += "; blocker = stops customers, goal = what they want done, value = praise"
    x_title = "ARR of accounts raising the theme" if by == "arr_touched" else "Feedback items"
    fmt = "$.2~s" if by == "arr_touched" else ",.0f"
    return (
        alt.Chart(records(rows))
        .mark_bar()
        .encode(
            y=alt.Y("display:N", sort=rows["display"].tolist(), title=None, axis=alt.Axis(labelLimit=280)),
            x=alt.X(f"{by}:Q", title=x_title, axis=alt.Axis(format=fmt)),
            color=theme_color(rows, palette),
            tooltip=[*_METRIC_TOOLTIP[:1], alt.Tooltip("kind:N", title="Kind"), *_METRIC_TOOLTIP[1:]],
        )
        .properties(width=WIDTH, title=title(text, subtitle))
    )


def theme_changes(
    metrics: pd.DataFrame,
    themes: pd.DataFrame | None,
    quarter: str,
    min_volume: int = 1,
) -> alt.Chart:
    """Quarter-over-quarter change per theme; only significant changes are coloured.

    Colour carries the statistical verdict, not the theme: green rising, rose falling, grey
    "not significant", so a reader never takes noise for a trend.
    """
    require(metrics, ["quarter", "theme_id", "volume", "prev_volume", "change_pct", "trend"], "theme_changes")
    rows = with_kinds(with_labels(_quarter_rows(metrics, quarter), themes), themes)
    rows = rows[(rows[["volume", "prev_volume"]].max(axis=1) >= min_volume) & rows["change_pct"].notna()]
    if rows.empty:
        return empty_chart(f"No quarter-over-quarter comparison for {quarter}")
    rows = rows.assign(
        verdict=np.select(
            [rows["trend"] == "rising", rows["trend"] == "falling"],
            ["Rising (significant)", "Falling (significant)"],
            "No significant change",
        )
    )
    rows = rows.sort_values(["change_pct", "theme_id"], ascending=[False, True])
    rising, falling = rows[rows["trend"] == "rising"], rows[rows["trend"] == "falling"]
    if len(rising):
        top = rising.iloc[0]
        text = f"{top['label']} rose fastest: {top['change_pct']:+.0f}% QoQ"
        if len(rising) > 1:
            text += f" ({len(rising)} themes rising significantly)"
    elif len(falling):
        top = falling.sort_values("change_pct").iloc[0]
        text = f"No theme rose significantly; {top['label']} fell {top['change_pct']:.0f}%"
    else:
        text = f"No theme changed significantly in {quarter}"
    verdicts = ["Rising (significant)", "Falling (significant)", "No significant change"]
    return (
        alt.Chart(records(rows))
        .mark_bar()
        .encode(
            y=alt.Y("display:N", sort=rows["display"].tolist(), title=None, axis=alt.Axis(labelLimit=280)),
            x=alt.X("change_pct:Q", title="Change in items vs previous quarter (%)"),
            color=alt.Color(
                "verdict:N",
                title=None,
                scale=alt.Scale(domain=verdicts, range=[theme.POSITIVE, theme.NEGATIVE, theme.NEUTRAL]),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Theme"),
                alt.Tooltip("volume:Q", title="Items", format=","),
                alt.Tooltip("prev_volume:Q", title="Items last quarter", format=","),
                alt.Tooltip("change_pct:Q", title="Change (%)", format="+.0f"),
                alt.Tooltip("verdict:N", title="Verdict"),
            ],
        )
        .properties(
            width=WIDTH, title=title(text, f"{quarter} vs previous quarter; colour = significance test")
        )
    )


def theme_trends(
    metrics: pd.DataFrame,
    themes: pd.DataFrame | None,
    quarter: str,
    palette: Mapping[str, str],
    top: int = 6,
) -> alt.Chart:
    """Items per quarter for the quarter's largest themes (plus any rising one)."""
    require(metrics, ["quarter", "theme_id", "volume", "trend"], "theme_trends")
    rows = with_labels(metrics[metrics["quarter"].astype(str) <= str(quarter)], themes)
    now = rows[rows["quarter"].astype(str) == str(quarter)].sort_values(
        ["volume", "theme_id"], ascending=[False, True]
    )
    if now.empty:
        return empty_chart(f"No themed feedback in {quarter}")
    keep = list(
        dict.fromkeys(now.head(top)["theme_id"].tolist() + now[now["trend"] == "rising"]["theme_id"].tolist())
    )
    rows = rows[rows["theme_id"].isin(keep)].sort_values(["theme_id", "quarter"])
    rising = now[now["trend"] == "rising"]
    if len(rising):
        r = rising.sort_values("change_pct", ascending=False).iloc[0]
        text = f"{r['label']} climbed to {int(r['volume']):,} items in {quarter} ({r['change_pct']:+.0f}%)"
    else:
        lead = now.iloc[0]
        before = rows[(rows["quarter"].astype(str) < str(quarter)) & (rows["volume"] > 0)]
        latest = before[before["quarter"].astype(str) == before["quarter"].astype(str).max()]
        top_before = latest.sort_values(["volume", "theme_id"], ascending=[False, True])["theme_id"].head(1)
        if top_before.empty:  # nothing earlier to compare with: no claim of staying or becoming
            verb = "is the largest theme"
        elif top_before.iloc[0] == lead["theme_id"]:
            verb = "remains the largest theme"
        else:
            verb = "is now the largest theme"
        text = f"{lead['label']} {verb} ({int(lead['volume']):,} items in {quarter})"
    return (
        alt.Chart(records(rows))
        .mark_line(point=True)
        .encode(
            x=alt.X("quarter:O", title=None),
            y=alt.Y("volume:Q", title="Feedback items"),
            color=theme_color(rows, palette, legend=True),
            tooltip=[
                alt.Tooltip("label:N", title="Theme"),
                alt.Tooltip("quarter:O", title="Quarter"),
                alt.Tooltip("volume:Q", title="Items", format=","),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
        .properties(width=WIDTH, title=title(text, "Feedback items per quarter, largest themes"))
    )


#: Group values that say "we do not know"; a theme is never called concentrated in one of them.
_UNKNOWN_GROUPS = {"", "unknown", "(unknown)", "none", "nan", "n/a", "other"}


def theme_concentration(
    splits: pd.DataFrame,
    themes: pd.DataFrame | None,
    quarter: str,
    by: str = "segment",
    top: int = 12,
) -> alt.Chart:
    """Heat map of where each theme is over-represented (lift of its share in each group).

    Args:
        splits: :func:`workbench.themes.metrics.theme_splits` output (``concentration`` = lift, 1 = even).
        themes: theme table for labels.
        quarter: the report quarter.
        by: the split column, ``segment`` or ``channel``.
        top: themes with the most items shown.
    """
    require(
        splits,
        ["quarter", "theme_id", by, "volume", "share_of_theme", "concentration"],
        "theme_concentration",
    )
    rows = with_labels(splits[splits["quarter"].astype(str) == str(quarter)], themes)
    known = rows[by].notna() & ~rows[by].astype(str).str.strip().str.lower().isin(_UNKNOWN_GROUPS)
    if rows.empty or rows.loc[known, by].nunique() < 2:  # one known group: no concentration to speak of
        return empty_chart(f"No {by} split for {quarter}: the feedback does not name two or more {by}s")
    sizes = rows.groupby("label")["volume"].sum().sort_values(ascending=False)
    rows = rows[rows["label"].isin(sizes.head(top).index)]
    known = known.reindex(rows.index)
    sized = rows[known & (rows["volume"] >= 5)]
    peak = (sized if len(sized) else rows[known]).sort_values(["concentration", "volume"], ascending=False)
    if peak.empty or not peak.iloc[0]["concentration"] > 1:
        text = f"No theme is over-represented in any {by} in {quarter}"
    else:
        peak = peak.iloc[0]
        text = (
            f"{peak['label']} is concentrated in {peak[by]}: {peak['concentration']:.1f}x its share "
            f"({pct(peak['share_of_theme'])} of the theme)"
        )
    return (
        alt.Chart(records(rows))
        .mark_rect()
        .encode(
            y=alt.Y("label:N", sort=sizes.head(top).index.tolist(), title=None),
            x=alt.X(f"{by}:N", title=None),
            color=alt.Color(
                "concentration:Q", title="Lift", scale=alt.Scale(scheme="purpleorange", domainMid=1)
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Theme"),
                alt.Tooltip(f"{by}:N", title=by.capitalize()),
                alt.Tooltip("volume:Q", title="Items", format=","),
                alt.Tooltip("share_of_theme:Q", title="Share of the theme", format=".0%"),
                alt.Tooltip("concentration:Q", title="Lift (1 = even)", format=".2f"),
            ],
        )
        .properties(
            width=max(160, 90 * rows[by].nunique()),
            title=title(
                text, f"Lift of each theme's share by {by}, {quarter} (1 = in line with all feedback)"
            ),
        )
    )


TONE_COLUMNS = {
    "label": "Theme",
    "volume": "Items",
    "sentiment_mean": "Mean sentiment (inferred)",
    "negative_share": "Negative (inferred)",
    "rating_mean": "Mean stars (stated)",
    "nps_mean": "Mean NPS score (stated)",
}


def tone_rows(metrics: pd.DataFrame, themes: pd.DataFrame | None, quarter: str) -> tuple[pd.DataFrame, dict]:
    """Per theme in ``quarter``: the inferred sentiment beside what customers stated, largest first.

    Returns the rows and the header of each column to show: the stated columns (stars, NPS score
    0-10) only when some theme has them, so a source without ratings shows no empty column.
    """
    require(metrics, ["quarter", "theme_id", "volume", "sentiment_mean"], "tone_rows")
    rows = with_labels(_quarter_rows(metrics, quarter), themes)
    rows = rows[rows["volume"] > 0].sort_values(["volume", "theme_id"], ascending=[False, True])
    columns = {
        c: h
        for c, h in TONE_COLUMNS.items()
        if c in ("label", "volume") or (c in rows and rows[c].notna().any())
    }
    return rows.reset_index(drop=True), columns


def theme_sentiment(
    metrics: pd.DataFrame,
    themes: pd.DataFrame | None,
    quarter: str,
    palette: Mapping[str, str],
) -> alt.Chart:
    """Volume against mean sentiment per theme: big and negative is where the pain is."""
    require(metrics, ["quarter", "theme_id", "volume", "sentiment_mean", "arr_touched"], "theme_sentiment")
    rows = with_labels(_quarter_rows(metrics, quarter), themes)
    rows = rows[(rows["volume"] > 0) & rows["sentiment_mean"].notna()]
    if rows.empty:
        return empty_chart(f"No sentiment for {quarter}")
    worst = rows.sort_values(["sentiment_mean", "theme_id"]).iloc[0]
    text = f"{worst['label']} is the most negative theme (mean sentiment {worst['sentiment_mean']:+.2f})"
    return (
        alt.Chart(records(rows))
        .mark_circle(opacity=0.85)
        .encode(
            x=alt.X("volume:Q", title="Feedback items"),
            y=alt.Y("sentiment_mean:Q", title="Mean sentiment (-1 to 1)"),
            size=alt.Size("arr_touched:Q", title="ARR touched", legend=None),
            color=theme_color(rows, palette),
            tooltip=[
                alt.Tooltip("label:N", title="Theme"),
                alt.Tooltip("volume:Q", title="Items", format=","),
                alt.Tooltip("sentiment_mean:Q", title="Mean sentiment", format="+.2f"),
                alt.Tooltip("arr_touched:Q", title="ARR touched", format="$,.0f"),
                *(
                    alt.Tooltip(f"{column}:Q", title=TONE_COLUMNS[column], format=".2f")
                    for column in ("rating_mean", "nps_mean")
                    if column in rows and rows[column].notna().any()
                ),
            ],
        )
        .properties(width=WIDTH, title=title(text, f"Each dot a theme, {quarter}; size = ARR touched"))
    )
