"""A large file source streams through the pull in batches and writes what a whole-file pull writes.

The threshold is forced to 0 and batches to 1,000 rows, so a 5,000-row export crosses batches:
a duplicate id whose first row is in an earlier batch, day-first dates that only a later batch
proves, rejects in every batch, rows of another quarter.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from pull_fixtures import make_project, reviews_source, write

from workbench.core.errors import SourceError
from workbench.ingest import snapshot, stream
from workbench.ingest.normalize import DateChoice, date_evidence, date_order, parse_dates, resolve_order
from workbench.ingest.pull import pull

REPO = Path(__file__).resolve().parents[3]
ROWS = 5000
BATCH = 1000
AMBIGUOUS_UNTIL = 3000  # rows before this have day and month <= 12: their order is unproven


def _date(i: int) -> str:
    """Day-first d/m/y; the day exceeds 12 (proving the order) only from row AMBIGUOUS_UNTIL on."""
    day = 1 + i % 12 if i < AMBIGUOUS_UNTIL else 1 + i % 28
    month = 4 + i % 6  # April..September: two quarters of 2026
    if day == month:
        day = 1 + (day % 12)
    return f"{day:02d}/{month:02d}/2026 {i % 24:02d}:{i % 60:02d}"


def _export() -> str:
    lines = ["id,when,body,stars"]
    for i in range(ROWS):
        ident, when, text, stars = (
            str(i),
            _date(i),
            f"review {i} about exports, sync and billing",
            str(1 + i % 5),
        )
        if i == 3502:  # (both rows dated in 2026Q3)
            ident = "100"  # a repeat of an id first kept in the first batch
        if i == 20:
            ident = "10"  # a repeat inside the first batch
        if i % 997 == 5:
            text = ""  # required text missing: pandera rejects it
        if i % 13 == 7:
            stars = "9"  # out of range: pandera rejects it
        if i % 501 == 4:
            stars = "lots"  # not a number: normalising rejects it
        if i == 4200:
            when = "31/02/2026 10:00"  # no such day
        if i == 1800:
            when = "today"
        lines.append(f'{ident},{when},"{text}",{stars}')
    return "\n".join(lines) + "\n"


def _source(path: str = "data/in/reviews.csv") -> dict:
    # No date_format: the day/month order must be learned from the dates themselves.
    return reviews_source(path=path, date_format=None)


@pytest.fixture
def streamed(monkeypatch):
    """Force streaming with small batches; count the batches the pull actually read."""
    seen: list[int] = []
    real = stream.read_batches

    def counting(*args, **kwargs):
        for batch in real(*args, **kwargs):
            seen.append(batch.height)
            yield batch

    def use() -> list[int]:
        monkeypatch.setattr(stream, "STREAM_ABOVE_BYTES", 0)
        monkeypatch.setattr(stream, "BATCH_ROWS", BATCH)
        monkeypatch.setattr(stream, "read_batches", counting)
        return seen

    return use


def _tables(settings) -> dict[str, pd.DataFrame]:
    processed = settings.paths.processed
    return {p.name: pd.read_parquet(p) for p in sorted(processed.glob("*.parquet"))}


def _pulls(root, content: str | bytes, name: str, steps: list[dict]) -> list:
    settings = make_project(root, {"feedback": [_source(f"data/in/{name}")]})
    write(root, name, content)
    return [(pull(settings, **step), _tables(settings)) for step in steps]


STEPS = {
    "all": [{"all_quarters": True}],
    "quarter": [{"quarter": "2026Q3"}],
    "quarter after all": [{"all_quarters": True}, {"quarter": "2026Q3"}],  # keeps Q2's rows
}


@pytest.mark.parametrize("steps", list(STEPS), ids=list(STEPS))
def test_a_streamed_pull_writes_what_a_whole_file_pull_writes(tmp_path, streamed, steps):
    content = _export()
    whole = _pulls(tmp_path / "whole", content, "reviews.csv", STEPS[steps])
    batches = streamed()
    streamed_pulls = _pulls(tmp_path / "streamed", content, "reviews.csv", STEPS[steps])

    assert len(batches) >= ROWS // BATCH * len(STEPS[steps]), "the pull did not read in batches"
    for (w_result, w_tables), (s_result, s_tables) in zip(whole, streamed_pulls, strict=True):
        assert list(s_tables) == list(w_tables)
        for name in w_tables:
            pd.testing.assert_frame_equal(s_tables[name], w_tables[name], check_exact=True)
        assert s_result.counts == w_result.counts
        assert s_result.sources == w_result.sources
        assert s_result.tables["feedback"].reasons == w_result.tables["feedback"].reasons
        assert s_result.quarters == w_result.quarters
        count = s_result.sources[0]
        assert count.processed + count.rejected == count.input  # as the pull itself checks
    final = streamed_pulls[-1][1]
    assert final["feedback.rejects.parquet"]["_reason"].str.contains("duplicate feedback_id '100'").any()
    assert final["feedback.parquet"]["rating"].between(1, 5).all()


def test_the_dates_only_a_later_batch_proves_are_read_day_first(tmp_path, streamed):
    first_batch = pl.Series("created_at", [_date(i) for i in range(BATCH)])
    with pytest.raises(SourceError, match="fit both day-first and month-first"):
        date_order(first_batch, None, "first batch")  # alone, the first batch cannot decide
    streamed()
    _pulls(tmp_path, _export(), "reviews.csv", [{"all_quarters": True}])
    frame = pd.read_parquet(tmp_path / "data" / "processed" / "feedback.parquet").set_index("feedback_id")
    assert frame.loc["1", "created_at"] == pd.Timestamp("2026-05-02 01:01")  # '02/05/2026': 2 May


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_jsonl_and_parquet_stream_as_they_read_whole(tmp_path, streamed, fmt):
    """Typed files too, including extras whose type pandas would decide batch by batch."""
    frame = pl.read_csv(_export().encode(), infer_schema=False)
    # Typed extras whose nulls only later batches hold: pandas types such batches differently.
    row = pl.int_range(0, pl.len())
    frame = frame.with_columns(
        pl.when(row < 2500).then(row).alias("helpful"),  # int, null from row 2500
        pl.when(row >= 1500).then(row % 2 == 0).alias("verified"),  # bool, null before row 1500
    )
    path = tmp_path / f"reviews.{fmt}"
    frame.write_ndjson(path) if fmt == "jsonl" else frame.write_parquet(path)
    content = path.read_bytes()
    whole = _pulls(tmp_path / "whole", content, path.name, STEPS["all"])
    streamed()
    batched = _pulls(tmp_path / "streamed", content, path.name, STEPS["all"])
    for name, table in whole[0][1].items():
        pd.testing.assert_frame_equal(batched[0][1][name], table, check_exact=True)
    assert batched[0][0].counts == whole[0][0].counts


def test_the_snapshot_holds_and_hashes_exactly_the_bytes_read(tmp_path, streamed, monkeypatch):
    streamed()
    monkeypatch.setattr(snapshot, "BLOCK", 4096)  # many blocks, so the copy loop is exercised
    content = b"\xef\xbb\xbf" + _export().replace("sync", "s\u00fcnc \u20ac").encode("utf-8")
    ((result, _),) = _pulls(tmp_path, content, "reviews.csv", STEPS["all"])
    manifest = json.loads((result.snapshot_dir / "manifest.json").read_text())
    entry = manifest["sources"]["reviews"]["inputs"][0]
    assert entry["sha256"] == hashlib.sha256(content).hexdigest()
    assert entry["bytes"] == len(content)
    assert (result.snapshot_dir / entry["copy"]).read_bytes() == content
    assert manifest["sources"]["reviews"]["rows"] == ROWS
    assert manifest["sources"]["reviews"]["schema"] == {c: "String" for c in ("id", "when", "body", "stars")}


@pytest.mark.parametrize("cut", [0, 1, 2], ids=["at-a-block-start", "mid-character", "at-a-block-end"])
def test_bad_utf8_is_refused_with_the_offset_and_line_a_whole_read_gives(
    tmp_path, streamed, monkeypatch, cut
):
    good = "id,when,body,stars\n" + "".join(f"{i},02-07-2026 10:00,caf\u00e9 {i},3\n" for i in range(40))
    data = good.encode("utf-8")
    place = data.index("\u00e9".encode(), 300)  # a two-byte character; its second byte is replaced
    broken = data[: place + 1] + b"\x41" + data[place + 2 :]
    settings = make_project(tmp_path, {"feedback": [reviews_source()]})
    write(tmp_path, "reviews.csv", broken)
    with pytest.raises(SourceError) as whole:
        pull(settings, all_quarters=True)
    streamed()
    monkeypatch.setattr(snapshot, "BLOCK", place + cut)  # the bad character straddles blocks or not
    with pytest.raises(SourceError) as batched:
        pull(settings, all_quarters=True)
    assert str(batched.value) == str(whole.value)
    assert "is not valid utf-8" in str(batched.value)
    assert not list(settings.paths.raw.iterdir())  # the failed pull left no snapshot behind


def test_a_header_only_large_file_keeps_the_last_table(tmp_path, streamed):
    settings = make_project(tmp_path, {"feedback": [_source()]})
    write(tmp_path, "reviews.csv", _export())
    first = pull(settings, all_quarters=True)
    streamed()
    write(tmp_path, "reviews.csv", "id,when,body,stars\n")
    again = pull(settings, all_quarters=True)
    assert again.tables["feedback"].kept_previous
    assert again.tables["feedback"].rows == first.tables["feedback"].processed


REAL = {  # example config -> a change to it (None: as shipped)
    "google_play_reviews": None,
    "google_play_reviews, dates detected": lambda s: s.pop("date_format"),
    "marketplace_reviews_tsv": None,
}


@pytest.mark.shared_data
@pytest.mark.parametrize("case", list(REAL), ids=list(REAL))
def test_real_exports_stream_to_the_same_tables(tmp_path, shared_data, streamed, case):
    """The shipped example configs over the real exports in ../shared/data, whole and streamed."""
    import yaml

    from workbench.core.config import load_settings

    example = case.split(",")[0]
    config = yaml.safe_load((REPO / "config" / "examples" / f"{example}.yaml").read_text(encoding="utf-8"))
    if REAL[case] is not None:
        for source in config["tables"]["feedback"]:
            REAL[case](source)

    def pulled(name: str) -> tuple:
        base = tmp_path / name
        (base / "config").mkdir(parents=True)
        if not (tmp_path / "shared").exists():  # the examples read ../shared/data beside the project
            (tmp_path / "shared").symlink_to(shared_data.parent, target_is_directory=True)
        (base / "config" / "sources.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        (base / "config" / "workbench.yaml").write_text("sources: config/sources.yaml\n", encoding="utf-8")
        settings = load_settings(root=base)
        return pull(settings, all_quarters=True), _tables(settings)

    whole, whole_tables = pulled("whole")
    batches = streamed()
    batched, batched_tables = pulled("streamed")
    assert len(batches) > 2
    assert batched.counts == whole.counts and batched.sources == whole.sources
    assert list(batched_tables) == list(whole_tables)
    for name, table in whole_tables.items():
        pd.testing.assert_frame_equal(batched_tables[name], table, check_exact=True)


def test_a_glob_with_where_and_generated_ids_streams_as_whole(tmp_path, streamed):
    """Row numbers restart per file and count rows as read, so ids hashed from ``_row`` agree."""
    lines = _export().splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    source = {
        **_source("data/in/part-*.csv"),
        "columns": {"when": "created_at", "body": "text", "stars": "rating"},
        "id_from": ["id", "_row"],
        "where": "stars <> 'lots'",
    }

    def pulled(root):
        settings = make_project(root, {"feedback": [source]})
        write(root, "part-1.csv", header + "".join(body[:2600]))
        write(root, "part-2.csv", header + "".join(body[2600:]))
        return pull(settings, all_quarters=True), _tables(settings)

    whole, whole_tables = pulled(tmp_path / "whole")
    batches = streamed()
    batched, batched_tables = pulled(tmp_path / "streamed")
    # 2,600 rows then 2,400, in batches of 1,000; read twice: first to learn the dates' order
    assert batches == [1000, 1000, 600, 1000, 1000, 400] * 2
    assert batched.counts == whole.counts and batched.sources[0].read < ROWS  # `where` dropped rows
    for name, table in whole_tables.items():
        pd.testing.assert_frame_equal(batched_tables[name], table, check_exact=True)


def test_files_of_different_layouts_are_read_whole(tmp_path, streamed, caplog):
    """A glob whose files differ in columns is stacked with the union of columns, as before."""
    settings = make_project(tmp_path, {"feedback": [_source("data/in/part-*.csv")]})
    write(tmp_path, "part-1.csv", "id,when,body,stars\n1,13/07/2026 10:00,slow sync,2\n")
    write(tmp_path, "part-2.csv", "id,when,body,stars,lang\n2,14/07/2026 10:00,great,5,en\n")
    batches = streamed()
    result = pull(settings, all_quarters=True)
    assert batches == [] and "differ in columns" in caplog.text
    table = pd.read_parquet(settings.paths.processed / "feedback.parquet")
    assert result.counts["feedback"]["processed"] == 2 and table["lang"].isna().tolist() == [True, False]


def test_batches_of_mixed_date_formats_read_as_the_whole_column():
    """polars infers a format from a column's first value and pandas reads what it misses: each
    batch starts from the whole file's first value, so it reads its dates as the whole column."""
    values = ["2026-07-01", "2026-07-02 10:00", "2026-07-03T11:00:00+02:00", "Jul 4 2026", "05/07/2026"] * 3
    column = pl.Series("created_at", values)
    whole = parse_dates(column, None, True)
    evidence = date_evidence(column)
    choice = DateChoice(resolve_order(evidence, True, "created_at", "test"), evidence.first)
    batches = [parse_dates(column.slice(i, 4), None, True, choice=choice) for i in range(0, 15, 4)]
    assert pl.concat(batches).equals(whole)
    assert whole[2] == dt.datetime(2026, 7, 3, 9) and whole[4] == dt.datetime(2026, 7, 5)
