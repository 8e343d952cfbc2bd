"""Throughput of the text enrichment and quote selection (not run by `make test`).

Usage: ``.venv/bin/python bench/bench_text.py [--n 20000] [--no-write]``

Texts are the real Uber and Alexa reviews in ``../shared/data`` when present (repeated with a
numeric suffix so every text is distinct and the per-text caches cannot help), otherwise
synthetic review-like sentences. The quote benchmark uses random Gaussian 384-d vectors and random
similarities (its cost does not depend on what the vectors mean). Writes the "Text enrichment"
section of docs/benchmarks.md (each row names its inputs) unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from pathlib import Path

import benchdoc  # bench/ is on sys.path when a benchmark runs as a script
import numpy as np
import pandas as pd

from workbench.themes.quotes import select_quotes
from workbench.themes.text import classify_intent, redact_pii, sentiment_scores

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SYNTHETIC = [
    "The export to Excel keeps failing when the report is large, please fix it",
    "Love the new dashboard, it saves us hours every week",
    "We want to share reports with clients so that they can see progress",
    "Please add single sign-on, our security team requires it",
    "Billing charged us twice, call me at +44 20 7946 0958 or mail jo@example.com",
]


def real_texts() -> list[str]:
    texts: list[str] = []
    uber = SHARED / "uber_play_reviews" / "uber_reviews_without_reviewid.csv"
    alexa = SHARED / "amazon_alexa" / "amazon_alexa.tsv"
    if uber.is_file():
        texts += pd.read_csv(uber, encoding="utf-8-sig")["content"].dropna().astype(str).tolist()
    if alexa.is_file():
        frame = pd.read_csv(alexa, sep="\t", encoding="utf-8-sig")
        texts += frame["verified_reviews"].dropna().astype(str).tolist()
    return texts or SYNTHETIC


SECTION = "## Text enrichment"


def timed(rows: list[str], label: str, inputs: str, n: int, fn) -> None:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    rows.append(f"| {label} | {inputs} | {n:,} | {seconds:.2f} | {n / seconds:,.0f} |")
    print(rows[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--docs", type=int, default=100_000, help="documents for the quote benchmark")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md")
    args = parser.parse_args()
    base = real_texts()
    texts = [f"{base[i % len(base)]} ({i})" for i in range(args.n)]
    mean_len = np.mean([len(t) for t in texts])
    source = "real Uber + Alexa reviews" if base is not SYNTHETIC else "5 synthetic sentences"
    inputs = f"{source}, repeated with a numeric suffix so each text is distinct (mean {mean_len:.0f} chars)"
    rows: list[str] = []
    timed(rows, "`sentiment_scores` (VADER)", inputs, args.n, lambda: sentiment_scores(texts))
    timed(rows, "`classify_intent`", inputs, args.n, lambda: classify_intent(texts))
    timed(rows, "`redact_pii`", inputs, args.n, lambda: [redact_pii(t) for t in texts])

    rng = np.random.default_rng(0)
    n_docs, n_themes = args.docs, 50
    docs = pd.DataFrame(
        {
            "doc_id": [f"d{i}" for i in range(n_docs)],
            "theme_id": [f"t{i % n_themes}" for i in range(n_docs)],
            "text": [texts[i % len(texts)] for i in range(n_docs)],
            "account_id": [f"a{i % 700}" for i in range(n_docs)],
            "channel": [("ticket", "nps", "app_review", "sales_call")[i % 4] for i in range(n_docs)],
            "quarter": "2026Q3",
            "similarity": rng.random(n_docs),
        }
    )
    emb = rng.standard_normal((n_docs, 384)).astype(np.float32)
    timed(
        rows,
        f"`select_quotes` ({n_themes} themes x 5 quotes)",
        "random Gaussian 384-d vectors, random similarities, the texts above cycled",
        n_docs,
        lambda: select_quotes(docs, emb, per_theme=5),
    )
    if args.no_write:
        return
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    text = "\n".join(
        [
            SECTION,
            "",
            f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} by "
            f"`bench/bench_text.py --n {args.n} --docs {args.docs}` on {platform.machine()}, "
            f"{os.cpu_count()} cores; load average (1/5/15 min) {load} at the end.",
            "",
            "| step | inputs | items | seconds | items/s |",
            "| --- | --- | ---: | ---: | ---: |",
            *rows,
            "",
        ]
    )
    benchdoc.write_section(SECTION, text)


if __name__ == "__main__":
    main()
