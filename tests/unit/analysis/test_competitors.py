"""Competitor mention matching: whole words, case, aliases, punctuation in names, possessives."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.analysis.competitors import canonical_competitor, compile_patterns, find_competitors, mentions

COMPETITORS = pd.DataFrame(
    {
        "name": ["Pulse HQ", "Monday.com", "C3 AI", "Asana"],
        "aliases": ["PulseHQ|Pulse", None, "C3.ai", ""],
    }
)
PATTERNS = compile_patterns(COMPETITORS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We felt an impulse to switch", []),
        ("their heart pulses were racing", []),
        ("Pulses and impulses", []),
        ("Pulse HQ is cheaper", ["Pulse HQ"]),
        ("pulsehq has better dashboards", ["Pulse HQ"]),
        ("PULSE-HQ quoted less", ["Pulse HQ"]),
        ("Pulse's onboarding was faster", ["Pulse HQ"]),
        ("we moved from Monday.com last year", ["Monday.com"]),
        ("see you on Monday", []),
        ("monday.com's boards", ["Monday.com"]),
        ("mondayxcom", []),
        ("Asana's timeline is better", ["Asana"]),
        ("Asana’s timeline (curly apostrophe)", ["Asana"]),
        ("Asanas everywhere", []),
        ("C3 AI and c3.ai both pitched", ["C3 AI"]),
        ("C3AI pitched", ["C3 AI"]),
        ("AC3 AI is not a name", []),
        ("Asana, Pulse and Monday.com.", ["Asana", "Pulse HQ", "Monday.com"]),
        ("(Pulse)", ["Pulse HQ"]),
        ("", []),
        (None, []),
    ],
)
def test_tricky_names(text, expected):
    assert find_competitors(text, PATTERNS) == expected


def test_longest_match_wins_between_overlapping_competitors():
    patterns = compile_patterns(pd.DataFrame({"name": ["Pulse", "Pulse Analytics"], "aliases": [None, None]}))
    assert find_competitors("Pulse Analytics is better", patterns) == ["Pulse Analytics"]
    assert find_competitors("Pulse and Pulse Analytics", patterns) == ["Pulse", "Pulse Analytics"]


def test_regex_metacharacters_in_names_are_literal():
    patterns = compile_patterns(pd.DataFrame({"name": ["C++ Tools", "A.B"], "aliases": [None, None]}))
    assert find_competitors("we use C++ Tools daily", patterns) == ["C++ Tools"]
    assert find_competitors("AxB is not A.B", patterns) == ["A.B"]
    assert find_competitors("AxB only", patterns) == []


def test_canonical_competitor_maps_aliases_and_keeps_unknown_names():
    values = pd.Series(["pulsehq", " Asana ", "Trello", None, ""])
    out = canonical_competitor(values, COMPETITORS)
    assert out.tolist()[:3] == ["Pulse HQ", "Asana", "Trello"]
    assert out.isna().tolist()[3:] == [True, True]


def test_mentions_long_frame_counts_each_record_once_per_competitor():
    feedback = pd.DataFrame(
        {
            "feedback_id": ["f1", "f2", "f3"],
            "text": ["Pulse is nice, pulse is cheap", "an impulse buy", "Asana and Monday.com"],
            "created_at": pd.to_datetime(["2026-01-05", "2026-02-01", "2026-04-02"]),
            "quarter": ["2026Q1", "2026Q1", "2026Q2"],
        }
    )
    deals = pd.DataFrame(
        {
            "deal_id": ["D1", "D2"],
            "notes": ["Lost to PulseHQ on price", None],
            "competitor": ["Pulse HQ", "asana"],
            "created_at": pd.to_datetime(["2026-01-20", "2026-05-01"]),
        }
    )
    before = feedback.copy(), deals.copy()
    out = mentions(feedback, deals, COMPETITORS)
    pd.testing.assert_frame_equal(before[0], feedback)
    pd.testing.assert_frame_equal(before[1], deals)
    assert list(out.columns) == ["table", "record_id", "quarter", "created_at", "competitor"]
    got = set(zip(out["table"], out["record_id"], out["competitor"], out["quarter"], strict=True))
    assert got == {
        ("feedback", "f1", "Pulse HQ", "2026Q1"),
        ("feedback", "f3", "Asana", "2026Q2"),
        ("feedback", "f3", "Monday.com", "2026Q2"),
        ("deals", "D1", "Pulse HQ", "2026Q1"),  # notes and the competitor field: one row
        ("deals", "D2", "Asana", "2026Q2"),  # quarter computed from created_at
    }


def test_mentions_with_no_sources_is_an_empty_frame_with_columns():
    out = mentions(None, None, COMPETITORS)
    assert out.empty and "competitor" in out.columns
