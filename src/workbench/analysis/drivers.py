"""Drivers: which themes move NPS, churn and deal outcomes (impact, not mentions).

The most-mentioned theme is often not the one that moves the number, so every theme is tested
for its association with three outcomes. Each function takes tidy frames and returns one row per
theme (or per parent group: pass pairs rolled up with :func:`workbench.themes.hierarchy.rollup_pairs`)
with the denominators, the effect, a 95% confidence interval, the raw and the Benjamini-Hochberg
adjusted p-value (over the themes tested in that call) and a templated ``statement`` that is
filled **only when the adjusted p-value is below alpha**. Nothing here is a causal claim: a driver
is a theme whose raisers differ significantly in the outcome.

Methods (fixed, so results are comparable across quarters):

* **NPS** (:func:`nps_drivers`). Each response scores +1 (promoter, 9-10), 0 (passive, 7-8) or
  -1 (detractor, 0-6); NPS is 100 x their mean. The difference "responses raising the theme vs
  the rest" gets a **delta-method (normal) CI**: the standard error of each group's NPS is the
  standard deviation of the +1/0/-1 values over sqrt(n), and the two are independent, so
  ``se = sqrt(se1^2 + se2^2)``; the p-value is the matching two-sided z-test. ``impact`` = share
  of responses raising the theme x the difference: the points the overall NPS would change if
  those responses had scored like the rest (negative = the theme costs points). Its CI treats the
  share as fixed. The same test, with the same delta-method CI (``account_ci_low``,
  ``account_ci_high``), runs on accounts (an account raises a theme when any of its feedback in
  scope does; its category is the mean of its +1/0/-1 values, rounded), so an account-level
  difference is read with its uncertainty too: there are fewer accounts than responses.
* **Churn** (:func:`churn_drivers`). Account-quarters: an account active at the start of the
  quarter after an exposure quarter is exposed when it raised the theme in the exposure quarter;
  the outcome is churning in that next quarter. Several exposure quarters are pooled. Relative
  risk with the **Katz log-RR CI** (0.5 added to every cell when one is zero), p-value from
  :func:`workbench.analysis.stats.two_proportion_pvalue` (Fisher for small cells).
  ``arr_at_risk`` = ARR of the exposed accounts that did not churn in the outcome quarter, still
  at risk of the raised rate; ``excess_arr_at_risk`` scales it by the excess rate
  ``max(rate_with - rate_without, 0)``.
* **Deals** (:func:`deal_drivers`). Among closed deals with notes, the share of lost deals whose
  notes carry the theme vs the share of won deals: ``lift`` = the ratio, Katz CI as above. This
  replaces "comes up in 22% of lost deals (loss rate 100%)", which has no comparison group.

Themes with fewer than ``min_n`` observations on either side are reported with NaN p-values and
never stated.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis.joins import closed_quarter, require_columns, theme_labels
from workbench.analysis.stats import two_proportion_pvalue
from workbench.core.formatting import money, pct
from workbench.core.quarters import Quarter, quarter_labels
from workbench.themes.hierarchy import rollup_pairs

logger = logging.getLogger(__name__)

PROMOTER_MIN, DETRACTOR_MAX = 9, 6
MIN_N = 10  # smallest group on either side that is tested
Z95 = float(stats.norm.ppf(0.975))
COMMON = [
    "theme_id",
    "label",
    "n_with",
    "n_without",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "significant",
]


def nps_value(score: pd.Series | np.ndarray) -> np.ndarray:
    """+1 for a promoter (9-10), 0 for a passive (7-8), -1 for a detractor (0-6); NaN stays NaN."""
    s = np.asarray(score, dtype=float)
    return np.where(
        np.isnan(s), np.nan, np.where(s >= PROMOTER_MIN, 1.0, np.where(s <= DETRACTOR_MAX, -1.0, 0.0))
    )


def nps(score: pd.Series | np.ndarray) -> float:
    """Net Promoter Score (-100..100) of 0-10 scores; NaN for none."""
    v = nps_value(score)
    v = v[~np.isnan(v)]
    return float(v.mean() * 100) if len(v) else float("nan")


def format_p(p_values: pd.Series) -> pd.Series:
    """p-values as table text: ``< 0.001`` or three decimals; empty for NaN."""
    return p_values.map(lambda p: "" if pd.isna(p) else "< 0.001" if p < 0.001 else f"{p:.3f}")


def bh_adjust(p_values: pd.Series) -> pd.Series:
    """Benjamini-Hochberg adjusted p-values over the non-NaN entries (NaN stays NaN)."""
    out = pd.Series(np.nan, index=p_values.index, dtype=float)
    tested = p_values.notna()
    if tested.any():
        out[tested] = stats.false_discovery_control(p_values[tested].to_numpy(dtype=float), method="bh")
    return out


def _labels(pairs: pd.DataFrame, labels: pd.DataFrame | None) -> pd.DataFrame:
    ids = pd.DataFrame({"theme_id": pd.Series(sorted(pairs["theme_id"].dropna().unique()), dtype=object)})
    if labels is None or "label" not in labels.columns:
        return ids.assign(label=ids["theme_id"])
    out = ids.merge(
        labels[["theme_id", "label"]].drop_duplicates("theme_id"), on="theme_id", how="left", validate="1:1"
    )
    out["label"] = out["label"].fillna(out["theme_id"])
    return out


def _diff_test(v_with: np.ndarray, v_without: np.ndarray, min_n: int) -> tuple[float, float, float, float]:
    """Mean difference x100 with delta-method CI and z-test p-value: ``(diff, low, high, p)``."""
    n1, n0 = len(v_with), len(v_without)
    if n1 == 0 or n0 == 0:
        return (float("nan"),) * 4
    diff = (v_with.mean() - v_without.mean()) * 100
    if n1 < min_n or n0 < min_n:
        return diff, float("nan"), float("nan"), float("nan")
    se = np.sqrt(v_with.var(ddof=1) / n1 + v_without.var(ddof=1) / n0) * 100
    if se == 0:
        return diff, diff, diff, 1.0 if diff == 0 else 0.0
    p = float(2 * stats.norm.sf(abs(diff) / se))
    return float(diff), float(diff - Z95 * se), float(diff + Z95 * se), p


def _finish(out: pd.DataFrame, alpha: float, sort: str, null: float) -> pd.DataFrame:
    """BH-adjust, flag significance, sort. Significant needs both the adjusted test and a CI that
    excludes ``null`` (0 for differences, 1 for ratios): with small cells the exact test and the
    interval can disagree, and a claim is only made when they do not."""
    out["p_adjusted"] = bh_adjust(out["p_value"])
    excludes = (out["ci_low"] > null) | (out["ci_high"] < null)
    out["significant"] = ((out["p_adjusted"] < alpha) & excludes).fillna(False).astype(bool)
    return out.sort_values(
        ["significant", sort, "theme_id"], ascending=[False, False, True], key=None
    ).reset_index(drop=True)


# ------------------------------------------------------------------------------------------ NPS

NPS_COLUMNS = [
    *COMMON[:4],
    "nps_with",
    "nps_without",
    "difference",
    *COMMON[4:6],
    "impact",
    "impact_low",
    "impact_high",
    *COMMON[6:],
    "accounts_with",
    "accounts_without",
    "account_nps_with",
    "account_nps_without",
    "account_difference",
    "account_ci_low",
    "account_ci_high",
    "account_p_adjusted",
    "statement",
]


def nps_drivers(
    responses: pd.DataFrame,
    pairs: pd.DataFrame,
    labels: pd.DataFrame | None = None,
    account_pairs: pd.DataFrame | None = None,
    alpha: float = 0.05,
    min_n: int = MIN_N,
) -> pd.DataFrame:
    """For each theme: NPS of the responses raising it vs the rest, and the points it costs or adds.

    Args:
        responses: one row per NPS response: ``record_id, score`` (0-10) and optionally ``account_id``.
            Responses without a score are ignored.
        pairs: ``record_id, theme_id`` (a response may raise several themes; duplicates are dropped).
        labels: ``theme_id, label`` for the statements.
        account_pairs: ``account_id, theme_id``: which accounts raised which theme (any channel).
            Defaults to the accounts of the responses in ``pairs``. Enables the account-level test.
        alpha: false discovery rate for the BH correction.
        min_n: smallest group tested on either side.

    Returns:
        :data:`NPS_COLUMNS`, significant first, then by how many points the theme costs. ``difference``,
        ``impact`` and the CIs are NPS points; ``statement`` is empty unless ``significant``.
    """
    require_columns(responses, ["record_id", "score"], "responses")
    require_columns(pairs, ["record_id", "theme_id"], "pairs")
    resp = responses[responses["score"].notna()].drop_duplicates("record_id").reset_index(drop=True)
    values = nps_value(resp["score"])
    pos = pd.Series(np.arange(len(resp)), index=resp["record_id"].to_numpy())
    pr = pairs[pairs["theme_id"].notna() & pairs["record_id"].isin(pos.index)].drop_duplicates(
        ["record_id", "theme_id"]
    )
    out = _labels(pr, labels)
    has_acc = "account_id" in resp.columns
    acc_values = None
    if has_acc:
        acc = pd.DataFrame({"account_id": resp["account_id"], "v": values}).dropna(subset=["account_id"])
        acc_values = np.round(acc.groupby("account_id")["v"].mean()).clip(-1, 1)
        if account_pairs is None:
            account_pairs = pr.merge(resp[["record_id", "account_id"]], on="record_id", validate="m:1")[
                ["account_id", "theme_id"]
            ]
        account_pairs = account_pairs.dropna().drop_duplicates()
    rows = []
    n_total = len(values)
    for theme_id in out["theme_id"]:
        mask = np.zeros(n_total, dtype=bool)
        mask[pos[pr.loc[pr["theme_id"] == theme_id, "record_id"]].to_numpy()] = True
        diff, low, high, p = _diff_test(values[mask], values[~mask], min_n)
        share = mask.mean() if n_total else np.nan
        row = {
            "theme_id": theme_id,
            "n_with": int(mask.sum()),
            "n_without": int((~mask).sum()),
            "nps_with": values[mask].mean() * 100 if mask.any() else np.nan,
            "nps_without": values[~mask].mean() * 100 if (~mask).any() else np.nan,
            "difference": diff,
            "ci_low": low,
            "ci_high": high,
            "impact": share * diff,
            "impact_low": share * low,
            "impact_high": share * high,
            "p_value": p,
        }
        if acc_values is not None:
            raised = acc_values.index.isin(
                account_pairs.loc[account_pairs["theme_id"] == theme_id, "account_id"]
            )
            a1, a0 = acc_values.to_numpy()[raised], acc_values.to_numpy()[~raised]
            adiff, alow, ahigh, ap = _diff_test(a1, a0, min_n)
            row.update(
                accounts_with=int(raised.sum()),
                accounts_without=int((~raised).sum()),
                account_nps_with=a1.mean() * 100 if len(a1) else np.nan,
                account_nps_without=a0.mean() * 100 if len(a0) else np.nan,
                account_difference=adiff,
                account_ci_low=alow,
                account_ci_high=ahigh,
                _account_p=ap,
            )
        rows.append(row)
    frame = pd.DataFrame(rows)
    out = (
        out.merge(frame, on="theme_id", how="left", validate="1:1")
        if len(frame)
        else out.assign(p_value=np.nan)
    )
    for col in NPS_COLUMNS:
        if col not in out.columns and col != "statement":
            out[col] = np.nan
    out["account_p_adjusted"] = bh_adjust(out["_account_p"]) if "_account_p" in out.columns else np.nan
    out = out.assign(_cost=-out["impact"])
    out = _finish(out, alpha, "_cost", 0.0)
    out["statement"] = [
        (
            f"Responses raising '{r.label}' give an NPS of {r.nps_with:+.0f} "
            f"vs {r.nps_without:+.0f} for the rest "
            f"({r.n_with:,} vs {r.n_without:,} responses); it {'costs' if r.impact < 0 else 'adds'} "
            f"{abs(r.impact):.1f} points of overall NPS (95% CI {r.impact_low:+.1f} to {r.impact_high:+.1f}, "
            f"BH-adjusted p = {r.p_adjusted:.3g})."
        )
        if r.significant
        else ""
        for r in out.itertuples()
    ]
    logger.info(
        "NPS drivers: %d themes tested, %d significant",
        int(out["p_value"].notna().sum()),
        int(out["significant"].sum()),
    )
    return out[NPS_COLUMNS]


# ---------------------------------------------------------------------------------------- churn

CHURN_COLUMNS = [
    *COMMON[:4],
    "churned_with",
    "churned_without",
    "rate_with",
    "rate_without",
    "relative_risk",
    *COMMON[4:6],
    *COMMON[6:],
    "arr_at_risk",
    "excess_arr_at_risk",
    "statement",
]


def _katz(x1: float, n1: float, x0: float, n0: float) -> tuple[float, float, float]:
    """Ratio of two proportions with the Katz log CI; 0.5 is added to every cell when one is zero."""
    if n1 <= 0 or n0 <= 0:
        return (float("nan"),) * 3
    a, b, c, d = x1, n1 - x1, x0, n0 - x0
    if min(a, b, c, d) == 0:
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
    ratio = (a / (a + b)) / (c / (c + d))
    se = np.sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
    point = (x1 / n1) / (x0 / n0) if x0 > 0 else float("inf") if x1 > 0 else float("nan")
    return float(point), float(ratio * np.exp(-Z95 * se)), float(ratio * np.exp(Z95 * se))


def account_quarter_panel(
    accounts: pd.DataFrame, exposure_quarters: Iterable[str], fy_start_month: int = 1
) -> pd.DataFrame:
    """``account_id, quarter, arr, churned_next``: accounts active at the start of the next quarter.

    ``quarter`` is the exposure quarter; ``churned_next`` is True when the account churned in the
    quarter after it (the definitions of :mod:`workbench.analysis.churn`).
    """
    require_columns(accounts, ["account_id", "arr", "churned_at"], "accounts")
    created = pd.to_datetime(accounts["created_at"]) if "created_at" in accounts.columns else None
    churned = pd.to_datetime(accounts["churned_at"])
    frames = []
    for label in exposure_quarters:
        nxt = Quarter.parse(label, fy_start_month).shift(1)
        active = churned.isna() | (churned >= nxt.start)
        if created is not None:
            active &= created.isna() | (created < nxt.start)
        rows = accounts.loc[active, ["account_id", "arr"]].copy()
        rows["quarter"] = str(Quarter.parse(label, fy_start_month))
        ch = churned[active]
        rows["churned_next"] = (ch >= nxt.start) & (ch < nxt.end)
        frames.append(rows)
    if not frames:
        return pd.DataFrame(columns=["account_id", "quarter", "arr", "churned_next"])
    return pd.concat(frames, ignore_index=True)


def churn_drivers(
    accounts: pd.DataFrame,
    raised: pd.DataFrame,
    exposure_quarters: Iterable[str],
    labels: pd.DataFrame | None = None,
    alpha: float = 0.05,
    min_n: int = MIN_N,
    fy_start_month: int = 1,
) -> pd.DataFrame:
    """For each theme: next-quarter churn of accounts that raised it vs those that did not.

    Args:
        accounts: canonical accounts (``account_id, arr, created_at, churned_at``).
        raised: ``account_id, quarter, theme_id``: an account raised a theme in a quarter (any
            feedback channel; duplicates dropped).
        exposure_quarters: quarters whose raisers are followed into the next quarter, pooled.
            The next quarter must have been observed, so for a report quarter Q pass quarters
            up to Q's previous one.
        labels: ``theme_id, label``.
        alpha: false discovery rate.
        min_n: smallest number of exposed account-quarters tested.
        fy_start_month: fiscal-year start month.

    Returns:
        :data:`CHURN_COLUMNS` (``n_*`` are account-quarters; rates 0..1), significant first, then
        by relative risk.
    """
    require_columns(raised, ["account_id", "quarter", "theme_id"], "raised")
    quarters = [str(Quarter.parse(q, fy_start_month)) for q in exposure_quarters]
    panel = account_quarter_panel(accounts, quarters, fy_start_month)
    ra = raised[raised["quarter"].isin(quarters) & raised["theme_id"].notna()].drop_duplicates(
        ["account_id", "quarter", "theme_id"]
    )
    out = _labels(ra, labels)
    key = panel["account_id"].astype(str) + "|" + panel["quarter"].astype(str)
    churned = panel["churned_next"].to_numpy(dtype=bool)
    arr = panel["arr"].to_numpy(dtype=float)
    rows = []
    for theme_id in out["theme_id"]:
        sub = ra[ra["theme_id"] == theme_id]
        mask = key.isin(sub["account_id"].astype(str) + "|" + sub["quarter"].astype(str)).to_numpy()
        x1, n1 = int(churned[mask].sum()), int(mask.sum())
        x0, n0 = int(churned[~mask].sum()), int((~mask).sum())
        rr, low, high = _katz(x1, n1, x0, n0)
        tested = n1 >= min_n and n0 >= min_n
        r1, r0 = (x1 / n1 if n1 else np.nan), (x0 / n0 if n0 else np.nan)
        at_risk = float(np.nansum(arr[mask & ~churned]))
        rows.append(
            {
                "theme_id": theme_id,
                "n_with": n1,
                "n_without": n0,
                "churned_with": x1,
                "churned_without": x0,
                "rate_with": r1,
                "rate_without": r0,
                "relative_risk": rr,
                "ci_low": low if tested else np.nan,
                "ci_high": high if tested else np.nan,
                "p_value": two_proportion_pvalue(x1, n1, x0, n0) if tested else np.nan,
                "arr_at_risk": at_risk,
                "excess_arr_at_risk": at_risk * max(r1 - r0, 0.0) if tested else np.nan,
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[c for c in CHURN_COLUMNS if c not in ("label", "p_adjusted", "significant", "statement")],
    )
    out = out.merge(frame.astype({"theme_id": object}), on="theme_id", how="left", validate="1:1")
    out = _finish(out.assign(_rr=out["relative_risk"].fillna(0)), alpha, "_rr", 1.0)
    span = quarters[0] if len(quarters) == 1 else f"{quarters[0]}-{quarters[-1]}"
    out["statement"] = [
        (
            f"Accounts that raised '{r.label}' churned at {pct(r.rate_with, digits=1)} the next quarter vs "
            f"{pct(r.rate_without, digits=1)} for the rest ({r.churned_with} of {r.n_with:,} vs "
            f"{r.churned_without} of {r.n_without:,} account-quarters, {span}): relative risk "
            f"{r.relative_risk:.1f} (95% CI {r.ci_low:.1f}-{r.ci_high:.1f}, "
            f"BH-adjusted p = {r.p_adjusted:.3g}); "
            f"{money(r.arr_at_risk)} ARR raised it and is still a customer."
        )
        if r.significant
        else ""
        for r in out.itertuples()
    ]
    logger.info("churn drivers: %d themes, %d significant", len(out), int(out["significant"].sum()))
    return out[CHURN_COLUMNS]


# ---------------------------------------------------------------------------------------- deals

DEAL_COLUMNS = [
    *COMMON[:2],
    "lost_with",
    "lost_deals",
    "won_with",
    "won_deals",
    "share_of_lost",
    "share_of_won",
    "lift",
    *COMMON[4:6],
    *COMMON[6:],
    "lost_value",
    "statement",
]


def deal_drivers(
    deals: pd.DataFrame,
    pairs: pd.DataFrame,
    labels: pd.DataFrame | None = None,
    quarters: Iterable[str] | None = None,
    alpha: float = 0.05,
    min_n: int = MIN_N,
    fy_start_month: int = 1,
) -> pd.DataFrame:
    """For each theme: its prevalence in the notes of lost vs won deals, as a lift with a CI.

    Args:
        deals: canonical deals (``deal_id, outcome, closed_at``; ``notes`` and ``amount`` optional).
            Only closed deals count, and only those with non-empty notes when ``notes`` is present
            (a deal without notes cannot raise a theme, so it would dilute both sides).
        pairs: ``record_id, theme_id`` of the deal notes (``record_id`` = ``deal_id``).
        labels: ``theme_id, label``.
        quarters: closing quarters to keep; None for all.
        alpha: false discovery rate.
        min_n: smallest number of lost and of won deals needed to test.
        fy_start_month: fiscal-year start month.

    Returns:
        :data:`DEAL_COLUMNS`: ``lost_deals``/``won_deals`` are the denominators (closed deals with
        notes), ``share_of_*`` the shares carrying the theme, ``lift`` their ratio; significant
        first, then by lift.
    """
    require_columns(deals, ["deal_id", "outcome", "closed_at"], "deals")
    require_columns(pairs, ["record_id", "theme_id"], "pairs")
    closed = deals[deals["outcome"].isin(["won", "lost"])]
    if "notes" in closed.columns:
        closed = closed[closed["notes"].astype("string").str.strip().fillna("") != ""]
    if quarters is not None:
        keep = [str(Quarter.parse(q, fy_start_month)) for q in quarters]
        closed = closed[closed_quarter(closed, fy_start_month).isin(keep)]
    lost = closed["outcome"].to_numpy() == "lost"
    ids = closed["deal_id"].to_numpy()
    amount = closed["amount"].to_numpy(dtype=float) if "amount" in closed.columns else np.zeros(len(closed))
    pr = pairs[pairs["theme_id"].notna() & pairs["record_id"].isin(ids)].drop_duplicates(
        ["record_id", "theme_id"]
    )
    out = _labels(pr, labels)
    n_l, n_w = int(lost.sum()), int((~lost).sum())
    rows = []
    for theme_id in out["theme_id"]:
        mask = np.isin(ids, pr.loc[pr["theme_id"] == theme_id, "record_id"].to_numpy())
        x_l, x_w = int((mask & lost).sum()), int((mask & ~lost).sum())
        lift, low, high = _katz(x_l, n_l, x_w, n_w)
        tested = n_l >= min_n and n_w >= min_n and x_l + x_w > 0
        rows.append(
            {
                "theme_id": theme_id,
                "lost_with": x_l,
                "lost_deals": n_l,
                "won_with": x_w,
                "won_deals": n_w,
                "share_of_lost": x_l / n_l if n_l else np.nan,
                "share_of_won": x_w / n_w if n_w else np.nan,
                "lift": lift,
                "ci_low": low if tested else np.nan,
                "ci_high": high if tested else np.nan,
                "p_value": two_proportion_pvalue(x_l, n_l, x_w, n_w) if tested else np.nan,
                "lost_value": float(amount[mask & lost].sum()),
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[c for c in DEAL_COLUMNS if c not in ("label", "p_adjusted", "significant", "statement")],
    )
    out = out.merge(frame.astype({"theme_id": object}), on="theme_id", how="left", validate="1:1")
    out = _finish(out.assign(_lift=out["lift"].replace(np.inf, 1e9).fillna(0)), alpha, "_lift", 1.0)
    out["statement"] = [
        (
            f"'{r.label}' comes up in {pct(r.share_of_lost)} of lost deals' notes "
            f"({r.lost_with} of {r.lost_deals:,}) "
            f"vs {pct(r.share_of_won)} of won deals' ({r.won_with} of {r.won_deals:,}): "
            + (
                f"{r.lift:.1f}x as often (95% CI {r.ci_low:.1f}-{r.ci_high:.1f}"
                if np.isfinite(r.lift)
                else f"only in lost deals (95% CI of the lift from {r.ci_low:.1f}"
            )
            + f", BH-adjusted p = {r.p_adjusted:.3g})."
        )
        if r.significant
        else ""
        for r in out.itertuples()
    ]
    logger.info("deal drivers: %d themes, %d significant", len(out), int(out["significant"].sum()))
    return out[DEAL_COLUMNS]


# ---------------------------------------------------------------------------------- wiring help


def feedback_pairs(
    assignments: pd.DataFrame, feedback: pd.DataFrame, fy_start_month: int = 1
) -> pd.DataFrame:
    """``record_id, account_id, quarter, theme_id, score`` for every themed feedback item.

    One join so that the three drivers read the theme engine's output the same way; hidden themes
    should be removed by the caller (``joins.theme_labels``) when they must not be tested.
    """
    require_columns(assignments, ["table", "record_id", "theme_id"], "assignments")
    rows = assignments.loc[
        (assignments["table"] == "feedback") & assignments["theme_id"].notna(), ["record_id", "theme_id"]
    ]
    rows = rows.drop_duplicates()
    cols = [
        c for c in ("feedback_id", "account_id", "created_at", "score", "channel") if c in feedback.columns
    ]
    fb = feedback[cols].rename(columns={"feedback_id": "record_id"})
    out = rows.merge(fb, on="record_id", how="inner", validate="m:1")
    out["quarter"] = (
        quarter_labels(out["created_at"], fy_start_month) if "created_at" in out.columns else None
    )
    for col in ("account_id", "score", "channel"):
        if col not in out.columns:
            out[col] = None
    return out[["record_id", "account_id", "quarter", "theme_id", "score", "channel"]]


def strongest(
    nps: pd.DataFrame | None, churn: pd.DataFrame | None, deals: pd.DataFrame | None
) -> dict | None:
    """The single strongest significant driver across the three tables (for a headline), or None.

    Ranking across outcomes needs one scale: the smallest p-value after correction wins, because
    it is the claim the data supports most firmly; ties go to NPS, then churn, then deals.
    """
    best = None
    for kind, frame in (("nps", nps), ("churn", churn), ("deals", deals)):
        if frame is None or frame.empty:
            continue
        sig = frame[frame["significant"]]
        if kind == "nps":
            sig = sig[sig["impact"] < 0]
        elif kind == "churn":
            sig = sig[sig["relative_risk"] > 1]
        else:
            sig = sig[sig["lift"] > 1]
        if sig.empty:
            continue
        row = sig.sort_values(["p_adjusted", "theme_id"]).iloc[0]
        if best is None or row["p_adjusted"] < best["row"]["p_adjusted"]:
            best = {"kind": kind, "row": row}
    return best


def compute(
    quarter: str,
    assignments: pd.DataFrame,
    themes: pd.DataFrame,
    feedback: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    deals: pd.DataFrame | None = None,
    alpha: float = 0.05,
    fy_start_month: int = 1,
    period: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    exposure_quarters: int = 4,
    parents: Mapping[str, str] | None = None,
    parent_labels: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None]:
    """The three driver tables of a quarter from the canonical tables and theme outputs.

    NPS responses and closed deals are those of ``quarter`` (or of ``period``, a ``[start, end)``
    date range, for weekly digests). The churn driver pools the ``exposure_quarters`` quarters
    before ``quarter`` and follows each into its next quarter, so every outcome has been observed.
    Hidden themes are not tested. A table is None when its inputs are absent.

    With ``parents`` (theme id -> parent id, :func:`workbench.themes.hierarchy.parent_map`) the
    tests run on the parent groups: a record or account raising two themes of one group counts
    once, and the BH correction runs over the groups. ``parent_labels`` names them.

    Returns:
        ``(nps, churn, deals)`` from :func:`nps_drivers`, :func:`churn_drivers`, :func:`deal_drivers`.
    """
    q = Quarter.parse(quarter, fy_start_month)
    start, end = period if period else (q.start, q.end)
    labels = theme_labels(themes)
    visible = set(labels["theme_id"])
    pairs = feedback_pairs(assignments, feedback, fy_start_month)
    pairs = pairs[pairs["theme_id"].isin(visible)]
    deal_pairs = assignments[(assignments["table"] == "deals") & assignments["theme_id"].isin(visible)]
    deal_pairs = deal_pairs[["record_id", "theme_id"]]
    if parents is not None:
        pairs = rollup_pairs(pairs, parents)
        deal_pairs = rollup_pairs(deal_pairs, parents)
        if parent_labels is not None:
            labels = pd.concat([parent_labels[["theme_id", "label"]], labels[["theme_id", "label"]]])
            labels = labels.drop_duplicates("theme_id").reset_index(drop=True)
    created = pd.to_datetime(feedback["created_at"])
    fb_in = feedback[(created >= start) & (created < end)]
    nps_table = None
    if "score" in feedback.columns and fb_in["score"].notna().any():
        responses = fb_in[fb_in["score"].notna()].rename(columns={"feedback_id": "record_id"})
        cols = [c for c in ("record_id", "score", "account_id") if c in responses.columns]
        in_period = pairs[pairs["record_id"].isin(fb_in["feedback_id"])]
        nps_table = nps_drivers(
            responses[cols],
            in_period[["record_id", "theme_id"]],
            labels,
            account_pairs=in_period[["account_id", "theme_id"]].dropna(),
            alpha=alpha,
        )
    churn_table = None
    if accounts is not None and "churned_at" in accounts.columns:
        exposure = [str(q.shift(-i)) for i in range(exposure_quarters, 0, -1)]
        raised = pairs[pairs["quarter"].isin(exposure)][["account_id", "quarter", "theme_id"]].dropna()
        if len(raised):
            churn_table = churn_drivers(
                accounts, raised, exposure, labels, alpha=alpha, fy_start_month=fy_start_month
            )
    deal_table = None
    if deals is not None and "notes" in deals.columns and len(deals):
        closed_at = pd.to_datetime(deals["closed_at"])
        closed = deals[(closed_at >= start) & (closed_at < end)]
        if len(closed):
            deal_table = deal_drivers(closed, deal_pairs, labels, alpha=alpha, fy_start_month=fy_start_month)
    return nps_table, churn_table, deal_table
