"""Mis-decoded text (mojibake) in an export is repaired on the way in; everything else is kept."""

from __future__ import annotations

import polars as pl

from workbench.core.config import FileSource
from workbench.ingest.normalize import normalise
from workbench.ingest.repair import repair_text
from workbench.ingest.sources import RawInput, SourceRead
from workbench.ingest.sources.files import trace

# Real patterns from the Uber Play reviews: UTF-8 read as Windows-1252 and saved again.
BROKEN = "Very good \u00f0\u0178\u2018\u008d"  # 👍
ARABIC_BROKEN = "\u00d9\u2026\u00d9\u2026\u00d8\u00aa\u00d8\u00a7\u00d8\u00b2"  # ممتاز


def test_mojibake_is_repaired_and_counted_other_text_untouched():
    kept = ["plain text", None, "\u201ccurly\u201d", "\uff21\uff22", "caf\u00e9 & co"]
    values = pl.Series("text", [BROKEN, ARABIC_BROKEN, *kept])
    before = values.to_list()
    out, changed = repair_text(values)
    assert out.to_list() == [
        "Very good \U0001f44d",
        "\u0645\u0645\u062a\u0627\u0632",
        "plain text",
        None,
        "\u201ccurly\u201d",  # the customer's typography stays
        "\uff21\uff22",  # full-width letters stay
        "caf\u00e9 & co",
    ]
    assert changed == 2
    assert values.to_list() == before  # the input series is not modified in place


def test_html_entities_left_in_plain_text_are_decoded():
    out, changed = repair_text(pl.Series(["I was skeptical but &#34;it&#34; grows on you"]))
    assert out.to_list() == ['I was skeptical but "it" grows on you'] and changed == 1


def test_normalise_repairs_free_text_and_labels():
    source = FileSource(name="src", path="x.csv", columns={"id": "feedback_id"})
    data = {
        "id": ["1", "2"],
        "text": [BROKEN, "fine"],
        "created_at": ["2026-07-01", "2026-07-02"],
        "channel": ["review", "review"],
        "product_area": ["CafÃ© menu", "Billing"],
    }
    frame = trace(pl.DataFrame(data), "x.csv")
    read = SourceRead(source=source, table="feedback", frame=frame, inputs=[RawInput("x.csv", b"", "x.csv")])
    out = normalise(read)
    assert out["text"].to_list() == ["Very good \U0001f44d", "fine"]
    assert out["product_area"].to_list() == ["Caf\u00e9 menu", "Billing"]
    assert out["_reason"].to_list() == [None, None]
