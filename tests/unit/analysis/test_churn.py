"""Logo/ARR churn, churn reasons as themes and ARR at risk on six hand-built accounts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.churn import arr_at_risk, churn_rates, churn_reasons

ACCOUNTS = pd.DataFrame(
    {
        "account_id": ["a1", "a2", "a3", "a4", "a5", "a6"],
        "name": ["One", "Two", "Three", "Four", "Five", "Six"],
        "segment": ["SMB", "SMB", "Enterprise", "Enterprise", "SMB", "Mid-Market"],
        "arr": [100.0, 200.0, 1000.0, 3000.0, 50.0, 500.0],
        "created_at": pd.to_datetime(
            ["2025-01-01", "2025-06-01", "2025-01-01", "2025-01-01", "2026-01-10", "2026-04-15"]
        ),
        "churned_at": pd.to_datetime(["2026-02-15", None, "2026-05-01", None, "2026-03-01", None]),
    }
)
THEMES = pd.DataFrame(
    {
        "theme_id": ["T1", "T2", "T9"],
        "label": ["Too expensive", "Missing SSO", "noise"],
        "status": ["registered", "registered", "hidden"],
    }
)


def test_churn_rates_by_segment_use_accounts_active_at_quarter_start():
    out = churn_rates(ACCOUNTS, ["2026Q1", "2026Q2"]).set_index(["quarter", "segment"])
    # Q1: a1..a4 active at the start (a5 joined during Q1, so it is not in the denominator).
    assert out.loc[("2026Q1", "SMB"), ["active_start", "churned"]].tolist() == [2, 1]
    assert out.loc[("2026Q1", "SMB"), "logo_churn"] == 0.5
    assert out.loc[("2026Q1", "SMB"), "arr_churn"] == pytest.approx(100 / 300)
    assert out.loc[("2026Q1", "Enterprise"), "churned"] == 0
    assert out.loc[("2026Q1", "All"), "logo_churn"] == 0.25
    assert out.loc[("2026Q1", "All"), "arr_churned"] == 100.0
    # Q2: a1 and a5 are gone; a6 joined during Q2.
    assert out.loc[("2026Q2", "All"), ["active_start", "churned"]].tolist() == [3, 1]
    assert out.loc[("2026Q2", "Enterprise"), "arr_churn"] == pytest.approx(1000 / 4000)
    assert ("2026Q2", "Mid-Market") not in out.index  # no customer at the start: no rate
    ci = out.loc[("2026Q2", "All"), ["ci_low", "ci_high"]]
    assert ci["ci_low"] < 1 / 3 < ci["ci_high"]


def test_churn_rates_total_only_and_default_quarters():
    out = churn_rates(ACCOUNTS, by=None)
    assert out["quarter"].tolist() == ["2026Q1", "2026Q2"]  # first to last churn date
    assert out["segment"].tolist() == ["All", "All"]
    assert out["churned"].tolist() == [1, 1]


FEEDBACK = pd.DataFrame(
    {
        "feedback_id": ["f1", "f2", "f3", "f4", "f5"],
        "channel": ["churn_survey"] * 4 + ["nps"],
        "account_id": ["a1", "a3", "a5", "a1", "a2"],
        "created_at": pd.to_datetime(["2026-02-16", "2026-05-02", "2026-03-02", "2026-02-17", "2026-02-01"]),
        "quarter": ["2026Q1", "2026Q2", "2026Q1", "2026Q1", "2026Q1"],
    }
)
ASSIGN = pd.DataFrame(
    {
        "table": "feedback",
        "record_id": ["f1", "f2", "f3", "f4", "f5"],
        "theme_id": ["T1", "T1", "T2", None, "T1"],
        "sentiment": [-0.5, -0.4, -0.2, 0.0, 0.3],
    }
)


def test_churn_reasons_map_survey_answers_to_themes():
    out = churn_reasons(FEEDBACK, ASSIGN, THEMES, accounts=ACCOUNTS)
    assert out["label"].tolist() == ["Too expensive", "Missing SSO", "Unassigned"]
    assert out["responses"].tolist() == [2, 1, 1]
    assert out["share"].tolist() == [0.5, 0.25, 0.25]
    assert out["arr"].tolist() == [1100.0, 50.0, 100.0]
    assert out["accounts"].tolist() == [2, 1, 1]
    q2 = churn_reasons(FEEDBACK, ASSIGN, THEMES, quarters=["2026Q2"])
    assert q2["label"].tolist() == ["Too expensive"] and q2["arr"].isna().all()


def risk_feedback():
    rows = []  # account, quarter, sentiment, theme
    rows += [
        ("a2", "2026Q2", -0.6, "T1"),
        ("a2", "2026Q2", -0.3, "T1"),
        ("a2", "2026Q2", -0.2, "T2"),
        ("a2", "2026Q2", 0.8, "T2"),
        ("a2", "2026Q1", -0.5, "T1"),
    ]
    rows += [
        ("a4", "2026Q2", -0.5, "T1"),
        ("a4", "2026Q2", -0.5, "T1"),
        ("a4", "2026Q1", -0.5, "T1"),
        ("a4", "2026Q1", -0.5, "T2"),
    ]  # not rising: 2 vs 2
    rows += [("a3", "2026Q2", -0.5, "T1"), ("a3", "2026Q2", -0.5, "T1")]  # churned in Q2: not active
    rows += [("a6", "2026Q2", -0.5, "T2"), ("a6", "2026Q2", -0.04, "T2"), ("a6", "2026Q2", -0.5, "T9")]
    fb = pd.DataFrame(rows, columns=["account_id", "quarter", "sentiment", "theme_id"])
    fb["feedback_id"] = [f"x{i}" for i in range(len(fb))]
    fb["created_at"] = pd.to_datetime(fb["quarter"].map({"2026Q1": "2026-02-01", "2026Q2": "2026-05-10"}))
    assign = fb.rename(columns={"feedback_id": "record_id"})[["record_id", "theme_id", "sentiment"]]
    return fb.drop(columns=["sentiment", "theme_id"]), assign.assign(table="feedback")


def test_arr_at_risk_flags_active_accounts_with_rising_negative_feedback():
    fb, assign = risk_feedback()
    out = arr_at_risk(fb, assign, ACCOUNTS, "2026Q2", themes=THEMES)
    assert out["account_id"].tolist() == ["a6", "a2"]  # by ARR; a4 not rising, a3 churned
    a2 = out.set_index("account_id").loc["a2"]
    assert (a2["negative_now"], a2["negative_prev"], a2["feedback_now"]) == (3, 1, 4)
    assert a2["top_theme"] == "Too expensive"
    a6 = out.set_index("account_id").loc["a6"]
    assert a6["negative_now"] == 2  # -0.04 is not below -0.05
    assert a6["top_theme_id"] == "T2"  # the hidden theme is not named


def test_arr_at_risk_reads_the_engines_label_when_the_assignments_carry_one():
    fb, assign = risk_feedback()
    # The engine's neutral band is wider than VADER's cut: -0.5 stays negative, and a6's -0.04 too
    # once the engine says so; a score threshold given explicitly still wins over the labels.
    labels = np.where(assign["sentiment"] < -0.2, "negative", "neutral").astype(object)
    labels[fb["account_id"].eq("a6").to_numpy()] = "negative"  # fb and assign share their row order
    labelled = assign.assign(sentiment_label=labels)
    a6 = arr_at_risk(fb, labelled, ACCOUNTS, "2026Q2", themes=THEMES).set_index("account_id").loc["a6"]
    assert a6["negative_now"] == 3
    by_score = arr_at_risk(fb, labelled, ACCOUNTS, "2026Q2", themes=THEMES, threshold=-0.05)
    assert by_score.set_index("account_id").loc["a6", "negative_now"] == 2


def test_arr_at_risk_thresholds_are_parameters():
    fb, assign = risk_feedback()
    out = arr_at_risk(fb, assign, ACCOUNTS, "2026Q2", min_negative=3)
    assert out["account_id"].tolist() == ["a2"]


def test_inputs_are_not_mutated():
    fb, assign = risk_feedback()
    frames = (ACCOUNTS, FEEDBACK, ASSIGN, THEMES, fb, assign)
    before = [f.copy(deep=True) for f in frames]
    churn_rates(ACCOUNTS, ["2026Q1"])
    churn_reasons(FEEDBACK, ASSIGN, THEMES, accounts=ACCOUNTS)
    arr_at_risk(fb, assign, ACCOUNTS, "2026Q2", themes=THEMES)
    for old, new in zip(before, frames, strict=True):
        pd.testing.assert_frame_equal(old, new)
