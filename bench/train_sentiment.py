"""Train the sentiment head shipped in ``src/workbench/themes/assets/sentiment_head.npz``.

Usage: ``.venv/bin/python bench/train_sentiment.py [--check]``

The head is a multinomial logistic regression on the all-MiniLM-L6-v2 sentence embeddings that the
theme engine computes anyway (see ``workbench.themes.sentiment`` and docs/sentiment.md). It is
trained on public star-rated reviews only:

* ``../shared/data/uber_play_reviews``: Google Play reviews of the Uber app (score 1-5);
* ``../shared/data/amazon_alexa``: Amazon reviews of Alexa devices (rating 1-5).

Stars map to classes as 1-2 negative, 3 neutral, 4-5 positive. One text in five of each source
(chosen by a hash of the text, so identical texts never straddle the split) is held out from
training and from the choice of hyper-parameters; ``bench/bench_sentiment.py`` reports on it. The
UCI sentiment sentences are the evaluation set and are never read here.

Regularisation ``C`` and the class weighting are chosen by grouped 5-fold cross-validation on the
training rows (macro-F1 over the three classes). Everything is deterministic (lbfgs, fixed folds),
so rerunning reproduces the committed weights; ``--check`` retrains and compares instead of
writing. Embeddings come from the project's cache (``.cache/embeddings``), so only the first run
embeds (about 10,000 distinct texts: minutes on 2 cores).

The shipped score blends three signals (docs/sentiment.md): the head, VADER's lexicon score and a
zero-shot "anchor" similarity to generic positive and negative statements. The blend weights and
the neutral band are chosen leaving one source out (head fitted on Uber, read on Alexa, and the
other way round), on the training rows only, so they favour what carries to a new domain.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from workbench.ingest.repair import repair_text
from workbench.themes import sentiment
from workbench.themes.embeddings import DEFAULT_SPEC, Embedder, vector_space

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
CACHE = REPO / ".cache"
UBER = Path("uber_play_reviews") / "uber_reviews_without_reviewid.csv"
ALEXA = Path("amazon_alexa") / "amazon_alexa.tsv"
HOLDOUT_BUCKETS = 5  # one text in five is held out
SOURCES = ("uber_play_reviews", "amazon_alexa")


def stars_to_label(stars: pd.Series) -> pd.Series:
    """1-2 stars negative, 3 neutral, 4-5 positive (the usual reading of a 5-star scale)."""
    s = pd.to_numeric(stars, errors="coerce")
    out = pd.Series(pd.NA, index=s.index, dtype="object")
    out[s <= 2] = "negative"
    out[s == 3] = "neutral"
    out[s >= 4] = "positive"
    return out


def _held_out(texts: pd.Series) -> np.ndarray:
    """True for the texts whose sha256 falls in the held-out bucket: stable and duplicate-safe."""
    digests = [hashlib.sha256(t.encode("utf-8")).digest() for t in texts]
    return np.array([int.from_bytes(d[:4], "big") % HOLDOUT_BUCKETS == 0 for d in digests], dtype=bool)


def load_reviews(shared: Path = SHARED) -> pd.DataFrame:
    """The rated reviews of both sources: ``source, text, stars, label, held_out``.

    Blank texts are dropped, and a (text, stars) pair that repeats ("Good", 5) is kept once, so the
    many one-word reviews do not outweigh the rest.
    """
    uber = pd.read_csv(shared / UBER, encoding="utf-8-sig")
    alexa = pd.read_csv(shared / ALEXA, sep="\t", encoding="utf-8-sig")
    frames = [
        pd.DataFrame({"source": "uber_play_reviews", "text": uber["content"], "stars": uber["score"]}),
        pd.DataFrame({"source": "amazon_alexa", "text": alexa["verified_reviews"], "stars": alexa["rating"]}),
    ]
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[rows["text"].map(lambda t: isinstance(t, str) and bool(t.strip()))]
    # The text as the product reads it after a pull: mojibake repaired (1,276 Uber reviews; see
    # workbench.ingest.repair), so the head learns the emoji and scripts customers wrote.
    repaired, _ = repair_text(pl.Series(rows["text"].tolist(), dtype=pl.String))
    rows = rows.assign(
        text=np.array(repaired.to_list(), dtype=object), stars=pd.to_numeric(rows["stars"], errors="coerce")
    )
    rows = rows.dropna(subset=["stars"]).drop_duplicates(["source", "text", "stars"])
    rows["label"] = stars_to_label(rows["stars"])
    rows["held_out"] = _held_out(rows["text"])
    return rows.reset_index(drop=True)


# The head is defined on torch fp32 vectors; ONNX Runtime fp32 reproduces them to ~1e-6 at twice the
# speed. Training always reads these, whatever runtime the product defaults to, so a retrain gives back
# the committed weights; the runtimes the head also reads are listed in `embeddings.vector_space`.
TRAINING_RUNTIME = "onnx"


def embed(texts: list[str], cache: Path = CACHE, runtime: str = TRAINING_RUNTIME) -> np.ndarray:
    """MiniLM vectors of ``texts`` through the project's embedding cache (computed only once).

    ``runtime="auto"`` gives the vectors the product computes (its default runtime), for benchmarks.
    """
    return Embedder(DEFAULT_SPEC, cache_dir=cache, runtime=runtime).embed(texts)


def train(rows: pd.DataFrame, vectors: np.ndarray) -> sentiment.SentimentHead:
    """Choose C and class weights by cross-validation on the training rows, fit on all of them, then
    add the anchor direction and choose the blend and the neutral band (:func:`fit_blend`)."""
    train_mask = ~rows["held_out"].to_numpy()
    texts = rows.loc[train_mask, "text"].to_numpy()
    groups = np.array([hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts])
    head = sentiment.fit_head(
        vectors[train_mask],
        rows.loc[train_mask, "label"].to_numpy(dtype=object),
        groups=groups,
        model_id=vector_space(Embedder(DEFAULT_SPEC).model_id),  # the runtime-free id (st-...)
        provenance={
            "sources": list(SOURCES),
            "rows_per_source": rows.loc[train_mask, "source"].value_counts().sort_index().to_dict(),
            "label_counts": rows.loc[train_mask, "label"].value_counts().sort_index().to_dict(),
            "stars": "1-2 negative, 3 neutral, 4-5 positive",
            "held_out": f"sha256(text) bucket 0 of {HOLDOUT_BUCKETS}, per source",
        },
    )
    return fit_blend(rows[train_mask].reset_index(drop=True), vectors[train_mask], head)


def fit_blend(
    train_rows: pd.DataFrame, vectors: np.ndarray, head: sentiment.SentimentHead
) -> sentiment.SentimentHead:
    """Add the anchor direction, and choose the blend and the neutral band across domains.

    Leave one source out, on the training rows only: the head (same C and class weights) is fitted
    on one source and the three signals are read on the other, so the blend is chosen for text
    unlike what the head learned from, which is what a user's export is. The neutral band is then
    chosen on the same out-of-domain scores, by 3-class macro-F1.
    """
    from threadpoolctl import threadpool_limits

    from workbench.themes.text import sentiment_scores

    anchor = sentiment.anchor_direction(
        embed(list(sentiment.ANCHORS_POSITIVE)), embed(list(sentiment.ANCHORS_NEGATIVE)), vectors
    )
    chosen = head.meta["chosen"]
    labels = train_rows["label"].to_numpy(dtype=object)
    y = np.array([sentiment.LABELS.index(label) for label in labels])
    vader = sentiment_scores(train_rows["text"].tolist())
    folds, pooled_signals, pooled_labels = [], [], []
    for source in SOURCES:
        mine = (train_rows["source"] == source).to_numpy()
        with threadpool_limits(limits=1):
            other = sentiment.logistic(chosen["C"], chosen["class_weight"]).fit(vectors[~mine], y[~mine])
        proba = other.predict_proba(vectors[mine])
        signals = np.column_stack(
            [proba[:, 2] - proba[:, 0], vader[mine], np.clip(vectors[mine] @ anchor, -1.0, 1.0)]
        )
        polar = labels[mine] != "neutral"
        folds.append((signals[polar], labels[mine][polar] == "positive"))
        pooled_signals.append(signals)
        pooled_labels.append(labels[mine])
    blend, grid = sentiment.choose_blend(folds)
    band = sentiment.choose_band(np.vstack(pooled_signals) @ np.asarray(blend), np.concatenate(pooled_labels))
    meta = {
        **head.meta,
        "anchors": {
            "positive": list(sentiment.ANCHORS_POSITIVE),
            "negative": list(sentiment.ANCHORS_NEGATIVE),
        },
        "blend": {
            "signals": list(sentiment.SIGNALS),
            "chosen": list(blend),
            "how": "leave one source out on the training rows: balanced accuracy of the sign",
            "grid": grid,
        },
        "neutral_band": {"chosen": band, "how": "3-class macro-F1 of the out-of-source blended scores"},
    }
    return replace(head, anchor=anchor, blend=blend, neutral_band=band, meta=meta)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="retrain and compare with the committed head")
    parser.add_argument("--out", type=Path, default=sentiment.HEAD_PATH)
    args = parser.parse_args()
    if not SHARED.is_dir():
        print(f"{SHARED} is absent: nothing to train on", file=sys.stderr)
        return 2
    started = time.perf_counter()
    rows = load_reviews()
    vectors = embed(rows["text"].tolist())
    print(
        f"{len(rows):,} rated reviews ({int((~rows['held_out']).sum()):,} for training), embedded "
        f"in {time.perf_counter() - started:.0f} s"
    )
    head = train(rows, vectors)
    print(json.dumps(head.meta, indent=1))
    if args.check:
        committed = sentiment.load_head(args.out)
        same = (
            np.allclose(committed.weights, head.weights, atol=1e-4)
            and np.allclose(committed.bias, head.bias, atol=1e-4)
            and np.allclose(committed.anchor, head.anchor, atol=1e-4)
            and committed.blend == head.blend
            and committed.neutral_band == head.neutral_band
        )
        print("reproduces the committed head" if same else "DIFFERS from the committed head")
        return 0 if same else 1
    head.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes) in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
