"""Every code block of docs/analyst.md runs, as written, against the themed demo project."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "analyst.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_doc_has_an_example_per_question():
    text = DOC.read_text(encoding="utf-8")
    for question in (
        "accounts are behind a theme",
        "most negative quotes",
        "Win rate by segment",
        "theme trend chart in the house style",
        "Similar feedback",
    ):
        assert question in text
    assert len(BLOCKS) >= 8


@pytest.mark.slow
def test_every_example_runs(themed_settings, tmp_path, monkeypatch):
    import altair as alt
    import pandas as pd

    monkeypatch.chdir(tmp_path)  # the notebook is outside the project: wb.use must find it
    monkeypatch.delenv("WORKBENCH_HOME", raising=False)
    renderer = alt.renderers.active
    namespace: dict = {}
    try:
        for i, block in enumerate(BLOCKS):
            code = block.replace("path/to/project", str(themed_settings.root))
            exec(compile(code, f"docs/analyst.md block {i + 1}", "exec"), namespace)  # noqa: S102
    finally:
        alt.renderers.enable(renderer)
    assert not namespace["accounts"].empty and namespace["accounts"]["arr"].is_monotonic_decreasing
    assert len(namespace["negative"]) == 5 and namespace["negative"]["sentiment"].max() < 0
    assert set(namespace["last_year"]["segment"]) == {"SMB", "Mid-Market", "Enterprise"}
    assert isinstance(namespace["chart"].to_dict(), dict)
    assert len(namespace["similar"]) == 5
    assert (tmp_path / "themes_over_time.html").stat().st_size > 10_000
    assert isinstance(namespace["feedback"], pd.DataFrame) and set(namespace["feedback"]["quarter"]) == {
        "2026Q2",
        "2026Q3",
    }
