"""Writing one section of docs/benchmarks.md, or some figures of bench/quality_figures.json, without
touching the others (shared by the benchmarks)."""

from __future__ import annotations

import json
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
# Figures the real-data tests check against (written by bench_quality.py and bench_sentiment.py).
FIGURES = Path(__file__).resolve().parent / "quality_figures.json"


def write_section(heading: str, text: str, doc_path: Path = DOC) -> None:
    """Replace the section that starts with ``heading`` (a '## ' line), or append it."""
    doc = doc_path.read_text(encoding="utf-8") if doc_path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    doc = pattern.sub(lambda _: text + "\n", doc) if pattern.search(doc) else doc.rstrip("\n") + "\n\n" + text
    doc_path.parent.mkdir(parents=True, exist_ok=True)
    doc_path.write_text(doc, encoding="utf-8")


def write_figures(figures: dict, path: Path = FIGURES) -> None:
    """Set the top-level keys of ``figures`` in the figures file, keeping every other key."""
    written = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    path.write_text(json.dumps({**written, **figures}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
