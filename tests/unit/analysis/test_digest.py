"""The digest on hand-built frames: what is flagged, what is new vs ongoing, and inert quotes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.analysis import digest as dg

Q3 = dg.quarter_period("2026Q3")


def _docs(counts: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """theme -> (items in 2026Q2, items in 2026Q3), spread over each quarter."""
    rows = []
    for theme, (before, now) in counts.items():
        rows += [(theme, pd.Timestamp("2026-04-01") + pd.Timedelta(hours=20 * i)) for i in range(before)]
        rows += [(theme, pd.Timestamp("2026-07-01") + pd.Timedelta(hours=20 * i)) for i in range(now)]
    return pd.DataFrame(rows, columns=["theme_id", "created_at"])


THEMES = pd.DataFrame(
    {
        "theme_id": ["spike", "flat", "gone", "cand"],
        "label": ["Spiking", "Flat", "Fading", "Candidate"],
        "status": ["registered", "registered", "registered", "emerging"],
    }
)
QUOTES = pd.DataFrame(
    {"theme_id": ["spike"], "rank": [0], "quote": ["It broke @channel <!here> [x](http://e)"]}
)


def test_quarter_period_compares_with_the_previous_quarter():
    assert Q3.previous == (pd.Timestamp("2026-04-01"), pd.Timestamp("2026-07-01"))
    assert Q3.prev_label == "2026Q2"
    weekly = dg.since_period("2026-09-01", pd.Timestamp("2026-09-08"))
    assert weekly.previous == (pd.Timestamp("2026-08-25"), pd.Timestamp("2026-09-01"))


def test_theme_changes_flag_only_significant_moves():
    changes = dg.theme_changes(
        _docs({"spike": (20, 90), "flat": (100, 100), "gone": (80, 20), "cand": (0, 12)}), Q3
    )
    trend = dict(zip(changes["theme_id"], changes["trend"], strict=True))
    assert trend == {"spike": "rising", "flat": "", "gone": "falling", "cand": ""}
    assert (changes["p_adjusted"].dropna() >= changes["p_value"].dropna()).all()


def test_items_are_new_then_ongoing_then_resolved():
    docs = _docs({"spike": (20, 90), "flat": (100, 100), "gone": (80, 20), "cand": (0, 12)})
    first, state = dg.build(Q3, docs=docs, themes=THEMES, quotes=QUOTES)
    keys = {i.key for i in first.items}
    assert keys == {"rising:spike", "falling:gone", "emerging:cand"}
    assert first.has_new and all(i.status == "new" for i in first.items)
    again, state = dg.build(Q3, docs=docs, themes=THEMES, quotes=QUOTES, state=state)
    assert not again.has_new and {i.status for i in again.items} == {"ongoing"}
    calm = _docs({"spike": (50, 50), "flat": (100, 100), "gone": (50, 50)})
    later, _ = dg.build(Q3, docs=calm, themes=THEMES, quotes=QUOTES, state=state)
    assert later.items == [] and set(later.resolved) == keys


def test_every_item_links_and_quotes_inertly():
    docs = _docs({"spike": (20, 90), "flat": (100, 100)})
    d, _ = dg.build(Q3, docs=docs, themes=THEMES, quotes=QUOTES)
    item = next(i for i in d.items if i.key == "rising:spike")
    assert item.link == dg.LINKS["rising"] and item.quote
    md = dg.to_markdown(d, base_url="https://reports.example/2026Q3")
    assert "https://reports.example/2026Q3/10_customer_themes.html#rising-themes" in md
    # No ping, no Slack control sequence, no live Markdown link: each is escaped.
    assert "@channel" not in md
    assert md.count("<") == md.count("\\<") and "\\<!here>" in md
    assert "\\[x\\](http://e)" in md
    assert "[NEW]" in md


def test_inert_is_one_line_and_escapes_markup():
    assert dg.inert("a\n*b* `c`") == "a \\*b\\* \\`c\\`"


def test_win_rate_and_churn_items_need_significance():
    def deals(won_before, won_now, n=200):
        closed = [pd.Timestamp("2026-05-01")] * n + [pd.Timestamp("2026-08-01")] * n
        outcome = (
            ["won"] * won_before + ["lost"] * (n - won_before) + ["won"] * won_now + ["lost"] * (n - won_now)
        )
        notes = [f"{o} because of price, call +44 20 7946 0958" for o in outcome]
        return pd.DataFrame({"outcome": outcome, "closed_at": closed, "notes": notes})

    item = dg.win_rate_item(deals(80, 40), Q3)
    assert item.key == "win-rate:down" and "40 of 200" in item.detail
    assert item.quote.startswith("lost because") and "7946" not in item.quote
    assert dg.win_rate_item(deals(80, 78), Q3) is None
    accounts = pd.DataFrame(
        {
            "account_id": range(1000),
            "created_at": pd.Timestamp("2020-01-01"),
            "churned_at": [pd.Timestamp("2026-05-01")] * 10
            + [pd.Timestamp("2026-08-01")] * 60
            + [pd.NaT] * 930,
        }
    )
    said = pd.DataFrame(
        {
            "channel": ["churn_survey", "nps"],
            "created_at": pd.to_datetime(["2026-08-02", "2026-08-01"]),
            "text": ["Too expensive for us now.", "fine"],
        }
    )
    item = dg.churn_item(accounts, Q3, feedback=said)
    assert item.key == "churn:up" and item.quote == "Too expensive for us now."


def test_competitor_spike_needs_a_significant_rise():
    rows = [("feedback", f"f{i}", pd.Timestamp("2026-05-01"), "Flowbase") for i in range(5)]
    rows += [("feedback", f"g{i}", pd.Timestamp("2026-08-01"), "Flowbase") for i in range(30)]
    rows += [
        ("feedback", f"h{i}", pd.Timestamp(d), "Pulse")
        for i, d in enumerate(["2026-05-01"] * 10 + ["2026-08-01"] * 11)
    ]
    found = pd.DataFrame(rows, columns=["table", "record_id", "created_at", "competitor"])
    texts = pd.Series({"g0": "We are moving to Flowbase, mail jo@example.com"})
    items = dg.competitor_items(found, texts, Q3)
    assert [i.key for i in items] == ["competitor:Flowbase"]
    assert "jo@example.com" not in items[0].quote


def test_driver_items_only_adverse_and_significant():
    nps = pd.DataFrame(
        {
            "theme_id": ["a", "b", "c"],
            "label": ["A", "B", "C"],
            "significant": [True, True, False],
            "impact": [-5.0, 3.0, -9.0],
            "p_adjusted": [0.001, 0.001, 0.5],
            "statement": ["A costs 5 points.", "B adds.", ""],
        }
    )
    items = dg.driver_items(nps, None, None, None)
    assert [i.key for i in items] == ["driver-nps:a"]
    assert np.isfinite(len(items))
