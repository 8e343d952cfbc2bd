"""One fact, one number: the competitor headline and its details chart each state their window."""

from __future__ import annotations

import pandas as pd

from workbench.analysis.insights import competitive_threat_insight
from workbench.viz import market as charts_market

RATES = pd.DataFrame(
    {
        "competitor": ["Acme", "Pulse HQ", "No competitor named"],
        "won": [20, 5, 50],
        "lost": [20, 45, 50],
        "closed": [40, 50, 100],
        "win_rate": [0.5, 0.1, 0.5],
        "ci_low": [0.35, 0.04, 0.4],
        "ci_high": [0.65, 0.21, 0.6],
        "significant_vs_rest": [False, True, False],
    }
)


def _deals(rows: list[tuple[str | None, str]], closed: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(len(rows))],
            "competitor": [c for c, _ in rows],
            "outcome": [o for _, o in rows],
            "amount": 1000.0,
            "created_at": pd.Timestamp(closed) - pd.Timedelta(days=30),
            "closed_at": pd.Timestamp(closed),
        }
    )


def test_details_chart_states_its_window():
    spec = charts_market.competitor_win_rates(RATES, window="2025Q4-2026Q3").to_dict()
    text = spec["title"]["text"]
    text = " ".join(text) if isinstance(text, list) else text
    assert text == "We win 10% against Pulse HQ vs 50% elsewhere in 2025Q4-2026Q3 (significant)"
    assert "2025Q4-2026Q3" in spec["title"]["subtitle"]


def test_headline_states_the_quarter_its_win_rates_cover():
    rows = (
        [("Pulse HQ", "won")] * 2 + [("Pulse HQ", "lost")] * 18 + [(None, "won")] * 30 + [(None, "lost")] * 20
    )
    ins = competitive_threat_insight(_deals(rows, "2026-08-01"), "2026Q3")
    assert "win rate in 2026Q3 10% vs 60% on other deals" in ins.headline
