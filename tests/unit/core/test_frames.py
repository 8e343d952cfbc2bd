"""The hidden-theme filter: one definition, so every layer leaves out the same themes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.analysis.insights import segment_theme_insight
from workbench.analysis.joins import theme_labels
from workbench.core.config import ThemeSettings
from workbench.core.frames import hidden_theme_ids, visible_themes
from workbench.themes.metrics import theme_metrics

THEMES = pd.DataFrame(
    {
        "theme_id": ["t1", "t2", "t3", "t4"],
        "label": ["Billing", "Noise", "Login", "Export"],
        "status": ["registered", " Hidden ", None, "hidden"],
    }
)


def test_hidden_is_read_trimmed_and_case_insensitively():
    assert hidden_theme_ids(THEMES) == {"t2", "t4"}
    assert visible_themes(THEMES)["theme_id"].tolist() == ["t1", "t3"]
    assert hidden_theme_ids(None) == set()
    assert hidden_theme_ids(THEMES.drop(columns="status")) == set()


def test_labels_metrics_and_headlines_leave_out_the_same_themes():
    """A theme an analyst hid with odd spelling must vanish from rankings, metrics and insights alike."""
    assert set(theme_labels(THEMES)["theme_id"]) == {"t1", "t3"}

    rows = [(f"f{i}", "2026Q3", ["t1", "t2", "t3", "t4"][i % 4], "a1") for i in range(8)]
    frame = pd.DataFrame(rows, columns=["feedback_id", "quarter", "theme_id", "account_id"])
    feedback = frame[["feedback_id", "quarter", "account_id"]].assign(
        channel="ticket", rating=np.nan, text="..."
    )
    assignments = frame.assign(
        doc_id="feedback:" + frame["feedback_id"],
        table="feedback",
        record_id=frame["feedback_id"],
        similarity=0.5,
        sentiment=0.0,
        intent="other",
    )
    accounts = pd.DataFrame({"account_id": ["a1"], "segment": ["SMB"], "arr": [10.0]})
    out = theme_metrics(assignments, feedback, accounts, ["2026Q3"], ThemeSettings(), themes=THEMES)
    assert set(out["theme_id"]) == {"t1", "t3"}

    # the hidden theme is by far the most concentrated in Enterprise, yet never headlined
    splits = pd.DataFrame(
        {
            "quarter": "2026Q3",
            "theme_id": ["t2", "t2", "t1", "t1"],
            "segment": ["Enterprise", "SMB", "Enterprise", "SMB"],
            "volume": [200, 0, 100, 300],
        }
    )
    total = splits.groupby("segment")["volume"].transform("sum") / splits["volume"].sum()
    share = splits["volume"] / splits.groupby("theme_id")["volume"].transform("sum")
    splits = splits.assign(share_of_theme=share, share_of_group=total, concentration=share / total)
    found = segment_theme_insight(splits, THEMES, "2026Q3", min_volume=30)
    assert found is not None and "Billing" in found.headline and "Noise" not in found.headline


def test_no_module_compares_a_status_with_hidden_by_itself():
    """A seventh copy of the filter would drift again (case, blanks, a missing status): use core.frames."""
    import ast
    from pathlib import Path

    src = Path(__file__).resolve().parents[3] / "src" / "workbench"
    found = []
    for path in src.rglob("*.py"):
        if path.name == "frames.py" and path.parent.name == "core":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and any(
                isinstance(c, ast.Constant) and c.value == "hidden" for c in [node.left, *node.comparators]
            ):
                found.append(f"{path.relative_to(src)}:{node.lineno}")
    assert not found, f"use workbench.core.frames.hidden_theme_ids / visible_themes: {found}"
