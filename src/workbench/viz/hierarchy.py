"""The theme hierarchy as a chart: theme groups (parents) this quarter, split into their themes.

Why: a reader of 40 themes wants the roll-up first ("Cards and delivery: 18% of feedback") and
the drill-down in the same picture (which of its themes make that up). The table on the
customer-themes page lists the numbers; this chart shows the proportions.

The input is the drill-down table of :func:`workbench.themes.hierarchy.drilldown` (parent rows
from ``theme_metrics`` on :func:`~workbench.themes.hierarchy.rollup_assignments`, each followed by
its themes' rows), with a ``label`` column. A group's volume and share come from its own row
(each item counted once, as the roll-up computes them), not from summing its themes; a group
whose bar is shorter than its total has member themes left out of the table (hidden themes).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import altair as alt
import pandas as pd

from workbench.core.formatting import pct
from workbench.viz.charts import WIDTH, empty_chart, records, require, theme_color, title

logger = logging.getLogger(__name__)

GROUP_COLUMNS = ["theme_id", "label", "level", "parent_id", "volume", "share"]


def group_segments(drill: pd.DataFrame, quarter: str | None = None) -> pd.DataFrame:
    """One row per (top-level row, member theme): the data of :func:`theme_groups`.

    A parent row with member themes is a group (``grouped`` True) and gets one segment per
    member; a top-level row without members (an ungrouped theme, its own top level) is one
    segment of itself.

    Args:
        drill: :func:`workbench.themes.hierarchy.drilldown` output with ``label``
            (:data:`GROUP_COLUMNS`, plus ``quarter`` when it holds several quarters).
        quarter: keep only this quarter's rows when ``drill`` has a ``quarter`` column.

    Returns:
        ``group_id, group, group_label, grouped, members, group_volume, group_share, theme_id,
        label, volume, share, share_of_group``; ``group`` is the axis label (with the number of
        themes for a group). Groups are ordered by volume (largest first), then id.
    """
    require(drill, GROUP_COLUMNS, "theme_groups")
    rows = drill
    if quarter is not None and "quarter" in rows.columns:
        rows = rows[rows["quarter"].astype(str) == str(quarter)]
    rows = rows.assign(
        volume=pd.to_numeric(rows["volume"], errors="coerce").fillna(0.0),
        share=pd.to_numeric(rows["share"], errors="coerce"),
        label=rows["label"].astype(object).where(rows["label"].notna(), rows["theme_id"]).astype(str),
    )
    tops = rows[rows["level"] == "parent"].sort_values(["volume", "theme_id"], ascending=[False, True])
    children = rows[(rows["level"] == "theme") & (rows["parent_id"] != rows["theme_id"])]
    parts = []
    for top in tops.itertuples(index=False):
        members = children[children["parent_id"] == top.theme_id]
        grouped = not members.empty
        if not grouped:
            members = pd.DataFrame(
                [{"theme_id": top.theme_id, "label": top.label, "volume": top.volume, "share": top.share}]
            )
        members = members.sort_values(["volume", "theme_id"], ascending=[False, True])
        n = len(members)
        parts.append(
            pd.DataFrame(
                {
                    "group_id": top.theme_id,
                    "group": f"{top.label} ({n} theme{'s' if n != 1 else ''})" if grouped else top.label,
                    "group_label": top.label,
                    "grouped": grouped,
                    "members": n if grouped else 0,
                    "group_volume": float(top.volume),
                    "group_share": top.share,
                    "theme_id": members["theme_id"].to_numpy(),
                    "label": members["label"].to_numpy(),
                    "volume": members["volume"].to_numpy(dtype=float),
                    "share": members["share"].to_numpy(dtype=float),
                }
            )
        )
    columns = [
        "group_id",
        "group",
        "group_label",
        "grouped",
        "members",
        "group_volume",
        "group_share",
        "theme_id",
        "label",
        "volume",
        "share",
        "share_of_group",
    ]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    out["share_of_group"] = out["volume"] / out["group_volume"].where(out["group_volume"] > 0)
    return out[columns]


def theme_groups(
    drill: pd.DataFrame,
    quarter: str,
    palette: Mapping[str, str],
    top: int = 15,
) -> alt.LayerChart | alt.Chart:
    """Theme groups by items this quarter, each bar split into its member themes.

    One horizontal bar per top-level row of the roll-up with items this quarter (groups, and
    ungrouped themes as their own top level), largest first; segments are the member themes in
    their palette colours, so a theme has the colour it has on every other chart. The group's
    share of feedback is written at the end of its bar; tooltips give the theme, its items and
    shares, and the group's.

    Args:
        drill: :func:`workbench.themes.hierarchy.drilldown` output with ``label`` (see
            :func:`group_segments`).
        quarter: the report quarter (for the title, and to filter a multi-quarter table).
        palette: theme id -> colour (:func:`workbench.viz.style.theme_palette`).
        top: at most this many top-level bars.

    Returns:
        A layered chart (bars and share labels); an empty chart saying so when there are no
        groups with member themes this quarter.
    """
    segments = group_segments(drill, quarter)
    segments = segments[segments["group_volume"] > 0]  # nothing to split in a quarter without items
    if not segments["grouped"].astype(bool).any():
        return empty_chart(f"No theme groups with themes in {quarter}")
    order = list(dict.fromkeys(segments["group"]))
    shown = order[:top]
    segments = segments[segments["group"].isin(shown)]
    bars_data = records(segments)
    group_cols = ["group_id", "group", "group_label", "members", "group_volume", "group_share"]
    totals = records(segments.drop_duplicates("group_id")[group_cols])
    totals = totals.assign(share_text=[pct(s, digits=1) for s in totals["group_share"]])

    groups = segments[segments["grouped"].astype(bool)].drop_duplicates("group_id")
    lead = groups.iloc[0]
    share = pct(lead["group_share"])
    text = f"{lead['group_label']} is the largest theme group: {share} of feedback in {quarter}"
    plural = "s" if len(groups) != 1 else ""
    subtitle = f"Items per theme group, split into its themes; {len(groups)} group{plural}"
    if len(order) > len(shown):
        subtitle += f"; top {len(shown)} of {len(order)} by items"
    if (segments["members"] == 0).any():
        subtitle += "; ungrouped themes stand alone"

    y = alt.Y("group:N", sort=shown, title=None, axis=alt.Axis(labelLimit=280))
    room = alt.Scale(domain=[0, float(segments["group_volume"].max()) * 1.12])  # for the share text
    bars = (
        alt.Chart(bars_data)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("volume:Q", title="Feedback items", stack="zero", scale=room),
            color=theme_color(segments, palette, legend=True),
            order=alt.Order("volume:Q", sort="descending"),
            tooltip=[
                alt.Tooltip("group_label:N", title="Group"),
                alt.Tooltip("label:N", title="Theme"),
                alt.Tooltip("volume:Q", title="Items", format=","),
                alt.Tooltip("share:Q", title="Share of feedback", format=".1%"),
                alt.Tooltip("share_of_group:Q", title="Share of the group", format=".0%"),
                alt.Tooltip("group_volume:Q", title="Group items", format=","),
                alt.Tooltip("group_share:Q", title="Group share of feedback", format=".1%"),
            ],
        )
    )
    labels = (
        alt.Chart(totals)
        .mark_text(align="left", dx=4)
        .encode(
            y=y,
            x=alt.X("group_volume:Q", scale=room),
            text=alt.Text("share_text:N"),
            tooltip=[
                alt.Tooltip("group_label:N", title="Group"),
                alt.Tooltip("group_volume:Q", title="Group items", format=","),
                alt.Tooltip("group_share:Q", title="Group share of feedback", format=".1%"),
            ],
        )
    )
    return alt.layer(bars, labels).properties(width=WIDTH, title=title(text, subtitle))
