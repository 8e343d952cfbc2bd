"""Theme metrics on tiny hand-built frames with answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.core.config import ThemeSettings
from workbench.core.errors import ValidationFailed
from workbench.themes.metrics import METRIC_COLUMNS, emerging_themes, theme_metrics, theme_splits

SETTINGS = ThemeSettings(min_volume=30, alpha=0.05)
ACCOUNTS = pd.DataFrame(
    {
        "account_id": ["a1", "a2", "a3"],
        "segment": ["Enterprise", "SMB", "SMB"],
        "arr": [100.0, 10.0, 20.0],
    }
)


def _frames(rows: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """rows: (feedback_id, quarter, theme_id, account_id, channel, rating, sentiment, intent)."""
    cols = ["feedback_id", "quarter", "theme_id", "account_id", "channel", "rating", "sentiment", "intent"]
    frame = pd.DataFrame(rows, columns=cols)
    feedback = frame[["feedback_id", "quarter", "account_id", "channel", "rating"]].assign(text="...")
    assignments = pd.DataFrame(
        {
            "doc_id": "feedback:" + frame["feedback_id"],
            "table": "feedback",
            "record_id": frame["feedback_id"],
            "quarter": frame["quarter"],
            "theme_id": frame["theme_id"],
            "similarity": 0.5,
            "sentiment": frame["sentiment"],
            "intent": frame["intent"],
        }
    )
    return assignments, feedback


def _bulk(quarter: str, theme_id: str, n: int) -> list[tuple]:
    """``n`` plain feedback items of one theme in one quarter."""
    return [
        (f"{quarter}-{theme_id}-{i}", quarter, theme_id, "a2", "ticket", np.nan, 0.0, "other")
        for i in range(n)
    ]


BASIC = [
    ("f1", "2026Q3", "t1", "a1", "ticket", np.nan, -0.5, "blocker"),
    ("f2", "2026Q3", "t1", "a1", "ticket", 2.0, -0.6, "blocker"),
    ("f3", "2026Q3", "t1", "a2", "app_review", 4.0, 0.3, "request"),
    ("f4", "2026Q3", "t2", "a3", "app_review", 5.0, 0.8, "value"),
    ("f5", "2026Q3", None, "a2", "ticket", np.nan, 0.0, "other"),  # unassigned: not in any share
    ("f6", "2026Q2", "t1", "a2", "ticket", np.nan, 0.0, "goal"),
    ("f7", "2026Q2", "t2", "a3", "ticket", np.nan, 0.0, "value"),
    ("f8", "2026Q2", "t2", "a3", "ticket", np.nan, 0.0, "value"),
]


def _basic_metrics():
    assignments, feedback = _frames(BASIC)
    deal = pd.DataFrame(
        [
            {
                "doc_id": "deals:D1",
                "table": "deals",
                "record_id": "D1",
                "quarter": "2026Q3",
                "theme_id": "t1",
                "similarity": 0.9,
                "sentiment": -0.9,
                "intent": "blocker",
            }
        ]
    )
    assignments = pd.concat([assignments, deal], ignore_index=True)  # deal notes are not customer voice
    return theme_metrics(assignments, feedback, ACCOUNTS, ["2026Q3"], SETTINGS)


def test_volume_share_accounts_and_arr_touched():
    out = _basic_metrics().set_index("theme_id")
    assert list(_basic_metrics().columns) == METRIC_COLUMNS
    assert out.loc["t1", "volume"] == 3 and out.loc["t2", "volume"] == 1
    assert out.loc["t1", "share"] == pytest.approx(0.75)
    assert out.loc["t1", "accounts"] == 2
    assert out.loc["t1", "arr_touched"] == pytest.approx(110.0)  # a1 spoke twice, counted once
    assert out.loc["t2", "arr_touched"] == pytest.approx(20.0)
    assert out.loc["t1", "rank_by_volume"] == 1 and out.loc["t1", "rank_by_arr"] == 1
    assert (out["quarter"] == "2026Q3").all()


def test_sentiment_rating_and_intent_mix():
    out = _basic_metrics().set_index("theme_id")
    assert out.loc["t1", "sentiment_mean"] == pytest.approx((-0.5 - 0.6 + 0.3) / 3)
    assert out.loc["t1", "negative_share"] == pytest.approx(2 / 3)
    assert out.loc["t1", "rating_mean"] == pytest.approx(3.0)  # unrated f1 ignored
    assert out.loc[
        "t1", ["intent_blocker", "intent_request", "intent_goal", "intent_value"]
    ].tolist() == pytest.approx([2 / 3, 1 / 3, 0.0, 0.0])
    assert out.loc["t2", "intent_value"] == pytest.approx(1.0)


def test_negative_share_follows_the_sentiment_label_and_nps_sits_beside_it():
    assignments, feedback = _frames(BASIC)
    # The head's labels can disagree with a -0.05 cut on the score: the label wins where present.
    labels = {"f1": "neutral", "f2": "negative", "f3": None, "f4": "positive"}
    assignments["sentiment_label"] = assignments["record_id"].map(labels)
    feedback["score"] = feedback["feedback_id"].map({"f1": 2.0, "f2": 4.0, "f4": 10.0})
    out = theme_metrics(assignments, feedback, ACCOUNTS, ["2026Q3"], SETTINGS).set_index("theme_id")
    # t1: f1 neutral (score -0.5 ignored), f2 negative, f3 unlabelled so its score 0.3 decides: 1 of 3
    assert out.loc["t1", "negative_share"] == pytest.approx(1 / 3)
    assert out.loc["t1", "nps_mean"] == pytest.approx(3.0)  # f3 stated no NPS
    assert out.loc["t2", "nps_mean"] == pytest.approx(10.0)
    assert out.loc["t1", "rating_mean"] == pytest.approx(3.0)


def test_quarter_over_quarter_change():
    out = _basic_metrics().set_index("theme_id")
    assert out.loc["t1", "prev_volume"] == 1 and out.loc["t2", "prev_volume"] == 2
    assert out.loc["t1", "prev_share"] == pytest.approx(1 / 3)
    assert out.loc["t1", "change_pct"] == pytest.approx(200.0)
    assert out.loc["t2", "change_pct"] == pytest.approx(-50.0)
    # exact conditional test: 3 of the theme's 4 items fell in Q3, which held 4 of the 7 assigned items
    assert out.loc["t1", "p_value"] == pytest.approx(stats.binomtest(3, 4, 4 / 7).pvalue)
    assert (out["trend"] == "steady").all()  # tiny volumes never make a trend


def test_significant_but_small_change_is_not_flagged():
    rows = (
        _bulk("2026Q2", "t1", 1)
        + _bulk("2026Q2", "other", 199)
        + _bulk("2026Q3", "t1", 12)
        + _bulk("2026Q3", "other", 188)
    )
    assignments, feedback = _frames(rows)
    row = theme_metrics(assignments, feedback, ACCOUNTS, ["2026Q3"], SETTINGS).set_index("theme_id").loc["t1"]
    assert row["significant"]  # 1 -> 12 is not chance...
    assert row["trend"] == "steady"  # ...but 12 items are below min_volume


def test_large_significant_changes_are_flagged():
    rows = (
        _bulk("2026Q2", "up", 20)
        + _bulk("2026Q2", "down", 60)
        + _bulk("2026Q2", "other", 120)
        + _bulk("2026Q3", "up", 60)
        + _bulk("2026Q3", "down", 20)
        + _bulk("2026Q3", "other", 120)
    )
    assignments, feedback = _frames(rows)
    out = theme_metrics(assignments, feedback, ACCOUNTS, ["2026Q3"], SETTINGS).set_index("theme_id")
    assert out.loc["up", "trend"] == "rising" and out.loc["up", "p_value"] < 1e-4
    assert out.loc["down", "trend"] == "falling"
    assert out.loc["other", "trend"] == "steady" and not out.loc["other", "significant"]
    assert out.loc["up", "change_pct"] == pytest.approx(200.0)


def test_one_borderline_change_among_many_themes_is_not_flagged():
    rows = _bulk("2026Q2", "x", 100) + _bulk("2026Q3", "x", 135)
    for i in range(19):
        rows += _bulk("2026Q2", f"t{i:02d}", 100) + _bulk("2026Q3", f"t{i:02d}", 100)
    assignments, feedback = _frames(rows)
    row = theme_metrics(assignments, feedback, ACCOUNTS, ["2026Q3"], SETTINGS).set_index("theme_id").loc["x"]
    assert row["p_value"] == pytest.approx(stats.binomtest(135, 235, 2035 / 4035).pvalue)
    assert row["p_value"] < 0.05  # alone it would pass...
    assert row["p_adjusted"] > 0.05  # ...but it is the best of 20 tests run at once
    assert not row["significant"] and row["trend"] == "steady"


def test_growth_of_all_feedback_does_not_make_every_theme_rising():
    rows = (
        _bulk("2026Q2", "t1", 40)
        + _bulk("2026Q2", "t2", 60)
        + _bulk("2026Q3", "t1", 80)
        + _bulk("2026Q3", "t2", 120)
    )
    assignments, feedback = _frames(rows)
    out = theme_metrics(assignments, feedback, ACCOUNTS, ["2026Q3"], SETTINGS)
    assert out["change_pct"].tolist() == pytest.approx([100.0, 100.0])
    assert out["p_value"].tolist() == pytest.approx([1.0, 1.0])
    assert (out["trend"] == "steady").all()


def test_new_theme_no_history_hidden_and_emerging():
    rows = (
        _bulk("2026Q1", "t1", 5)
        + _bulk("2026Q2", "t1", 5)
        + _bulk("2026Q3", "t1", 5)
        + _bulk("2026Q3", "new-sso", 4)
        + _bulk("2026Q3", "noise", 9)
        + _bulk("2026Q3", "cand", 2)
    )
    assignments, feedback = _frames(rows)
    themes = pd.DataFrame(
        {
            "theme_id": ["t1", "noise", "cand", "registered-quiet"],
            "status": ["registered", "hidden", "emerging", "registered"],
        }
    )
    out = theme_metrics(assignments, feedback, ACCOUNTS, ["2026Q2", "2026Q3"], SETTINGS, themes=themes)
    assert "noise" not in set(out["theme_id"])
    q3 = out[out["quarter"] == "2026Q3"].set_index("theme_id")
    assert q3.loc["t1", "share"] == pytest.approx(5 / 11)  # hidden theme is not in the denominator
    assert q3.loc["new-sso", "trend"] == "new" and q3.loc["new-sso", "is_emerging"]
    assert q3.loc["cand", "is_emerging"] and not q3.loc["t1", "is_emerging"]
    assert q3.loc["registered-quiet", "volume"] == 0  # registered themes keep a row
    q2 = out[out["quarter"] == "2026Q2"].set_index("theme_id")
    assert q2.loc["t1", "trend"] == "steady" and q2.loc["t1", "change_pct"] == pytest.approx(0.0)
    assert emerging_themes(out, "2026Q3")["theme_id"].tolist() == ["new-sso", "cand"]


def test_first_quarter_has_no_history():
    assignments, feedback = _frames(_bulk("2026Q3", "t1", 40))
    row = theme_metrics(assignments, feedback, ACCOUNTS, ["2026Q3"], SETTINGS).iloc[0]
    assert np.isnan(row["prev_volume"]) and np.isnan(row["p_value"])
    assert row["trend"] == "steady" and not row["significant"]


def test_cardinality_is_enforced():
    assignments, feedback = _frames(BASIC)
    with pytest.raises(ValidationFailed, match="duplicate"):
        theme_metrics(assignments, pd.concat([feedback, feedback.iloc[:1]]), ACCOUNTS, ["2026Q3"], SETTINGS)
    with pytest.raises(ValidationFailed, match="duplicate"):
        theme_metrics(assignments, feedback, pd.concat([ACCOUNTS, ACCOUNTS.iloc[:1]]), ["2026Q3"], SETTINGS)
    with pytest.raises(ValidationFailed, match="record_id"):
        theme_metrics(assignments.drop(columns="record_id"), feedback, ACCOUNTS, ["2026Q3"], SETTINGS)


def test_inputs_are_not_mutated():
    assignments, feedback = _frames(BASIC)
    before = (assignments.copy(), feedback.copy(), ACCOUNTS.copy())
    theme_metrics(assignments, feedback, ACCOUNTS, ["2026Q3"], SETTINGS)
    theme_splits(assignments, feedback, ACCOUNTS, "segment")
    for frame, copy in zip((assignments, feedback, ACCOUNTS), before, strict=True):
        pd.testing.assert_frame_equal(frame, copy)


# --------------------------------------------------------------------------------------------- splits

SPLIT_ROWS = [
    ("e1", "2026Q3", "ent", "a1", "ticket", np.nan, 0.0, "other"),
    ("e2", "2026Q3", "ent", "a1", "ticket", np.nan, 0.0, "other"),
    ("e3", "2026Q3", "ent", "a1", "sales_call", np.nan, 0.0, "other"),
    ("e4", "2026Q3", "ent", "a1", "sales_call", np.nan, 0.0, "other"),
    ("e5", "2026Q3", "ent", "a2", "ticket", np.nan, 0.0, "other"),
    ("g1", "2026Q3", "gen", "a1", "ticket", np.nan, 0.0, "other"),
    ("g2", "2026Q3", "gen", "a2", "ticket", np.nan, 0.0, "other"),
    ("g3", "2026Q3", "gen", "a2", "ticket", np.nan, 0.0, "other"),
    ("g4", "2026Q3", "gen", "a3", "ticket", np.nan, 0.0, "other"),
    ("g5", "2026Q3", "gen", None, "ticket", np.nan, 0.0, "other"),
]


def test_segment_split_shows_enterprise_concentration():
    assignments, feedback = _frames(SPLIT_ROWS)
    out = theme_splits(assignments, feedback, ACCOUNTS, "segment").set_index(["theme_id", "segment"])
    # Enterprise wrote 5 of the 10 items (baseline 0.5) but 4 of the 5 'ent' items
    assert out.loc[("ent", "Enterprise"), "volume"] == 4
    assert out.loc[("ent", "Enterprise"), "share_of_theme"] == pytest.approx(0.8)
    assert out.loc[("ent", "Enterprise"), "share_of_group"] == pytest.approx(0.8)
    assert out.loc[("ent", "Enterprise"), "concentration"] == pytest.approx(1.6)
    assert out.loc[("gen", "Enterprise"), "concentration"] == pytest.approx(0.4)
    assert out.loc[("ent", "Unknown"), "volume"] == 0  # zero cells are kept, lift 0
    assert out.loc[("ent", "Unknown"), "concentration"] == pytest.approx(0.0)
    assert out.loc[("gen", "Unknown"), "volume"] == 1


def test_channel_split_and_bad_group():
    assignments, feedback = _frames(SPLIT_ROWS)
    out = theme_splits(assignments, feedback, ACCOUNTS, "channel", quarters=["2026Q3"])
    calls = out.set_index(["theme_id", "channel"]).loc[("ent", "sales_call")]
    assert calls["volume"] == 2 and calls["concentration"] == pytest.approx(0.4 / 0.2)
    assert list(out.columns) == [
        "quarter",
        "theme_id",
        "channel",
        "volume",
        "share_of_theme",
        "share_of_group",
        "concentration",
    ]
    with pytest.raises(ValidationFailed, match="region"):
        theme_splits(assignments, feedback, ACCOUNTS, "region")
