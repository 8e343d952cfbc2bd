"""Local vs Ray theme engine: the overhead of running the assignment pass on Ray (not run by `make test`).

Usage::

    .venv/bin/python bench/bench_ray.py                    # 200k items, static model, 2 CPUs
    .venv/bin/python bench/bench_ray.py --n 1000000        # the issue's 1M (needs ~10+ min here)
    .venv/bin/python bench/bench_ray.py --no-write

One process, one run. A synthetic project of ``--n`` feedback items (demo texts with variations, over
8 quarters, as ``bench_themes.py --parts scale`` builds them) is fitted once on the driver (the
stratified sample), then EVERY item is embedded and assigned twice, each time with an empty
embedding cache:

* local: ``themes.engine.assign_documents`` in this process (chunks of ``themes.chunk_size``);
* Ray: ``themes.ray_engine.assign_on_ray`` on a local Ray with ``--cpus`` CPUs (one actor per
  CPU less one, the threads shared out), reading the processed parquet in blocks and writing
  quarter-partitioned parquet, then reading it back in document order with DuckDB. Ray's own
  start-up is timed apart.

The overhead ratio is Ray time / local time on the same machine: on one machine Ray cannot be faster
than the local engine by more than what its actors' parallelism buys; what it buys is the same code
on N machines (docs/scale.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
import time
from pathlib import Path

import benchdoc  # bench/ is on sys.path when a benchmark runs as a script
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Ray engine overhead"
MODEL = "model2vec:distill"


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=200_000, help="feedback items")
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray")
    parser.add_argument("--model", default=MODEL, help="themes.embedding_model for both engines")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    import bench_themes
    import pandas as pd

    from workbench.core.config import load_settings
    from workbench.core.store import processed_path
    from workbench.themes import engine as themes
    from workbench.themes import ray_engine
    from workbench.themes.embeddings import Embedder, distill_default
    from workbench.themes.registry import load_registry

    load_start = _load()
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    bench_themes.synthetic_project(root, args.n)
    (root / "config" / "workbench.yaml").write_text(
        f"themes:\n  registry: config/themes.yaml\n  embedding_model: {args.model}\n", encoding="utf-8"
    )
    os.environ["WORKBENCH_CACHE_DIR"] = str(root / "cache-fit")
    settings = load_settings(root=root)
    shared_models = REPO / ".cache"
    if args.model == MODEL:  # distil once into the shared cache, outside every timed region
        distill_default(shared_models)
        for name in ("cache-fit", "cache-local", "cache-ray"):
            (root / name).mkdir()
            (root / name / "models").symlink_to(shared_models / "models")

    feedback = pd.read_parquet(processed_path(settings, "feedback"))
    docs = themes.documents(feedback)
    quarters = sorted(docs["quarter"].unique())
    window = quarters[-4:]
    in_window = docs["quarter"].isin(window).to_numpy() & themes.has_text(docs)
    fit_embedder = Embedder(args.model, cache_dir=root / "cache-fit")
    t0 = time.perf_counter()
    fitted = themes.fit_themes(
        docs[in_window].reset_index(drop=True),
        fit_embedder,
        load_registry(settings),
        settings,
        window[-1],
        window,
    )
    fit_s = time.perf_counter() - t0
    model = fitted.model

    local_embedder = Embedder(args.model, cache_dir=root / "cache-local")
    _ = local_embedder.backend  # model load outside the timed region (each actor loads its own inside)
    t0 = time.perf_counter()
    local = themes.assign_documents(docs, model, local_embedder, settings.themes.chunk_size)
    local_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    ray_engine.start_local(num_cpus=args.cpus)
    startup_s = time.perf_counter() - t0
    os.environ["WORKBENCH_CACHE_DIR"] = str(root / "cache-ray")
    ray_settings = load_settings(root=root)
    ray_embedder = Embedder(args.model, cache_dir=root / "cache-ray")
    t0 = time.perf_counter()
    run = ray_engine.assign_on_ray(ray_settings, model, ray_embedder, out=root / "parts")
    pass_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    remote = ray_engine.read_assignments(run.parts, docs["doc_id"])
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    counts = ray_engine.quarter_theme_counts(run.parts)
    duck_s = time.perf_counter() - t0
    import ray

    ray.shutdown()

    same = (local["theme_id"].fillna("-").to_numpy() == remote["theme_id"].fillna("-").to_numpy()).mean()
    max_sim = float(np.nanmax(np.abs(local["similarity"].to_numpy() - remote["similarity"].to_numpy())))
    ray_s = pass_s + read_s
    ratio = ray_s / local_s
    per_million = lambda s: s * 1_000_000 / args.n  # noqa: E731 (linear: both passes stream)
    text = "\n".join(
        [
            SECTION,
            "",
            f"_{dt.date.today():%Y-%m-%d}, `.venv/bin/python bench/bench_ray.py --n {args.n} "
            f"--cpus {args.cpus} "
            f"--model {args.model}`, {platform.machine()}, {os.cpu_count()} CPUs, load average {load_start} "
            f"at start, {_load()} at end, {time.perf_counter() - started:.0f} s in all. Other jobs share "
            "this machine: compare the ratio, not the absolute times._",
            "",
            f"{args.n:,} synthetic feedback items (demo texts with variations, 8 quarters), embedding model "
            f"`{args.model}`, fitted once on the driver ({fitted.sample_size:,}-item stratified sample, "
            f"{fit_s:.1f} s). Then every item embedded (empty cache) and assigned by each engine:",
            "",
            "| engine | seconds | items/s | vs local | notes |",
            "| --- | ---: | ---: | ---: | --- |",
            f"| local (`assign_documents`, one process) | {local_s:.1f} | {args.n / local_s:,.0f} | 1.00x | "
            f"chunks of {settings.themes.chunk_size:,} |",
            f"| Ray (`assign_on_ray` + read back) | {ray_s:.1f} | {args.n / ray_s:,.0f} | {ratio:.2f}x | "
            f"{run.actors} actor(s); pass {pass_s:.1f} s, DuckDB read-back {read_s:.1f} s |",
            "",
            f"Ray start-up (once per run, local): {startup_s:.1f} s. Per-quarter theme volumes in DuckDB "
            f"over the partitioned output: {duck_s:.2f} s ({len(counts)} rows). Agreement: {same:.2%} of "
            "items get "
            f"the same theme from both engines (max similarity difference {max_sim:.1e}).",
            "",
            f"**Overhead ratio Ray/local: {ratio:.2f}x** at {args.n:,} items"
            + (
                ". Ray's fixed costs (actor start and model load, the partitioned write) weigh less as N "
                f"grows; extrapolated linearly from this run, 1M items would take about "
                f"{per_million(local_s):,.0f} s local and {per_million(ray_s) + startup_s:,.0f} s on Ray "
                "(start-up included) on this machine, an upper bound for Ray"
                if args.n < 1_000_000
                else f", measured (Ray start-up adds {startup_s:.0f} s once)"
            )
            + ". docs/scale.md turns this into a model for N workers and G GPUs.",
        ]
    )
    print(text)
    if not args.no_write:
        benchdoc.write_section(SECTION, text)


if __name__ == "__main__":
    main()
