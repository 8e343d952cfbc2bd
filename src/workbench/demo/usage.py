"""The demo company's weekly feature usage, with the planted adoption of Bulk Import 2.0."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.core.schemas import SEGMENTS
from workbench.demo.spec import END, FEATURES, SHIP_DATE

# --------------------------------------------------------------------------- usage


def make_usage(rng: np.random.Generator, accounts: pd.DataFrame) -> pd.DataFrame:
    """Weekly usage rows for each account x adopted feature x active week.

    ``bulk_import`` is the planted win: a few legacy users before Bulk Import 2.0 ships, then a
    wave of adoption and heavier use after the ship date.
    """
    weeks = pd.date_range("2024-10-07", END - pd.Timedelta(days=1), freq="W-MON")
    week_ns = weeks.to_numpy(dtype="datetime64[s]")
    seg = accounts["segment"].to_numpy()
    n = len(accounts)
    created = accounts["created_at"].to_numpy(dtype="datetime64[s]")
    churned = accounts["churned_at"].to_numpy(dtype="datetime64[s]")
    end = np.where(np.isnat(churned), np.datetime64(END, "s"), churned)
    seat_median = {"SMB": 12, "Mid-Market": 80, "Enterprise": 600}
    seats = np.array([seat_median[s] for s in seg]) * np.exp(rng.normal(0, 0.4, n))
    seg_i = np.array([SEGMENTS.index(s) for s in seg])
    adoption = {
        "dashboards": (0.7, 0.8, 0.9),
        "automations": (0.35, 0.5, 0.6),
        "integrations": (0.35, 0.55, 0.75),
        "mobile": (0.3, 0.35, 0.4),
        "sso": (0.02, 0.25, 0.85),
        "bulk_import": (0.08, 0.12, 0.15),
    }
    penetration = {
        "dashboards": 0.5,
        "automations": 0.2,
        "integrations": 0.1,
        "mobile": 0.15,
        "sso": 0.9,
        "bulk_import": 0.03,
    }
    rate = {"dashboards": 12, "automations": 30, "integrations": 50, "mobile": 8, "sso": 5, "bulk_import": 2}
    ship = np.datetime64(SHIP_DATE, "s")

    frames = []
    for feature in FEATURES:
        p = np.asarray(adoption[feature])[seg_i]
        adopts = rng.random(n) < p
        delay = rng.exponential(60 if feature != "bulk_import" else 120, n) * 86400
        start = created + delay.astype("timedelta64[s]")
        if feature == "bulk_import":
            late = ~adopts & (rng.random(n) < np.array([0.35, 0.45, 0.55])[seg_i])
            late_start = np.maximum(ship + (rng.exponential(40, n) * 86400).astype("timedelta64[s]"), created)
            start = np.where(late, late_start, start)
            adopts = adopts | late
        first = np.searchsorted(week_ns, start)
        last = np.searchsorted(week_ns, end)  # exclusive
        first, last = np.where(adopts, first, 0), np.where(adopts, last, 0)
        lengths = np.clip(last - first, 0, None)
        acc = np.repeat(np.arange(n), lengths)
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        week = np.repeat(first, lengths) + offsets
        boosted = (week_ns[week] >= ship) if feature == "bulk_import" else np.zeros(len(week), dtype=bool)
        ramp = 0.3 + 0.7 * np.minimum(1.0, (offsets + 1) / 8.0)
        pen = penetration[feature] * np.where(boosted, 2.0, 1.0)
        users = np.maximum(1, np.round(seats[acc] * pen * ramp * np.exp(rng.normal(0, 0.25, len(acc)))))
        events = rng.poisson(users * rate[feature] * np.where(boosted, 2.5, 1.0))
        frames.append(
            pd.DataFrame(
                {
                    "account_id": accounts["account_id"].to_numpy()[acc],
                    "week_start": weeks[week],
                    "feature": feature,
                    "active_users": users.astype("int64"),
                    "events": events.astype("int64"),
                }
            )
        )
    usage = pd.concat(frames, ignore_index=True)
    usage["week_start"] = usage["week_start"].astype("datetime64[s]")
    return usage.sort_values(["week_start", "account_id", "feature"], kind="stable").reset_index(drop=True)
