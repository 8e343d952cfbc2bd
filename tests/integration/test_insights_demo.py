"""On the demo company, the planted facts surface in the executive summary and the analyses.

Written against ``data/demo/planted_truth.json``: the rising theme, the Enterprise theme, the
competitor losses and the win that the generator planted must be what the data-driven summary says,
without the analyses ever reading the truth file themselves.
"""

from __future__ import annotations

import json

import pytest

from workbench.analysis import competitors, insights, market, sales
from workbench.core.store import load_output, load_table

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def truth(themed_settings) -> dict:
    return json.loads((themed_settings.paths.demo / "planted_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def quarter(truth) -> str:
    return truth["facts"]["rising"]["quarter"]


@pytest.fixture(scope="module")
def inputs(themed_settings, quarter) -> dict:
    return insights.load_inputs(themed_settings, quarter)


@pytest.fixture(scope="module")
def summary(themed_settings, quarter, inputs) -> dict[str, insights.Insight]:
    found = insights.summary_for(themed_settings, quarter, inputs)
    assert 5 <= len(found) <= 7, [i.headline for i in found]
    return {i.id: i for i in found}


def label_of(inputs: dict, theme_id: str) -> str:
    themes = inputs["themes"].set_index("theme_id")
    return str(themes.loc[theme_id, "label"]) if theme_id in themes.index else theme_id


def test_planted_rising_theme_is_the_fastest_rising(summary, inputs, truth):
    ins = summary["rising-theme"]
    assert ins.significant, ins.headline
    assert label_of(inputs, truth["facts"]["rising"]["theme_id"]) in ins.headline
    assert ins.delta > 0


def test_planted_enterprise_theme_is_named_with_its_segment(summary, inputs, truth):
    fact = truth["facts"]["enterprise"]
    ins = summary["segment-theme"]
    assert label_of(inputs, fact["theme_id"]) in ins.headline
    assert fact["segment"] in ins.headline


def test_planted_competitor_is_the_main_threat_and_its_theme_is_named(summary, inputs, truth):
    fact = truth["facts"]["competitor"]
    ins = summary["competitive-threat"]
    assert ins.significant, ins.headline
    assert ins.headline.startswith(f"{fact['competitor']} is the main competitive threat")
    assert label_of(inputs, fact["theme_id"]) in ins.detail


def test_planted_win_is_the_top_win_and_credits_its_teams(summary, inputs, truth):
    fact = truth["facts"]["improved"]
    ins = summary["top-win"]
    assert ins.significant, ins.headline
    assert fact["name"] in ins.headline
    assert all(team in ins.headline for team in fact["teams"])
    assert ins.delta < 0  # the improved theme's share of feedback fell
    assert "as a share of feedback" in ins.headline  # judged on share, never on raw volume


def test_every_insight_links_to_a_report_page(summary):
    for ins in summary.values():
        page = ins.link.split("#")[0]
        assert page.endswith(".html") and page[:2].isdigit(), ins.link
    assert {"win-rate", "churn", "top-arr-theme"} <= set(summary)


def test_competitor_mentions_skip_decoy_words(themed_settings, truth):
    feedback = load_table("feedback", themed_settings)
    found = competitors.mentions(feedback, None, load_table("competitors", themed_settings))
    pulse_ids = set(found.loc[found["competitor"] == "Pulse", "record_id"])
    text = feedback.set_index("feedback_id")["text"].str.lower()
    decoys = text.str.contains("|".join(truth["decoy_words"]), regex=True)
    real = text.str.contains(r"(?<![a-z])pulse(?:[ -]?hq)?(?![a-z])", regex=True)
    assert (decoys & ~real).sum() > 0, "the demo plants decoy words"
    assert not pulse_ids & set(text.index[decoys & ~real])
    assert pulse_ids == set(text.index[real])


def test_planted_competitor_losses_show_in_win_rates_and_share_of_voice(themed_settings, truth, quarter):
    fact = truth["facts"]["competitor"]
    deals = load_table("deals", themed_settings)
    rivals = load_table("competitors", themed_settings)
    rates = market.win_rate_vs_competitor(deals, rivals, quarters=[quarter]).set_index("competitor")
    named = rates.drop(index=market.NO_COMPETITOR, errors="ignore")
    assert named["lost"].idxmax() == fact["competitor"]
    assert bool(rates.loc[fact["competitor"], "significant_vs_rest"])
    voice = market.share_of_voice(
        competitors.mentions(load_table("feedback", themed_settings), deals, rivals)
    )
    latest = voice[voice["quarter"] == quarter].set_index("competitor")
    assert latest["share"].idxmax() == fact["competitor"]
    lost_themes = sales.lost_deal_themes(
        deals,
        load_output("assignments", themed_settings),
        load_output("themes", themed_settings),
        quarter=quarter,
        competitor=fact["competitor"],
        competitors=rivals,
    )
    assert lost_themes.iloc[0]["theme_id"] == fact["theme_id"]
