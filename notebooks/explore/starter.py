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
# ---

# %% [markdown]
# # Starter exploration
# A scratchpad for analysts; `make quarterly` does not run it. Everything the reports use is one
# import away (`import workbench as wb`; docs/analyst.md has an example per common question). Ideas that prove useful become functions in `src/workbench/` (with a test) and a
# call in a report notebook: notebooks hold no logic that a report depends on.

# %% tags=["parameters"]
quarter: str = ""  # reporting quarter, e.g. 2026Q3; blank means the last complete quarter in the data
config: str = ""  # path to workbench.yaml; blank means the project's config/workbench.yaml
output_dir: str = ""  # where ctx.show() writes charts; blank means reports/scratch/<quarter>/
segment: str = ""  # only this customer segment (SMB, Mid-Market, Enterprise); blank means every account

# %%
import workbench as wb
from workbench.report.context import open_report
from workbench.viz import charts

wb.offline_charts()  # Altair charts draw without the internet, here and in nbconvert HTML
ctx = open_report(config=config, quarter=quarter, output_dir=output_dir, segment=segment)
feedback = ctx.table("feedback")
assignments, themes, theme_metrics = ctx.output("assignments"), ctx.output("themes"), ctx.output("metrics")
ctx.q, len(feedback), len(assignments)

# %% [markdown]
# ## Feedback of one theme
# Pick a theme id from `themes` and read what customers wrote.

# %%
theme_id = themes["theme_id"].iloc[0]
ids = assignments.loc[
    (assignments["theme_id"] == theme_id) & (assignments["table"] == "feedback"), "record_id"
]
feedback[feedback["feedback_id"].isin(ids) & (feedback["quarter"] == ctx.q)][
    ["created_at", "channel", "text"]
].head(20)

# %% [markdown]
# ## A chart
# Chart functions return Altair charts; `ctx.show` also exports them. Tweak freely here.

# %%
charts.theme_trends(theme_metrics, themes, ctx.q, ctx.palette)
