"""Benchmarks of the theme engine (not run by `make test`); results go to docs/benchmarks.md.

Usage::

    .venv/bin/python bench/bench_themes.py                      # compare + sub-models + 100k scale
    .venv/bin/python bench/bench_themes.py --parts scale --sizes 1000000
    .venv/bin/python bench/bench_themes.py --no-write           # print the section only

Parts:

* ``compare``: on the same documents (every demo feedback item and deal note, ~20k), vanilla
  BERTopic (MiniLM embeddings + UMAP + HDBSCAN defaults, ``fit_transform``) against ours
  (k-means on unit vectors, no reduction, centroid assignment): wall time, peak RSS and NMI
  against the planted themes. Embeddings are computed once (cold, timed on their own) and passed
  to both, so times are reported with and without them.
* ``submodels``: the options issue 3 asks to choose between (reduction: none/PCA/UMAP; cluster
  model: k-means/HDBSCAN/agglomerative; outlier reduction; representation), on the 4-quarter
  window of the demo (~10k documents), each timed on the same embeddings.
* ``scale``: ``themes.run`` on synthetic corpora of N items (demo texts drawn with variation,
  spread over 8 quarters and 4 channels) with the static model2vec backend: cold (empty embedding
  cache; the distilled model itself is built once beforehand and timed apart) and a warm rerun.

Every measured step runs in its own subprocess, so peak RSS is that step's own high-water mark.
Other jobs may share the machine; the section records the load average at the start and end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchdoc  # bench/ is on sys.path when a benchmark runs as a script
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Theme engine"
WINDOW = ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
GOALS = {100_000: (180, 60), 1_000_000: (1200, None)}  # cold, warm seconds
RSS_GOAL_GB = 8.0
DECISIONS = """\
**Chosen** (from the tables above): no dimensionality reduction and k-means on the L2-normalised
embeddings, k chosen on a 6,000-document subsample by the first cosine-silhouette peak held up to 3x
its k over a grid that grows with the corpus (see docs/themes.md and "Quality on real labelled data";
the earlier silhouette over 8..32 capped Banking77 at 32 themes), never fewer clusters than registered
themes, and the final k-means started from the winning subsample fit (one run: ~10x cheaper than 10
restarts, NMI within 0.01). UMAP costs ~30 s on 10k documents and
lowers agreement; HDBSCAN fragments the demo into hundreds of topics; ward agglomerative is slower and
agrees less; PCA 50 is as good as no reduction but buys nothing once k-means starts warm. Outlier
reduction: every document goes to its nearest centroid unless its cosine is below a floor set at half of
`max_unassigned_share` of the fitted sample (~5% unassigned on the demo, a quarter of them its planted
off-topic noise). Representation: plain c-TF-IDF with frequent-word reduction gives the most readable
keywords at the lowest cost (KeyBERTInspired picked odd bigrams on these short texts); theme labels are
phrases chosen separately (`workbench.themes.labels`). Registry mapping: centroid matching, which is as
good as guided k-means and keeps the fit independent of the registry."""


# --------------------------------------------------------------------------- corpora


def demo_corpus(folder: Path) -> Path:
    """Every demo text (feedback + deal notes) with its planted theme, as one parquet file."""
    from workbench.core.quarters import quarter_labels
    from workbench.demo import company as demo

    company = demo.simulate(seed=7, scale=1.0)
    fb = company.feedback.copy()
    fb.insert(0, "feedback_id", [f"fb-{i:06d}" for i in range(len(fb))])
    fb["quarter"] = quarter_labels(fb["created_at"])
    deals = company.deals.copy()
    deals["quarter"] = quarter_labels(deals["created_at"])
    path = folder / "demo_corpus"
    path.mkdir(parents=True, exist_ok=True)
    fb.to_parquet(path / "feedback.parquet")
    deals.to_parquet(path / "deals.parquet")
    company.accounts.to_parquet(path / "accounts.parquet")
    return path


_OPENERS = ("", "", "", "Hi,", "Hello team,", "Quick note:", "FYI", "Honestly,", "Ugh.", "Update:", "So")
_CLOSERS = ("", "", "", "Thanks.", "Please help.", "Cheers.", "Any update?", ":(", "!!", "Regards.", "Thx")


def _vary(text: str, rng: np.random.Generator) -> str:
    """A paraphrase-like variant: opener/closer, one dropped word, one typo, a number changed."""
    words = text.split()
    if len(words) > 4 and rng.random() < 0.6:
        del words[int(rng.integers(1, len(words) - 1))]
    if rng.random() < 0.5:
        i = int(rng.integers(0, len(words)))
        w = words[i]
        if len(w) > 3:
            j = int(rng.integers(1, len(w) - 1))
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    words = [str(int(rng.integers(2, 999))) if re.fullmatch(r"\d+", w) else w for w in words]
    return " ".join(x for x in (rng.choice(_OPENERS), " ".join(words), rng.choice(_CLOSERS)) if x)


def synthetic_project(root: Path, n: int, seed: int = 11) -> Path:
    """A project whose processed feedback holds ``n`` varied demo texts over 8 quarters."""
    from workbench.core.quarters import quarter_labels
    from workbench.demo import company as demo

    company = demo.simulate(seed=7, scale=1.0)
    base = company.feedback[company.feedback["text"].str.len() > 0].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(base), n)
    texts = [_vary(t, rng) for t in base["text"].to_numpy()[pick]]
    start = pd.Timestamp("2024-10-01").value
    span = pd.Timestamp("2026-10-01").value - start
    created = pd.to_datetime(start + rng.integers(0, span, n))
    fb = pd.DataFrame(
        {
            "feedback_id": [f"s-{i:07d}" for i in range(n)],
            "channel": base["channel"].to_numpy()[pick],
            "created_at": created,
            "text": texts,
            "rating": base["rating"].to_numpy()[pick],
            "account_id": base["account_id"].to_numpy()[pick],
            "truth": base["theme_id"].to_numpy()[pick],
        }
    )
    fb["quarter"] = quarter_labels(fb["created_at"])
    (root / "config").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "config" / "themes.yaml", root / "config" / "themes.yaml")
    (root / "config" / "workbench.yaml").write_text(
        "themes:\n  registry: config/themes.yaml\n  embedding_model: model2vec:distill\n", encoding="utf-8"
    )
    processed = root / "data" / "processed"
    processed.mkdir(parents=True, exist_ok=True)
    fb.to_parquet(processed / "feedback.parquet")
    company.accounts.to_parquet(processed / "accounts.parquet")
    return root


# --------------------------------------------------------------------------- workers (subprocesses)


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _docs_and_truth(corpus: Path, window_only: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    from workbench.themes.engine import documents, has_text

    fb = pd.read_parquet(corpus / "feedback.parquet")
    deals = pd.read_parquet(corpus / "deals.parquet")
    docs = documents(fb, deals)
    truth = pd.concat(
        [
            pd.Series(fb["theme_id"].to_numpy(), index="feedback:" + fb["feedback_id"]),
            pd.Series(deals["theme_id"].to_numpy(), index="deals:" + deals["deal_id"].astype(str)),
        ]
    )
    keep = has_text(docs) & (docs["quarter"].isin(WINDOW).to_numpy() if window_only else True)
    docs = docs[keep].reset_index(drop=True)
    return docs, truth.reindex(docs["doc_id"]).fillna("none").to_numpy()


def _nmi(truth: np.ndarray, labels) -> float:
    from sklearn.metrics import normalized_mutual_info_score

    return float(normalized_mutual_info_score(truth, pd.Series(labels).astype(str).to_numpy()))


def _settings(root: Path, **themes):
    from workbench.core.config import Settings, ThemeSettings

    return Settings(root=root, themes=ThemeSettings(**themes))


def worker_embed(args: dict) -> dict:
    from workbench.themes.embeddings import Embedder

    docs, _ = _docs_and_truth(Path(args["corpus"]))
    embedder = Embedder(args["model"], cache_dir=Path(args["cache"]))
    t0 = time.perf_counter()
    embedder.embed(docs["text"].tolist())
    return {"seconds": time.perf_counter() - t0, "texts": len(docs), "computed": embedder.stats.computed}


def worker_vanilla(args: dict) -> dict:
    from bertopic import BERTopic

    from workbench.themes.embeddings import Embedder

    docs, truth = _docs_and_truth(Path(args["corpus"]))
    vectors = Embedder("default", cache_dir=Path(args["cache"])).embed(docs["text"].tolist())
    t0 = time.perf_counter()
    topics, _ = BERTopic().fit_transform(docs["text"].tolist(), embeddings=vectors)
    seconds = time.perf_counter() - t0
    topics = np.asarray(topics)
    inliers = topics >= 0
    return {
        "seconds": seconds,
        "nmi": _nmi(truth, topics),
        "nmi_inliers": _nmi(truth[inliers], topics[inliers]),
        "outliers": float((~inliers).mean()),
        "topics": int(topics.max()) + 1,
        "rss_gb": _peak_rss_gb(),
    }


def worker_ours(args: dict) -> dict:
    from workbench.themes import engine as themes
    from workbench.themes.embeddings import Embedder
    from workbench.themes.registry import Registry, parse_registry

    docs, truth = _docs_and_truth(Path(args["corpus"]))
    settings = _settings(Path(args["cache"]).parent, sample_size=max(30000, len(docs)))
    embedder = Embedder("default", cache_dir=Path(args["cache"]))
    # Outside the timed region, as on the vanilla side: loading the cached vectors, importing BERTopic,
    # and loading the model (its load is part of the cold embedding time, which both sides share; ours
    # then reuses it for the label phrases).
    embedder.embed(docs["text"].tolist())
    _ = embedder.backend
    import bertopic  # noqa: F401

    curated = parse_registry((REPO / "config" / "themes.yaml").read_text()) if args["curated"] else None
    registry = curated or Registry()
    quarters = sorted(docs["quarter"].unique())
    t0 = time.perf_counter()
    fitted = themes.fit_themes(docs, embedder, registry, settings, quarters[-1], quarters)
    assigned = themes.assign_documents(docs, fitted.model, embedder, settings.themes.chunk_size)
    seconds = time.perf_counter() - t0
    labels = assigned["theme_id"].fillna("__unassigned__")
    return {
        "seconds": seconds,
        "nmi": _nmi(truth, labels),
        "outliers": themes.unassigned_share(assigned),
        "topics": fitted.n_clusters,
        "rss_gb": _peak_rss_gb(),
    }


def worker_submodels(args: dict) -> dict:
    """Reduction x cluster model grid, outlier reduction and representations on the demo window."""
    import hdbscan
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.decomposition import PCA
    from umap import UMAP

    from workbench.themes import bertopic_model as tm
    from workbench.themes import cluster
    from workbench.themes.embeddings import Embedder
    from workbench.themes.matching import build_references, match_clusters
    from workbench.themes.registry import parse_registry

    docs, truth = _docs_and_truth(Path(args["corpus"]), window_only=True)
    embedder = Embedder("default", cache_dir=Path(args["cache"]))
    x = embedder.embed(docs["text"].tolist())
    k = cluster.choose_n_clusters(x, 42).k
    rows = []

    def timed(name, fn, plus: float = 0.0):
        """Time ``fn``; ``plus`` adds the time of a step it reuses (the UMAP projection)."""
        t0 = time.perf_counter()
        with cluster.single_threaded():
            labels = np.asarray(fn())
        seconds = time.perf_counter() - t0 + plus
        rows.append(
            {
                "pipeline": name,
                "seconds": seconds,
                "nmi": _nmi(truth, labels),
                "outliers": float((labels < 0).mean()),
                "clusters": int(labels.max()) + 1,
            }
        )
        return labels, seconds

    timed(f"none + k-means (k={k}, 10 restarts)", lambda: cluster.kmeans(k, 42).fit_predict(x))
    timed(
        f"PCA 50 + k-means (k={k})",
        lambda: cluster.kmeans(k, 42).fit_predict(PCA(50, random_state=42).fit_transform(x)),
    )
    t0 = time.perf_counter()
    with cluster.single_threaded():
        projected = UMAP(
            n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=42
        ).fit_transform(x)
    t_umap = time.perf_counter() - t0
    timed(f"UMAP 5d + k-means (k={k})", lambda: cluster.kmeans(k, 42).fit_predict(projected), t_umap)
    hdb, t_hdb = timed(
        "UMAP 5d + HDBSCAN (BERTopic defaults)",
        lambda: hdbscan.HDBSCAN(
            min_cluster_size=10, metric="euclidean", cluster_selection_method="eom"
        ).fit_predict(projected),
        t_umap,
    )
    timed(
        f"PCA 50 + agglomerative ward (k={k})",
        lambda: AgglomerativeClustering(k).fit_predict(PCA(50, random_state=42).fit_transform(x)),
    )

    # Outlier reduction of the HDBSCAN result: nearest topic centroid for every outlier.
    def reduce_outliers():
        labels = hdb.copy()
        cents = cluster.centroids_of(x, labels, int(labels.max()) + 1)
        best, _ = cluster.nearest(x[labels < 0], cents)
        labels[labels < 0] = best
        return labels

    timed("UMAP + HDBSCAN + outlier reduction (nearest centroid)", reduce_outliers, t_hdb)

    # Registry mapping: centroid matching (ours) vs guided k-means started at the seed centroids.
    registry = parse_registry((REPO / "config" / "themes.yaml").read_text(encoding="utf-8"))
    refs = build_references(registry, embedder.embed, None)
    kk = max(k, len(refs))
    mapping = []
    with cluster.single_threaded():
        free = cluster.kmeans(kk, 42).fit(x)
        spare = free.cluster_centers_[np.argsort((free.cluster_centers_ @ refs.vectors.T).max(axis=1))]
        guided = cluster.kmeans(kk, 42, init=np.vstack([refs.vectors, spare[: kk - len(refs)]])).fit(x)
    for name, fitted in (
        ("centroid matching (k-means, then match)", free),
        ("guided (k-means started at the seed centroids)", guided),
    ):
        cents = cluster.centroids_of(x, fitted.labels_, kk)
        ids, _ = match_clusters(cents, refs, 0.55)
        mapped = np.array([ids[t] or f"new-{t}" for t in fitted.labels_], dtype=object)
        mapping.append(
            {
                "method": name,
                "nmi": _nmi(truth, mapped),
                "unmatched": sum(i is None for i in ids),
                "clusters": kk,
            }
        )

    reps = []
    for rep in ("ctfidf", "mmr", "keybert"):
        model = tm.build(k, 42, embedder, "none", rep)
        t0 = time.perf_counter()
        topics = tm.fit(model, docs["text"].tolist(), x)
        seconds = time.perf_counter() - t0
        examples = {}
        for theme in ("sso-permissions", "data-import", "pricing-value"):
            members = pd.Series(topics[truth == theme]).value_counts()
            examples[theme] = ", ".join(tm.topic_keywords(model, int(members.index[0]), 6))
        reps.append({"representation": rep, "seconds": seconds, **examples})
    return {
        "grid": rows,
        "representations": reps,
        "mapping": mapping,
        "documents": len(docs),
        "rss_gb": _peak_rss_gb(),
    }


def worker_scale(args: dict) -> dict:
    from workbench.core.config import load_settings
    from workbench.themes import engine as themes

    os.environ["WORKBENCH_CACHE_DIR"] = args["cache"]
    settings = load_settings(root=Path(args["root"]))
    t0 = time.perf_counter()
    result = themes.run(settings, quarter="2026Q3")
    seconds = time.perf_counter() - t0
    truth = pd.read_parquet(settings.paths.processed / "feedback.parquet", columns=["feedback_id", "truth"])
    assigned = pd.read_parquet(themes.themes_path(settings, "assignments"), columns=["record_id", "theme_id"])
    joined = assigned.merge(truth, left_on="record_id", right_on="feedback_id", validate="1:1")
    return {
        "seconds": seconds,
        "rss_gb": _peak_rss_gb(),
        "documents": result.n_documents,
        "embedded": result.embedded,
        "unassigned": result.unassigned_share,
        "nmi": _nmi(joined["truth"].fillna("none").to_numpy(), joined["theme_id"].fillna("-")),
        "timings": result.timings,
    }


WORKERS = {
    "embed": worker_embed,
    "vanilla": worker_vanilla,
    "ours": worker_ours,
    "submodels": worker_submodels,
    "scale": worker_scale,
}


def spawn(kind: str, **args) -> dict:
    """Run one worker in a fresh interpreter; its JSON result is the last line of stdout."""
    offline = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env = {**os.environ, **offline}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", kind, json.dumps(args)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"worker {kind} failed ({proc.returncode})")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - t0
    print(f"  {kind} {args.get('model', '')}{args.get('n', '')}: {json.dumps(result)[:300]}", flush=True)
    return result


# --------------------------------------------------------------------------- report


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _stamp(stamp: dict) -> str:
    return (
        f"Measured {stamp['started']} with `{stamp['command']}`; load average (1/5/15 min) "
        f"{stamp['load_before']} at the start, {stamp['load_after']} at the end."
    )


def render(results: dict) -> str:
    cpu = platform.processor() or platform.machine()
    stamps = results.get("stamps", {})
    lines = [
        SECTION,
        "",
        f"Machine: {os.cpu_count()} cores ({cpu}, {platform.system()}), CPU only, no GPU. Other jobs (four "
        "other engineers' tests) shared the machine during these runs, so absolute times are pessimistic; "
        "the load average is given with each table.",
        "",
    ]
    if "compare" in results:
        c = results["compare"]
        emb = c["embed"]
        lines += [
            f"### Vanilla BERTopic vs ours (same {emb['texts']:,} demo documents)",
            "",
            _stamp(stamps["compare"]),
            "",
            f"MiniLM embeddings of all documents, cold: {emb['seconds']:.0f} s ({emb['computed']:,} distinct "
            f"texts, {emb['computed'] / emb['seconds']:.0f} texts/s), computed once and passed to both.",
            "",
            "| pipeline | fit + assign (s) | incl. embeddings (s) | peak RSS | topics | unassigned | "
            "NMI vs planted |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        v = c["vanilla"]
        lines.append(
            f"| vanilla BERTopic (UMAP + HDBSCAN defaults, fit_transform) | {v['seconds']:.1f} | "
            f"{v['seconds'] + emb['seconds']:.0f} | {v['rss_gb']:.2f} GB | {v['topics']} | "
            f"{v['outliers']:.1%} | {v['nmi']:.3f} (inliers only: {v['nmi_inliers']:.3f}) |"
        )
        names = {"ours": "ours, empty registry (pure discovery)", "ours_curated": "ours, curated registry"}
        for key, name in names.items():
            o = c[key]
            lines.append(
                f"| {name} | {o['seconds']:.1f} | {o['seconds'] + emb['seconds']:.0f} | "
                f"{o['rss_gb']:.2f} GB | {o['topics']} | {o['outliers']:.1%} | {o['nmi']:.3f} |"
            )
        o = c["ours"]
        with_emb = (v["seconds"] + emb["seconds"]) / (o["seconds"] + emb["seconds"])
        lines += [
            "",
            f"Speed-up of ours (pure discovery) without embeddings: **{v['seconds'] / o['seconds']:.1f}x**;"
            f" with the cold embeddings counted on both sides: {with_emb:.2f}x (embedding dominates both; "
            f"the cache removes it from every rerun). Agreement: NMI {o['nmi']:.3f} vs {v['nmi']:.3f}.",
            "",
        ]
    if "submodels" in results:
        s = results["submodels"]
        lines += [
            f"### Sub-model choice (demo window, {s['documents']:,} documents, same MiniLM embeddings)",
            "",
            _stamp(stamps["submodels"]),
            "",
            "| reduction + cluster model | seconds (incl. UMAP) | clusters | outliers | NMI vs planted |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {r['pipeline']} | {r['seconds']:.1f} | {r['clusters']} | {r['outliers']:.1%} | "
            f"{r['nmi']:.3f} |"
            for r in s["grid"]
        ]
        lines += [
            "",
            "Representation (BERTopic fit incl. c-TF-IDF; top words of the topic holding most of "
            "three planted themes):",
            "",
            "| representation | seconds | sso-permissions | data-import | pricing-value |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {r['representation']} | {r['seconds']:.1f} | {r['sso-permissions']} | "
            f"{r['data-import']} | {r['pricing-value']} |"
            for r in s["representations"]
        ]
        lines.append("")
        if "mapping" in s:
            lines += [
                "Mapping clusters onto the curated registry (seed phrases, threshold 0.55):",
                "",
                "| method | clusters | unmatched clusters | NMI vs planted |",
                "| --- | --- | --- | --- |",
            ]
            lines += [
                f"| {r['method']} | {r['clusters']} | {r['unmatched']} | {r['nmi']:.3f} |"
                for r in s["mapping"]
            ]
            lines.append("")
        lines += [DECISIONS, ""]
    if "scale" in results:
        lines += [
            "### Scale (`themes.run`, model2vec static model distilled from MiniLM, curated registry)",
            "",
            "The distilled model is built once per cache "
            f"({results.get('distill_seconds', float('nan')):.0f} s the last time, not counted below). "
            "Cold = empty embedding cache; warm = the same run again. NMI here is the static model's on "
            "varied demo texts: it trades agreement for speed (MiniLM, the default, reaches ~0.75 on the "
            "demo).",
            "",
            "| items | run | wall (s) | goal | peak RSS | newly embedded | unassigned | NMI | steps (s) |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for n, runs in sorted(results["scale"].items(), key=lambda kv: int(kv[0])):
            cold_goal, warm_goal = GOALS.get(int(n), (None, None))
            for label, goal in (("cold", cold_goal), ("warm", warm_goal)):
                if label not in runs:
                    continue
                r = runs[label]
                verdict = "-" if goal is None else f"< {goal} s: " + _met(r["seconds"] < goal)
                if label == "cold" and int(n) >= 1_000_000:
                    verdict += f"; RSS < {RSS_GOAL_GB:.0f} GB: " + _met(r["rss_gb"] < RSS_GOAL_GB)
                steps = ", ".join(f"{k} {v:.0f}" for k, v in r["timings"].items())
                lines.append(
                    f"| {int(n):,} | {label} | {r['seconds']:.0f} | {verdict} | {r['rss_gb']:.2f} GB "
                    f"| {r['embedded']:,} | {r['unassigned']:.1%} | {r['nmi']:.3f} | {steps} |"
                )
        lines.append("")
        lines += [
            f"- {int(n):,} items: " + _stamp(runs["stamp"])
            for n, runs in sorted(results["scale"].items(), key=lambda kv: int(kv[0]))
        ]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["compare", "submodels", "scale"],
        choices=["compare", "submodels", "scale"],
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000], help="items for the scale part")
    parser.add_argument("--no-write", action="store_true", help="print the section, do not touch the docs")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temp folder)")
    parser.add_argument(
        "--results",
        type=Path,
        default=REPO / ".cache" / "bench" / "themes.json",
        help="results are merged into this JSON file, so parts can be run separately",
    )
    parser.add_argument("--render-only", action="store_true", help="re-render the section from --results")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("payload", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(WORKERS[args.worker](json.loads(args.payload))))
        return

    if args.render_only:
        section = render(json.loads(args.results.read_text()))
        print(section)
        if not args.no_write:
            benchdoc.write_section(SECTION, section)
        return

    started = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    load_before = load()
    command = "python bench/bench_themes.py " + " ".join(sys.argv[1:])
    work = args.keep or Path(tempfile.mkdtemp(prefix="wb-bench-themes-"))
    work.mkdir(parents=True, exist_ok=True)
    merged = json.loads(args.results.read_text()) if args.results.is_file() else {}
    results: dict = {}
    try:
        if {"compare", "submodels"} & set(args.parts):
            corpus = demo_corpus(work)
            cache = work / "compare" / "cache"
            print("embedding the demo corpus (cold)", flush=True)
            embed = spawn("embed", corpus=str(corpus), cache=str(cache), model="default")
            if "compare" in args.parts:
                results["compare"] = {
                    "embed": embed,
                    "vanilla": spawn("vanilla", corpus=str(corpus), cache=str(cache)),
                    "ours": spawn("ours", corpus=str(corpus), cache=str(cache), curated=False),
                    "ours_curated": spawn("ours", corpus=str(corpus), cache=str(cache), curated=True),
                }
            if "submodels" in args.parts:
                results["submodels"] = spawn("submodels", corpus=str(corpus), cache=str(cache))
        if "scale" in args.parts:
            from workbench.themes.embeddings import distill_default

            models = work / "models-cache"
            t0 = time.perf_counter()
            distilled = distill_default(models)
            results["distill_seconds"] = time.perf_counter() - t0
            results["scale"] = {}
            for n in args.sizes:
                root = synthetic_project(work / f"scale-{n}", n)
                cache = work / f"scale-{n}-cache"
                (cache / "models").mkdir(parents=True, exist_ok=True)
                shutil.copytree(distilled, cache / "models" / distilled.name, dirs_exist_ok=True)
                runs = results["scale"][str(n)] = {}
                runs["cold"] = spawn("scale", root=str(root), cache=str(cache), n=n)
                runs["warm"] = spawn("scale", root=str(root), cache=str(cache), n=n)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    # Merge with earlier parts (each keeps the date, load and command it was measured with).
    stamp = {"started": started, "load_before": load_before, "load_after": load(), "command": command}
    for key, value in results.items():
        if key == "scale":
            merged.setdefault("scale", {}).update({n: {**r, "stamp": stamp} for n, r in value.items()})
        else:
            merged[key] = value
        merged.setdefault("stamps", {})[key] = stamp
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(merged, indent=2))
    section = render(merged)
    print(section)
    if not args.no_write:
        benchdoc.write_section(SECTION, section)


if __name__ == "__main__":
    main()
