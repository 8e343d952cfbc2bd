"""CSV cells that a spreadsheet would run, and report sections for tables a project does not have."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest
import yaml

from workbench.core.config import load_settings
from workbench.core.errors import MissingDataError
from workbench.core.quarters import Quarter
from workbench.core.store import load_table, table_available
from workbench.report.chart_files import export_chart, spreadsheet_safe
from workbench.report.context import ReportContext
from workbench.report.data import headline_kpis

HOSTILE = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx", "ok"]


def test_formula_cells_are_escaped_and_numbers_left_alone():
    frame = pd.DataFrame({"text": HOSTILE, "n": [-1, 2, 3, 4, 5, 6, 7]})
    safe = spreadsheet_safe(frame)
    assert safe["text"].tolist()[:6] == ["'" + v for v in HOSTILE[:6]] and safe["text"].iloc[6] == "ok"
    assert safe["n"].tolist() == [-1, 2, 3, 4, 5, 6, 7] and frame["text"].iloc[0] == HOSTILE[0]


def test_chart_and_table_csvs_are_safe(tmp_path):
    chart = alt.Chart(pd.DataFrame({"label": HOSTILE, "v": range(7)})).mark_bar().encode(x="v:Q", y="label:N")
    files = export_chart(chart, "c", tmp_path / "charts")
    cells = pd.read_csv(files.csv, keep_default_na=False)["label"].tolist()
    assert not [c for c in cells if c[:1] in "=+-@\t\r"]
    ctx = ReportContext(load_settings(root=_project(tmp_path)), Quarter(2026, 3), tmp_path / "out")
    saved = pd.read_csv(ctx.save_table(pd.DataFrame({"x": HOSTILE}), "t"), keep_default_na=False)["x"]
    assert saved.iloc[0] == "'" + HOSTILE[0] and not [c for c in saved if c[:1] in "=+-@\t"]


def _project(root, tables=("feedback",)):
    (root / "config").mkdir(exist_ok=True)
    (root / "config" / "workbench.yaml").write_text("{}\n", encoding="utf-8")
    sources = {"tables": {t: [{"name": t, "path": f"in/{t}.csv"}] for t in tables}}
    (root / "config" / "sources.yaml").write_text(yaml.safe_dump(sources), encoding="utf-8")
    processed = root / "data" / "processed"
    processed.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "feedback_id": ["a", "b"],
            "created_at": pd.to_datetime(["2026-08-01", "2026-08-02"]),
            "text": ["x", "y"],
        }
    ).to_parquet(processed / "feedback.parquet")
    pd.DataFrame({"deal_id": ["d"], "created_at": pd.to_datetime(["2026-08-01"])}).to_parquet(
        processed / "deals.parquet"
    )  # a leftover of an earlier sources config
    return root


def test_a_table_the_sources_do_not_configure_is_absent_not_stale(tmp_path):
    settings = load_settings(root=_project(tmp_path))
    assert table_available(settings, "feedback") and not table_available(settings, "deals")
    with pytest.raises(MissingDataError, match=r"no deals data: config/sources.yaml has no `tables.deals`"):
        load_table("deals", settings)
    ctx = ReportContext(settings, Quarter(2026, 3), tmp_path / "out")
    assert ctx.has("feedback") and not ctx.has("feedback", "deals") and not ctx.has_themes()
    sentence = str(ctx.absent("deals", section="Win rate"))
    assert "Win rate needs deals data" in sentence and "`tables.deals` in config/sources.yaml" in sentence
    assert ctx.compare_with is None  # no feedback in 2026Q2: nothing to compare with
    assert "no earlier quarter with data" in str(ctx.header("T"))


def test_a_table_the_last_pull_did_not_write_is_absent(tmp_path):
    root = _project(tmp_path, tables=("feedback", "deals"))
    (root / "data" / "processed" / "manifest.json").write_text(
        '{"tables": {"feedback": {}}}', encoding="utf-8"
    )
    settings = load_settings(root=root)
    assert not table_available(settings, "deals")
    with pytest.raises(MissingDataError, match="has not been pulled yet"):
        load_table("deals", settings)


def test_kpis_come_only_from_what_exists_and_never_compare_with_nothing():
    feedback = pd.DataFrame(
        {"created_at": pd.to_datetime(["2026-08-01", "2026-08-02"]), "account_id": [None, None], "text": "x"}
    )
    kpis = headline_kpis(feedback, None, None, Quarter(2026, 3))
    assert kpis["kpi"].tolist() == ["feedback_items"]  # no account ids, no scores, no deals, no accounts
    assert kpis["value"].iloc[0] == 2 and pd.isna(kpis["previous"].iloc[0]) and pd.isna(kpis["delta"].iloc[0])
    assert headline_kpis(None, None, None, Quarter(2026, 3)).empty


def test_chart_specs_carry_null_for_nan_and_infinity():
    import json

    from workbench.report.chart_files import chart_spec

    frame = pd.DataFrame(
        {"label": ["a", None], "kind": pd.Series(["x", None], dtype="str"), "v": [float("inf"), 1.0]}
    )
    spec = chart_spec(alt.Chart(frame).mark_bar().encode(x="v:Q", y="label:N", tooltip=["kind:N"]))
    json.dumps(spec, allow_nan=False)  # the pages embed specs as strict JSON
    [rows] = spec["datasets"].values()
    assert rows[0]["v"] is None and rows[1]["kind"] is None
