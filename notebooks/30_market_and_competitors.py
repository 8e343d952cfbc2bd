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
#     description: share of voice, win rate against each rival, competitor releases and market metrics
#     title: Market and competitors
# ---

# %% tags=["parameters"]
quarter: str = ""  # reporting quarter, e.g. 2026Q3; blank means the last complete quarter in the data
config: str = ""  # path to workbench.yaml; blank means the project's config/workbench.yaml
output_dir: str = ""  # folder for charts/ and tables/; blank means reports/scratch/<quarter>/
segment: str = ""  # only this customer segment (SMB, Mid-Market, Enterprise); blank means every account

# %%
from IPython.display import display

from workbench.analysis import competitors, market
from workbench.report import html
from workbench.report.context import open_report
from workbench.viz import market as charts_market

ctx = open_report(config=config, quarter=quarter, output_dir=output_dir, segment=segment)
rivals, deals, feedback = ctx.tables_or_none("competitors", "deals", "feedback")
has_voice = rivals is not None and (feedback is not None or deals is not None)
if has_voice:
    found = competitors.mentions(feedback, deals, rivals, fy_start_month=ctx.fy)
ctx.header(
    "Market and competitors", "Who customers compare us with, who we lose to, and what the market did."
)

# %% [markdown]
# ## Share of voice
# Each competitor's share of all competitor mentions in feedback and deal notes (whole-word,
# alias-aware matching).

# %%
if has_voice:
    voice = market.share_of_voice(found)
    ctx.save_table(voice, "share_of_voice")
    display(ctx.show(charts_market.share_of_voice_chart(voice, ctx.q), "share_of_voice"))
else:
    display(ctx.absent("competitors", "feedback", section="Share of voice"))

# %% [markdown]
# <h2 id="win-rate-by-competitor">Win rate against each competitor</h2>
#
# Deals closed in the last four quarters; a competitor is flagged only when the win rate against it
# differs significantly from all other closed deals.

# %%
if deals is not None:
    window = [str(q) for q in ctx.quarter.window(4)]
    rates = market.win_rate_vs_competitor(deals, rivals, quarters=window, fy_start_month=ctx.fy)
    ctx.save_table(rates, "win_rate_by_competitor")
    display(
        ctx.show(
            charts_market.competitor_win_rates(
                rates, market.NO_COMPETITOR, window=f"{window[0]}-{window[-1]}"
            ),
            "win_rate_by_competitor",
        )
    )
else:
    display(ctx.absent("deals", section="Win rate against each competitor"))

# %% [markdown]
# <h2 id="releases">Competitor releases and mention spikes</h2>

# %%
if has_voice and ctx.has("market_events"):
    timeline = market.mention_timeline(found)
    releases = market.release_timeline(ctx.table("market_events"), timeline)
    ctx.save_table(releases, "competitor_releases")
    display(
        ctx.show(
            charts_market.mention_timeline_chart(
                timeline,
                releases,
                since=str(ctx.quarter.shift(-3).start.date()),
                until=str(ctx.quarter.end.date()),
            ),
            "mention_timeline",
        )
    )
    display(
        html.table(
            releases.sort_values("date", ascending=False),
            {
                "date": "Date",
                "competitor": "Competitor",
                "title": "Release",
                "mentions_after": "Mentions after",
                "spike_after": "Spike",
            },
            max_rows=12,
        )
    )
else:
    display(ctx.absent("market_events", "competitors", "feedback", section="Competitor releases"))

# %% [markdown]
# ## Market metrics

# %%
if ctx.has("market_metrics"):
    series = market.market_metric_series(ctx.table("market_metrics"), fy_start_month=ctx.fy)
    ctx.save_table(
        market.market_metric_change(ctx.table("market_metrics"), ctx.q, fy_start_month=ctx.fy),
        "market_metric_change",
    )
    for name in sorted(series["metric"].unique()):
        display(
            ctx.show(
                charts_market.market_metric_chart(series, name, quarter_end=str(ctx.quarter.end.date())),
                f"market_{name}",
            )
        )
else:
    display(ctx.absent("market_metrics", section="Market metrics"))

# %% [markdown]
# ## Data coverage

# %%
ctx.coverage()
