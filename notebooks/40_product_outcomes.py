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
#     description: feature adoption, before and after what we shipped, the wins and who to thank, churn
#     title: Product outcomes
# ---

# %% tags=["parameters"]
quarter: str = ""  # reporting quarter, e.g. 2026Q3; blank means the last complete quarter in the data
config: str = ""  # path to workbench.yaml; blank means the project's config/workbench.yaml
output_dir: str = ""  # folder for charts/ and tables/; blank means reports/scratch/<quarter>/
segment: str = ""  # only this customer segment (SMB, Mid-Market, Enterprise); blank means every account

# %%
from IPython.display import display

from workbench.analysis import churn, outcomes
from workbench.report import html
from workbench.report.context import open_report
from workbench.viz import outcomes as charts_outcomes

ctx = open_report(config=config, quarter=quarter, output_dir=output_dir, segment=segment)
accounts, feedback, usage = ctx.tables_or_none("accounts", "feedback", "usage")
themed = ctx.has_themes()
assignments, themes = (ctx.output("assignments"), ctx.output("themes")) if themed else (None, None)
shipped = ctx.settings.shipped
has_churn = accounts is not None and "churned_at" in accounts and accounts["churned_at"].notna().any()
no_shipped = html.callout(
    "This section needs the items the product team shipped, which this project does not list: "
    f"add them under `shipped:` in {ctx.settings.config_path or 'config/workbench.yaml'}."
)
ctx.header(
    "Product outcomes", "What we shipped, whether it moved adoption and customer pain, and who lost faith."
)

# %% [markdown]
# ## Feature adoption
# Share of active accounts using each feature per week; dashed lines mark what we shipped.

# %%
if usage is not None:
    adoption = outcomes.feature_adoption(usage, accounts, freq="W", fy_start_month=ctx.fy)
    ctx.save_table(adoption, "feature_adoption")
    display(
        ctx.show(
            charts_outcomes.adoption_chart(
                adoption, [(str(i.shipped_on), i.name, i.feature or "") for i in shipped]
            ),
            "feature_adoption",
        )
    )
else:
    display(ctx.absent("usage", section="Feature adoption"))

# %% [markdown]
# ## Before and after each release
# Equal windows before and after each ship date: adoption of its feature and the volume and tone
# of the customer theme it was meant to improve.

# %%
if shipped and (usage is not None or themed):
    results = outcomes.before_after_all(shipped, usage, assignments, feedback)
    ctx.save_table(results, "before_after")
    for item in shipped:
        display(ctx.show(charts_outcomes.before_after_chart(results, item.name), f"before_after_{item.id}"))
elif shipped:
    display(ctx.absent("usage", "feedback", section="Before and after"))
else:
    display(no_shipped)

# %% [markdown]
# <h2 id="wins">Wins</h2>
#
# Shipped items whose before/after shows a significant improvement, and the teams to thank.

# %%
if shipped and (usage is not None or themed):
    wins = outcomes.wins(shipped, results, themes)
    ctx.save_table(wins, "wins")
    display(
        html.table(
            wins,
            {"item": "Shipped", "shipped_on": "On", "evidence": "What changed", "credit": "Thanks to"},
            max_rows=10,
        )
    )
elif shipped:
    display(ctx.absent("usage", "feedback", section="Wins"))
else:
    display(no_shipped)

# %% [markdown]
# <h2 id="churn">Churn</h2>

# %%
if has_churn:
    rates = churn.churn_rates(accounts, by="segment", fy_start_month=ctx.fy)
    ctx.save_table(rates, "churn_rates")
    display(ctx.show(charts_outcomes.churn_chart(rates, ctx.q), "churn"))
elif accounts is not None:
    display(html.callout("Churn needs `churned_at` dates on accounts, and none has one."))
else:
    display(ctx.absent("accounts", section="Churn"))

# %%
if has_churn and themed:
    reasons = churn.churn_reasons(
        feedback, assignments, themes, accounts, quarters=[str(q) for q in ctx.quarter.window(4)]
    )
    ctx.save_table(reasons, "churn_reasons")
    display(ctx.show(charts_outcomes.churn_reasons_chart(reasons, ctx.palette), "churn_reasons"))
elif has_churn:
    display(ctx.absent("feedback", section="Churn reasons"))

# %% [markdown]
# ## ARR at risk
# Active accounts whose negative feedback rose this quarter, largest first.

# %%
if accounts is not None and themed:
    at_risk = churn.arr_at_risk(feedback, assignments, accounts, ctx.q, themes, fy_start_month=ctx.fy)
    ctx.save_table(at_risk, "arr_at_risk")
    display(
        html.table(
            at_risk,
            {
                "name": "Account",
                "segment": "Segment",
                "arr": "ARR",
                "negative_now": "Negative items",
                "negative_prev": "Last quarter",
                "top_theme": "Main theme",
            },
            {"arr": "$", "negative_now": "", "negative_prev": ""},
            max_rows=15,
        )
    )
else:
    display(ctx.absent("accounts", "feedback", section="ARR at risk"))

# %% [markdown]
# ## Data coverage

# %%
ctx.coverage()
