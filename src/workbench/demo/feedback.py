"""The demo company's customer feedback: tickets, NPS, app reviews, sales calls and churn surveys.

Volumes per theme and quarter follow a daily intensity that carries two planted facts: the
rising theme jumps in the latest quarter and the improved theme falls after its release.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.demo import text as bank
from workbench.demo.accounts import AccountPicker, name_variant, pick, quarter_index
from workbench.demo.market import COMPETITOR_NAMES, FLOWBASE_AI_RELEASE
from workbench.demo.spec import (
    CHANNELS,
    CHURN_DRIVER_BOOST,
    CHURN_DRIVER_THEME,
    COMPETITOR,
    COMPETITOR_THEME,
    END,
    ENTERPRISE_SHARE,
    ENTERPRISE_THEME,
    IMPROVED_THEME,
    N_FEEDBACK,
    NPS_DRIVER_THEME,
    QUARTERS,
    RISING_FACTOR,
    RISING_THEME,
    SECONDARY_SHARE,
    SHIP_DATE,
    START,
    THEME_MIX,
)
from workbench.demo.voice import Voice


def _theme_multiplier(theme_id: str, days: pd.DatetimeIndex) -> np.ndarray:
    """Daily intensity relative to the theme's base rate: where the rising and improved facts live."""
    mult = np.ones(len(days))
    if theme_id == RISING_THEME:
        mult[days >= pd.Timestamp("2026-07-01")] = RISING_FACTOR
    if theme_id == IMPROVED_THEME:
        since = np.clip((days - SHIP_DATE).days.to_numpy() / 28.0, 0, 1)
        mult = 1 - 0.6 * since
    return mult


def _plan_feedback(rng: np.random.Generator, scale: float) -> pd.DataFrame:
    """When each feedback item was written and its primary theme.

    Per-quarter counts are the expected volume times a small (+/-4%) jitter rather than a
    Poisson draw, so themes meant to be stable do not wander into "significant" changes.
    """
    days = pd.date_range(START, END - pd.Timedelta(days=1), freq="D")
    t = np.arange(len(days))
    base = np.where(days.dayofweek >= 5, 0.45, 1.0) * (1 + 0.02 * t / 91.3)
    qidx = quarter_index(days)
    total_share = sum(share for share, _ in THEME_MIX.values())
    per_unit = N_FEEDBACK * scale / base.sum() / total_share
    frames = []
    for theme_id, (share, channel_weights) in THEME_MIX.items():
        lam = base * _theme_multiplier(theme_id, days)
        jitter = rng.uniform(0.96, 1.04, size=len(QUARTERS))
        for q in range(len(QUARTERS)):
            idx = np.flatnonzero(qidx == q)
            n = int(round(per_unit * share * lam[idx].sum() * jitter[q]))
            day = rng.choice(idx, size=n, p=lam[idx] / lam[idx].sum())
            secs = rng.integers(7 * 3600, 21 * 3600, size=n)
            w = np.asarray(channel_weights) / sum(channel_weights)
            frames.append(
                pd.DataFrame(
                    {
                        "theme_id": theme_id,
                        "created_at": days[day] + pd.to_timedelta(secs, unit="s"),
                        "channel": np.asarray(CHANNELS)[rng.choice(len(CHANNELS), size=n, p=w)],
                    }
                )
            )
    plan = pd.concat(frames, ignore_index=True)
    plan["created_at"] = plan["created_at"].astype("datetime64[s]")
    return plan.sort_values(["created_at", "theme_id"], kind="stable").reset_index(drop=True)


def _score(rng: np.random.Generator, polarity: int, driver: bool = False) -> int:
    if polarity > 0:
        return int(pick(rng, (10, 9, 8, 7), (0.45, 0.35, 0.15, 0.05)))
    if polarity < 0 and driver:  # the planted NPS driver: nearly every such response is a hard detractor
        return int(pick(rng, tuple(range(11)), (9, 8, 7, 5, 3, 2, 1, 0.5, 0.3, 0.1, 0.1)))
    if polarity < 0:
        return int(pick(rng, tuple(range(11)), (4, 3, 5, 6, 8, 9, 10, 9, 7, 2, 1)))
    return int(pick(rng, tuple(range(4, 11)), (1, 2, 3, 4, 4, 3, 1)))


def _rating(rng: np.random.Generator, polarity: int) -> int:
    if polarity > 0:
        return int(pick(rng, (5, 4, 3), (0.6, 0.35, 0.05)))
    if polarity < 0:
        return int(pick(rng, (1, 2, 3, 4), (0.45, 0.3, 0.2, 0.05)))
    return int(pick(rng, (2, 3, 4, 5), (0.15, 0.35, 0.4, 0.1)))


def _app_version(when: pd.Timestamp) -> str:
    month = (when.year - 2024) * 12 + when.month - 10  # 0 = Oct 2024
    return f"5.{8 + month // 2}.{month % 3}" if month < 8 else f"6.{(month - 8) // 2}.{month % 3}"


def _competitor_mention(rng: np.random.Generator, theme_id: str, when: pd.Timestamp) -> str | None:
    """Which competitor (if any) a feedback item names: Flowbase for reporting after its AI launch."""
    if theme_id == COMPETITOR_THEME:
        p = 0.22 if when >= FLOWBASE_AI_RELEASE else 0.04
        if rng.random() < p:
            return COMPETITOR if rng.random() < 0.85 else pick(rng, COMPETITOR_NAMES[1:], (1, 1, 1))
        return None
    if theme_id in bank.COMPETITOR_LINES and rng.random() < 0.03:
        return pick(rng, COMPETITOR_NAMES, (0.15, 0.35, 0.3, 0.2))
    return None


def make_feedback(
    rng: np.random.Generator, voice: Voice, accounts: pd.DataFrame, scale: float
) -> pd.DataFrame:
    plan = _plan_feedback(rng, scale)
    n = len(plan)
    picker = AccountPicker(accounts, rng)
    theme_ids = list(bank.THEME_IDS)
    areas = sorted({t.product_area for t in bank.THEMES})

    eligible = np.flatnonzero(
        (plan["theme_id"] != bank.NOISE_ID).to_numpy()
        & plan["channel"].isin(["support_ticket", "nps"]).to_numpy()
    )
    n_pii, n_inj = max(6, round(0.008 * n)), max(4, round(0.0015 * n))
    special = rng.choice(eligible, size=n_pii + n_inj, replace=False)
    pii_at, inj_at = set(special[:n_pii].tolist()), set(special[n_pii:].tolist())

    rows = []
    for i, item in enumerate(plan.itertuples(index=False)):
        theme_id, when, channel = item.theme_id, item.created_at, item.channel
        is_noise = theme_id == bank.NOISE_ID
        kind = None if is_noise else bank.THEME_BY_ID[theme_id].kind
        flipped = False
        if theme_id == IMPROVED_THEME and when >= SHIP_DATE:
            flipped = rng.random() < 0.45 * min(1.0, (when - SHIP_DATE).days / 28)
        elif kind == "value":
            flipped = rng.random() < 0.04
        polarity = 0 if is_noise or kind == "goal" else (1 if (kind == "value") != flipped else -1)
        secondary = None
        if not is_noise and rng.random() < SECONDARY_SHARE:
            secondary = theme_ids[int(rng.integers(len(theme_ids)))]
            if secondary == theme_id:
                secondary = theme_ids[(theme_ids.index(theme_id) + 1) % len(theme_ids)]
        score = (
            _score(rng, polarity, driver=theme_id == NPS_DRIVER_THEME)
            if is_noise or channel == "nps"
            else None
        )
        score = int(rng.integers(0, 11)) if is_noise and channel == "nps" else score
        rating = _rating(rng, polarity) if channel == "app_review" else None
        text = voice.feedback(
            theme_id, channel, flipped=flipped, secondary=secondary, score=score, rating=rating
        )
        competitor = None if is_noise else _competitor_mention(rng, theme_id, when)
        if competitor:
            text = f"{text} {voice.competitor_line(theme_id, name_variant(rng, competitor), 'mention')}"
        if i in pii_at:
            text = f"{text} {voice.pick(bank.PII_SNIPPETS)}"
        if i in inj_at:
            text = f"{text} {voice.pick(bank.INJECTIONS)}"

        account_idx = None
        if channel != "app_review":
            seg_probs = (
                {"Enterprise": ENTERPRISE_SHARE, "Mid-Market": 0.2, "SMB": 1 - ENTERPRISE_SHARE - 0.2}
                if theme_id == ENTERPRISE_THEME
                else None
            )
            boost = 1.0 if polarity >= 0 else CHURN_DRIVER_BOOST if theme_id == CHURN_DRIVER_THEME else 4.0
            account_idx = picker.pick(when, seg_probs, at_risk_boost=boost)
        area = None
        if channel in ("support_ticket", "nps") and not is_noise:
            roll = rng.random()
            area = (
                bank.THEME_BY_ID[theme_id].product_area
                if roll < 0.7
                else areas[int(rng.integers(len(areas)))]
                if roll < 0.8
                else None
            )
        rows.append(
            {
                "channel": channel,
                "created_at": when,
                "text": text,
                "rating": rating,
                "score": score,
                "account_id": None if account_idx is None else accounts["account_id"].iat[account_idx],
                "product_area": area,
                "app_version": _app_version(when) if channel == "app_review" else None,
                "theme_id": theme_id,
                "secondary_theme_id": secondary,
                "competitor_mentioned": competitor,
                "has_pii": i in pii_at,
                "has_injection": i in inj_at,
            }
        )
    return pd.DataFrame(rows)


def make_churn_survey(rng: np.random.Generator, voice: Voice, accounts: pd.DataFrame) -> pd.DataFrame:
    """One or two exit-survey answers from most churned accounts, written just after they left."""
    weights = {
        "pricing-value": 0.28,
        "reporting-gaps": 0.14,
        "onboarding-friction": 0.1,
        "support-quality": 0.08,
        "mobile-performance": 0.07,
        "data-import": 0.08,
        "integrations": 0.08,
        "sso-permissions": 0.05,
        "workflow-automation": 0.05,
        "team-collaboration": 0.03,
        bank.NOISE_ID: 0.04,
    }
    rows = []
    churned = accounts[accounts["churned_at"].notna()]
    for acc in churned.itertuples(index=False):
        if rng.random() > 0.75:
            continue
        for _ in range(1 + int(rng.random() < 0.25)):
            when = acc.churned_at + pd.Timedelta(seconds=int(rng.integers(0, 10 * 86400)))
            when = min(when, END - pd.Timedelta(seconds=1))
            w = dict(weights)
            if when >= FLOWBASE_AI_RELEASE:
                w["reporting-gaps"] += 0.15
            if when >= SHIP_DATE:
                w["data-import"] = 0.02
            if acc.segment == "Enterprise":
                w["sso-permissions"] += 0.1
            theme_id = pick(rng, list(w), list(w.values()))
            flipped = theme_id in ("support-quality", "ease-of-use")
            secondary = None
            if theme_id != bank.NOISE_ID and rng.random() < SECONDARY_SHARE:
                secondary = pick(rng, ("pricing-value", "reporting-gaps", "onboarding-friction"), (1, 1, 1))
                secondary = None if secondary == theme_id else secondary
            text = voice.feedback(theme_id, "churn_survey", flipped=flipped, secondary=secondary)
            competitor = None
            if theme_id == COMPETITOR_THEME and when >= FLOWBASE_AI_RELEASE and rng.random() < 0.5:
                competitor = COMPETITOR
            elif theme_id != bank.NOISE_ID and rng.random() < 0.05:
                competitor = pick(rng, COMPETITOR_NAMES, (0.25, 0.3, 0.25, 0.2))
            if competitor:
                text = (
                    f"{text} {voice.pick(('Moving to', 'Switching to', 'We chose'))} "
                    f"{name_variant(rng, competitor)}."
                )
            rows.append(
                {
                    "channel": "churn_survey",
                    "created_at": when.floor("s"),
                    "text": text,
                    "rating": None,
                    "score": None,
                    "account_id": acc.account_id,
                    "product_area": None,
                    "app_version": None,
                    "theme_id": theme_id,
                    "secondary_theme_id": secondary,
                    "competitor_mentioned": competitor,
                    "has_pii": False,
                    "has_injection": False,
                    "churn_category": "Switched to competitor"
                    if competitor
                    else bank.CHURN_CATEGORY[theme_id],
                }
            )
    return pd.DataFrame(rows)
