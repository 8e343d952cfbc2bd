"""Sentiment against people: the MiniLM head vs VADER on real labelled text (not run by `make test`).

Usage: ``.venv/bin/python bench/bench_sentiment.py [--no-write] [--n-speed 200000]``

Sets (``../shared/data``; the script exits when it is absent):

* UCI "Sentiment Labelled Sentences" (Kotzias et al. 2015): human binary labels on Amazon, Yelp
  and IMDb sentences. Never used for training or for choosing anything. The 3-class output is
  mapped to binary by the sign of the score: ``sentiment >= 0`` is positive (for VADER, its
  compound score >= 0; a compound of exactly 0 means "no polar word", read as positive as for the
  head, which keeps both methods on the same rule).
* Rated reviews held out from training (Uber Google Play reviews, Amazon Alexa reviews; one text
  in five by a hash of the text, see ``bench/train_sentiment.py``), 3 classes: 1-2 / 3 / 4-5 stars.
  VADER's 3-class reading uses its own +-0.05 thresholds.
* The same held-out rows as the engine sees them: its modelling text (``themes.prep``: handles,
  URLs and the names that dominate the source, found without configuration, masked).
* Cross-source: a head fitted on one source's training split alone (same C and class weights as
  the shipped head) scored on the other source's held-out rows, to show how it carries over to a
  product it never saw.

Throughput of the head is timed on random unit vectors (the step after embedding), in one
process on this machine's cores; VADER's on the UCI sentences for comparison.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdoc import write_figures, write_section  # noqa: E402
from train_sentiment import SHARED, embed, load_reviews  # noqa: E402

from workbench.themes import prep, sentiment  # noqa: E402
from workbench.themes.text import sentiment_scores  # noqa: E402

HEADING = "## Sentiment on real labelled data"
HEAD_BINARY = "binary: sign of the blended score"
BLEND = "shipped blend (head, VADER, anchor)"
UCI_FILES = {"Amazon": "amazon_cells", "Yelp": "yelp", "IMDb": "imdb"}
# Every figure reads the vectors the product computes: the default runtime on this machine (see
# docs/benchmarks.md, "Embedding runtimes"); training reads ONNX fp32 (train_sentiment.TRAINING_RUNTIME).
PRODUCT = "auto"


def load_uci(shared: Path = SHARED) -> pd.DataFrame:
    """The UCI sentences: ``source, text, label`` (label 0 negative / 1 positive)."""
    rows = []
    for name, stem in UCI_FILES.items():
        path = shared / "uci_sentiment_sentences" / f"{stem}_labelled.txt"
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            text, sep, label = line.rpartition("\t")
            if sep and label.strip() in ("0", "1") and text.strip():
                rows.append({"source": name, "text": text.strip(), "label": int(label.strip())})
    return pd.DataFrame(rows)


def binary(scores: np.ndarray) -> np.ndarray:
    """Sign of the score as the binary label (>= 0 positive), the rule stated in the docstring."""
    return (np.asarray(scores) >= 0).astype(int)


def measure(truth, predicted) -> tuple[float, float]:
    return accuracy_score(truth, predicted), f1_score(truth, predicted, average="macro")


def row(dataset: str, n: int, method: str, how: str, acc: float, f1: float) -> str:
    return f"| {dataset} | {n:,} | {method} | {how} | {acc:.3f} | {f1:.3f} |"


def uci_rows(head: sentiment.SentimentHead, figures: dict | None = None) -> list[str]:
    """The UCI rows; ``figures`` (when given) gets the shipped blend's figures on all three sets."""
    uci = load_uci()
    texts = uci["text"].tolist()
    vectors = embed(texts, runtime=PRODUCT)
    signals = head.signals(vectors, texts)
    blended, _ = head.score(vectors, texts)
    methods = [
        (BLEND, HEAD_BINARY, blended),
        ("MiniLM head alone", "binary: sign of P(pos)-P(neg)", signals[:, 0]),
        ("anchor alone (zero-shot)", "binary: sign of the anchor similarity", signals[:, 2]),
        ("VADER", "binary: sign of compound", sentiment_scores(texts)),
    ]
    out = []
    for name, part in [("all", uci), *((n, uci[uci["source"] == n]) for n in UCI_FILES)]:
        idx = part.index.to_numpy()
        label = "UCI sentences, all three" if name == "all" else f"UCI sentences, {name}"
        truth = part["label"].to_numpy()
        for method, how, scores in methods:
            acc, f1 = measure(truth, binary(scores[idx]))
            out.append(row(label, len(part), method, how, acc, f1))
            if figures is not None and name == "all" and method == BLEND:
                figures["uci_sentiment"] = {"accuracy": round(acc, 3), "macro_f1": round(f1, 3)}
    return out


def review_rows(head: sentiment.SentimentHead) -> list[str]:
    reviews = load_reviews()
    vectors = embed(reviews["text"].tolist(), runtime=PRODUCT)
    held = reviews["held_out"].to_numpy()
    chosen = head.meta["chosen"]
    out = []
    for source, name in (("uber_play_reviews", "Uber Play reviews"), ("amazon_alexa", "Alexa reviews")):
        test = held & (reviews["source"] == source).to_numpy()
        truth = reviews.loc[test, "label"].to_numpy(dtype=object)
        texts = reviews.loc[test, "text"].tolist()
        set_name, n = f"{name}, held-out 1/5 (3-class)", int(test.sum())
        _, labels = head.score(vectors[test], texts)
        out.append(row(set_name, n, BLEND, "head fitted on both sources' other 4/5", *measure(truth, labels)))
        head_alone = np.asarray(sentiment.LABELS, dtype=object)[
            head.probabilities(vectors[test]).argmax(axis=1)
        ]
        out.append(row(set_name, n, "MiniLM head alone", "its likeliest class", *measure(truth, head_alone)))
        other = ~held & (reviews["source"] != source).to_numpy()
        cross = sentiment.logistic(chosen["C"], chosen["class_weight"])
        with threadpool_limits(limits=1):
            cross.fit(vectors[other], reviews.loc[other, "label"].to_numpy(dtype=object))
        cross_says = cross.predict(vectors[test])
        out.append(
            row(
                set_name,
                n,
                "MiniLM head alone, other source",
                "fitted on the other source's 4/5 only",
                *measure(truth, cross_says),
            )
        )
        # What the engine feeds the head: the modelling text (handles, URLs, dominant names masked).
        source_texts = reviews.loc[(reviews["source"] == source).to_numpy(), "text"].tolist()
        names = prep.dominant_names(source_texts)
        _, masked_says = head.score(embed(prep.prep_texts(texts, names), runtime=PRODUCT), texts)
        how = f"modelling text, names masked: {', '.join(names) or 'none found'}"
        out.append(row(set_name, n, BLEND, how, *measure(truth, masked_says)))
        vader = sentiment.vader_labels(sentiment_scores(texts))
        out.append(row(set_name, n, "VADER", "3-class: compound +-0.05", *measure(truth, vader)))
        majority = reviews.loc[~held & (reviews["source"] == source).to_numpy(), "label"].mode().iloc[0]
        constant = np.full(len(truth), majority, dtype=object)
        out.append(
            row(
                set_name,
                n,
                f"always '{majority}'",
                "majority class of the training split",
                *measure(truth, constant),
            )
        )
    return out


def speed(head: sentiment.SentimentHead, n: int) -> list[str]:
    from dataclasses import replace

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(n, head.weights.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    no_vader = replace(head, blend=(head.blend[0], 0.0, head.blend[2]))
    no_vader.score(vectors[:1000])  # warm-up
    best = min(_timed(lambda: no_vader.score(vectors)) for _ in range(3))
    texts = load_uci()["text"].tolist()
    uci_vectors = embed(texts, runtime=PRODUCT)
    blended = _timed(lambda: head.score(uci_vectors, texts))
    vader = _timed(lambda: sentiment_scores(texts))
    m = len(texts)
    return [
        f"| head and anchor, `SentimentHead.score` on unit vectors | {n:,} | {best:.3f} | {n / best:,.0f} |",
        f"| shipped blend (with VADER), `SentimentHead.score` on the UCI sentences | {m:,} | {blended:.3f} "
        f"| {m / blended:,.0f} |",
        f"| VADER alone, `text.sentiment_scores` on the UCI sentences | {m:,} | {vader:.3f} "
        f"| {m / vader:,.0f} |",
    ]


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print the section, leave docs alone")
    parser.add_argument("--n-speed", type=int, default=200_000, help="vectors for the throughput row")
    args = parser.parse_args()
    if not SHARED.is_dir():
        print(f"{SHARED} is absent: nothing to measure", file=sys.stderr)
        return 2
    head = sentiment.shipped_head()
    load = os.getloadavg()[0]
    figures: dict = {}
    quality = uci_rows(head, figures) + review_rows(head)
    throughput = speed(head, args.n_speed)
    chosen = head.meta["chosen"]
    text = "\n".join(
        [
            HEADING,
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `.venv/bin/python bench/bench_sentiment.py` "
            f"on {os.cpu_count()} CPU cores (load average {load:.1f} at the start). Embeddings: "
            "all-MiniLM-L6-v2 from the project cache. The head is `src/workbench/themes/assets/"
            f"sentiment_head.npz` (C={chosen['C']}, class_weight={chosen['class_weight']}, chosen by "
            f"5-fold CV on the training split only; blend of head, VADER and anchor {list(head.blend)} and "
            f"neutral band +-{head.neutral_band}, chosen leaving one source out on the training split); see "
            "docs/sentiment.md. The UCI sentences were never used for training or for any choice.",
            "",
            "| set | rows | method | how it was run | accuracy | macro-F1 |",
            "| --- | ---: | --- | --- | ---: | ---: |",
            *quality,
            "",
            "Throughput of the step after embedding (one process, this machine):",
            "",
            "| step | texts | seconds | texts/s |",
            "| --- | ---: | ---: | ---: |",
            *throughput,
            "",
        ]
    )
    print(text)
    if not args.no_write:
        write_section(HEADING, text)
        write_figures(figures)  # the UCI figure tests/unit/themes/test_sentiment.py checks against
    return 0


if __name__ == "__main__":
    sys.exit(main())
