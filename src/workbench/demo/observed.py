"""The planted facts as they came out of one simulation, measured from the generated frames.

The planted truth states what was *intended* (a factor of 1.75, a 72% Enterprise share); a
simulation draws around it. Downstream tests and the closing note need what is actually in
the data, so these functions measure it with plain pandas, the way an analyst would check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench.core.quarters import quarter_labels
from workbench.demo import spec

if TYPE_CHECKING:
    from workbench.demo.company import Company


def theme_volume(feedback: pd.DataFrame) -> pd.DataFrame:
    """Items per theme (rows) and quarter (columns)."""
    quarters = quarter_labels(feedback["created_at"])
    return pd.crosstab(feedback["theme_id"], quarters).sort_index()


def enterprise_share(feedback: pd.DataFrame, accounts: pd.DataFrame, theme_id: str) -> tuple[float, float]:
    """Share of a theme's account-linked items from Enterprise accounts, and the share over all themes."""
    linked = feedback[feedback["account_id"].notna()].merge(
        accounts[["account_id", "segment"]], on="account_id", how="left", validate="m:1"
    )
    is_ent = linked["segment"] == "Enterprise"
    return float(is_ent[linked["theme_id"] == theme_id].mean()), float(is_ent.mean())


def win_rate_by_quarter(deals: pd.DataFrame) -> dict[str, float]:
    """won / (won + lost), by the quarter the deal closed."""
    closed = deals[deals["outcome"].isin(["won", "lost"])]
    q = quarter_labels(closed["closed_at"])
    rate = (closed["outcome"] == "won").groupby(q).mean()
    return {k: round(float(v), 4) for k, v in rate.items()}


def competitor_loss_share(deals: pd.DataFrame, competitor: str) -> dict[str, float]:
    """Share of 'Lost to competitor' deals that name ``competitor``, by closing quarter."""
    lost = deals[deals["loss_reason"] == "Lost to competitor"]
    q = quarter_labels(lost["closed_at"])
    share = (lost["competitor"] == competitor).groupby(q).mean()
    return {k: round(float(v), 4) for k, v in share.items()}


def logo_churn_by_quarter(accounts: pd.DataFrame, quarters: list[str]) -> dict[str, float]:
    """Accounts churned in the quarter / accounts active at its start."""
    from workbench.core.quarters import Quarter

    out = {}
    for label in quarters:
        q = Quarter.parse(label)
        active = (accounts["created_at"] < q.start) & (
            accounts["churned_at"].isna() | (accounts["churned_at"] >= q.start)
        )
        churned = active & accounts["churned_at"].between(q.start, q.end, inclusive="left")
        out[label] = round(float(churned.sum() / max(active.sum(), 1)), 4)
    return out


def tone(feedback: pd.DataFrame) -> float:
    """Mean of NPS scores and star ratings rescaled to 0..1 (NaN when there are none)."""
    scaled = pd.concat([feedback["score"].dropna() / 10, (feedback["rating"].dropna() - 1) / 4])
    return float(scaled.astype(float).mean()) if len(scaled) else float("nan")


def _rounded(value: float, digits: int = 3) -> float | None:
    """JSON has no NaN: missing measurements become null."""
    return None if pd.isna(value) else round(float(value), digits)


def observed_facts(company: Company, feedback: pd.DataFrame) -> dict[str, Any]:
    """What the planted facts look like in this run's data (numbers for tests and the closing note)."""

    volume = theme_volume(feedback)
    latest, previous = spec.RISING_QUARTER, "2026Q2"
    ratios = (volume[latest] / volume[previous]).round(3)
    others = ratios.drop(index=[spec.RISING_THEME, "noise"], errors="ignore")
    ent, base = enterprise_share(feedback, company.accounts, spec.ENTERPRISE_THEME)

    deals = company.deals
    flow_lost = deals[(deals["outcome"] == "lost") & (deals["competitor"] == spec.COMPETITOR)]
    imp = feedback[feedback["theme_id"] == spec.IMPROVED_THEME]
    ship = spec.SHIP_DATE
    window = pd.Timedelta(days=91)
    before = imp[(imp["created_at"] >= ship - window) & (imp["created_at"] < ship)]
    after = imp[
        (imp["created_at"] >= ship + pd.Timedelta(days=28))
        & (imp["created_at"] < ship + pd.Timedelta(days=28) + window)
    ]
    usage = company.usage[company.usage["feature"] == spec.SHIP_FEATURE]
    weekly_accounts = usage.groupby("week_start")["account_id"].nunique()
    return {
        "feedback_items": int(len(feedback)),
        "feedback_by_channel": {
            k: int(v) for k, v in feedback["channel"].value_counts().sort_index().items()
        },
        "theme_volume_by_quarter": {t: {q: int(v) for q, v in row.items()} for t, row in volume.iterrows()},
        "rising": {
            "theme_id": spec.RISING_THEME,
            "ratio_latest_vs_previous": float(ratios[spec.RISING_THEME]),
            "max_ratio_other_themes": float(others.max()),
            "min_ratio_other_themes": float(others.min()),
        },
        "enterprise": {
            "theme_id": spec.ENTERPRISE_THEME,
            "enterprise_share": round(ent, 4),
            "base_enterprise_share": round(base, 4),
        },
        "competitor": {
            "flowbase_share_of_competitive_losses": competitor_loss_share(deals, spec.COMPETITOR),
            "lost_deals_naming_flowbase": int(len(flow_lost)),
            "share_of_those_with_theme": round(
                float((flow_lost["theme_id"] == spec.COMPETITOR_THEME).mean()), 4
            ),
        },
        "improved": {
            "items_91d_before_ship": int(len(before)),
            "items_91d_from_4w_after_ship": int(len(after)),
            "mean_tone_before": _rounded(tone(before)),
            "mean_tone_after": _rounded(tone(after)),
            "weekly_accounts_using_feature_8w_before": round(
                float(weekly_accounts[weekly_accounts.index < ship].tail(8).mean()), 2
            ),
            "weekly_accounts_using_feature_last_8w": round(float(weekly_accounts.tail(8).mean()), 2),
        },
        "win_rate_by_quarter": win_rate_by_quarter(deals),
        "logo_churn_by_quarter": logo_churn_by_quarter(company.accounts, list(spec.QUARTERS)),
    }
