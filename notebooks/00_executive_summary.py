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
#     description: the quarter in two minutes - headline numbers and the 5-7 findings that matter
#     title: Executive summary
# ---

# %% tags=["parameters"]
quarter: str = ""  # reporting quarter, e.g. 2026Q3; blank means the last complete quarter in the data
config: str = ""  # path to workbench.yaml; blank means the project's config/workbench.yaml
output_dir: str = ""  # folder for charts/ and tables/; blank means reports/scratch/<quarter>/
segment: str = ""  # only this customer segment (SMB, Mid-Market, Enterprise); blank means every account

# %%
from IPython.display import display

from workbench.analysis import insights
from workbench.report import html
from workbench.report.context import open_report
from workbench.report.data import headline_kpis
from workbench.viz import charts

ctx = open_report(config=config, quarter=quarter, output_dir=output_dir, segment=segment)
ctx.header("Executive summary", "What customers told us, how we sold and what we shipped this quarter.")

# %% [markdown]
# ## Headline numbers
# Each number is compared with the previous quarter. Rates change in percentage points.

# %%
kpis = headline_kpis(*ctx.tables_or_none("feedback", "deals", "accounts"), ctx.quarter)
ctx.save_table(kpis, "headline_kpis")
html.kpi_cards(kpis) if len(kpis) else ctx.absent("feedback", "deals", section="Headline numbers")

# %% [markdown]
# ## What matters this quarter
# Every finding below is computed from the data and passed a significance test where it states a
# change; a change that did not is reported as "no significant change". Each links to its detail.

# %%
findings = ctx.insights()
ctx.save_table(insights.insights_frame(findings), "executive_insights")
html.insight_list(findings) if findings else html.callout("No finding passed its tests this quarter.")

# %% [markdown]
# ## What moves the numbers
# The theme most firmly tied to lower NPS, higher churn or lost deals (significant after correction).

# %%
if ctx.has_themes():
    from workbench.analysis import drivers

    strongest_driver = insights.driver_insight(
        *drivers.compute(
            ctx.q,
            ctx.output("assignments"),
            ctx.output("themes"),
            ctx.table("feedback"),
            *ctx.tables_or_none("accounts", "deals"),
            alpha=ctx.settings.themes.alpha,
            fy_start_month=ctx.fy,
        )
    )
    display(
        html.insight_list([strongest_driver])
        if strongest_driver
        else html.paragraph("No theme is a significant driver of NPS, churn or lost deals.", muted=True)
    )

# %% [markdown]
# ## Where customers' attention goes
# The themes raised by the accounts that hold the most revenue.

# %%
if ctx.has_themes():
    display(
        ctx.show(
            charts.theme_ranking(ctx.output("metrics"), ctx.output("themes"), ctx.q, ctx.palette),
            "exec_themes_by_arr",
        )
    )
else:
    display(ctx.absent("feedback", section="The theme ranking"))

# %% [markdown]
# ## Data coverage
# What this report is built from: rows per source, rows rejected by validation, and the dates covered.

# %%
ctx.coverage()
