"""On the demo company, driver discovery finds the planted drivers, which are not the loudest themes.

The demo plants a churn driver (accounts stuck on data import are far more likely to churn) and
an NPS driver (pricing responses are hard detractors). The analyses never read the truth file:
they run on the themed demo as a user's data, and this test checks them against it.
"""

from __future__ import annotations

import json

import pytest

from workbench.analysis import digest
from workbench.core.store import load_output, load_table

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def truth(themed_settings) -> dict:
    return json.loads((themed_settings.paths.demo / "planted_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def found(themed_settings, truth):
    quarter = truth["facts"]["rising"]["quarter"]
    s = themed_settings
    tables = {name: load_table(name, s) for name in ("feedback", "accounts", "deals")}
    assignments, themes = load_output("assignments", s), load_output("themes", s)
    nps, churn, deals = digest.compute_drivers(
        s, quarter, assignments, themes, tables["feedback"], tables["accounts"], tables["deals"]
    )
    metrics = load_output("metrics", s)
    return {"nps": nps, "churn": churn, "deals": deals, "metrics": metrics[metrics["quarter"] == quarter]}


def test_planted_churn_driver_is_the_strongest_and_not_the_most_mentioned(found, truth):
    planted = truth["facts"]["drivers"]["churn"]["theme_id"]
    churn = found["churn"]
    sig = churn[churn["significant"] & (churn["relative_risk"] > 1)]
    assert planted in set(sig["theme_id"]), churn[["theme_id", "relative_risk", "p_adjusted"]]
    assert sig.sort_values("relative_risk", ascending=False).iloc[0]["theme_id"] == planted
    row = sig.set_index("theme_id").loc[planted]
    assert row["ci_low"] > 1 and row["n_with"] > 0 and row["arr_at_risk"] > 0
    loudest = found["metrics"].sort_values("volume", ascending=False).iloc[0]["theme_id"]
    assert loudest != planted


def test_planted_nps_driver_has_the_lowest_nps(found, truth):
    planted = truth["facts"]["drivers"]["nps"]["theme_id"]
    nps = found["nps"]
    sig = nps[nps["significant"] & (nps["difference"] < 0)]
    assert planted in set(sig["theme_id"])
    assert sig.sort_values("nps_with").iloc[0]["theme_id"] == planted
    assert sig.set_index("theme_id").loc[planted, "statement"].startswith("Responses raising")


def test_only_significant_drivers_carry_a_statement(found):
    for frame in (found["nps"], found["churn"], found["deals"]):
        assert ((frame["statement"] != "") == frame["significant"]).all()
        assert (frame.loc[frame["significant"], "p_adjusted"] < 0.05).all()


def test_digest_command_exits_3_when_new_then_0_and_quotes_every_theme_item(themed_settings, truth, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    quarter = truth["facts"]["rising"]["quarter"]
    exe = Path(sys.executable).with_name("workbench")
    config = str(themed_settings.root / "config" / "workbench.yaml")
    args = [
        str(exe),
        "digest",
        "--config",
        config,
        "--quarter",
        quarter,
        "--state",
        str(tmp_path / "state.json"),
    ]
    first = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert first.returncode == 3, first.stderr[-2000:]
    assert "[NEW]" in first.stdout
    again = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "[NEW]" not in again.stdout and "[ongoing]" in again.stdout
    report = json.loads((themed_settings.paths.reports / quarter / "digest.json").read_text(encoding="utf-8"))
    rising = truth["facts"]["rising"]["theme_id"]
    keys = {item["key"] for item in report["items"]}
    assert f"rising:{rising}" in keys
    assert f"driver-churn:{truth['facts']['drivers']['churn']['theme_id']}" in keys
    assert all(item["link"] and item["quote"] for item in report["items"])
