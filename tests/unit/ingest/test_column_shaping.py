"""Column shaping without SQL in file sources: text from several columns, date plus time, a row filter."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pytest
from pull_fixtures import make_project, write

from workbench.core.config import FileSource
from workbench.core.errors import SourceError
from workbench.ingest.pull import pull
from workbench.ingest.sources.files import filter_rows

CSV = (
    "id,title,review,day,time,language,stars\n"
    "1,Crashes,The app crashes on start,2026-07-01,10:15,en,1\n"
    "2,,Only a body,2026-07-02,23:59:30,en,4\n"
    "3,Nur Titel,,2026-07-03,08:00,de,3\n"
    "4,Great,Love it,2026-07-04,12:00,en,five\n"
)


def _source(**extra) -> dict:
    return {
        "name": "app",
        "path": "data/in/app.csv",
        "columns": {"id": "feedback_id", "stars": "rating"},
        "text_from": ["title", "review"],
        "timestamp_from": {"created_at": ["day", "time"]},
        "constants": {"channel": "app_review"},
        **extra,
    }


def test_text_from_and_timestamp_from_build_the_canonical_columns(tmp_path):
    settings = make_project(
        tmp_path, {"feedback": [_source(where="language = 'en' AND TRY_CAST(stars AS INTEGER) >= 1")]}
    )
    write(tmp_path, "app.csv", CSV)
    result = pull(settings, quarter="2026Q3")
    table = pd.read_parquet(settings.paths.processed / "feedback.parquet").set_index("feedback_id")
    assert table.loc["1", "text"] == "Crashes\n\nThe app crashes on start"
    assert table.loc["2", "text"] == "Only a body"  # a blank title adds nothing
    assert table.loc["2", "created_at"] == pd.Timestamp(dt.datetime(2026, 7, 2, 23, 59, 30))
    assert sorted(table.index) == ["1", "2"]  # 3 is German, 4 has no numeric rating
    assert result.counts["feedback"] == {"input": 2, "processed": 2, "rejected": 0, "rows": 2}


def test_filtered_rows_keep_their_file_row_numbers(tmp_path):
    settings = make_project(tmp_path, {"feedback": [_source(where="id <> '1'")]})
    write(tmp_path, "app.csv", CSV)
    result = pull(settings, quarter="2026Q3")
    rejects = pd.read_parquet(result.rejects_paths["feedback"])
    assert rejects["_row"].tolist() == [4]  # the 4th record of the file, although the 3rd kept
    assert rejects["_reason"].tolist() == ["rating: not a number 'five'"]


@pytest.mark.parametrize(
    "condition",
    [
        "1=1 UNION SELECT * FROM read_csv('/etc/passwd')",
        "id IN (SELECT id FROM read_csv('/etc/passwd'))",
        "EXISTS (SELECT 1)",
        "1=1; DROP TABLE x",
        "id = ",
    ],
)
def test_where_is_one_plain_condition(condition):
    frame = pl.DataFrame({"id": ["1"]})
    with pytest.raises(SourceError, match="`where:`"):
        filter_rows(frame, condition, "s")


def test_where_errors_do_not_echo_values():
    frame = pl.DataFrame({"stars": ["1", "secret-value"]})
    with pytest.raises(SourceError) as info:
        filter_rows(frame, "CAST(stars AS INTEGER) > 0", "s")
    assert "secret-value" not in str(info.value) and "TRY_CAST" in str(info.value)


def test_text_from_cannot_also_be_mapped():
    with pytest.raises(ValueError, match="both mapped and set"):
        FileSource(name="s", path="x.csv", columns={"body": "text"}, text_from=["title", "review"])
