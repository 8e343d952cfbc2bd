"""The pull: raw snapshot, processed tables, quarter replacement, manifests and the result summary."""

from __future__ import annotations

import hashlib
import json
import logging

import pandas as pd
import pytest
from pull_fixtures import REVIEWS_HEADER, make_project, reviews_source, write

from workbench.core.errors import WorkbenchError
from workbench.core.quarters import QuarterError
from workbench.ingest.pull import pull
from workbench.ingest.snapshot import claim_snapshot_dir

Q3_ROWS = "1,01-07-2026 10:00,Exports are slow,2\n2,15-08-2026 09:30,Love the dashboard,5\n"
Q4_ROWS = "3,02-10-2026 08:00,Billing page confusing,2\n"
NPS = "respondent,answered,comment,nps\nn1,2026-07-03,Would recommend,9\nn2,2026-10-05,Too pricey,3\n"
ACCOUNTS = "id,company,tier,arr\nA1,Acme,SMB,1200\nA2,Globex,Enterprise,98000\n"


def _two_sources(tmp_path, **reviews_extra):
    settings = make_project(
        tmp_path,
        {
            "feedback": [
                reviews_source(id_prefix="rv-", **reviews_extra),
                {
                    "name": "nps",
                    "path": "data/in/nps.csv",
                    "id_prefix": "nps-",
                    "columns": {
                        "respondent": "feedback_id",
                        "answered": "created_at",
                        "comment": "text",
                        "nps": "score",
                    },
                    "constants": {"channel": "nps"},
                },
            ],
            "accounts": [
                {
                    "name": "crm_accounts",
                    "path": "data/in/accounts.csv",
                    "columns": {"id": "account_id", "company": "name", "tier": "segment"},
                }
            ],
        },
    )
    write(tmp_path, "reviews.csv", REVIEWS_HEADER + Q3_ROWS + Q4_ROWS)
    write(tmp_path, "nps.csv", NPS)
    write(tmp_path, "accounts.csv", ACCOUNTS)
    return settings


def test_several_sources_feed_one_table_each_tagged(tmp_path):
    settings = _two_sources(tmp_path)
    result = pull(settings, all_quarters=True)
    feedback = pd.read_parquet(settings.paths.processed / "feedback.parquet")
    assert feedback["feedback_id"].tolist() == ["rv-1", "rv-2", "rv-3", "nps-n1", "nps-n2"]
    assert feedback["source"].tolist() == ["reviews"] * 3 + ["nps"] * 2
    assert feedback["channel"].tolist() == ["app_review"] * 3 + ["nps"] * 2
    assert feedback["quarter"].tolist() == ["2026Q3", "2026Q3", "2026Q4", "2026Q3", "2026Q4"]
    assert feedback["score"].tolist()[3:] == [9.0, 3.0] and feedback["rating"].tolist()[:3] == [2.0, 5.0, 2.0]
    assert str(feedback["created_at"].dtype) == "datetime64[ns]"
    assert feedback.columns[:12].tolist() == [
        "feedback_id",
        "channel",
        "created_at",
        "text",
        "rating",
        "score",
        "account_id",
        "product_area",
        "app_version",
        "source",
        "quarter",
        "text_truncated",
    ]
    assert result.quarters == ["2026Q3", "2026Q4"]
    assert result.counts == {
        "feedback": {"input": 5, "processed": 5, "rejected": 0, "rows": 5},
        "accounts": {"input": 2, "processed": 2, "rejected": 0, "rows": 2},
    }


def test_snapshot_holds_exact_inputs_and_a_manifest_without_surprises(tmp_path):
    settings = _two_sources(tmp_path)
    result = pull(settings, quarter="2026Q3")
    snap = result.snapshot_dir
    assert snap.parent == settings.paths.raw and len(snap.name) == len("20261126T231500Z")
    manifest = json.loads((snap / "manifest.json").read_text())
    assert manifest["quarter"] == "2026Q3"
    assert manifest["bounds"] == {"start": "2026-07-01T00:00:00", "end": "2026-10-01T00:00:00"}
    reviews = manifest["sources"]["reviews"]
    assert (reviews["table"], reviews["kind"], reviews["rows"]) == ("feedback", "file", 3)
    assert reviews["schema"] == {"id": "String", "when": "String", "body": "String", "stars": "String"}
    original = (tmp_path / "data" / "in" / "reviews.csv").read_bytes()
    [entry] = reviews["inputs"]
    assert entry["path"] == "data/in/reviews.csv" and entry["bytes"] == len(original)
    assert entry["sha256"] == hashlib.sha256(original).hexdigest()
    assert (snap / entry["copy"]).read_bytes() == original
    assert set(manifest["sources"]) == {"reviews", "nps", "crm_accounts"}


def test_every_pull_gets_its_own_snapshot(tmp_path):
    settings = _two_sources(tmp_path)
    first = pull(settings, quarter="2026Q3").snapshot_dir
    second = pull(settings, quarter="2026Q3").snapshot_dir
    assert first != second and (first / "manifest.json").exists() and (second / "manifest.json").exists()


def test_a_taken_snapshot_name_gets_a_suffix(tmp_path):
    first = claim_snapshot_dir(tmp_path, "20261126T231500Z")
    (first / "keep.txt").write_text("earlier pull")
    second = claim_snapshot_dir(tmp_path, "20261126T231500Z")
    assert (first.name, second.name) == ("20261126T231500Z", "20261126T231500Z-2")
    assert (first / "keep.txt").read_text() == "earlier pull"


def test_quarter_pull_replaces_only_that_quarter(tmp_path):
    settings = _two_sources(tmp_path)
    pull(settings, all_quarters=True)
    # the export changes: a Q3 review is edited, a Q4 review disappears, an account is renamed
    write(tmp_path, "reviews.csv", REVIEWS_HEADER + Q3_ROWS.replace("Exports are slow", "Exports fixed"))
    write(tmp_path, "accounts.csv", ACCOUNTS.replace("Acme", "Acme Corp"))
    result = pull(settings, quarter="2026-Q3")
    feedback = pd.read_parquet(settings.paths.processed / "feedback.parquet")
    by_id = feedback.set_index("feedback_id")
    assert sorted(feedback["feedback_id"]) == ["nps-n1", "nps-n2", "rv-1", "rv-2", "rv-3"]
    assert by_id.loc["rv-1", "text"] == "Exports fixed"  # Q3 replaced
    assert by_id.loc["rv-3", "text"] == "Billing page confusing"  # Q4 kept from the earlier pull
    accounts = pd.read_parquet(settings.paths.processed / "accounts.parquet")
    assert accounts["name"].tolist() == ["Acme Corp", "Globex"]  # dimension table replaced whole
    assert result.counts["feedback"] == {"input": 3, "processed": 3, "rejected": 0, "rows": 5}
    reviews = next(s for s in result.sources if s.source == "reviews")
    assert (reviews.read, reviews.outside, reviews.input, reviews.processed) == (2, 0, 2, 2)
    nps = next(s for s in result.sources if s.source == "nps")
    assert (nps.read, nps.outside, nps.input) == (2, 1, 1)


def test_new_rows_may_not_repeat_an_id_kept_from_another_quarter(tmp_path):
    settings = _two_sources(tmp_path)
    pull(settings, all_quarters=True)
    write(tmp_path, "reviews.csv", REVIEWS_HEADER + Q3_ROWS + "3,03-07-2026 10:00,Reused id,4\n")
    result = pull(settings, quarter="2026Q3")
    rejects = pd.read_parquet(result.rejects_paths["feedback"])
    assert rejects["_reason"].tolist() == ["duplicate feedback_id 'rv-3': already processed"]


def test_other_outputs_survive_and_stale_rejects_go(tmp_path):
    settings = _two_sources(tmp_path)
    write(tmp_path, "reviews.csv", REVIEWS_HEADER + Q3_ROWS + "9,not a date,x,1\n")
    first = pull(settings, all_quarters=True)
    assert first.rejects_paths["feedback"].exists()
    themes = settings.paths.processed / "themes"
    themes.mkdir()
    (themes / "assignments.parquet").write_bytes(b"theme engine output")
    write(tmp_path, "reviews.csv", REVIEWS_HEADER + Q3_ROWS)
    second = pull(settings, all_quarters=True)
    assert (themes / "assignments.parquet").read_bytes() == b"theme engine output"
    assert second.rejects_paths == {} and not (settings.paths.processed / "feedback.rejects.parquet").exists()
    assert not list(settings.paths.data.glob(".processed*"))


def test_failed_validation_midway_keeps_the_last_good_data(tmp_path, monkeypatch):
    settings = _two_sources(tmp_path)
    pull(settings, all_quarters=True)
    before = {p.name: p.read_bytes() for p in settings.paths.processed.iterdir()}

    import workbench.ingest.pull as pull_mod

    def broken(*args, **kwargs):
        raise WorkbenchError("simulated failure while writing accounts")

    monkeypatch.setattr(
        pull_mod,
        "write_atomic",
        lambda frame, path: broken() if path.name == "accounts.parquet" else frame.to_parquet(path),
    )
    with pytest.raises(WorkbenchError, match="simulated failure"):
        pull(settings, all_quarters=True)
    assert {p.name: p.read_bytes() for p in settings.paths.processed.iterdir()} == before
    assert len(list(settings.paths.raw.iterdir())) == 1


def test_processed_manifest_counts_every_source(tmp_path):
    settings = _two_sources(tmp_path)
    write(tmp_path, "reviews.csv", REVIEWS_HEADER + Q3_ROWS + "9,01-07-2026 10:00,,1\n")
    result = pull(settings, quarter="Q3-2026")
    manifest = json.loads((settings.paths.processed / "manifest.json").read_text())
    assert manifest["quarter"] == "2026Q3" and manifest["quarters"] == ["2026Q3"]
    assert manifest["snapshot"] == f"data/raw/{result.snapshot_dir.name}"
    assert manifest["tables"]["feedback"] == {
        "input": 4,
        "processed": 3,
        "rejected": 1,
        "rows": 3,
        "rejects": "data/processed/feedback.rejects.parquet",
    }
    for source in manifest["sources"]:
        assert source["processed"] + source["rejected"] == source["input"]
        assert source["input"] + source["outside"] == source["read"]


def test_rejects_keep_the_row_as_read_with_source_row_and_reason(tmp_path):
    settings = _two_sources(tmp_path)
    write(tmp_path, "nps.csv", NPS + "n3,2026-07-09,Out of range,11\nn4,2026-07-10,,7\n")
    result = pull(settings, quarter="2026Q3")
    rejects = pd.read_parquet(result.rejects_paths["feedback"])
    assert rejects.columns[:4].tolist() == ["_source", "_file", "_row", "_reason"]
    assert rejects[["_source", "_file", "_row"]].values.tolist() == [
        ["nps", "nps.csv", 3],
        ["nps", "nps.csv", 4],
    ]
    assert rejects["_reason"].tolist() == ["score: 11.0 is outside 0..10", "text is missing"]
    assert rejects["nps"].tolist() == ["11", "7"] and rejects["respondent"].tolist() == ["n3", "n4"]


def test_summary_says_rows_rejects_and_where(tmp_path):
    settings = _two_sources(tmp_path)
    write(tmp_path, "reviews.csv", REVIEWS_HEADER + Q3_ROWS + "9,32-07-2026 10:00,bad day,1\n")
    summary = pull(settings, quarter="2026Q3").summary()
    assert "pulled 2026Q3 from 3 source(s)" in summary
    assert "feedback                3 rows" in summary
    assert f"1 feedback rows rejected -> {settings.paths.processed / 'feedback.rejects.parquet'}" in summary
    assert "has no data" not in summary


def test_fiscal_year_start_moves_the_quarter_bounds(tmp_path):
    settings = _two_sources(tmp_path)
    fy_feb = make_project(tmp_path / "fy", settings.load_sources().model_dump()["tables"], fy_start_month=2)
    for name in ("reviews.csv", "nps.csv", "accounts.csv"):
        write(fy_feb.root, name, (tmp_path / "data" / "in" / name).read_bytes())
    # FY2027 starts in February 2026, so its Q3 is August-October 2026.
    result = pull(fy_feb, quarter="2027Q3")
    feedback = pd.read_parquet(fy_feb.paths.processed / "feedback.parquet")
    assert feedback["feedback_id"].tolist() == ["rv-2", "rv-3", "nps-n2"]
    assert set(feedback["quarter"]) == {"2027Q3"} and result.quarters == ["2027Q3"]


def test_exactly_one_of_quarter_and_all(tmp_path):
    settings = _two_sources(tmp_path)
    with pytest.raises(WorkbenchError, match="not both"):
        pull(settings)
    with pytest.raises(WorkbenchError, match="not both"):
        pull(settings, quarter="2026Q3", all_quarters=True)
    with pytest.raises(QuarterError, match="2026Q5"):
        pull(settings, quarter="2026Q5")
    assert not settings.paths.raw.exists() or not list(settings.paths.raw.iterdir())


def test_progress_is_logged_when_not_a_terminal(tmp_path, caplog):
    settings = _two_sources(tmp_path)
    caplog.set_level(logging.INFO, logger="workbench.ingest.pull")
    pull(settings, quarter="2026Q3")
    assert "reading reviews -> feedback (1/5)" in caplog.text
    assert "reading crm_accounts -> accounts (3/5)" in caplog.text
    assert "validating accounts (5/5)" in caplog.text


def test_table_without_sources_is_written_empty_with_its_columns(tmp_path):
    settings = make_project(tmp_path, {"competitors": []})
    result = pull(settings, all_quarters=True)
    frame = pd.read_parquet(settings.paths.processed / "competitors.parquet")
    assert frame.empty and frame.columns.tolist()[:3] == ["name", "aliases", "website"]
    assert result.counts["competitors"]["rows"] == 0


def test_extra_columns_whose_types_clash_between_sources_become_text(tmp_path):
    settings = make_project(
        tmp_path,
        {
            "feedback": [
                reviews_source(name="a", path="data/in/a.jsonl", date_format=None),
                reviews_source(name="b", path="data/in/b.jsonl", date_format=None),
            ]
        },
    )
    row = {"id": "1", "when": "2026-07-01", "body": "hi", "stars": 4}
    write(tmp_path, "a.jsonl", json.dumps({**row, "flag": True}) + "\n")
    write(tmp_path, "b.jsonl", json.dumps({**row, "id": "2", "flag": {"nested": 1}}) + "\n")
    pull(settings, quarter="2026Q3")
    feedback = pd.read_parquet(settings.paths.processed / "feedback.parquet")
    assert feedback["flag"].tolist() == ["true", '{"nested": 1}']
    assert str(feedback["created_at"].dtype) == "datetime64[ns]" and feedback["rating"].tolist() == [4.0, 4.0]
