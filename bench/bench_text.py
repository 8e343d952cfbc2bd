"""Throughput of the text enrichment and quote selection (not run by `make test`).

Usage: ``.venv/bin/python bench/bench_text.py [--n 20000]``

Texts are the real Uber and Alexa reviews in ``../shared/data`` when present (repeated with a
numeric suffix so every text is distinct and the per-text caches cannot help), otherwise
synthetic review-like sentences. Prints one table row per step; paste it into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

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


def timed(label: str, n: int, fn) -> None:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    print(f"| {label} | {n:,} | {seconds:.2f} | {n / seconds:,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--docs", type=int, default=100_000, help="documents for the quote benchmark")
    args = parser.parse_args()
    base = real_texts()
    texts = [f"{base[i % len(base)]} ({i})" for i in range(args.n)]
    mean_len = np.mean([len(t) for t in texts])
    source = "shared reviews" if base is not SYNTHETIC else "synthetic"
    print(f"source: {source}; mean length {mean_len:.0f} chars")
    print("| step | texts | seconds | texts/s |\n|---|---:|---:|---:|")
    timed("sentiment_scores (VADER)", args.n, lambda: sentiment_scores(texts))
    timed("classify_intent", args.n, lambda: classify_intent(texts))
    timed("redact_pii", args.n, lambda: [redact_pii(t) for t in texts])

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
        f"select_quotes ({n_themes} themes x 5, 384-d embeddings)",
        n_docs,
        lambda: select_quotes(docs, emb, per_theme=5),
    )


if __name__ == "__main__":
    main()
