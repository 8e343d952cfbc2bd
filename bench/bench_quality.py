"""Theme quality on real labelled data (not run by `make test`); writes its section of docs/benchmarks.md.

Usage::

    .venv/bin/python bench/bench_quality.py                    # Banking77 test + train, the demo
    .venv/bin/python bench/bench_quality.py --sets test --no-vanilla --no-write

Rows:

* Banking77 (``../shared/data/banking77``, real customer-support queries, 77 human intents, CC BY 4.0,
  Casanueva et al. 2020), test and train splits: our engine (``engine.fit_themes`` with an EMPTY
  registry and k not given, then ``engine.assign_documents``), vanilla BERTopic (UMAP 5d + HDBSCAN
  min_cluster_size=10, ``fit_transform``) and k-means with the true k=77 (10 restarts), all on the
  same MiniLM embeddings of the same modelling texts. NMI and AMI count unassigned items as one
  more label; "unassigned" is the share left out (outliers).
* The demo company: planted-truth NMI of pure discovery (empty registry) on the 4-quarter window,
  every document assigned.

The figures also go to ``bench/quality_figures.json``, which the real-data tests read (a test
checks that the engine stays within 0.02 NMI of the figure recorded here, never a typed number).

Sentiment rows: see :func:`sentiment_rows` (a hook the sentiment work fills in).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import benchdoc  # bench/ is on sys.path when a benchmark runs as a script
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Quality on real labelled data"
BANKING77 = REPO.parent / "shared" / "data" / "banking77"
UNASSIGNED = "__unassigned__"
QUARTER = "2024Q1"


def scores(truth, found) -> tuple[float, float]:
    """NMI and AMI; unassigned items count as one more label."""
    from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

    truth = pd.Series(truth, dtype=object).fillna(UNASSIGNED).astype(str).to_numpy()
    found = pd.Series(found, dtype=object).fillna(UNASSIGNED).astype(str).to_numpy()
    return normalized_mutual_info_score(truth, found), adjusted_mutual_info_score(truth, found)


def labelled_docs(frame: pd.DataFrame) -> pd.DataFrame:
    """A labelled set as the engine's document frame (one quarter, one channel)."""
    return pd.DataFrame(
        {
            "doc_id": [f"feedback:{i:06d}" for i in range(len(frame))],
            "table": "feedback",
            "record_id": [f"{i:06d}" for i in range(len(frame))],
            "quarter": QUARTER,
            "text": frame["text"].astype(str).to_numpy(),
            "channel": "support",
            "account_id": None,
        }
    )


def engine_run(docs: pd.DataFrame, settings) -> dict:
    """Our engine, empty registry, k not given: fit on the (stratified) sample, assign every document."""
    from workbench.themes import engine
    from workbench.themes.embeddings import embedder_for
    from workbench.themes.registry import Registry

    embedder = embedder_for(settings)
    start = time.perf_counter()
    fitted = engine.fit_themes(docs, embedder, Registry(), settings, QUARTER, [QUARTER])
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    assigned = engine.assign_documents(docs, fitted.model, embedder, settings.themes.chunk_size)
    assign_s = time.perf_counter() - start
    labels = fitted.themes.set_index("theme_id")["label"]
    top = assigned["theme_id"].value_counts().head(8)
    return {
        "theme_id": assigned["theme_id"].to_numpy(),
        "k": fitted.n_clusters,
        "k_how": fitted.k_how,
        "fit_s": round(fit_s, 1),
        "assign_s": round(assign_s, 1),
        "ms_per_doc": round(1000 * (fit_s + assign_s) / len(docs), 2),
        "top_labels": [f"{labels[t]} ({n})" for t, n in top.items()],
        "labels": labels.to_dict(),
        "masked": fitted.mask_terms,
    }


def label_agreement(theme_ids: np.ndarray, labels: dict[str, str], intents: np.ndarray) -> float:
    """Share of assigned queries whose theme label shares a content word with their intent's name.

    Words are lower-cased, stop words dropped and stemmed (Snowball), so "Top-up" meets "top_up"
    and "Cards" meets "card"; an intent name is its id with underscores as spaces. A measure of
    whether the labels name what people meant, on the only labelled set with human names.
    """
    import re

    import snowballstemmer
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    stem = snowballstemmer.stemmer("english").stemWord

    def words(text: str) -> set[str]:
        return {stem(w) for w in re.findall(r"[a-z]+", text.lower()) if w not in ENGLISH_STOP_WORDS}

    hits = [
        bool(words(labels[t]) & words(str(i).replace("_", " ")))
        for t, i in zip(theme_ids, intents, strict=True)
        if not pd.isna(t)
    ]
    return float(np.mean(hits)) if hits else float("nan")


def banking77(split: str, settings, vanilla: bool) -> list[dict]:
    from sklearn.cluster import KMeans

    from workbench.themes.cluster import single_threaded
    from workbench.themes.embeddings import embedder_for
    from workbench.themes.prep import prep_texts

    frame = pd.read_csv(BANKING77 / f"{split}.csv")
    truth = frame["category"].to_numpy()
    docs = labelled_docs(frame)
    rows = []
    ours = engine_run(docs, settings)
    nmi, ami = scores(truth, ours["theme_id"])
    unassigned = float(pd.isna(ours["theme_id"]).mean())
    kept = ~pd.isna(ours["theme_id"])
    nmi_assigned, _ = scores(truth[kept], ours["theme_id"][kept])
    rows.append(
        {
            "set": f"Banking77 {split} ({len(frame):,} queries, 77 intents)",
            "method": "ours: fit_themes + assign_documents, empty registry, k not given",
            "k": ours["k"],
            "nmi": round(nmi, 3),
            "ami": round(ami, 3),
            "unassigned": round(unassigned, 3),
            "nmi_assigned": round(nmi_assigned, 3),
            "seconds": ours["fit_s"] + ours["assign_s"],
            "ms_per_doc": ours["ms_per_doc"],
            "k_how": ours["k_how"],
            "top_labels": ours["top_labels"],
            "label_agreement": round(label_agreement(ours["theme_id"], ours["labels"], truth), 3),
        }
    )
    vectors = embedder_for(settings).embed(prep_texts(docs["text"].tolist()))
    start = time.perf_counter()
    with single_threaded():
        km = KMeans(77, n_init=10, random_state=42).fit_predict(vectors)
    nmi, ami = scores(truth, km)
    rows.append(
        {
            "set": rows[0]["set"],
            "method": "k-means, true k=77, 10 restarts, same embeddings",
            "k": 77,
            "nmi": round(nmi, 3),
            "ami": round(ami, 3),
            "unassigned": 0.0,
            "seconds": round(time.perf_counter() - start, 1),
        }
    )
    if vanilla:
        import hdbscan
        from bertopic import BERTopic
        from umap import UMAP

        start = time.perf_counter()
        topics, _ = BERTopic(
            umap_model=UMAP(n_components=5, n_neighbors=15, min_dist=0.0, metric="cosine", random_state=42),
            hdbscan_model=hdbscan.HDBSCAN(min_cluster_size=10, prediction_data=True),
        ).fit_transform(docs["text"].tolist(), embeddings=vectors)
        topics = np.asarray(topics)
        found = np.where(topics < 0, None, topics.astype(object))
        nmi, ami = scores(truth, found)
        rows.append(
            {
                "set": rows[0]["set"],
                "method": "vanilla BERTopic (UMAP 5d + HDBSCAN mcs=10), same embeddings",
                "k": int(topics.max()) + 1,
                "nmi": round(nmi, 3),
                "ami": round(ami, 3),
                "unassigned": round(float((topics < 0).mean()), 3),
                "seconds": round(time.perf_counter() - start, 1),
            }
        )
    return rows


def demo_row(settings_root: Path | None) -> dict:
    """Pure discovery on the demo company's 4-quarter window: NMI against the planted themes."""
    sys.path.insert(0, str(REPO / "tests"))
    from workbench.core.config import load_settings
    from workbench.core.store import load_table
    from workbench.demo import company as demo
    from workbench.ingest import pull
    from workbench.themes import engine
    from workbench.themes.embeddings import embedder_for
    from workbench.themes.registry import Registry

    if settings_root is None:
        from conftest import make_project

        settings_root = Path(tempfile.mkdtemp(prefix="bench_quality_demo_"))
        make_project(settings_root)
        settings = load_settings(root=settings_root)
        demo.generate(settings.paths.demo, seed=settings.demo_seed)
        pull.pull(settings, quarter=None, all_quarters=True)
    settings = load_settings(root=settings_root)
    feedback, deals = load_table("feedback", settings), load_table("deals", settings)
    docs = engine.documents(feedback, deals)
    quarter = engine.report_quarter(feedback, settings, None)
    window = [str(q) for q in quarter.window(settings.themes.window_quarters)]
    in_window = docs["quarter"].isin(window).to_numpy() & engine.has_text(docs)
    embedder = embedder_for(settings)
    start = time.perf_counter()
    fitted = engine.fit_themes(
        docs[in_window].reset_index(drop=True), embedder, Registry(), settings, str(quarter), window
    )
    assigned = engine.assign_documents(docs, fitted.model, embedder, settings.themes.chunk_size)
    seconds = time.perf_counter() - start
    truth = pd.read_parquet(settings.paths.demo / "truth_labels.parquet")
    joined = assigned.assign(table=docs["table"].to_numpy(), record_id=docs["record_id"].to_numpy()).merge(
        truth, on=["table", "record_id"], how="inner", suffixes=("", "_truth"), validate="1:1"
    )
    nmi, ami = scores(joined["theme_id_truth"], joined["theme_id"])
    return {
        "set": f"demo company, window {window[0]}..{window[-1]} ({int(in_window.sum()):,} fitted, "
        f"{len(docs):,} assigned)",
        "method": "ours: fit_themes + assign_documents, empty registry, k not given",
        "k": fitted.n_clusters,
        "nmi": round(nmi, 3),
        "ami": round(ami, 3),
        "unassigned": round(float(assigned["theme_id"].isna().mean()), 3),
        "seconds": round(seconds, 1),
        "ms_per_doc": round(1000 * seconds / len(docs), 2),
        "k_how": fitted.k_how,
    }


def sentiment_rows() -> list[str]:
    """HOOK for the sentiment benchmark: return extra markdown lines (a table) for this section.

    The sentiment work (issue 8 item 4) may fill this in, or write its own section instead. Until
    then the theme section carries no sentiment rows.
    """
    return []


def render(rows: list[dict], load: tuple[float, float]) -> str:
    lines = [
        SECTION,
        "",
        f"Measured {dt.date.today().isoformat()} by `bench/bench_quality.py` on 2 shared CPU cores (load "
        f"average {load[0]:.1f} at the start, {load[1]:.1f} at the end), all-MiniLM-L6-v2 embeddings "
        "(cached), modelling text as the engine prepares it (`themes/prep.py`). NMI and AMI count "
        'unassigned items as one more label; "NMI assigned" leaves the unassigned out (k-means assigns '
        "everything). Ours: empty registry, k not given; seconds = fit + assign with embeddings cached.",
        "",
        "| labelled set | method | topics | NMI | AMI | unassigned | NMI assigned | seconds | ms/doc |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['set']} | {r['method']} | {r['k']} | {r['nmi']:.3f} | {r['ami']:.3f} | "
            f"{r['unassigned']:.1%} | {r.get('nmi_assigned', '')} | {r['seconds']:.1f} | "
            f"{r.get('ms_per_doc', '')} |"
        )
    lines.append("")
    for r in rows:
        if r.get("k_how"):
            lines.append(f"- {r['set']}: k chosen by {r['k_how']}.")
    for r in rows:
        if r.get("top_labels"):
            lines.append(f"- {r['set']}, top labels: " + "; ".join(r["top_labels"]) + ".")
    for r in rows:
        if r.get("label_agreement") is not None:
            lines.append(
                f"- {r['set']}: {r['label_agreement']:.1%} of the assigned queries have a theme label that "
                "shares a content word (stemmed) with the name of their human intent."
            )
    extra = sentiment_rows()
    if extra:
        lines += [""] + extra
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="test,train,demo", help="comma-separated: test, train, demo")
    parser.add_argument("--no-vanilla", action="store_true", help="skip vanilla BERTopic (UMAP is slow)")
    parser.add_argument("--demo-root", type=Path, default=None, help="an already pulled demo project")
    parser.add_argument("--no-write", action="store_true", help="print the section only")
    args = parser.parse_args()
    os.environ.setdefault("WORKBENCH_CACHE_DIR", str(REPO / ".cache"))
    from workbench.core.config import load_settings

    settings = load_settings(root=REPO)
    load_start = os.getloadavg()[0]
    rows: list[dict] = []
    sets = args.sets.split(",")
    for split in ("test", "train"):
        if split in sets:
            rows += banking77(split, settings, vanilla=not args.no_vanilla)
            print(json.dumps(rows[-3:], indent=1, default=str), flush=True)
    if "demo" in sets:
        rows.append(demo_row(args.demo_root))
        print(json.dumps(rows[-1], indent=1), flush=True)
    text = render(rows, (load_start, os.getloadavg()[0]))
    print(text)
    if not args.no_write:
        benchdoc.write_section(SECTION, text)
        figures = {}
        for r in rows:
            if r["method"].startswith("ours"):
                key = "demo" if r["set"].startswith("demo") else "banking77_" + r["set"].split()[1]
                figures[key] = {k: r[k] for k in ("nmi", "ami", "unassigned", "k")}
        benchdoc.write_figures(figures)


if __name__ == "__main__":
    main()
