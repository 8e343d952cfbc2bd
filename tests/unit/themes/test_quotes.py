"""Evidence quotes on tiny hand-built frames: diverse, one per account, bounded, redacted, deterministic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.core.errors import ValidationFailed
from workbench.themes.quotes import QUOTE_COLUMNS, select_quotes, trim_quote
from workbench.themes.text import escape_html

EXPORT = "The export to Excel keeps failing whenever the report has more than ten thousand rows"
EXPORT_COPY = "The export to Excel keeps failing whenever the report has more than ten thousand rows!!"
LOGIN = "Our team cannot log in with single sign-on since Monday, everyone is locked out"
BILLING = "We were billed twice this month and nobody answered the support ticket for a week"
SLOW = "Dashboards take almost a minute to load which makes the weekly review painful"


def _docs(rows: list[tuple]) -> pd.DataFrame:
    """rows: (doc_id, theme_id, text, account_id, channel, similarity)."""
    frame = pd.DataFrame(rows, columns=["doc_id", "theme_id", "text", "account_id", "channel", "similarity"])
    return frame.assign(quarter="2026Q3")


def test_output_columns_and_ranks():
    docs = _docs(
        [
            ("d1", "t1", EXPORT, "a1", "ticket", 0.9),
            ("d2", "t1", LOGIN, "a2", "ticket", 0.8),
            ("d3", "t2", BILLING, "a3", "nps", 0.7),
        ]
    )
    out = select_quotes(docs, None, per_theme=5)
    assert list(out.columns) == QUOTE_COLUMNS
    expected = [["t1", 1, "d1"], ["t1", 2, "d2"], ["t2", 1, "d3"]]
    assert out[["theme_id", "rank", "doc_id"]].values.tolist() == expected
    assert (out["quarter"] == "2026Q3").all()


def test_near_duplicates_by_text_are_rejected():
    docs = _docs(
        [
            ("d1", "t1", EXPORT, "a1", "ticket", 0.95),
            ("d2", "t1", EXPORT_COPY, "a2", "ticket", 0.94),  # copy-paste from another account
            ("d3", "t1", LOGIN, "a3", "ticket", 0.50),
        ]
    )
    out = select_quotes(docs, None, per_theme=3)
    assert out["doc_id"].tolist() == ["d1", "d3"]


def test_near_duplicates_by_embedding_are_rejected():
    docs = _docs(
        [
            ("d1", "t1", EXPORT, "a1", "ticket", 0.95),
            ("d2", "t1", LOGIN, "a2", "ticket", 0.94),
            ("d3", "t1", BILLING, "a3", "ticket", 0.50),
        ]
    )
    emb = np.array([[1.0, 0.0, 0.0], [0.99, 0.05, 0.0], [0.0, 1.0, 0.0]])  # d2 says what d1 says
    assert select_quotes(docs, emb, per_theme=3)["doc_id"].tolist() == ["d1", "d3"]
    assert select_quotes(docs, None, per_theme=3)["doc_id"].tolist() == ["d1", "d2", "d3"]


def test_one_quote_per_account_until_accounts_run_out():
    docs = _docs(
        [
            ("d1", "t1", EXPORT, "a1", "ticket", 0.99),
            ("d2", "t1", LOGIN, "a1", "ticket", 0.98),
            ("d3", "t1", BILLING, "a1", "ticket", 0.97),
            ("d4", "t1", SLOW, "a2", "ticket", 0.40),
        ]
    )
    assert select_quotes(docs, None, per_theme=2)["doc_id"].tolist() == ["d1", "d4"]
    # with more quotes than accounts, the loud account may speak again, best first
    assert select_quotes(docs, None, per_theme=4)["doc_id"].tolist() == ["d1", "d4", "d2", "d3"]


def test_unknown_accounts_count_as_distinct():
    docs = _docs(
        [
            ("d1", "t1", EXPORT, None, "app_review", 0.9),
            ("d2", "t1", LOGIN, None, "app_review", 0.8),
            ("d3", "t1", BILLING, "a1", None, 0.7),
            ("d4", "t1", SLOW, "a1", "app_review", 0.6),
        ]
    )
    assert select_quotes(docs, None, per_theme=2)["doc_id"].tolist() == ["d1", "d2"]
    assert select_quotes(docs, None, per_theme=4)["doc_id"].tolist() == ["d1", "d2", "d3", "d4"]


def test_a_new_channel_is_preferred_among_representative_quotes():
    docs = _docs(
        [
            ("d1", "t1", EXPORT, "a1", "ticket", 0.9),
            ("d2", "t1", LOGIN, "a2", "ticket", 0.8),
            ("d3", "t1", BILLING, "a3", "sales_call", 0.7),
        ]
    )
    assert select_quotes(docs, None, per_theme=2)["doc_id"].tolist() == ["d1", "d3"]


def test_quotes_are_bounded_redacted_and_short_texts_skipped():
    long_text = (
        "Please call me at +44 20 7946 0958 or write to jane.roe@example.com because the importer "
        "drops every row that has an accent in the customer name, " * 6
    )
    docs = _docs(
        [
            ("d1", "t1", long_text, "a1", "ticket", 0.9),
            ("d2", "t1", "Great app!", "a2", "ticket", 0.99),  # too short to be evidence
            ("d3", None, LOGIN, "a3", "ticket", 0.99),  # unassigned
        ]
    )
    out = select_quotes(docs, None, per_theme=5, max_chars=120)
    assert out["doc_id"].tolist() == ["d1"]
    quote = out.loc[0, "quote"]
    assert len(quote) <= 120
    assert quote.endswith("\u2026")
    assert "@" not in quote and "7946" not in quote
    assert "[phone]" in quote and "[email]" in quote


def test_script_tag_is_returned_verbatim_and_escape_html_makes_it_inert():
    text = "<script>alert('pwned')</script> the login page is broken again today"
    out = select_quotes(_docs([("d1", "t1", text, "a1", "ticket", 0.9)]), None)
    assert out.loc[0, "quote"] == text
    escaped = escape_html(out.loc[0, "quote"])
    assert "<script>" not in escaped and "&lt;script&gt;" in escaped


def test_selection_is_deterministic_under_row_order_and_ties():
    docs = _docs(
        [
            ("d3", "t1", BILLING, "a3", "ticket", 0.5),
            ("d1", "t1", EXPORT, "a1", "ticket", 0.5),
            ("d2", "t1", LOGIN, "a2", "ticket", 0.5),
            ("d4", "t2", SLOW, "a4", "ticket", 0.5),
        ]
    )
    first = select_quotes(docs, None, per_theme=2)
    again = select_quotes(docs.iloc[::-1].reset_index(drop=True), None, per_theme=2)
    pd.testing.assert_frame_equal(first, again)
    assert first["doc_id"].tolist() == ["d1", "d2", "d4"]  # equal similarity: doc_id order


def test_missing_similarity_is_computed_from_embeddings():
    docs = _docs(
        [
            ("d1", "t1", EXPORT, "a1", "ticket", np.nan),
            ("d2", "t1", LOGIN, "a2", "ticket", np.nan),
            ("d3", "t1", BILLING, "a3", "ticket", np.nan),
        ]
    )
    emb = np.array([[0.2, 1.0], [1.0, 0.1], [1.0, 0.3]])  # d3 sits closest to the theme's mean direction
    assert select_quotes(docs, emb, per_theme=1)["doc_id"].tolist() == ["d3"]


def test_misaligned_embeddings_and_missing_columns_raise():
    docs = _docs([("d1", "t1", EXPORT, "a1", "ticket", 0.9)])
    with pytest.raises(ValidationFailed, match="align"):
        select_quotes(docs, np.zeros((2, 3)), per_theme=1)
    with pytest.raises(ValidationFailed, match="text"):
        select_quotes(docs.drop(columns="text"), None)


def test_empty_input_gives_empty_frame_with_columns():
    out = select_quotes(_docs([]), None)
    assert out.empty and list(out.columns) == QUOTE_COLUMNS


@pytest.mark.parametrize(
    ("text", "max_chars", "expected"),
    [
        ("Short and sweet.", 40, "Short and sweet."),
        ("First sentence is here. Second one goes on and on and on.", 40, "First sentence is here. \u2026"),
        ("one two three four five six seven eight nine ten", 20, "one two three four\u2026"),
        ("a   b\n\nc", 40, "a b c"),
    ],
)
def test_trim_quote_cuts_at_sentence_or_word_boundary(text, max_chars, expected):
    out = trim_quote(text, max_chars)
    assert out == expected
    assert len(out) <= max_chars
