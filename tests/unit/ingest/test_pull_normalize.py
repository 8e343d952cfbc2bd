"""Normalising one source (mapping, values, ids, types) and validating a table, on tiny frames."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench.core.config import FileSource
from workbench.core.errors import SourceError
from workbench.ingest.normalize import (
    add_quarters,
    hashed_ids,
    mark_duplicates,
    normalise,
    parse_dates,
    validate,
)
from workbench.ingest.sources import RawInput, SourceRead
from workbench.ingest.sources.files import trace

PIPELINE = {
    "opportunity_id": ["D1", "D2", "D3", "D4"],
    "deal_stage": ["Won", "Lost", "Engaging", "Stalled"],
    "engage_date": ["2026-07-01", "2026-07-02", "2026-08-01", "2026-08-02"],
    "close_value": ["1200", "0", "", "50"],
    "product": ["GTXPro", "GTX Basic", "GTXPro", "MG  Special "],
}
DEALS = {
    "columns": {
        "opportunity_id": "deal_id",
        "deal_stage": "stage",
        "engage_date": "created_at",
        "close_value": "amount",
    },
    "derive": {"outcome": "deal_stage"},
    "values": {
        "outcome": {"Won": "won", "Lost": "lost", "Engaging": "open"},
        "product": {"GTXPro": "GTX Pro"},
    },
}


def _read(table: str, data: dict, **options) -> SourceRead:
    source = FileSource(name="src", path="x.csv", **options)
    frame = trace(pl.DataFrame(data), "x.csv")
    return SourceRead(source=source, table=table, frame=frame, inputs=[RawInput("x.csv", b"", "x.csv")])


def test_derive_and_values_feed_stage_and_outcome_from_one_column():
    frame = normalise(_read("deals", PIPELINE, **DEALS))
    assert frame["stage"].to_list() == ["Won", "Lost", "Engaging", "Stalled"]
    assert frame["outcome"].to_list() == ["won", "lost", "open", "Stalled"]  # unlisted values kept
    assert frame["product"].to_list() == ["GTX Pro", "GTX Basic", "GTX Pro", "MG Special"]
    assert frame["amount"].to_list() == [1200.0, 0.0, None, 50.0]
    assert frame["created_at"].to_list()[0] == dt.datetime(2026, 7, 1)
    assert frame["_reason"].to_list() == [None] * 4


def test_pandera_rejects_an_outcome_outside_won_lost_open():
    frame = add_quarters(normalise(_read("deals", PIPELINE, **DEALS)), "deals", 1)
    valid, rejected = validate(frame, "deals")
    assert valid["deal_id"].tolist() == ["D1", "D2", "D3"]
    assert rejected.select("_row", "_reason").rows() == [
        (4, "outcome: 'Stalled' is not one of won, lost, open")
    ]
    assert valid["quarter"].tolist() == ["2026Q3"] * 3


def test_unreadable_values_get_a_reason_and_stay_in_the_frame():
    data = {
        "id": ["1", "2", "3"],
        "when": ["2026-07-01", "2026-07-01", "yesterday"],
        "body": ["a", "b", "c"],
        "stars": ["4", "four", "5"],
    }
    frame = normalise(
        _read(
            "feedback",
            data,
            columns={"id": "feedback_id", "when": "created_at", "body": "text", "stars": "rating"},
            constants={"channel": "app_review"},
        )
    )
    assert frame.height == 3
    assert frame["rating"].to_list() == [4.0, None, 5.0]
    assert frame["_reason"].to_list() == [
        None,
        "rating: not a number 'four'",
        "created_at: 'yesterday' is a relative word, not a date",
    ]


def test_id_from_hashes_the_columns_as_read_and_row_numbers():
    data = {"user": ["u1", "u2", "u1"], "at": ["01-07-2026 10:00"] * 3, "content": ["a", "b", "c"]}
    common = {
        "columns": {"content": "text", "at": "created_at"},
        "date_format": "%d-%m-%Y %H:%M",
        "constants": {"channel": "app_review"},
    }
    by_user = normalise(_read("feedback", data, id_from=["user", "at"], id_prefix="gp-", **common))
    ids = by_user["feedback_id"].to_list()
    assert ids[0] == ids[2] != ids[1] and all(i.startswith("gp-") and len(i) == 19 for i in ids)
    assert (
        ids
        == normalise(_read("feedback", data, id_from=["user", "at"], id_prefix="gp-", **common))[
            "feedback_id"
        ].to_list()
    )  # deterministic
    by_row = normalise(_read("feedback", data, id_from=["_row"], **common))["feedback_id"].to_list()
    assert len(set(by_row)) == 3
    # sha1 of the values joined by a unit separator, null as empty text
    assert hashed_ids(pl.DataFrame({"a": ["x"], "b": [None]}), ["a", "b"]).to_list() == [_sha("x\x1f")]


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha1(text.encode()).hexdigest()[:16]


def test_labels_have_spaces_collapsed_free_text_only_trimmed():
    data = {
        "id": ["1"],
        "when": ["2026-07-01"],
        "body": ["  two  spaces  kept  "],
        "variant": ["White  Dot "],
    }
    frame = normalise(
        _read(
            "feedback",
            data,
            columns={"id": "feedback_id", "when": "created_at", "body": "text", "variant": "product_area"},
            constants={"channel": "review"},
        )
    )
    assert frame["text"].to_list() == ["two  spaces  kept"]
    assert frame["product_area"].to_list() == ["White Dot"]


def test_blank_strings_are_missing_values():
    data = {"id": ["1"], "when": ["2026-07-01"], "body": ["   "]}
    frame = normalise(
        _read(
            "feedback",
            data,
            columns={"id": "feedback_id", "when": "created_at", "body": "text"},
            constants={"channel": "review"},
        )
    )
    assert frame["text"].to_list() == [None]
    _, rejected = validate(add_quarters(frame, "feedback", 1), "feedback")
    assert rejected["_reason"].to_list() == ["text is missing"]


def test_columns_named_like_pull_columns_are_kept_aside():
    data = {"feedback_id": ["1"], "created_at": ["2026-07-01"], "text": ["t"], "source": ["web form"]}
    frame = normalise(_read("feedback", data, constants={"channel": "review"}))
    assert frame["source"].to_list() == ["src"] and frame["source_original"].to_list() == ["web form"]


def test_a_constant_replaces_a_column_of_the_same_name():
    data = {"feedback_id": ["1"], "created_at": ["2026-07-01"], "text": ["t"], "channel": ["email"]}
    frame = normalise(_read("feedback", data, constants={"channel": "support_ticket"}))
    assert frame["channel"].to_list() == ["support_ticket"]


def test_required_column_without_a_source_is_an_error_listing_the_columns():
    with pytest.raises(
        SourceError, match=r"required column 'text' of table feedback is missing.*found: id, when"
    ):
        normalise(
            _read(
                "feedback",
                {"id": ["1"], "when": ["2026-07-01"]},
                columns={"id": "feedback_id", "when": "created_at"},
                constants={"channel": "x"},
            )
        )


def test_two_columns_becoming_one_is_an_error():
    data = {
        "stars": ["4"],
        "rating": ["5"],
        "feedback_id": ["1"],
        "created_at": ["2026-07-01"],
        "text": ["t"],
    }
    with pytest.raises(SourceError, match="two source columns would both become 'rating'"):
        normalise(_read("feedback", data, columns={"stars": "rating"}, constants={"channel": "x"}))


def test_values_on_an_unknown_column_is_an_error():
    with pytest.raises(SourceError, match="values: column 'outcome_x' not found after mapping"):
        normalise(_read("deals", PIPELINE, **{**DEALS, "values": {"outcome_x": {"Won": "won"}}}))


@pytest.mark.parametrize(
    ("values", "fmt", "dayfirst", "expected"),
    [
        (
            ["2026-07-01", "2026-07-01T10:30:00"],
            None,
            False,
            [dt.datetime(2026, 7, 1), dt.datetime(2026, 7, 1, 10, 30)],
        ),
        (["03/04/2026", "25/12/2026"], None, True, [dt.datetime(2026, 4, 3), dt.datetime(2026, 12, 25)]),
        (["31-Jul-18", "1-Aug-18"], "%d-%b-%y", False, [dt.datetime(2018, 7, 31), dt.datetime(2018, 8, 1)]),
        (
            ["2026-07-01T10:00:00+02:00", "2026-07-01T10:00:00Z"],
            None,
            False,
            [dt.datetime(2026, 7, 1, 8), dt.datetime(2026, 7, 1, 10)],
        ),
        (["2026-07-01", "not a date", None], None, False, [dt.datetime(2026, 7, 1), None, None]),
    ],
)
def test_parse_dates(values, fmt, dayfirst, expected):
    assert parse_dates(pl.Series("d", values), fmt, dayfirst).to_list() == expected


def test_native_dates_and_timezones_become_naive_utc():
    aware = pl.Series("d", [dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)]).dt.convert_time_zone("Europe/Paris")
    assert parse_dates(aware, None, False).to_list() == [dt.datetime(2026, 7, 1, 12)]
    assert parse_dates(pl.Series("d", [dt.date(2026, 7, 1)]), None, False).to_list() == [
        dt.datetime(2026, 7, 1)
    ]


def test_mark_duplicates_skips_rows_already_rejected_and_taken_ids():
    frame = pl.DataFrame(
        {
            "feedback_id": ["a", "a", "a", "b", "c"],
            "source": ["s"] * 5,
            "_row": [1, 2, 3, 4, 5],
            "_reason": ["bad date", None, None, None, None],
        }
    )
    marked = mark_duplicates(frame, "feedback", taken={"c"})
    assert marked["_reason"].to_list() == [
        "bad date",
        None,  # the first readable 'a' keeps the id
        "duplicate feedback_id 'a' (first kept: source s row 2)",
        None,
        "duplicate feedback_id 'c': already processed",
    ]
