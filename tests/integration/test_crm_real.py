"""Win rates on the real Maven CRM export match a direct pandas computation on the raw CSV.

The canonical deals frame is built here with a small explicit mapping (the same one the CRM example
source config describes), so the test checks the analysis, not the pull.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.sales import pipeline_by, sales_cycle, win_rate_by_quarter

pytestmark = pytest.mark.shared_data

OUTCOME = {"Won": "won", "Lost": "lost", "Engaging": "open", "Prospecting": "open"}


@pytest.fixture(scope="module")
def raw(shared_data) -> pd.DataFrame:
    path = shared_data / "crm_maven" / "sales_pipeline.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return pd.read_csv(path, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def deals(raw) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "deal_id": raw["opportunity_id"],
            "account_id": raw["account"],
            "stage": raw["deal_stage"],
            "amount": raw["close_value"].astype(float),
            "created_at": pd.to_datetime(raw["engage_date"], format="%Y-%m-%d"),
            "closed_at": pd.to_datetime(raw["close_date"], format="%Y-%m-%d"),
            "outcome": raw["deal_stage"].map(OUTCOME),
            "product": raw["product"],
        }
    )


def test_win_rate_by_product_and_quarter_matches_pandas(raw, deals):
    closed = raw[raw["deal_stage"].isin(["Won", "Lost"])].copy()
    closed["quarter"] = pd.PeriodIndex(pd.to_datetime(closed["close_date"]), freq="Q").astype(str)
    closed["won"] = closed["deal_stage"] == "Won"
    expected = closed.groupby(["quarter", "product"]).agg(won=("won", "sum"), closed=("won", "size"))
    expected["win_rate"] = expected["won"] / expected["closed"]

    got = win_rate_by_quarter(deals, by="product").set_index(["quarter", "product"])
    assert len(got) == len(expected) > 20
    got = got.loc[expected.index]
    np.testing.assert_array_equal(got["won"].to_numpy(), expected["won"].to_numpy())
    np.testing.assert_array_equal(got["closed"].to_numpy(), expected["closed"].to_numpy())
    np.testing.assert_allclose(got["win_rate"].to_numpy(), expected["win_rate"].to_numpy())
    assert ((got["ci_low"] <= got["win_rate"]) & (got["win_rate"] <= got["ci_high"])).all()
    assert "GTXPro" in set(got.index.get_level_values("product"))  # the export's own spelling is kept


def test_overall_win_rate_and_cycle_on_real_deals(raw, deals):
    overall = win_rate_by_quarter(deals)
    assert overall["closed"].sum() == raw["deal_stage"].isin(["Won", "Lost"]).sum()
    assert overall["won"].sum() == (raw["deal_stage"] == "Won").sum()
    cycle = sales_cycle(deals)
    all_rows = cycle[cycle["outcome"] == "all"]
    assert all_rows["deals"].sum() == overall["closed"].sum()
    assert (all_rows["median_days"] > 0).all()


def test_open_pipeline_on_real_deals(raw, deals):
    out = pipeline_by(deals, by="stage")
    assert dict(zip(out["stage"], out["deals"], strict=True)) == {"Engaging": 1589, "Prospecting": 500}
