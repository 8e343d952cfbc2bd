"""Chart functions: titles state the finding, tooltips everywhere, stable theme colours (on to_dict)."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import pytest

from workbench.core.errors import ConfigError, MissingColumnsError
from workbench.report.chart_files import chart_data, chart_spec, export_chart, slug
from workbench.viz import charts
from workbench.viz import market as charts_market
from workbench.viz import outcomes as charts_outcomes
from workbench.viz import sales as charts_sales
from workbench.viz import style as theme

Q, P = "2026Q3", "2026Q2"
THEMES = pd.DataFrame(
    {
        "theme_id": ["onboarding", "pricing", "exports", "new-sso"],
        "label": ["Onboarding friction", "Pricing confusion", "CSV exports", "<img src=x onerror=alert(1)>"],
        "status": ["registered", "registered", "registered", "emerging"],
    }
)


def _metrics() -> pd.DataFrame:
    """Onboarding rises 41% and leads by ARR; pricing falls; exports flat; the emerging theme is small."""
    rows = [
        # quarter, theme, volume, prev, change_pct, trend, arr
        (Q, "onboarding", 141, 100, 41.0, "rising", 900_000.0),
        (Q, "pricing", 60, 90, -33.3, "falling", 500_000.0),
        (Q, "exports", 80, 78, 2.6, "steady", 700_000.0),
        (Q, "new-sso", 12, 0, np.nan, "new", 50_000.0),
        (P, "onboarding", 100, 95, 5.3, "steady", 600_000.0),
        (P, "pricing", 90, 88, 2.3, "steady", 650_000.0),
        (P, "exports", 78, 70, 11.4, "steady", 690_000.0),
        (P, "new-sso", 0, 0, np.nan, "steady", 0.0),
    ]
    frame = pd.DataFrame(
        rows, columns=["quarter", "theme_id", "volume", "prev_volume", "change_pct", "trend", "arr_touched"]
    )
    totals = frame.groupby("quarter")["volume"].transform("sum")
    return frame.assign(
        share=frame["volume"] / totals,
        accounts=frame["volume"] // 2,
        sentiment_mean=[-0.4, -0.1, 0.2, 0.0, -0.3, -0.1, 0.1, np.nan],
    )


PALETTE = theme.theme_palette(["onboarding", "pricing", "exports"], ["new-sso"])


def _walk(spec: dict):
    """Every unit spec (mark + encoding) inside a possibly layered/faceted spec."""
    if "mark" in spec:
        yield spec
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in spec.get(key, []):
            yield from _walk(sub)
    if "spec" in spec:
        yield from _walk(spec["spec"])


def _title(spec: dict) -> str:
    title = spec["title"]
    text = title["text"] if isinstance(title, dict) else title
    return " ".join(text) if isinstance(text, list) else text


def _assert_tooltips(spec: dict) -> None:
    units = list(_walk(spec))
    assert units
    assert all(u.get("encoding", {}).get("tooltip") for u in units), "every mark needs a tooltip"


def test_house_theme_registers_and_sets_palette():
    assert theme.register() == "workbench"
    assert alt.theme.active == "workbench"
    spec = alt.Chart(pd.DataFrame({"a": [1]})).mark_bar().encode(x="a:Q").to_dict()
    assert spec["config"]["range"]["category"] == list(theme.PALETTE)
    assert spec["config"]["title"]["fontSize"] >= 14


def test_theme_palette_is_stable_when_themes_are_added():
    before = theme.theme_palette(["a", "b", "c"])
    after = theme.theme_palette(["a", "b", "c", "d"], extra_ids=["new-x", "a"])
    assert all(after[k] == v for k, v in before.items())
    assert after["new-x"] == theme.PALETTE[4]  # extras come after every registered id


def test_registry_order_accepts_exactly_what_the_product_parser_accepts(tmp_path):
    """Charts read the registry with parse_registry: no shape the theme engine would reject."""
    from workbench.themes.registry import parse_registry

    shipped = Path(__file__).resolve().parents[3] / "config" / "themes.yaml"
    assert theme.registry_order(shipped) == [t.id for t in parse_registry(shipped.read_text("utf-8")).themes]
    listed = tmp_path / "a.yaml"
    listed.write_text("themes:\n  - {id: b, label: B}\n  - {id: a, label: A}\n", encoding="utf-8")
    assert theme.registry_order(listed) == ["b", "a"]
    keyed = tmp_path / "b.yaml"  # a mapping keyed by id: parse_registry rejects it, so must charts
    keyed.write_text("themes:\n  z: {label: Z}\n  y: {label: Y}\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        parse_registry(keyed.read_text("utf-8"))
    assert theme.registry_order(keyed) == []
    assert theme.registry_order(tmp_path / "missing.yaml") == []


def test_thirty_themes_never_share_a_colour():
    ids = [f"t{i:02d}" for i in range(30)]
    palette = theme.theme_palette(ids[:20], extra_ids=ids[20:])
    assert len(set(palette.values())) == 30
    assert [palette[i] for i in ids[:12]] == list(theme.PALETTE)  # the curated colours come first
    assert theme.theme_palette(ids[:25]) == {k: palette[k] for k in ids[:25]}  # adding never moves one
    assert theme.extended_palette(30) == theme.extended_palette(30)  # deterministic
    assert len(set(theme.extended_palette(200))) == 200


def test_theme_ranking_title_states_the_finding():
    spec = charts.theme_ranking(_metrics(), THEMES, Q, PALETTE).to_dict()
    assert _title(spec) == "Onboarding friction up 41% QoQ, now #1 by ARR touched"
    _assert_tooltips(spec)
    data = chart_data(spec)
    assert data["label"].tolist()[0] == "Onboarding friction"
    assert len(data) == 4


def test_theme_ranking_when_the_leader_is_not_the_riser():
    frame = _metrics()
    frame.loc[(frame["quarter"] == Q) & (frame["theme_id"] == "exports"), "arr_touched"] = 2_000_000.0
    spec = charts.theme_ranking(frame, THEMES, Q, PALETTE).to_dict()
    assert _title(spec) == "Onboarding friction up 41% QoQ, now #2 by ARR touched"
    assert spec["title"]["subtitle"] == "CSV exports leads; top 4 themes by ARR touched, 2026Q3"
    long = charts.title("word " * 30)
    assert isinstance(long.text, list) and all(len(line) <= charts.TITLE_CHARS for line in long.text)


def test_same_theme_same_colour_in_every_chart():
    full = charts.theme_ranking(_metrics(), THEMES, Q, PALETTE).to_dict()
    subset = _metrics()[_metrics()["theme_id"].isin(["exports", "onboarding"])]
    trend = charts.theme_trends(subset, THEMES, Q, PALETTE).to_dict()

    def colours(spec):
        scale = next(_walk(spec))["encoding"]["color"]["scale"]
        return dict(zip(scale["domain"], scale["range"], strict=True))

    a, b = colours(full), colours(trend)
    for label in ("Onboarding friction", "CSV exports"):
        assert a[label] == b[label]
    assert a["Onboarding friction"] == PALETTE["onboarding"] == theme.PALETTE[0]


def test_theme_changes_colours_by_significance_only():
    spec = charts.theme_changes(_metrics(), THEMES, Q).to_dict()
    assert _title(spec) == "Onboarding friction rose fastest: +41% QoQ"
    data = chart_data(spec).set_index("theme_id")
    assert data.loc["exports", "verdict"] == "No significant change"
    assert data.loc["pricing", "verdict"] == "Falling (significant)"
    assert "new-sso" not in data.index  # no previous volume: no percentage change to show
    _assert_tooltips(spec)


def test_theme_changes_says_when_nothing_moved():
    flat = _metrics().assign(trend="steady")
    assert _title(charts.theme_changes(flat, THEMES, Q).to_dict()) == f"No theme changed significantly in {Q}"


def test_theme_concentration_names_segment_and_lift():
    splits = pd.DataFrame(
        {
            "quarter": [Q] * 4,
            "theme_id": ["onboarding", "onboarding", "pricing", "pricing"],
            "segment": ["Enterprise", "SMB", "Enterprise", "SMB"],
            "volume": [90, 10, 20, 40],
            "share_of_theme": [0.9, 0.1, 1 / 3, 2 / 3],
            "concentration": [2.4, 0.2, 0.9, 1.1],
        }
    )
    spec = charts.theme_concentration(splits, THEMES, Q).to_dict()
    assert (
        _title(spec) == "Onboarding friction is concentrated in Enterprise: 2.4x its share (90% of the theme)"
    )
    _assert_tooltips(spec)


def test_theme_sentiment_names_most_negative():
    spec = charts.theme_sentiment(_metrics(), THEMES, Q, PALETTE).to_dict()
    assert _title(spec) == "Onboarding friction is the most negative theme (mean sentiment -0.40)"
    _assert_tooltips(spec)


def test_empty_input_gives_an_explicit_empty_chart():
    spec = charts.theme_ranking(_metrics(), THEMES, "2030Q1", PALETTE).to_dict()
    assert _title(spec) == "No themed feedback in 2030Q1"
    _assert_tooltips(spec)


def test_missing_columns_raise_a_user_error():
    with pytest.raises(MissingColumnsError, match=r"theme_ranking lacks column\(s\) \['theme_id'"):
        charts.theme_ranking(pd.DataFrame({"quarter": [Q]}), THEMES, Q, PALETTE)


def test_inputs_are_not_mutated_and_arrow_strings_are_fine():
    frame = _metrics().astype({"theme_id": "string[pyarrow]", "trend": "string[pyarrow]"})
    before = frame.copy()
    charts.theme_ranking(frame, THEMES, Q, PALETTE).to_dict()
    pd.testing.assert_frame_equal(frame, before)


def test_win_rate_trend_hedges_a_non_significant_change():
    rates = pd.DataFrame(
        {
            "quarter": [P, Q],
            "won": [30, 27],
            "lost": [70, 73],
            "closed": [100, 100],
            "win_rate": [0.30, 0.27],
            "ci_low": [0.22, 0.19],
            "ci_high": [0.39, 0.36],
        }
    )
    spec = charts_sales.win_rate_trend(rates, Q).to_dict()
    assert _title(spec) == f"Win rate 27% in {Q}, down 3 pts QoQ (not significant)"
    _assert_tooltips(spec)
    big = rates.assign(won=[300, 200], lost=[700, 800], closed=[1000, 1000], win_rate=[0.3, 0.2])
    assert _title(charts_sales.win_rate_trend(big, Q).to_dict()) == f"Win rate 20% in {Q}, down 10 pts QoQ"


def test_sales_charts_titles():
    pipeline = pd.DataFrame(
        {
            "stage": ["Proposal", "Negotiation"],
            "deals": [10, 4],
            "value": [300_000.0, 700_000.0],
            "share_of_value": [0.3, 0.7],
        }
    )
    spec = charts_sales.pipeline_breakdown(pipeline, "stage").to_dict()
    assert _title(spec) == "Negotiation holds 70% of open pipeline ($700.0k)"
    reasons = pd.DataFrame(
        {
            "loss_reason": ["Price", "Missing feature"],
            "deals": [12, 20],
            "value": [1.0, 2.0],
            "share": [0.375, 0.625],
            "prev_deals": [10, 5],
        }
    )
    assert _title(charts_sales.loss_reasons_chart(reasons, Q).to_dict()) == (
        f"Top loss reason in {Q}: Missing feature (62% of lost deals)"
    )
    gaps = pd.DataFrame(
        {
            "theme_id": ["exports", "onboarding"],
            "label": ["CSV exports", "Onboarding friction"],
            "lost_value": [100.0, 2_000_000.0],
            "open_value": [50.0, 500_000.0],
            "blocked_value": [150.0, 2_500_000.0],
            "lost_deals": [1, 9],
            "open_deals": [1, 3],
        }
    )
    spec = charts_sales.product_gaps_chart(gaps).to_dict()
    assert _title(spec) == "Onboarding friction is in $2.5M of lost and open pipeline, the largest gap"
    _assert_tooltips(spec)


def test_market_charts_titles():
    sov = pd.DataFrame(
        {
            "quarter": [P, P, Q, Q],
            "competitor": ["Acme", "Pulse HQ"] * 2,
            "mentions": [50, 50, 30, 70],
            "share": [0.5, 0.5, 0.3, 0.7],
            "change_pts": [np.nan, np.nan, -20.0, 20.0],
        }
    )
    assert _title(charts_market.share_of_voice_chart(sov, Q).to_dict()) == (
        f"Pulse HQ leads share of voice in {Q}: 70%, +20 pts QoQ"
    )
    rates = pd.DataFrame(
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
    spec = charts_market.competitor_win_rates(rates).to_dict()
    assert _title(spec) == "We win 10% against Pulse HQ vs 50% elsewhere (significant)"
    _assert_tooltips(spec)


def test_mention_timeline_names_the_release_that_spiked():
    weeks = pd.date_range("2026-07-06", periods=4, freq="7D")
    timeline = pd.DataFrame(
        {
            "period": list(weeks) * 2,
            "competitor": ["Acme"] * 4 + ["Pulse HQ"] * 4,
            "mentions": [1, 1, 1, 1, 2, 2, 9, 3],
            "spike": [False] * 6 + [True, False],
        }
    )
    releases = pd.DataFrame(
        {
            "date": [pd.Timestamp("2026-07-19")],
            "competitor": ["Pulse HQ"],
            "title": ["AI dashboards"],
            "spike_after": [True],
        }
    )
    spec = charts_market.mention_timeline_chart(timeline, releases).to_dict()
    assert _title(spec) == "Mentions of Pulse HQ spiked after its release \u201cAI dashboards\u201d"
    _assert_tooltips(spec)


def test_outcome_charts_titles():
    churn = pd.DataFrame(
        {
            "quarter": [Q] * 3,
            "segment": ["SMB", "Enterprise", "All"],
            "churned": [9, 1, 10],
            "logo_churn": [0.09, 0.01, 0.05],
            "ci_low": [0.05, 0.0, 0.03],
            "ci_high": [0.15, 0.05, 0.08],
            "arr_churned": [90_000.0, 10_000.0, 100_000.0],
        }
    )
    spec = charts_outcomes.churn_chart(churn, Q).to_dict()
    assert _title(spec) == f"Logo churn 5.0% in {Q} ($100.0k ARR lost); highest in SMB at 9.0%"
    results = pd.DataFrame(
        {
            "item_id": ["s1"] * 2,
            "item": ["Guided setup"] * 2,
            "metric": ["adopting_accounts", "theme_volume"],
            "before": [10.0, 100.0],
            "after": [12.0, 60.0],
            "change_pct": [20.0, -40.0],
            "significant": [False, True],
        }
    )
    spec = charts_outcomes.before_after_chart(results).to_dict()
    assert _title(spec) == "After Guided setup: theme items -40% (significant)"
    _assert_tooltips(spec)


def test_export_writes_png_svg_offline_html_and_csv(tmp_path):
    chart = charts.theme_ranking(_metrics(), THEMES, Q, PALETTE)
    files = export_chart(chart, "Themes by ARR!", tmp_path)
    assert files.name == "themes_by_arr"
    assert files.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert files.svg.read_text(encoding="utf-8").lstrip().startswith("<svg")
    page = files.html.read_text(encoding="utf-8")
    assert page.count("window.vegaEmbed=") == 1 and "cdn.jsdelivr" not in page
    assert "<img src=x" not in page  # the hostile label only appears JSON-escaped
    data = pd.read_csv(files.csv)
    assert set(data["theme_id"]) == {"onboarding", "pricing", "exports", "new-sso"}
    assert chart_spec(chart)["datasets"]


def test_slug_refuses_empty_names():
    assert slug("Win rate / Q3") == "win_rate_q3"
    with pytest.raises(ValueError):
        slug("!!!")


def test_tone_rows_put_stated_scores_beside_the_inferred_and_drop_empty_columns():
    metrics = _metrics().assign(negative_share=0.3, rating_mean=np.nan, nps_mean=np.nan)
    rows, columns = charts.tone_rows(metrics, THEMES, Q)
    assert rows["theme_id"].tolist() == ["onboarding", "exports", "pricing", "new-sso"]  # by volume
    assert list(columns) == ["label", "volume", "sentiment_mean", "negative_share"]  # no stated scores
    rated = metrics.assign(rating_mean=np.where(metrics["theme_id"] == "pricing", 2.1, np.nan))
    rows, columns = charts.tone_rows(rated, THEMES, Q)
    assert "rating_mean" in columns and "nps_mean" not in columns
    assert rows.set_index("theme_id").loc["pricing", "rating_mean"] == 2.1
    spec = charts.theme_sentiment(rated, THEMES, Q, PALETTE).to_dict()
    assert "Mean stars (stated)" in {t.get("title") for t in spec["encoding"]["tooltip"]}
