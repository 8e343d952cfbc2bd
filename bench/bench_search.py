"""Latency of similar-feedback search (``workbench.themes.search``): not run by `make test`.

Usage: ``.venv/bin/python bench/bench_search.py [--n 100000] [--project PATH] [--no-write]``

Two inputs, labelled in every row:

* **random unit vectors** (``--n`` x 384, float32 and float16, seed 0): the exact scan alone
  (matrix-vector product + top-k), with and without a filter mask. Random vectors have no
  structure, so this measures arithmetic, not ranking quality.
* **the demo** (``--project``: a project after ``workbench demo && workbench pull --all &&
  workbench themes``): ``search(settings, query, ...)`` end to end with a warm index, which
  includes embedding the query with MiniLM; the first call (index build from the embedding
  cache, model load) is reported separately.

BLAS is limited to 2 threads (the target machine has 2 cores).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from benchdoc import write_section  # noqa: E402

from workbench.themes.search import top_k  # noqa: E402

QUERIES = [
    "export to excel is broken",
    "SSO login fails",
    "too expensive at renewal",
    "app crashes on my phone",
]


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def random_rows(n: int, repeats: int) -> list[str]:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(n, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = vectors[rng.integers(0, n, repeats)]
    mask = rng.random(n) < 0.2
    it = iter(np.tile(queries, (4, 1)))
    rows = []
    for label, vecs, m in (
        ("float32, no filter", vectors, None),
        ("float32, filter keeps 20%", vectors, mask),
        ("float16 storage, no filter", vectors.astype(np.float16), None),
    ):
        ms = median_ms(lambda v=vecs, m=m: top_k(v, next(it), 20, m), repeats)
        rows.append(f"| random unit vectors, {n:,} x 384, {label} | top_k(k=20) | {ms:.1f} |")
    return rows


def demo_rows(project: Path, repeats: int) -> list[str]:
    from workbench.core.config import load_settings
    from workbench.themes import search as s

    settings = load_settings(root=project)
    start = time.perf_counter()
    s.search(settings, QUERIES[0], k=20)
    first = (time.perf_counter() - start) * 1000
    n = len(s.build_index(settings).items)
    it = iter(QUERIES * repeats)
    warm = median_ms(
        lambda: s.search(settings, next(it), quarter="2026Q3", segment="Enterprise", k=20), repeats
    )
    return [
        f"| demo, {n:,} feedback items | first search (index from cache, model load) | {first:.0f} |",
        f"| demo, {n:,} feedback items | search(quarter, segment, k=20), warm, query embedded | {warm:.1f} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--project", type=Path, help="a themed demo project")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows = random_rows(args.n, args.repeats)
    if args.project:
        rows += demo_rows(args.project, args.repeats)
    load = os.getloadavg()[0]
    text = "\n".join(
        [
            "## Similar-feedback search",
            "",
            f"`bench/bench_search.py{' --project <themed demo>' if args.project else ''}` on "
            f"{datetime.now(UTC):%Y-%m-%d}, BLAS limited to 2 threads, load average {load:.1f}. "
            f"Median over {args.repeats} queries. Target: < 200 ms on 100k items.",
            "",
            "| input | step | median ms |",
            "| --- | --- | --- |",
            *rows,
            "",
        ]
    )
    print(text)
    if not args.no_write:
        write_section("## Similar-feedback search", text)


if __name__ == "__main__":
    main()
