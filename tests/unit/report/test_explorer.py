"""The Explorer page's data: redacted, labelled, filtered to the quarter and kept inside its budget."""

from __future__ import annotations

import pandas as pd

from workbench.report import explorer as ex

HOSTILE = "</script><script>window.__wbXss=1</script><img src=x onerror=alert(1)>"
FEEDBACK = pd.DataFrame(
    {
        "feedback_id": ["f1", "f2", "f3", "f4"],
        "text": [f"Export broken {HOSTILE}", "Mail me at jo@example.com", "Old news", "   "],
        "channel": ["support_ticket", "nps", "nps", "nps"],
        "created_at": pd.to_datetime(["2026-07-02", "2026-08-01", "2026-04-01", "2026-08-02"]),
        "quarter": ["2026Q3", "2026Q3", "2026Q2", "2026Q3"],
        "account_id": ["A1", None, "A1", "A1"],
    }
)
ASSIGNMENTS = pd.DataFrame(
    {"table": "feedback", "record_id": ["f1", "f2"], "theme_id": ["exp", "noise"], "sentiment": [-0.7, 0.3]}
)
THEMES = pd.DataFrame(
    {"theme_id": ["exp", "noise"], "label": ["Export", "Noise"], "status": ["registered", "hidden"]}
)
ACCOUNTS = pd.DataFrame({"account_id": ["A1"], "segment": ["Enterprise"]})


def _items(**kw):
    return ex.explorer_items(FEEDBACK, "2026Q3", ASSIGNMENTS, THEMES, ACCOUNTS, **kw)


def test_items_are_the_quarters_redacted_labelled_feedback():
    items = _items()
    assert len(items) == 2  # 2026Q2 and blank text are left out
    by_theme = items.set_index("t")
    assert by_theme.loc["Export", "s"] == "Enterprise" and by_theme.loc["Export", "m"] == "negative"
    assert by_theme.loc["Unassigned", "s"] == "Unknown"  # hidden theme, unknown account
    assert "jo@example.com" not in " ".join(items["q"])


def test_segment_filter():
    assert _items(segment="enterprise")["t"].tolist() == ["Export"]


def test_page_keeps_customer_text_inert_and_offline():
    html_text = ex.explorer_page(_items(), "2026Q3")
    data_block = html_text.split('id="wb-explorer-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data_block and "\\u003c/script\\u003e" in data_block
    assert "Content-Security-Policy" in html_text and "innerHTML" not in html_text
    assert "http://" not in html_text and "https://" not in html_text


def test_budget_keeps_every_theme_and_says_so():
    many = pd.DataFrame(
        {
            "q": [f"item {i} " + "x" * 200 for i in range(300)],
            "t": ["Big"] * 290 + ["Small"] * 10,
            "s": "SMB",
            "c": "nps",
            "m": "neutral",
            "d": "2026-08-01",
            "similarity": [i / 300 for i in range(300)],
        }
    )
    kept = ex.fit_budget(many, 20_000)
    assert 0 < len(kept) < 300 and set(kept["t"]) == {"Big", "Small"}
    assert ex.fit_budget(many, 10**9) is many
    assert "Showing" in ex.explorer_page(kept, "2026Q3", total=300)
