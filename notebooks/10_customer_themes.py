# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
#   workbench:
#     description: what customers are trying to achieve, what blocks them, where they see value - with evidence
#     title: Customer themes
# ---

# %% tags=["parameters"]
quarter: str = ""  # reporting quarter, e.g. 2026Q3; blank means the last complete quarter in the data
config: str = ""  # path to workbench.yaml; blank means the project's config/workbench.yaml
output_dir: str = ""  # folder for charts/ and tables/; blank means reports/scratch/<quarter>/
segment: str = ""  # only this customer segment (SMB, Mid-Market, Enterprise); blank means every account

# %%
from IPython.display import display

from workbench.report import html
from workbench.report.context import open_report
from workbench.themes import metrics
from workbench.viz import charts

ctx = open_report(config=config, quarter=quarter, output_dir=output_dir, segment=segment)
themed = ctx.has_themes()
if themed:
    theme_metrics = ctx.output("metrics")
    themes = ctx.output("themes")
    ctx.save_table(theme_metrics[theme_metrics["quarter"] == ctx.q], "theme_metrics")
    lead = (
        "Themes are matched to a curated registry, so a change between quarters is a real change."
        if ctx.themes_are_curated()
        else "Themes were discovered in the feedback itself (no curated registry yet); "
        "`workbench themes review` turns them into stable themes."
    )
else:
    lead = "What customers raise in their feedback."
display(ctx.header("Customer themes", lead))
if not themed:
    display(ctx.absent("feedback", section="Every section of this page"))

# %% [markdown]
# <h2 id="themes-by-arr">Themes by revenue touched</h2>
#
# ARR touched is the annual recurring revenue of the accounts that raised a theme this quarter:
# it says whose problem it is, not only how loud it is.

# %%
if themed:
    display(ctx.show(charts.theme_ranking(theme_metrics, themes, ctx.q, ctx.palette), "themes_by_arr"))

# %%
if themed:
    display(
        ctx.show(
            charts.theme_ranking(theme_metrics, themes, ctx.q, ctx.palette, by="volume"), "themes_by_volume"
        )
    )

# %% [markdown]
# <h2 id="rising-themes">Rising and falling themes</h2>
#
# A theme is called rising or falling only when the change in its share of feedback is
# statistically significant and its volume is large enough to matter.

# %%
if themed and ctx.compare_with:
    display(
        ctx.show(
            charts.theme_changes(theme_metrics, themes, ctx.q, min_volume=ctx.settings.themes.min_volume),
            "theme_changes",
        )
    )
elif themed:
    display(html.callout(f"No feedback is dated in {ctx.prev}, so no change can be measured against it."))

# %%
if themed:
    display(ctx.show(charts.theme_trends(theme_metrics, themes, ctx.q, ctx.palette), "theme_trends"))

# %% [markdown]
# ### Emerging themes
# Clusters that match no registered theme yet, and themes with no volume last quarter. Analysts
# review them with `workbench themes review`.

# %%
if themed:
    emerging = metrics.emerging_themes(theme_metrics, ctx.q)
    ctx.save_table(emerging, "emerging_themes")
    columns = {"label": "Theme", "volume": "Items"}
    if ctx.has("accounts"):  # a review export has no accounts: no account counts or ARR to show
        columns |= {"accounts": "Accounts", "arr_touched": "ARR touched"}
    display(
        html.table(
            charts.with_labels(emerging, themes),
            columns,
            {"volume": "", "accounts": "", "arr_touched": "$"},
            max_rows=10,
        )
    )

# %% [markdown]
# <h2 id="drivers">What moves NPS, churn and deals</h2>
#
# Impact, not mentions: for each theme, the NPS of the responses raising it against the rest (and
# the points it costs or adds to the overall NPS), the next-quarter churn of the accounts that
# raised it in the four quarters before, and how much more often it comes up in the notes of lost
# than of won deals. Only differences that stay significant after a Benjamini-Hochberg correction
# are stated, each with its denominators; they are associations, not proof of cause.

# %%
if themed:
    from workbench.analysis import drivers

    nps_drv, churn_drv, deal_drv = drivers.compute(
        ctx.q,
        ctx.output("assignments"),
        themes,
        ctx.table("feedback"),
        *ctx.tables_or_none("accounts", "deals"),
        alpha=ctx.settings.themes.alpha,
        fy_start_month=ctx.fy,
    )
    found_any = False
    for name, frame, cols, fmt in (
        (
            "nps_drivers",
            nps_drv,
            {
                "label": "Theme",
                "n_with": "Responses",
                "nps_with": "NPS with",
                "nps_without": "NPS rest",
                "impact": "Points of NPS",
                "p_bh": "p (BH)",
            },
            {"n_with": "", "nps_with": "nps", "nps_without": "nps", "impact": ""},
        ),
        (
            "churn_drivers",
            churn_drv,
            {
                "label": "Theme",
                "n_with": "Account-quarters",
                "rate_with": "Churn with",
                "rate_without": "Churn rest",
                "relative_risk": "Relative risk",
                "arr_at_risk": "ARR at risk",
            },
            {"n_with": "", "rate_with": "%", "rate_without": "%", "relative_risk": "", "arr_at_risk": "$"},
        ),
        (
            "deal_drivers",
            deal_drv,
            {
                "label": "Theme",
                "lost_with": "Lost deals",
                "won_with": "Won deals",
                "share_of_lost": "Of lost",
                "share_of_won": "Of won",
                "lift": "Lift",
            },
            {"lost_with": "", "won_with": "", "share_of_lost": "%", "share_of_won": "%", "lift": ""},
        ),
    ):
        if frame is None:
            continue
        ctx.save_table(frame, name)
        significant = frame[frame["significant"]]
        found_any = found_any or not significant.empty
        for statement in significant["statement"].head(3):
            display(html.paragraph(statement))
        significant = significant.assign(p_bh=drivers.format_p(significant["p_adjusted"]))
        display(
            html.table(
                significant,
                {**cols, "p_bh": "p (BH)"},
                fmt,
                max_rows=8,
                empty="No theme is a significant driver.",
            )
        )
    if not found_any:
        display(html.callout("No theme is a significant driver of NPS, churn or lost deals this quarter."))

# %% [markdown]
# ### Theme groups
# Parent groups of themes from `config/themes.yaml` (proposed by `workbench themes review`). A group's
# volume counts each item once and its change is tested like a theme's; its themes follow it. The
# chart shows each group's share of feedback split into its themes.

# %%
if themed:
    import pandas as pd

    from workbench.analysis.joins import theme_labels
    from workbench.themes import hierarchy
    from workbench.themes.registry import load_registry
    from workbench.viz import hierarchy as hierarchy_charts

    registry = load_registry(ctx.settings)
    if registry.parents:
        mapping = hierarchy.parent_map(registry, themes["theme_id"].tolist())
        accounts_or_empty = ctx.table("accounts") if ctx.has("accounts") else pd.DataFrame({"account_id": []})
        quarters = [ctx.prev, ctx.q] if ctx.compare_with else [ctx.q]
        parent_metrics = metrics.theme_metrics(
            hierarchy.rollup_assignments(ctx.output("assignments"), mapping),
            ctx.table("feedback"),
            accounts_or_empty,
            quarters,
            ctx.settings.themes,
        )
        names = pd.concat([hierarchy.parent_labels(registry, themes), themes[["theme_id", "label"]]])
        groups = hierarchy.drilldown(
            parent_metrics[parent_metrics["quarter"] == ctx.q],
            theme_metrics[theme_metrics["quarter"] == ctx.q],
            mapping,
        ).merge(names.drop_duplicates("theme_id")[["theme_id", "label"]], on="theme_id", how="left")
        hidden = set(themes["theme_id"]) - set(theme_labels(themes)["theme_id"])
        groups = groups[~groups["theme_id"].isin(hidden)].reset_index(drop=True)
        group_chart = hierarchy_charts.theme_groups(groups, ctx.q, ctx.palette)
        groups["label"] = groups["label"].where(
            groups["level"] == "parent", "  - " + groups["label"].astype(str)
        )
        ctx.save_table(groups, "theme_groups")
        display(
            html.table(
                groups,
                {"label": "Group / theme", "volume": "Items", "share": "Share", "trend": "Trend"},
                {"volume": "", "share": "%"},
                max_rows=60,
            )
        )
        display(ctx.show(group_chart, "theme_groups"))
        from workbench.analysis import drivers

        group_ids = {p.id for p in registry.parents}
        for frame in drivers.compute(
            ctx.q,
            ctx.output("assignments"),
            themes,
            ctx.table("feedback"),
            *ctx.tables_or_none("accounts", "deals"),
            alpha=ctx.settings.themes.alpha,
            fy_start_month=ctx.fy,
            parents=mapping,
            parent_labels=hierarchy.parent_labels(registry),
        ):
            if frame is not None:
                for statement in frame[frame["significant"] & frame["theme_id"].isin(group_ids)]["statement"][
                    :3
                ]:
                    display(html.paragraph(statement))
    else:
        display(html.paragraph("No theme groups yet: `workbench themes review` proposes them.", muted=True))

# %% [markdown]
# <h2 id="themes-by-segment">Where each theme is concentrated</h2>
#
# Lift above 1 means a segment (or channel) raises the theme more than its share of all feedback.

# %%
if themed and ctx.has("accounts"):
    display(
        ctx.show(
            charts.theme_concentration(ctx.output("splits_segment"), themes, ctx.q, by="segment"),
            "themes_by_segment",
        )
    )
elif themed:
    display(ctx.absent("accounts", section="The split by segment"))

# %%
if themed:
    display(
        ctx.show(
            charts.theme_concentration(ctx.output("splits_channel"), themes, ctx.q, by="channel"),
            "themes_by_channel",
        )
    )

# %% [markdown]
# ## Tone
# Mean inferred sentiment (-1..1) of each theme's feedback this quarter: a blend of a model trained
# on star-rated reviews, a lexicon and a zero-shot similarity (see docs/sentiment.md). Where the
# source carries what customers stated (stars, an NPS score), the table shows it beside the inferred one.

# %%
if themed:
    display(ctx.show(charts.theme_sentiment(theme_metrics, themes, ctx.q, ctx.palette), "theme_sentiment"))
    tone, tone_columns = charts.tone_rows(theme_metrics, themes, ctx.q)
    ctx.save_table(tone[list(tone_columns)], "theme_tone")
    display(
        html.table(
            tone,
            tone_columns,
            {"volume": "", "sentiment_mean": "", "negative_share": "%", "rating_mean": "", "nps_mean": ""},
            max_rows=12,
        )
    )

# %% [markdown]
# <h2 id="evidence">In customers' words</h2>
#
# Representative quotes for the largest themes: diverse accounts and channels, personal data
# redacted.

# %%
if themed:
    display(
        html.theme_quotes(
            ctx.output("quotes"), theme_metrics[theme_metrics["quarter"] == ctx.q], themes, top=6
        )
    )

# %% [markdown]
# ## Data coverage

# %%
ctx.coverage()
