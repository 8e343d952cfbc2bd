"""File sources: every format reads into the same rows, with clean headers and traceable rows."""

from __future__ import annotations

import hashlib
import io
import json

import pandas as pd
import polars as pl
import pytest

from workbench.core.config import FileSource
from workbench.core.errors import SourceError
from workbench.ingest.sources.files import clean_columns, read_file_source, resolve_paths

ROWS = [
    {"id": "a1", "when": "2026-07-01", "body": "Exports are slow", "stars": "2"},
    {"id": "a2", "when": "2026-07-02", "body": "Love it", "stars": "5"},
]


def _source(path: str, **extra) -> FileSource:
    return FileSource(name="s", path=path, **extra)


def _read(tmp_path, name: str, data: bytes, **extra) -> pl.DataFrame:
    (tmp_path / name).write_bytes(data)
    return read_file_source(_source(name, **extra), "feedback", tmp_path).frame


def _xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame(ROWS).to_excel(buffer, index=False, sheet_name="Reviews")
    return buffer.getvalue()


def _parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame(ROWS).write_parquet(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "extra"),
    [
        ("r.csv", b"id,when,body,stars\na1,2026-07-01,Exports are slow,2\na2,2026-07-02,Love it,5\n", {}),
        (
            "r.tsv",
            b"id\twhen\tbody\tstars\r\na1\t2026-07-01\tExports are slow\t2\r\na2\t2026-07-02\tLove it\t5\r\n",
            {},
        ),
        (
            "r.txt",
            b"id;when;body;stars\na1;2026-07-01;Exports are slow;2\na2;2026-07-02;Love it;5\n",
            {"format": "csv", "delimiter": ";"},
        ),
        ("r.json", json.dumps(ROWS).encode(), {}),
        ("r.json", json.dumps({"reviews": ROWS}).encode(), {}),
        ("r.jsonl", "\n".join(json.dumps(r) for r in ROWS).encode(), {}),
        ("r.parquet", _parquet_bytes(), {}),
        ("r.xlsx", _xlsx_bytes(), {"sheet": "Reviews"}),
    ],
)
def test_every_format_gives_the_same_rows(tmp_path, name, data, extra):
    frame = _read(tmp_path, name, data, **extra)
    assert frame.drop("_row", "_file").to_dicts() == ROWS
    assert frame["_row"].to_list() == [1, 2]
    assert frame["_file"].to_list() == [name, name]


def test_inputs_are_the_exact_bytes_with_their_hash(tmp_path):
    data = b"\xef\xbb\xbfid,body\n1,hi\n"
    (tmp_path / "r.csv").write_bytes(data)
    read = read_file_source(_source("r.csv"), "feedback", tmp_path)
    assert read.inputs[0].data == data
    assert read.inputs[0].sha256 == hashlib.sha256(data).hexdigest()
    assert read.schema() == {"id": "String", "body": "String"}


def test_byte_order_mark_and_odd_header_names(tmp_path):
    data = "\ufeff id ,Content Rating,,id,_row\n1,Everyone,x,dup,7\n".encode()
    frame = _read(tmp_path, "odd.csv", data)
    assert frame.columns == ["id", "Content Rating", "column_3", "id_2", "_row_original", "_row", "_file"]
    assert frame["_row_original"].to_list() == ["7"] and frame["_row"].to_list() == [1]


def test_quoted_newlines_stay_in_one_record(tmp_path):
    frame = _read(tmp_path, "q.csv", b'id,body\n1,"line one\nline two"\n2,plain\n')
    assert frame["body"].to_list() == ["line one\nline two", "plain"]
    assert frame["_row"].to_list() == [1, 2]


def test_header_only_file_is_zero_rows_not_an_error(tmp_path):
    frame = _read(tmp_path, "h.csv", b"id,body\n")
    assert frame.height == 0 and frame.columns[:2] == ["id", "body"]


def test_values_are_read_as_text_so_the_pull_decides_types(tmp_path):
    frame = _read(tmp_path, "t.csv", b"id,stars,when\n007,4.0,2026-07-01\n")
    assert frame.row(0, named=True) == {
        "id": "007",
        "stars": "4.0",
        "when": "2026-07-01",
        "_row": 1,
        "_file": "t.csv",
    }


def test_glob_reads_every_match_in_order_and_traces_the_file(tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "2026-08.csv").write_bytes(b"id,body\n3,c\n")
    (tmp_path / "exports" / "2026-07.csv").write_bytes(b"id,body\n1,a\n2,b\n")
    read = read_file_source(_source("exports/*.csv"), "feedback", tmp_path)
    assert read.frame["id"].to_list() == ["1", "2", "3"]
    assert read.frame["_file"].to_list() == ["2026-07.csv", "2026-07.csv", "2026-08.csv"]
    assert read.frame["_row"].to_list() == [1, 2, 1]
    assert [i.name for i in read.inputs] == ["2026-07.csv", "2026-08.csv"]


def test_glob_without_match_is_a_missing_file(tmp_path):
    with pytest.raises(SourceError, match=r"source 's': no file matches exports/\*.csv"):
        resolve_paths(_source("exports/*.csv"), tmp_path)


def test_nested_json_values_become_json_text(tmp_path):
    data = json.dumps([{"id": "1", "meta": {"os": "ios"}, "tags": ["a", "b"]}]).encode()
    frame = _read(tmp_path, "n.jsonl", data.strip(b"[]"))
    assert json.loads(frame["meta"][0]) == {"os": "ios"}
    assert json.loads(frame["tags"][0]) == ["a", "b"]


def test_json_that_is_not_records_is_a_clear_error(tmp_path):
    for bad in (b"[1, 2]", b'"text"'):
        with pytest.raises(SourceError, match="expected a JSON array of records"):
            _read(tmp_path, "bad.json", bad)


def test_json_object_with_one_list_field_is_one_record_not_that_list(tmp_path):
    record = {"id": "T-1", "text": "app crashes", "replies": [{"by": "agent", "text": "sorry"}]}
    frame = _read(tmp_path, "one.json", json.dumps(record).encode())
    assert frame.height == 1
    assert frame["id"][0] == "T-1"
    assert json.loads(frame["replies"][0]) == record["replies"]


def test_json_wrapper_object_is_unwrapped(tmp_path):
    wrapped = {"count": 2, "next": None, "results": [{"id": "1"}, {"id": "2"}]}
    assert _read(tmp_path, "w.json", json.dumps(wrapped).encode())["id"].to_list() == ["1", "2"]
    only = {"reviews_page": [{"id": "3"}]}
    assert _read(tmp_path, "o.json", json.dumps(only).encode())["id"].to_list() == ["3"]


def test_invalid_json_is_a_one_line_error(tmp_path):
    with pytest.raises(SourceError, match=r"source 's': bad.json: cannot read as json") as info:
        _read(tmp_path, "bad.json", b'[{"a": 1},')
    assert "\n" not in str(info.value)


def test_missing_sheet_lists_the_sheets(tmp_path):
    with pytest.raises(SourceError, match=r"no sheet 'Sheet9'; sheets found: Reviews"):
        _read(tmp_path, "r.xlsx", _xlsx_bytes(), sheet="Sheet9")


def test_empty_parquet_file_is_an_error(tmp_path):
    with pytest.raises(SourceError, match="the file is empty"):
        _read(tmp_path, "e.parquet", b"")


def test_clean_columns_leaves_clean_names_alone():
    frame = pl.DataFrame({"a": [1], "b": [2]})
    assert clean_columns(frame).columns == ["a", "b"]


def test_parser_errors_never_echo_the_file_content(tmp_path):
    with pytest.raises(SourceError, match="cannot read as csv") as info:
        _read(tmp_path, "bad.csv", b'id,when,body\n1,"unterminated secret-content-7f1\n')
    assert "secret-content-7f1" not in str(info.value)


def test_utf16_bytes_get_the_utf16_hint(tmp_path):
    with pytest.raises(SourceError, match="looks like UTF-16: set `encoding: utf-16`"):
        _read(tmp_path, "u16.csv", "id,text\n1,caf\u00e9\n".encode("utf-16"))


def test_single_column_error_does_not_echo_the_header(tmp_path):
    with pytest.raises(SourceError, match='delimiter: ";"') as info:
        _read(tmp_path, "semi.csv", b"secret_a;secret_b\n1;2\n")
    assert "secret_a" not in str(info.value)
