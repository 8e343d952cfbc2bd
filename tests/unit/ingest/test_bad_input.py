"""Issue 2, item 9: every kind of bad input gets a clear error (or a clear reject) and loses nothing."""

from __future__ import annotations

import pandas as pd
import pytest
from pull_fixtures import REVIEWS_HEADER, make_project, reviews_source, write

from workbench.core.errors import SourceError
from workbench.core.schemas import MAX_TEXT_CHARS
from workbench.ingest.pull import pull

GOOD = REVIEWS_HEADER + "1,01-07-2026 10:00,Exports are slow,2\n2,02-07-2026 11:00,Love the new dashboard,5\n"


@pytest.fixture
def reviews_project(tmp_path):
    """A project with one good csv source, pulled once so there is 'last good' processed data."""
    settings = make_project(tmp_path, {"feedback": [reviews_source()]})
    write(tmp_path, "reviews.csv", GOOD)
    pull(settings, quarter="2026Q3")
    return settings


def _pull_fails(settings, content: str | bytes, match: str) -> SourceError:
    """Overwrite the input with bad content: the pull raises SourceError and keeps the last good data."""
    before = pd.read_parquet(settings.paths.processed / "feedback.parquet")
    snapshots = sorted(p.name for p in settings.paths.raw.iterdir())
    write(settings.root, "reviews.csv", content)
    with pytest.raises(SourceError, match=match) as info:
        pull(settings, quarter="2026Q3")
    message = str(info.value)
    assert "\n" not in message and "source 'reviews'" in message and "reviews.csv" in message
    pd.testing.assert_frame_equal(pd.read_parquet(settings.paths.processed / "feedback.parquet"), before)
    assert sorted(p.name for p in settings.paths.raw.iterdir()) == snapshots  # no half-written snapshot
    assert not list(settings.paths.data.glob(".processed-*"))  # no staging folder left behind
    return info.value


def test_missing_file(reviews_project):
    (reviews_project.root / "data" / "in" / "reviews.csv").unlink()
    with pytest.raises(SourceError, match=r"source 'reviews': file not found: data/in/reviews.csv"):
        pull(reviews_project, quarter="2026Q3")
    assert len(pd.read_parquet(reviews_project.paths.processed / "feedback.parquet")) == 2


def test_mapped_column_absent_names_it_and_lists_found(reviews_project):
    error = _pull_fails(reviews_project, "id,when,comment,stars\n1,01-07-2026 10:00,hi,3\n", "not found")
    assert "mapped column 'body' not found; columns found: id, when, comment, stars" in str(error)


def test_empty_file(reviews_project):
    _pull_fails(reviews_project, "", "the file is empty")


def test_only_byte_order_mark_and_blank_lines_is_empty(reviews_project):
    _pull_fails(reviews_project, b"\xef\xbb\xbf\r\n\r\n", "the file is empty")


def test_wrong_delimiter_suggests_the_right_one(reviews_project):
    content = "id;when;body;stars\n1;01-07-2026 10:00;hi;3\n"
    error = _pull_fails(reviews_project, content, "single column")
    assert "semicolon-separated" in str(error) and 'delimiter: ";"' in str(error)


def test_tab_separated_file_read_as_csv_suggests_tab(reviews_project):
    error = _pull_fails(
        reviews_project, "id\twhen\tbody\tstars\n1\t01-07-2026 10:00\thi\t3\n", "single column"
    )
    assert "tab-separated" in str(error) and 'delimiter: "\\t"' in str(error)


def test_non_utf8_bytes_name_the_offset_and_suggest_encoding(reviews_project):
    content = (REVIEWS_HEADER + "1,01-07-2026 10:00,Caf").encode() + b"\xe9 au lait,4\n"
    offset = len((REVIEWS_HEADER + "1,01-07-2026 10:00,Caf").encode())
    error = _pull_fails(reviews_project, content, "not valid utf-8")
    assert f"byte 0xe9 at offset {offset} (line 2)" in str(error) and "encoding:" in str(error)


def test_declared_encoding_reads_the_same_bytes(tmp_path):
    settings = make_project(tmp_path, {"feedback": [reviews_source(encoding="cp1252")]})
    write(tmp_path, "reviews.csv", (REVIEWS_HEADER + "1,01-07-2026 10:00,Café au lait,4\n").encode("cp1252"))
    pull(settings, quarter="2026Q3")
    assert pd.read_parquet(settings.paths.processed / "feedback.parquet")["text"].tolist() == ["Café au lait"]


def test_unparseable_dates_are_rejected_and_the_rows_named(tmp_path):
    settings = make_project(tmp_path, {"feedback": [reviews_source()]})
    write(
        tmp_path,
        "reviews.csv",
        REVIEWS_HEADER + "1,01-07-2026 10:00,ok,3\n2,2026/07/02,slash date,3\n"
        "3,31-02-2026 10:00,no such day,3\n4,03-07-2026 09:00,ok too,4\n",
    )
    result = pull(settings, all_quarters=True)
    rejects = pd.read_parquet(result.rejects_paths["feedback"])
    assert rejects["_row"].tolist() == [2, 3]
    assert rejects["_reason"].tolist() == [
        "created_at: cannot read date '2026/07/02' with date_format '%d-%m-%Y %H:%M'",
        "created_at: cannot read date '31-02-2026 10:00' with date_format '%d-%m-%Y %H:%M'",
    ]
    assert rejects["body"].tolist() == ["slash date", "no such day"]  # the row as read
    assert "2 feedback rows rejected" in result.summary()
    assert result.counts["feedback"] == {"input": 4, "processed": 2, "rejected": 2, "rows": 2}


def test_duplicate_ids_keep_the_first_and_reject_the_rest(tmp_path):
    settings = make_project(tmp_path, {"feedback": [reviews_source()]})
    write(
        tmp_path,
        "reviews.csv",
        REVIEWS_HEADER + "7,01-07-2026 10:00,first,3\n7,02-07-2026 10:00,second,4\n"
        "8,02-07-2026 10:00,other,4\n7,03-07-2026 10:00,third,1\n",
    )
    result = pull(settings, quarter="2026Q3")
    processed = pd.read_parquet(settings.paths.processed / "feedback.parquet")
    assert processed["text"].tolist() == ["first", "other"]
    rejects = pd.read_parquet(result.rejects_paths["feedback"])
    assert rejects["_row"].tolist() == [2, 4]
    assert set(rejects["_reason"]) == {"duplicate feedback_id '7' (first kept: source reviews row 1)"}


def test_hundred_thousand_character_text_is_truncated_and_flagged(tmp_path):
    settings = make_project(tmp_path, {"feedback": [reviews_source()]})
    long_text = "slow export " * 10_000  # 120,000 characters, one row
    write(
        tmp_path,
        "reviews.csv",
        REVIEWS_HEADER + f"1,01-07-2026 10:00,{long_text[:100_000]},2\n2,01-07-2026 11:00,short,4\n",
    )
    result = pull(settings, quarter="2026Q3")
    processed = pd.read_parquet(settings.paths.processed / "feedback.parquet")
    assert result.rejected == 0
    assert processed["text"].str.len().tolist() == [MAX_TEXT_CHARS, 5]
    assert processed["text_truncated"].tolist() == [True, False]
    assert processed["text"].iloc[0] == long_text[:MAX_TEXT_CHARS]


def test_quarter_with_no_data_succeeds_with_zero_rows_and_says_so(reviews_project):
    result = pull(reviews_project, quarter="2026Q1")
    assert result.counts["feedback"]["processed"] == 0
    assert "quarter 2026Q1 has no data: 0 rows" in result.summary()
    # the rows of 2026Q3 pulled before are still there
    assert len(pd.read_parquet(reviews_project.paths.processed / "feedback.parquet")) == 2


def test_ragged_row_is_a_one_line_error(reviews_project):
    _pull_fails(
        reviews_project, REVIEWS_HEADER + "1,01-07-2026 10:00,hi,3,extra,fields\n", "cannot read as csv"
    )
