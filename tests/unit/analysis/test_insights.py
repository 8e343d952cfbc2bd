"""Executive summary: each insight's numbers, its template, and the never-state-noise rule."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.analysis.insights import (
    INSIGHT_COLUMNS,
    Insight,
    churn_insight,
    competitive_threat_insight,
    executive_summary,
    insights_frame,
    money,
    rising_theme_insight,
    segment_theme_insight,
    top_arr_theme_insight,
    top_win_insight,
    win_rate_insight,
)

THEMES = pd.DataFrame(
    {
        "theme_id": ["T1", "T2", "T3", "T9"],
        "label": ["Onboarding friction", "SSO for enterprise", "Slow <b>exports</b>", "noise"],
        "kind": ["blocker", "blocker", "blocker", "unknown"],
        "status": ["registered", "registered", "registered", "hidden"],
    }
)


def metric_rows():
    cols = [
        "quarter",
        "theme_id",
        "volume",
        "share",
        "accounts",
        "arr_touched",
        "prev_volume",
        "change_pct",
        "p_value",
        "trend",
    ]
    rows = [
        ("2026Q2", "T1", 100, 0.2, 50, 1.0e6, None, None, None, "steady"),
        ("2026Q2", "T2", 80, 0.16, 10, 4.0e6, None, None, None, "steady"),
        ("2026Q3", "T1", 220, 0.3, 90, 2.0e6, 100, 120.0, 1e-9, "rising"),
        ("2026Q3", "T2", 90, 0.12, 12, 5.0e6, 80, 12.5, 0.4, "steady"),
        ("2026Q3", "T3", 60, 0.08, 30, 0.5e6, 40, 50.0, 0.01, "rising"),
        ("2026Q3", "T9", 500, 0.5, 99, 9.0e6, 10, 4900.0, 1e-12, "rising"),  # hidden: never headlined
    ]
    return pd.DataFrame(rows, columns=cols)


def test_rising_theme_picks_the_largest_significant_rise_among_visible_themes():
    metrics = metric_rows()
    visible = metrics[metrics["theme_id"] != "T9"]
    ins = rising_theme_insight(visible, THEMES, "2026Q3")
    assert ins.significant and ins.value == 220 and ins.delta == 120.0
    assert ins.headline == "'Onboarding friction' is the fastest-rising theme: up 120% on 2026Q2 to 220 items"
    assert ins.link.startswith("10_customer_themes.html#")
    assert "p < 0.001" in ins.detail


def test_rising_theme_names_accounts_and_arr_only_when_the_data_has_them():
    metrics = metric_rows()
    visible = metrics[metrics["theme_id"] != "T9"]
    with_accounts = rising_theme_insight(visible, THEMES, "2026Q3").detail
    assert "accounts" in with_accounts
    reviews_only = visible.assign(accounts=0, arr_touched=0.0)  # an app-store export: no accounts, no ARR
    detail = rising_theme_insight(reviews_only, THEMES, "2026Q3").detail
    assert "accounts" not in detail and "ARR" not in detail and detail.endswith("of feedback in 2026Q3.")


def test_no_rising_theme_is_not_stated_as_a_finding():
    metrics = metric_rows().assign(trend="steady")
    ins = rising_theme_insight(metrics, THEMES, "2026Q3")
    assert not ins.significant and ins.value is None
    assert ins.headline == "No theme rose significantly in 2026Q3"


def test_top_arr_theme_and_its_delta():
    metrics = metric_rows()
    ins = top_arr_theme_insight(metrics[metrics["theme_id"] != "T9"], THEMES, "2026Q3")
    assert ins.value == 5.0e6 and ins.value_label == "$5.0M"
    assert ins.delta == pytest.approx(25.0)
    assert "'SSO for enterprise' touches the most revenue" in ins.headline


def test_executive_summary_drops_hidden_themes_and_keeps_labels_raw():
    ins = executive_summary("2026Q3", metrics=metric_rows(), themes=THEMES)
    ids = [i.id for i in ins]
    assert ids == ["rising-theme", "top-arr-theme"]
    assert "noise" not in " ".join(i.headline for i in ins)
    themes = THEMES.assign(label=THEMES["label"].where(THEMES["theme_id"] != "T1", "<script>x</script>"))
    raw = executive_summary("2026Q3", metrics=metric_rows(), themes=themes)[0]
    assert "<script>x</script>" in raw.headline  # kept raw: renderers escape


def splits(enterprise_volume, theme_volume=100):
    # Enterprise writes 20% of all feedback; T2 gets `enterprise_volume` of its items from Enterprise.
    return pd.DataFrame(
        {
            "quarter": "2026Q3",
            "theme_id": ["T2", "T2", "T1", "T1"],
            "segment": ["Enterprise", "SMB", "Enterprise", "SMB"],
            "volume": [
                enterprise_volume,
                theme_volume - enterprise_volume,
                200 - enterprise_volume,
                800 - theme_volume + enterprise_volume,
            ],  # 1,000 items, 200 from Enterprise
        }
    ).pipe(
        lambda d: d.assign(
            share_of_theme=d["volume"] / d.groupby("theme_id")["volume"].transform("sum"),
            concentration=(d["volume"] / d.groupby("theme_id")["volume"].transform("sum"))
            / (d.groupby("segment")["volume"].transform("sum") / d["volume"].sum()),
        )
    )


def test_segment_theme_when_significant():
    ins = segment_theme_insight(splits(70), THEMES, "2026Q3")
    assert ins is not None and ins.id == "segment-theme"
    assert ins.headline == (
        "'SSO for enterprise' is concentrated in Enterprise: 70% of its feedback vs 20% of all feedback"
    )
    assert ins.value == pytest.approx(0.7)


def test_segment_theme_omitted_when_not_significant_or_too_small():
    assert segment_theme_insight(splits(25), THEMES, "2026Q3") is None  # 25% vs 20%: noise
    assert segment_theme_insight(splits(9, theme_volume=10), THEMES, "2026Q3") is None  # below min volume


def deals_frame(rows, closed_at):
    return pd.DataFrame(
        {
            "deal_id": [f"{closed_at}-{i}" for i in range(len(rows))],
            "competitor": [c for c, _ in rows],
            "outcome": [o for _, o in rows],
            "amount": 1000.0,
            "created_at": pd.Timestamp(closed_at) - pd.Timedelta(days=30),
            "closed_at": pd.Timestamp(closed_at),
        }
    )


def test_win_rate_change_significant_and_not():
    before = deals_frame([(None, "won")] * 50 + [(None, "lost")] * 50, "2026-05-01")
    worse = deals_frame([(None, "won")] * 20 + [(None, "lost")] * 80, "2026-08-01")
    ins = win_rate_insight(pd.concat([before, worse]), "2026Q3")
    assert ins.significant and ins.headline == "Win rate fell to 20% in 2026Q3, from 50% in 2026Q2"
    assert ins.delta == pytest.approx(-30.0) and ins.delta_label == "pts vs 2026Q2"
    same = deals_frame([(None, "won")] * 48 + [(None, "lost")] * 52, "2026-08-01")
    ins = win_rate_insight(pd.concat([before, same]), "2026Q3")
    assert not ins.significant
    assert ins.headline == "Win rate at 48% in 2026Q3: no significant change from 2026Q2 (50%)"


def test_competitive_threat_requires_a_significantly_lower_win_rate():
    rows = (
        [("Pulse HQ", "won")] * 2 + [("Pulse HQ", "lost")] * 18 + [(None, "won")] * 30 + [(None, "lost")] * 20
    )
    deals = pd.concat(
        [deals_frame(rows, "2026-08-01"), deals_frame([("Pulse HQ", "lost")] * 5, "2026-05-01")]
    )
    notes = pd.DataFrame({"table": "deals", "record_id": deals["deal_id"].iloc[:20], "theme_id": ["T2"] * 20})
    ins = competitive_threat_insight(deals, "2026Q3", assignments=notes, themes=THEMES)
    assert ins.significant and ins.value == 18 and ins.delta == 13
    assert ins.headline.startswith("Pulse HQ is the main competitive threat: 18 deals ($18.0k) lost")
    assert "'SSO for enterprise' (18 of 18)" in ins.detail
    even = (
        [("Pulse HQ", "won")] * 6 + [("Pulse HQ", "lost")] * 4 + [(None, "won")] * 30 + [(None, "lost")] * 20
    )
    ins = competitive_threat_insight(deals_frame(even, "2026-08-01"), "2026Q3")
    assert not ins.significant and "not significantly different" in ins.headline


def test_churn_change():
    churn = pd.DataFrame(
        {
            "quarter": ["2026Q2", "2026Q3"],
            "segment": ["All", "All"],
            "active_start": [1000, 1000],
            "churned": [20, 60],
            "arr_churned": [1e5, 4e5],
            "arr_churn": [0.01, 0.04],
        }
    )
    ins = churn_insight(churn, "2026Q3")
    assert ins.significant and ins.headline == "Logo churn rose to 6% in 2026Q3, from 2% in 2026Q2"
    assert "$400.0k ARR" in ins.detail


def test_top_win_and_no_win():
    wins = pd.DataFrame(
        {
            "item": ["Bulk export"],
            "theme": ["Slow exports"],
            "is_win": [True],
            "credit": ["Thanks to Data"],
            "volume_change_pct": [-42.0],
            "volume_p_value": [0.001],
            "volume_after": [58.0],
            "adoption_change_pct": [None],
            "adoption_after": [None],
            "share_change_pct": [-40.0],
            "share_after": [0.06],
            "headline_metric": ["theme_share"],
            "evidence": ["Since ..."],
        }
    )
    ins = top_win_insight(wins)
    assert ins.significant and ins.headline == (
        "Win: 'Slow exports' down 40% as a share of feedback since Bulk export shipped (Thanks to Data)"
    )
    assert ins.value_label == "6.0% of feedback"
    none = top_win_insight(wins.assign(is_win=False))
    assert not none.significant and none.headline.startswith("No shipped item")
    assert top_win_insight(None) is None


def test_a_win_on_adoption_is_never_headlined_by_its_theme():
    """The item won on adoption; its blocker theme rose (p < 1 but not significant): say adoption."""
    wins = pd.DataFrame(
        {
            "item": ["Bulk export"],
            "theme": ["Slow exports"],
            "is_win": [True],
            "credit": [""],
            "volume_change_pct": [25.0],
            "volume_p_value": [0.3],
            "volume_after": [60.0],
            "share_change_pct": [20.0],
            "share_after": [0.12],
            "adoption_change_pct": [35.0],
            "adoption_after": [27.0],
            "headline_metric": ["adoption"],
            "evidence": ["Since ..."],
        }
    )
    ins = top_win_insight(wins)
    assert ins.headline == "Win: adoption up 35% since Bulk export shipped"
    assert ins.value == 27.0 and ins.delta == 35.0


def test_insights_frame_columns():
    frame = insights_frame([Insight("x", "h", 1.0, "1", None, "", True, "a.html#b", "d")])
    assert list(frame.columns) == INSIGHT_COLUMNS and frame.loc[0, "link"] == "a.html#b"


def test_money():
    assert [money(5), money(18_000), money(1_234_567), money(2.5e9)] == ["$5", "$18.0k", "$1.2M", "$2.5B"]
