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
    display(
        html.table(
            charts.with_labels(emerging, themes),
            {"label": "Theme", "volume": "Items", "accounts": "Accounts", "arr_touched": "ARR touched"},
            {"volume": "", "accounts": "", "arr_touched": "$"},
            max_rows=10,
        )
    )

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
# Mean VADER sentiment of each theme's feedback this quarter.

# %%
if themed:
    display(ctx.show(charts.theme_sentiment(theme_metrics, themes, ctx.q, ctx.palette), "theme_sentiment"))

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
