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
#     description: pipeline, win rate, why we lose, and the product gaps that block revenue
#     title: Sales and win/loss
# ---

# %% tags=["parameters"]
quarter: str = ""  # reporting quarter, e.g. 2026Q3; blank means the last complete quarter in the data
config: str = ""  # path to workbench.yaml; blank means the project's config/workbench.yaml
output_dir: str = ""  # folder for charts/ and tables/; blank means reports/scratch/<quarter>/
segment: str = ""  # only this customer segment (SMB, Mid-Market, Enterprise); blank means every account

# %%
from IPython.display import display

from workbench.analysis import sales
from workbench.report import html
from workbench.report.context import open_report
from workbench.viz import sales as charts_sales

ctx = open_report(config=config, quarter=quarter, output_dir=output_dir, segment=segment)
has_deals, themed = ctx.has("deals"), ctx.has_themes()
deals, accounts = ctx.tables_or_none("deals", "accounts")
if themed:
    assignments, themes = ctx.output("assignments"), ctx.output("themes")
ctx.header("Sales and win/loss", "Why deals are won and lost, joined to what customers say in deal notes.")

# %% [markdown]
# <h2 id="win-rate">Win rate</h2>
#
# Won deals over closed deals (won + lost), by the quarter they closed in, with a 95% confidence
# interval; a change is called out only when a two-proportion test supports it.

# %%
if has_deals:
    win_rates = sales.win_rate_by_quarter(deals, fy_start_month=ctx.fy)
    ctx.save_table(win_rates, "win_rate_by_quarter")
    display(
        ctx.show(charts_sales.win_rate_trend(win_rates, ctx.q, alpha=ctx.settings.themes.alpha), "win_rate")
    )
else:
    display(ctx.absent("deals", section="Win rate"))

# %% [markdown]
# ## Open pipeline
# Deals still open at the end of the quarter.

# %%
if has_deals:
    display(
        ctx.show(
            charts_sales.pipeline_breakdown(
                sales.pipeline_by(deals, by="stage", quarter=ctx.q, fy_start_month=ctx.fy), "stage"
            ),
            "pipeline_by_stage",
        )
    )
else:
    display(ctx.absent("deals", section="The open pipeline"))

# %%
if has_deals and accounts is not None:
    display(
        ctx.show(
            charts_sales.pipeline_breakdown(
                sales.pipeline_by(deals, accounts, by="segment", quarter=ctx.q, fy_start_month=ctx.fy),
                "segment",
            ),
            "pipeline_by_segment",
        )
    )
elif has_deals:
    display(ctx.absent("accounts", section="The pipeline by segment"))

# %%
if has_deals:
    display(
        ctx.show(
            charts_sales.pipeline_breakdown(
                sales.pipeline_by(deals, by="product", quarter=ctx.q, fy_start_month=ctx.fy), "product"
            ),
            "pipeline_by_product",
        )
    )

# %% [markdown]
# <h2 id="loss-reasons">Why we lose</h2>

# %%
if has_deals:
    reasons = sales.loss_reasons(deals, ctx.q, fy_start_month=ctx.fy)
    ctx.save_table(reasons, "loss_reasons")
    display(ctx.show(charts_sales.loss_reasons_chart(reasons, ctx.q), "loss_reasons"))
else:
    display(ctx.absent("deals", section="Loss reasons"))

# %%
if has_deals and themed:
    lost_themes = sales.lost_deal_themes(deals, assignments, themes, quarter=ctx.q, fy_start_month=ctx.fy)
    ctx.save_table(lost_themes, "lost_deal_themes")
    display(ctx.show(charts_sales.lost_themes_chart(lost_themes, ctx.palette), "lost_deal_themes"))
elif has_deals:
    display(ctx.absent("feedback", section="The themes of lost deals"))

# %% [markdown]
# <h2 id="product-gaps">Product gaps blocking revenue</h2>
#
# Themes ranked by the value of the lost and still-open deals whose notes raise them: where a
# product fix would unblock the most revenue.

# %%
if has_deals and themed:
    gaps = sales.product_gaps(deals, assignments, themes, ctx.q, fy_start_month=ctx.fy)
    ctx.save_table(gaps, "product_gaps")
    display(ctx.show(charts_sales.product_gaps_chart(gaps), "product_gaps"))
    display(
        html.table(
            gaps,
            {
                "rank": "#",
                "label": "Theme",
                "lost_deals": "Lost deals",
                "lost_value": "Lost value",
                "open_deals": "Open deals",
                "open_value": "Open value",
                "blocked_value": "Lost + open",
            },
            {"lost_deals": "", "lost_value": "$", "open_deals": "", "open_value": "$", "blocked_value": "$"},
            max_rows=10,
        )
    )
else:
    display(ctx.absent("deals", "feedback", section="Product gaps"))

# %% [markdown]
# ## Sales cycle

# %%
if has_deals:
    cycle = sales.sales_cycle(deals, fy_start_month=ctx.fy)
    ctx.save_table(cycle, "sales_cycle")
    display(ctx.show(charts_sales.sales_cycle_chart(cycle, ctx.q), "sales_cycle"))
else:
    display(ctx.absent("deals", section="The sales cycle"))

# %% [markdown]
# ## Data coverage

# %%
ctx.coverage()
