"""The demo company's customer accounts, and choosing which account wrote a piece of feedback."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.core.schemas import SEGMENTS
from workbench.demo.spec import (
    CHURN_FACTOR,
    CHURN_HAZARD,
    END,
    N_ACCOUNTS,
    NAME_FIRST,
    NAME_INDUSTRY,
    NAME_SUFFIX,
    NAME_VARIANTS,
    START,
)


def quarter_index(when: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """0 for 2024Q4 ... 7 for 2026Q3 (may fall outside for dates outside the window)."""
    when = pd.DatetimeIndex(when)
    return ((when.year - 2024) * 4 + (when.month - 1) // 3 - 3).to_numpy()


def quarter_of(when: pd.Timestamp) -> int:
    """:func:`quarter_index` of one timestamp (the same arithmetic, without building an index)."""
    return (when.year - 2024) * 4 + (when.month - 1) // 3 - 3


def pick(rng: np.random.Generator, options, probs) -> str:
    p = np.asarray(probs, dtype=float)
    return options[int(rng.choice(len(options), p=p / p.sum()))]


def name_variant(rng: np.random.Generator, name: str) -> str:
    names, probs = NAME_VARIANTS[name]
    return pick(rng, names, probs)


class AccountPicker:
    """Chooses the account behind a feedback item or deal among accounts active on that date.

    Why weights: blockers come disproportionately from accounts about to churn (so "ARR at
    risk" has signal), and the Enterprise theme from Enterprise accounts.
    """

    def __init__(self, accounts: pd.DataFrame, rng: np.random.Generator) -> None:
        far = np.datetime64("2100-01-01")
        self.rng = rng
        self.created = accounts["created_at"].to_numpy(dtype="datetime64[s]")
        self.ends = accounts["churned_at"].to_numpy(dtype="datetime64[s]")
        self.ends = np.where(np.isnat(self.ends), far, self.ends)
        latent = accounts["latent_churn"].to_numpy(dtype="datetime64[s]")
        self.latent = np.where(np.isnat(latent), far, latent)
        self.segment = accounts["segment"].to_numpy()

    def pick(
        self, when: pd.Timestamp, segment_probs: dict[str, float] | None = None, at_risk_boost: float = 1.0
    ) -> int:
        t = np.datetime64(when, "s")
        weights = ((self.created <= t) & (self.ends > t)).astype(float)
        if segment_probs:
            for seg, p in segment_probs.items():
                mask = (self.segment == seg) & (weights > 0)
                if mask.any():
                    weights[mask] = p / mask.sum()
        if at_risk_boost != 1.0:
            soon = (self.latent > t) & (self.latent <= t + np.timedelta64(150, "D"))
            weights[soon] *= at_risk_boost
        return int(self.rng.choice(len(weights), p=weights / weights.sum()))


# --------------------------------------------------------------------------- accounts


def make_accounts(rng: np.random.Generator, scale: float) -> pd.DataFrame:
    n = max(30, round(N_ACCOUNTS * scale))
    segment = rng.choice(SEGMENTS, size=n, p=[0.55, 0.30, 0.15])
    median = {"SMB": 8_000, "Mid-Market": 45_000, "Enterprise": 250_000}
    sigma = {"SMB": 0.55, "Mid-Market": 0.5, "Enterprise": 0.6}
    arr = np.array([median[s] * np.exp(rng.normal(0, sigma[s])) for s in segment]).round(-2)
    region = rng.choice(["North America", "EMEA", "APAC", "LATAM"], size=n, p=[0.45, 0.30, 0.15, 0.10])
    plans = {
        "SMB": (("Starter", "Team"), (0.6, 0.4)),
        "Mid-Market": (("Team", "Business"), (0.4, 0.6)),
        "Enterprise": (("Business", "Enterprise"), (0.3, 0.7)),
    }
    plan = [pick(rng, *plans[s]) for s in segment]
    in_window = rng.random(n) < 0.38
    old_days = (START - pd.Timestamp("2019-01-01")).days
    window_days = (END - START).days - 14
    offset = np.where(in_window, rng.integers(0, window_days, n), -rng.integers(1, old_days, n))
    created = START + pd.to_timedelta(offset, unit="D")

    # Latent churn: quarterly hazard through the window and two quarters beyond it.
    latent = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    for qi, factor in enumerate(CHURN_FACTOR):
        q_start = START + pd.DateOffset(months=3 * qi)
        q_days = ((q_start + pd.DateOffset(months=3)) - q_start).days
        hazard = np.array([CHURN_HAZARD[s] for s in segment]) * factor
        day = rng.integers(0, q_days, n)
        when = (q_start + pd.to_timedelta(day, unit="D")).to_numpy(dtype="datetime64[s]")
        eligible = np.isnat(latent) & (
            created.to_numpy(dtype="datetime64[s]") + np.timedelta64(60, "D") < when
        )
        latent = np.where(eligible & (rng.random(n) < hazard), when, latent)
    churned = np.where(latent < np.datetime64(END, "s"), latent, np.datetime64("NaT"))

    n_ind, n_suf = len(NAME_INDUSTRY), len(NAME_SUFFIX)
    pairs = rng.choice(len(NAME_FIRST) * n_ind * n_suf, size=n, replace=False)
    names = [
        f"{NAME_FIRST[p // (n_ind * n_suf)]} {NAME_INDUSTRY[(p // n_suf) % n_ind]} {NAME_SUFFIX[p % n_suf]}"
        for p in pairs
    ]
    frame = pd.DataFrame(
        {
            "account_name": names,
            "segment": segment,
            "region": region,
            "plan": plan,
            "arr": arr.astype(float),
            "created_at": created.astype("datetime64[s]"),
            "churned_at": pd.to_datetime(churned).astype("datetime64[s]"),
            "latent_churn": pd.to_datetime(latent).astype("datetime64[s]"),
        }
    )
    frame = frame.sort_values(["created_at", "account_name"], kind="stable").reset_index(drop=True)
    frame.insert(0, "account_id", [f"ACC-{i:05d}" for i in range(1, len(frame) + 1)])
    return frame
