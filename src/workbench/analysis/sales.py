"""Pipeline and win/loss, tied to customer themes: what sales sees, joined to what customers say.

Every function is pure: canonical frames in (``deals``, ``accounts``, the theme engine's
``assignments`` and ``themes``), a tidy frame out, inputs untouched. Conventions shared by
all of them:

* A deal is placed in the quarter it **closed** (``closed_at``) for win rates, loss reasons
  and losses; open pipeline is the set of deals open at the **end** of the quarter.
* Win rate = won / (won + lost); open deals never count.
* Deal values are ``amount``; a missing amount counts as 0 in sums but the deal still counts.
* Text columns (notes, loss reasons, labels) are returned raw: renderers escape them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from workbench.analysis.competitors import NO_COMPETITOR as NO_COMPETITOR  # re-exported
from workbench.analysis.competitors import competitor_names
from workbench.analysis.joins import (
    AnalysisInputError,
    closed_quarter,
    open_at_end,
    record_themes,
    require_columns,
    theme_labels,
)
from workbench.analysis.stats import two_proportion_pvalue, wilson_interval
from workbench.core.quarters import Quarter

logger = logging.getLogger(__name__)

UNKNOWN = "Unknown"
NOT_GIVEN = "Not given"


def _with_dimension(
    deals: pd.DataFrame,
    by: str | None,
    accounts: pd.DataFrame | None,
    competitors: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """``deals`` with a filled ``by`` column (segment joined from accounts, competitor names mapped)."""
    if by is None:
        return deals, []
    if by not in ("stage", "segment", "product", "competitor"):
        raise AnalysisInputError(f"cannot group deals by {by!r}: use stage, segment, product or competitor")
    frame = deals
    if by == "segment" and "segment" not in frame.columns:
        if accounts is None:
            raise AnalysisInputError("grouping deals by segment needs the accounts table")
        frame = frame.merge(accounts[["account_id", "segment"]], on="account_id", how="left", validate="m:1")
    if by == "competitor":
        return frame.assign(competitor=competitor_names(frame["competitor"], competitors)), [by]
    return frame.assign(**{by: frame[by].astype("string").fillna(UNKNOWN)}), [by]


def pipeline_by(
    deals: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    by: Literal["stage", "segment", "product"] = "stage",
    quarter: str | None = None,
    fy_start_month: int = 1,
) -> pd.DataFrame:
    """Open pipeline (count and value) grouped by stage, segment or product.

    Args:
        deals: canonical deals.
        accounts: canonical accounts; needed only for ``by="segment"`` (deals without a
            matched account land in segment ``"Unknown"``).
        by: ``"stage"``, ``"segment"`` or ``"product"``.
        quarter: when given, the pipeline as it stood at the end of that quarter (created
            before the end, not closed by then); when None, the deals whose outcome is
            ``open`` now.
        fy_start_month: fiscal-year start, for the quarter bounds.

    Returns:
        One row per group, largest value first: ``<by>, deals, value, share_of_value``
        (share of the open pipeline value, 0..1).
    """
    require_columns(deals, ["outcome", "amount"], "deals")
    if quarter is None:
        open_deals = deals[deals["outcome"] == "open"]
    else:
        open_deals = deals[open_at_end(deals, quarter, fy_start_month)]
    frame, keys = _with_dimension(open_deals, by, accounts)
    out = (
        frame.groupby(keys, dropna=False, observed=True)
        .agg(deals=("deal_id", "size"), value=("amount", "sum"))
        .reset_index()
    )
    total = out["value"].sum()
    out["share_of_value"] = out["value"] / total if total else 0.0
    return out.sort_values(["value", "deals", by], ascending=[False, False, True]).reset_index(drop=True)


def win_rate_by_quarter(
    deals: pd.DataFrame,
    by: Literal["product", "segment", "competitor"] | None = None,
    accounts: pd.DataFrame | None = None,
    fy_start_month: int = 1,
    confidence: float = 0.95,
    competitors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Win rate per closing quarter (optionally per product, segment or competitor) with Wilson CI.

    Only closed deals count (won or lost), placed in the quarter of ``closed_at``: that is when
    the outcome became known, so a quarter's win rate does not move as old deals close later.

    Args:
        deals: canonical deals.
        by: None for the overall rate, or ``"product"``, ``"segment"`` (joined from
            ``accounts`` unless deals already carry ``segment``) or ``"competitor"``
            (deals naming none land in ``"No competitor named"``).
        accounts: canonical accounts, for ``by="segment"``.
        fy_start_month: fiscal-year start month.
        confidence: level of the Wilson interval.
        competitors: the alias dictionary; with ``by="competitor"``, hand-typed names are
            mapped to canonical ones ("pulsehq" -> "Pulse HQ").

    Returns:
        ``quarter, [<by>], won, lost, closed, win_rate, ci_low, ci_high, won_value, lost_value``,
        sorted by quarter then group. ``win_rate`` and the bounds are 0..1.
    """
    require_columns(deals, ["outcome", "closed_at"], "deals")
    closed = deals[deals["outcome"].isin(["won", "lost"])]
    closed = closed.assign(quarter=closed_quarter(closed, fy_start_month))
    closed = closed[closed["quarter"].notna()]
    frame, keys = _with_dimension(closed, by, accounts, competitors)
    frame = frame.assign(
        _won=(frame["outcome"] == "won").astype(int),
        _lost=(frame["outcome"] == "lost").astype(int),
        _won_value=frame["amount"].where(frame["outcome"] == "won", 0.0),
        _lost_value=frame["amount"].where(frame["outcome"] == "lost", 0.0),
    )
    out = (
        frame.groupby(["quarter", *keys], observed=True)
        .agg(
            won=("_won", "sum"),
            lost=("_lost", "sum"),
            won_value=("_won_value", "sum"),
            lost_value=("_lost_value", "sum"),
        )
        .reset_index()
    )
    out["closed"] = out["won"] + out["lost"]
    out["win_rate"] = out["won"] / out["closed"]
    out["ci_low"], out["ci_high"] = wilson_interval(out["won"], out["closed"], confidence)
    cols = [
        "quarter",
        *keys,
        "won",
        "lost",
        "closed",
        "win_rate",
        "ci_low",
        "ci_high",
        "won_value",
        "lost_value",
    ]
    return out[cols].sort_values(["quarter", *keys]).reset_index(drop=True)


@dataclass(frozen=True)
class RateChange:
    """A quarter's win rate against the quarter just before it: what the chart title and headline say.

    ``prev_*`` are 0 (and ``prev_rate``, ``delta_pts``, ``p_value`` NaN) when the previous quarter
    closed no deal: then there is nothing to compare, rather than a comparison with an older quarter.
    """

    quarter: str
    prev_quarter: str
    won: int
    closed: int
    prev_won: int
    prev_closed: int
    rate: float
    prev_rate: float
    delta_pts: float
    p_value: float

    @property
    def comparable(self) -> bool:
        return self.prev_closed > 0


def win_rate_change(win_rates: pd.DataFrame, quarter: str, fy_start_month: int = 1) -> RateChange | None:
    """The quarter-over-quarter win-rate comparison: the one definition for charts and headlines.

    Always the immediately preceding quarter (QoQ), never "the last quarter that had deals", so the
    trend chart's title and the executive headline cannot compare with different quarters. Tested
    with :func:`workbench.analysis.stats.two_proportion_pvalue`.

    Args:
        win_rates: :func:`win_rate_by_quarter` output without ``by`` (one row per quarter).
        quarter: the report quarter.
        fy_start_month: fiscal-year start month (for reading ``quarter``).

    Returns:
        The comparison, or None when no deal closed in ``quarter``.
    """
    require_columns(win_rates, ["quarter", "won", "closed"], "win_rates")
    q = Quarter.parse(quarter, fy_start_month)
    prev = str(q.previous())
    rows = win_rates.assign(quarter=win_rates["quarter"].astype(str)).set_index("quarter")
    if str(q) not in rows.index or int(rows.loc[str(q), "closed"]) == 0:
        return None
    won, closed = int(rows.loc[str(q), "won"]), int(rows.loc[str(q), "closed"])
    prev_won, prev_closed = (
        (int(rows.loc[prev, "won"]), int(rows.loc[prev, "closed"])) if prev in rows.index else (0, 0)
    )
    rate = won / closed
    prev_rate = prev_won / prev_closed if prev_closed else float("nan")
    return RateChange(
        quarter=str(q),
        prev_quarter=prev,
        won=won,
        closed=closed,
        prev_won=prev_won,
        prev_closed=prev_closed,
        rate=rate,
        prev_rate=prev_rate,
        delta_pts=(rate - prev_rate) * 100 if prev_closed else float("nan"),
        p_value=two_proportion_pvalue(won, closed, prev_won, prev_closed),
    )


def sales_cycle(deals: pd.DataFrame, fy_start_month: int = 1) -> pd.DataFrame:
    """Days from opened to closed, by closing quarter and outcome.

    Long cycles on lost deals often mean deals that stalled on a missing capability, so won
    and lost are kept apart, with ``"all"`` rows for the combined view.

    Returns:
        ``quarter, outcome ('won'|'lost'|'all'), deals, median_days, p75_days, mean_days``.
        Deals closing before they were opened (bad CRM data) are excluded and logged.
    """
    require_columns(deals, ["outcome", "created_at", "closed_at"], "deals")
    closed = deals[deals["outcome"].isin(["won", "lost"]) & deals["closed_at"].notna()]
    days = (pd.to_datetime(closed["closed_at"]) - pd.to_datetime(closed["created_at"])).dt.days
    bad = int((days < 0).sum())
    if bad:
        logger.warning("sales_cycle: %d deal(s) close before they open; excluded", bad)
    frame = pd.DataFrame(
        {
            "quarter": closed_quarter(closed, fy_start_month),
            "outcome": closed["outcome"].astype(str),
            "days": days,
        }
    )[days >= 0]
    both = pd.concat([frame, frame.assign(outcome="all")], ignore_index=True)
    out = (
        both.groupby(["quarter", "outcome"])["days"]
        .agg(deals="size", median_days="median", p75_days=lambda s: s.quantile(0.75), mean_days="mean")
        .reset_index()
    )
    order = {"won": 0, "lost": 1, "all": 2}
    return out.sort_values(
        ["quarter", "outcome"], key=lambda s: s.map(order) if s.name == "outcome" else s
    ).reset_index(drop=True)


def loss_reasons(deals: pd.DataFrame, quarter: str, fy_start_month: int = 1) -> pd.DataFrame:
    """Why deals closed lost in ``quarter``, against the previous quarter.

    Returns:
        ``loss_reason, deals, value, share, prev_deals, change`` (``share`` of the quarter's
        lost deals, 0..1; ``change`` = deals - prev_deals), most frequent first. A missing
        reason is reported as ``"Not given"`` so that the total still adds up.
    """
    require_columns(deals, ["outcome", "closed_at"], "deals")
    q = Quarter.parse(quarter, fy_start_month)
    lost = deals[deals["outcome"] == "lost"]
    lost = lost.assign(
        _q=closed_quarter(lost, fy_start_month),
        loss_reason=(
            lost["loss_reason"] if "loss_reason" in lost.columns else pd.Series(pd.NA, index=lost.index)
        )
        .astype("string")
        .str.strip()
        .replace("", pd.NA)
        .fillna(NOT_GIVEN),
    )

    def count(label: str) -> pd.DataFrame:
        rows = lost[lost["_q"] == label]
        return rows.groupby("loss_reason").agg(deals=("deal_id", "size"), value=("amount", "sum"))

    now, prev = count(str(q)), count(str(q.previous()))
    out = now.join(prev["deals"].rename("prev_deals"), how="left").reset_index()
    out["prev_deals"] = out["prev_deals"].fillna(0).astype(int)
    out["share"] = out["deals"] / out["deals"].sum() if len(out) else 0.0
    out["change"] = out["deals"] - out["prev_deals"]
    out = out[["loss_reason", "deals", "value", "share", "prev_deals", "change"]]
    return out.sort_values(["deals", "value", "loss_reason"], ascending=[False, False, True]).reset_index(
        drop=True
    )


def _deals_with_themes(deals: pd.DataFrame, assignments: pd.DataFrame, themes: pd.DataFrame) -> pd.DataFrame:
    """One row per (deal, theme) from the deal notes; deals whose notes got no theme are dropped."""
    pairs = record_themes(assignments, "deals").rename(columns={"record_id": "deal_id"})
    pairs = pairs[pairs["theme_id"].notna()]
    labels = theme_labels(themes)
    pairs = pairs.merge(labels, on="theme_id", how="inner", validate="m:1")
    cols = [
        c
        for c in ("deal_id", "outcome", "amount", "created_at", "closed_at", "competitor")
        if c in deals.columns
    ]
    return deals[cols].merge(pairs, on="deal_id", how="inner", validate="1:m")


def lost_deal_themes(
    deals: pd.DataFrame,
    assignments: pd.DataFrame,
    themes: pd.DataFrame,
    quarter: str | None = None,
    competitor: str | None = None,
    fy_start_month: int = 1,
    competitors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Themes in the notes of lost deals: what customers say when we lose.

    Args:
        deals: canonical deals.
        assignments: theme engine assignments (rows with ``table == 'deals'``).
        themes: theme table (hidden themes are left out).
        quarter: only deals closed in this quarter; None for every closed deal.
        competitor: only deals naming this competitor (canonical name).
        fy_start_month: fiscal-year start month.
        competitors: the alias dictionary, so deals that name ``competitor`` by an alias count.

    Returns:
        ``theme_id, label, lost_deals, lost_value, share_of_lost, won_deals, loss_rate``:
        ``share_of_lost`` = lost deals carrying the theme / lost deals in scope (all lost deals,
        themed or not, so shares sum to at most 1 per theme); ``loss_rate`` = lost / (won + lost)
        among closed deals carrying the theme. Sorted by lost deals, then lost value.
    """
    closed = deals[deals["outcome"].isin(["won", "lost"])]
    if quarter is not None:
        q = str(Quarter.parse(quarter, fy_start_month))
        closed = closed[closed_quarter(closed, fy_start_month) == q]
    if competitor is not None:
        closed = closed[competitor_names(closed["competitor"], competitors) == competitor]
    n_lost = int((closed["outcome"] == "lost").sum())
    themed = _deals_with_themes(closed, assignments, themes)
    themed = themed.assign(
        _lost=(themed["outcome"] == "lost").astype(int),
        _won=(themed["outcome"] == "won").astype(int),
        _lost_value=themed["amount"].where(themed["outcome"] == "lost", 0.0),
    )
    out = (
        themed.groupby(["theme_id", "label"])
        .agg(lost_deals=("_lost", "sum"), lost_value=("_lost_value", "sum"), won_deals=("_won", "sum"))
        .reset_index()
    )
    out = out[out["lost_deals"] > 0]
    out["share_of_lost"] = out["lost_deals"] / n_lost if n_lost else np.nan
    out["loss_rate"] = out["lost_deals"] / (out["lost_deals"] + out["won_deals"])
    out = out[["theme_id", "label", "lost_deals", "lost_value", "share_of_lost", "won_deals", "loss_rate"]]
    return out.sort_values(
        ["lost_deals", "lost_value", "theme_id"], ascending=[False, False, True]
    ).reset_index(drop=True)


def product_gaps(
    deals: pd.DataFrame,
    assignments: pd.DataFrame,
    themes: pd.DataFrame,
    quarter: str,
    fy_start_month: int = 1,
) -> pd.DataFrame:
    """ "Product gaps blocking revenue": themes ranked by lost + open pipeline value they appear in.

    Lost value is what the theme already cost this quarter; open value is what it still puts at
    risk. Summing both ranks gaps by the revenue a fix could unblock, which is the number a
    sales partner cares about.

    Args:
        deals: canonical deals.
        assignments: theme engine assignments (rows with ``table == 'deals'``).
        themes: theme table (hidden themes are left out).
        quarter: lost = closed lost in this quarter; open = open at the end of this quarter.
        fy_start_month: fiscal-year start month.

    Returns:
        ``rank, theme_id, label, kind, lost_deals, lost_value, open_deals, open_value,
        blocked_value`` (lost_value + open_value), highest ``blocked_value`` first, themes with
        no such deal omitted. ``rank`` starts at 1.
    """
    q = str(Quarter.parse(quarter, fy_start_month))
    lost_mask = (deals["outcome"] == "lost") & (closed_quarter(deals, fy_start_month) == q)
    open_mask = open_at_end(deals, q, fy_start_month)
    scope = deals[lost_mask | open_mask].assign(
        _state=np.where(lost_mask[lost_mask | open_mask], "lost", "open")
    )
    pairs = record_themes(assignments, "deals").rename(columns={"record_id": "deal_id"})
    pairs = pairs[pairs["theme_id"].notna()][["deal_id", "theme_id"]]
    themed = scope[["deal_id", "amount", "_state"]].merge(pairs, on="deal_id", how="inner", validate="1:m")
    themed = themed.merge(theme_labels(themes), on="theme_id", how="inner", validate="m:1")
    is_lost = themed["_state"] == "lost"
    themed = themed.assign(
        _lost=is_lost.astype(int),
        _open=(~is_lost).astype(int),
        _lost_value=themed["amount"].where(is_lost, 0.0),
        _open_value=themed["amount"].where(~is_lost, 0.0),
    )
    out = (
        themed.groupby(["theme_id", "label", "kind"])
        .agg(
            lost_deals=("_lost", "sum"),
            lost_value=("_lost_value", "sum"),
            open_deals=("_open", "sum"),
            open_value=("_open_value", "sum"),
        )
        .reset_index()
    )
    out["blocked_value"] = out["lost_value"] + out["open_value"]
    out = out.sort_values(["blocked_value", "lost_value", "theme_id"], ascending=[False, False, True])
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out.reset_index(drop=True)
