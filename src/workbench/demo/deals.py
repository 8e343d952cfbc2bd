"""The demo company's CRM opportunities, with the planted Flowbase losses on reporting gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.core.schemas import SEGMENTS
from workbench.demo import text as bank
from workbench.demo.accounts import AccountPicker, name_variant, pick, quarter_index, quarter_of
from workbench.demo.market import COMPETITOR_NAMES
from workbench.demo.spec import (
    COMPETITOR,
    COMPETITOR_LOSS_SHARE,
    END,
    EXPANSION_DEALS_PER_QUARTER,
    FLOWBASE_LOSS_SHARE,
    OPEN_DEALS,
    REPS,
    SHIP_DATE,
    START,
    WIN_RATE,
)
from workbench.demo.voice import Voice

# --------------------------------------------------------------------------- deals

_LOSS_REASONS = ("Price", "Missing feature", "No decision", "Timing")
_LOSS_WEIGHTS = (0.3, 0.3, 0.25, 0.15)
_NOTE_THEMES = {
    "won": {
        "ease-of-use": 0.25,
        "time-savings": 0.25,
        "team-collaboration": 0.15,
        "workflow-automation": 0.15,
        "integrations": 0.1,
        "support-quality": 0.1,
    },
    "open": {
        "integrations": 0.2,
        "workflow-automation": 0.2,
        "reporting-gaps": 0.15,
        "team-collaboration": 0.15,
        "data-import": 0.1,
        "time-savings": 0.1,
        "sso-permissions": 0.1,
    },
    "Price": {"pricing-value": 0.85, "onboarding-friction": 0.08, "reporting-gaps": 0.07},
    "Missing feature": {
        "integrations": 0.3,
        "workflow-automation": 0.25,
        "reporting-gaps": 0.15,
        "data-import": 0.1,
        "sso-permissions": 0.1,
        "team-collaboration": 0.1,
    },
    "No decision": {
        "onboarding-friction": 0.25,
        "pricing-value": 0.25,
        "integrations": 0.15,
        "workflow-automation": 0.15,
        "team-collaboration": 0.2,
    },
    "competitor": {
        "integrations": 0.25,
        "workflow-automation": 0.2,
        "pricing-value": 0.15,
        "mobile-performance": 0.15,
        "sso-permissions": 0.1,
        "reporting-gaps": 0.08,
        "team-collaboration": 0.07,
    },
    "flowbase": {
        "reporting-gaps": 0.8,
        "integrations": 0.05,
        "workflow-automation": 0.05,
        "pricing-value": 0.05,
        "onboarding-friction": 0.05,
    },
}
_NOTE_THEMES["Timing"] = _NOTE_THEMES["No decision"]
_PRODUCTS = {
    "SMB": (("Northwind Core", "Northwind Automate"), (0.8, 0.2)),
    "Mid-Market": (("Northwind Core", "Northwind Analytics", "Northwind Automate"), (0.4, 0.35, 0.25)),
    "Enterprise": (("Northwind Enterprise", "Northwind Analytics"), (0.7, 0.3)),
}
_CYCLE_DAYS = {"SMB": 35, "Mid-Market": 70, "Enterprise": 120}
_DEAL_MEDIAN = {"SMB": 9_000, "Mid-Market": 50_000, "Enterprise": 260_000}


def _note_theme(rng: np.random.Generator, key: str, segment: str, when: pd.Timestamp) -> str:
    weights = dict(_NOTE_THEMES[key])
    if when >= SHIP_DATE and "data-import" in weights:
        weights["data-import"] *= 0.3
    if segment == "Enterprise" and "sso-permissions" in weights:
        weights["sso-permissions"] += 0.3
    return pick(rng, list(weights), list(weights.values()))


def _competitor_for_loss(rng: np.random.Generator, qi: int) -> str:
    f = FLOWBASE_LOSS_SHARE[min(max(qi, 0), 7)]
    rest = (1 - f) * np.array([0.4, 0.33, 0.27])
    return pick(rng, COMPETITOR_NAMES, (f, *rest))


def make_deals(rng: np.random.Generator, voice: Voice, accounts: pd.DataFrame, scale: float) -> pd.DataFrame:
    """CRM opportunities: won new business (one per account created in the window), lost prospects,
    expansions of existing accounts, and the open pipeline."""
    picker = AccountPicker(accounts, rng)
    records: list[dict] = []

    def closed_deal(
        close: pd.Timestamp, segment: str, account_idx: int | None, won: bool, amount: float, deal_type: str
    ) -> dict:
        cycle = pd.Timedelta(days=float(_CYCLE_DAYS[segment] * np.exp(rng.normal(0, 0.35))))
        created = min(max(close - cycle, START + pd.Timedelta(days=int(rng.integers(0, 10)))), close)
        return {
            "account_idx": account_idx,
            "segment": segment,
            "created_at": created,
            "closed_at": close,
            "won": won,
            "amount": amount,
            "deal_type": deal_type,
        }

    new_accounts = accounts[(accounts["created_at"] >= START) & (accounts["created_at"] < END)]
    won_per_q = np.bincount(quarter_index(new_accounts["created_at"]), minlength=8)
    for idx, acc in new_accounts.iterrows():
        close = acc.created_at + pd.Timedelta(seconds=int(rng.integers(8 * 3600, 18 * 3600)))
        records.append(closed_deal(close, acc.segment, idx, True, float(acc.arr), "New Business"))
    for qi in range(8):
        q_start = START + pd.DateOffset(months=3 * qi)
        q_secs = int(((q_start + pd.DateOffset(months=3)) - q_start).total_seconds())
        n_lost = round(won_per_q[qi] * (1 - WIN_RATE[qi]) / WIN_RATE[qi])
        for _ in range(n_lost):
            seg = pick(rng, SEGMENTS, (0.55, 0.3, 0.15))
            close = q_start + pd.Timedelta(seconds=int(rng.integers(0, q_secs)))
            amount = round(_DEAL_MEDIAN[seg] * float(np.exp(rng.normal(0, 0.5))), -2)
            records.append(closed_deal(close, seg, None, False, amount, "New Business"))
        for _ in range(round(EXPANSION_DEALS_PER_QUARTER * scale * rng.uniform(0.93, 1.07))):
            close = q_start + pd.Timedelta(seconds=int(rng.integers(0, q_secs)))
            idx = picker.pick(close)
            won = rng.random() < WIN_RATE[qi] + 0.2
            amount = round(float(accounts["arr"].iat[idx]) * 0.25 * float(np.exp(rng.normal(0, 0.4))), -2)
            records.append(closed_deal(close, accounts["segment"].iat[idx], idx, won, amount, "Expansion"))
    for _ in range(round(OPEN_DEALS * scale)):
        created = END - pd.Timedelta(seconds=int(rng.integers(3600, 150 * 86400)))
        if rng.random() < 0.65:
            seg, idx, deal_type = pick(rng, SEGMENTS, (0.55, 0.3, 0.15)), None, "New Business"
            amount = round(_DEAL_MEDIAN[seg] * float(np.exp(rng.normal(0, 0.5))), -2)
        else:
            idx = picker.pick(created)
            seg, deal_type = accounts["segment"].iat[idx], "Expansion"
            amount = round(float(accounts["arr"].iat[idx]) * 0.25 * float(np.exp(rng.normal(0, 0.4))), -2)
        records.append(
            {
                "account_idx": idx,
                "segment": seg,
                "created_at": created,
                "closed_at": None,
                "won": None,
                "amount": amount,
                "deal_type": deal_type,
            }
        )

    rows = []
    for rec in records:
        when = rec["closed_at"] if rec["closed_at"] is not None else rec["created_at"]
        qi = quarter_of(pd.Timestamp(when))
        seg = rec["segment"]
        outcome = "open" if rec["won"] is None else ("won" if rec["won"] else "lost")
        loss_reason = competitor = None
        if outcome == "lost":
            if rng.random() < COMPETITOR_LOSS_SHARE[qi]:
                loss_reason, competitor = "Lost to competitor", _competitor_for_loss(rng, qi)
                key = "flowbase" if competitor == COMPETITOR else "competitor"
            else:
                loss_reason = pick(rng, _LOSS_REASONS, _LOSS_WEIGHTS)
                key = loss_reason
                if loss_reason == "Missing feature" and rng.random() < 0.25:
                    competitor = _competitor_for_loss(rng, qi)
        elif outcome == "won":
            key = "won"
            if rng.random() < 0.35:
                competitor = pick(rng, COMPETITOR_NAMES, (0.2, 0.35, 0.25, 0.2))
        else:
            key = "open"
            if rng.random() < 0.3:
                competitor = _competitor_for_loss(rng, qi)
        if outcome == "open":
            age = (END - rec["created_at"]).days
            stage = pick(
                rng,
                ("Discovery", "Qualification", "Proposal", "Negotiation"),
                (3, 3, 1, 0.5) if age < 40 else (1, 2, 3, 2),
            )
        else:
            stage = "Closed Won" if outcome == "won" else "Closed Lost"
        theme_id = secondary = notes = None
        if rng.random() < 0.9:
            theme_id = _note_theme(rng, key, seg, when)
            if rng.random() < 0.12:
                secondary = pick(rng, bank.THEME_IDS, np.ones(len(bank.THEME_IDS)))
                secondary = None if secondary == theme_id else secondary
            named = name_variant(rng, competitor) if competitor and rng.random() < 0.7 else None
            notes = voice.deal_note(theme_id, outcome, secondary=secondary, competitor=named)
        field_name = competitor
        if competitor == "Pulse" and rng.random() < 0.3:
            field_name = "PulseHQ"  # CRMs hold aliases too; the analyses must normalise them
        idx = rec["account_idx"]
        rows.append(
            {
                "account_id": None if idx is None else accounts["account_id"].iat[idx],
                "deal_type": rec["deal_type"],
                "segment": seg,
                "stage": stage,
                "amount": float(rec["amount"]),
                "created_at": rec["created_at"].floor("s"),
                "closed_at": None if rec["closed_at"] is None else rec["closed_at"].floor("s"),
                "loss_reason": loss_reason,
                "competitor": field_name,
                "product": pick(rng, *_PRODUCTS[seg]),
                "owner": REPS[int(rng.integers(len(REPS)))],
                "notes": notes,
                "theme_id": theme_id,
                "secondary_theme_id": secondary,
                "outcome": outcome,
            }
        )
    deals = pd.DataFrame(rows)
    deals["created_at"] = pd.to_datetime(deals["created_at"]).astype("datetime64[s]")
    deals["closed_at"] = pd.to_datetime(deals["closed_at"]).astype("datetime64[s]")
    deals = deals.sort_values(["created_at", "amount"], kind="stable").reset_index(drop=True)
    deals.insert(0, "deal_id", [f"D-{i:05d}" for i in range(1, len(deals) + 1)])
    return deals
