"""Streamed pulls: a 10M-row feedback csv through `pull()` in bounded memory (not run by `make test`).

Usage::

    .venv/bin/python bench/bench_pull_stream.py                   # 10M rows streamed, 1M streamed vs whole
    .venv/bin/python bench/bench_pull_stream.py --rows 2000000    # a smaller large file
    .venv/bin/python bench/bench_pull_stream.py --no-write

A feedback export like the reviews fixtures of the tests (id, when as dd-mm-yyyy HH:MM, body,
stars; about 80 bytes a row, a few rows rejected: out-of-range stars and repeated ids) is generated
in a temporary folder, never in the repository. Every pull runs in its own child process
(``pull(settings, all_quarters=True)``), so its peak RSS (``os.wait4``'s ``ru_maxrss`` of that child)
is the pull's own high-water mark, Python and the imports included. Each child checks
processed + rejected == rows and the expected reject count.

* ``--rows`` (10M) is pulled streamed (the file is above the 256 MB threshold anyway), with
  ``date_format`` and again without it (dates detected: one more pass over the file);
* ``--compare-rows`` (1M, below the threshold) is pulled twice, whole and forced streamed, and the
  two processed tables are compared row for row.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchdoc  # bench/ is on sys.path when a benchmark runs as a script

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Streamed pulls"
WORDS = [
    *("app", "crash", "login", "slow", "export", "payment", "refund", "support", "great", "terrible"),
    *("update", "battery", "sync", "screen", "invoice", "search", "dashboard", "report", "billing"),
    *("onboarding", "password", "notification", "offline"),
]

CHILD = """
import json, sys, time
from workbench.core.config import load_settings
from workbench.ingest import stream
from workbench.ingest.pull import pull
root, threshold, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
stream.STREAM_ABOVE_BYTES = threshold
stream.BATCH_ROWS = batch
settings = load_settings(root=root)
started = time.perf_counter()
result = pull(settings, all_quarters=True)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "counts": result.counts["feedback"]}))
"""


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def generate(path: Path, rows: int, seed: int = 0) -> int:
    """A reviews csv of ``rows`` rows; returns how many of them a pull must reject."""
    rng = random.Random(seed)
    rejected = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("id,when,body,stars\n")
        lines = []
        for i in range(rows):
            ident, stars = i, 1 + i % 5
            if i % 100_003 == 7:
                stars, rejected = 9, rejected + 1  # outside 1..5
            elif i % 1_000_003 == 11:
                ident, rejected = i - 1, rejected + 1  # repeats the previous row's id
            text = " ".join(rng.choices(WORDS, k=rng.randint(5, 10)))
            lines.append(
                f'{ident},{1 + i % 28:02d}-{1 + i % 9:02d}-2026 {i % 24:02d}:{i % 60:02d},"{text}",{stars}\n'
            )
            if len(lines) == 100_000:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))
    return rejected


def project(root: Path, csv: Path, date_format: str | None = "%d-%m-%Y %H:%M") -> Path:
    """A project whose one feedback source is ``csv`` (read through data_folders).

    Without ``date_format`` the pull learns the day/month order from the dates: a streamed pull
    makes one extra pass over the file for it.
    """
    (root / "config").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "config" / "workbench.yaml").write_text("sources: config/sources.yaml\n", encoding="utf-8")
    source = {
        "name": "reviews",
        "path": str(csv),
        "columns": {"id": "feedback_id", "when": "created_at", "body": "text", "stars": "rating"},
        "date_format": date_format,
        "constants": {"channel": "app_review"},
    }
    sources = {"warehouse": ":memory:", "data_folders": [str(csv.parent)], "tables": {"feedback": [source]}}
    (root / "config" / "sources.yaml").write_text(json.dumps(sources), encoding="utf-8")
    return root


def run_pull(root: Path, threshold: int, batch: int) -> dict:
    """One pull in a child process: its result, wall seconds and peak RSS (MiB)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(threshold), str(batch)],
        stdout=subprocess.PIPE,
        text=True,
    )
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"pull failed in {root} (exit {child.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - started
    result["rss_mib"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def check(result: dict, rows: int, rejected: int) -> None:
    counts = result["counts"]
    if counts["input"] != rows or counts["rejected"] != rejected or counts["processed"] != rows - rejected:
        raise SystemExit(f"counts wrong: {counts} for {rows} rows with {rejected} to reject")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the large file (streamed)")
    parser.add_argument("--compare-rows", type=int, default=1_000_000, help="rows pulled whole and streamed")
    parser.add_argument("--batch-rows", type=int, default=None, help="rows per batch (default: the pull's)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    import polars as pl

    from workbench.ingest import stream

    batch = args.batch_rows or stream.BATCH_ROWS
    load_start, started = _load(), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-pull-stream-") as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        small_csv = work / "in" / "small.csv"
        t0 = time.perf_counter()
        small_rejected = generate(small_csv, args.compare_rows)
        whole = run_pull(project(work / "whole", small_csv), 2**62, batch)
        check(whole, args.compare_rows, small_rejected)
        streamed = run_pull(project(work / "streamed", small_csv), 0, batch)
        check(streamed, args.compare_rows, small_rejected)
        same = pl.read_parquet(work / "whole" / "data" / "processed" / "feedback.parquet").equals(
            pl.read_parquet(work / "streamed" / "data" / "processed" / "feedback.parquet")
        )
        if not same:
            raise SystemExit("the streamed and whole pulls of the same file wrote different tables")
        small_mb = small_csv.stat().st_size / 1e6
        small_csv.unlink()

        large_csv = work / "in" / "large.csv"
        t0 = time.perf_counter()
        large_rejected = generate(large_csv, args.rows)
        gen_s = time.perf_counter() - t0
        large_mb = large_csv.stat().st_size / 1e6
        large = run_pull(project(work / "large", large_csv), stream.STREAM_ABOVE_BYTES, batch)
        check(large, args.rows, large_rejected)
        shutil.rmtree(work / "large")  # its snapshot copy: one large file on disk at a time
        detect = run_pull(project(work / "detect", large_csv, None), stream.STREAM_ABOVE_BYTES, batch)
        check(detect, args.rows, large_rejected)
        streamed_large = large_csv.stat().st_size > stream.STREAM_ABOVE_BYTES

    time_ratio = streamed["seconds"] / whole["seconds"]
    rss_ratio = streamed["rss_mib"] / whole["rss_mib"]
    command = f"bench/bench_pull_stream.py --rows {args.rows} --compare-rows {args.compare_rows}"
    threshold = f"{stream.STREAM_ABOVE_BYTES / 2**20:.0f} MiB"

    def row(name: str, rows: int, mb: float, how: str, r: dict) -> str:
        cells = [name, f"{rows:,}", f"{mb:,.0f}", how, f"{r['seconds']:.1f}", f"{rows / r['seconds']:,.0f}"]
        cells += [f"{r['rss_mib']:,.0f}", f"{r['counts']['rejected']:,}"]
        return "| " + " | ".join(cells) + " |"

    text = "\n".join(
        [
            SECTION,
            "",
            f"_{dt.date.today():%Y-%m-%d}, `.venv/bin/python {command}`, {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average {load_start} at start, {_load()} at end, "
            f"{time.perf_counter() - started:.0f} s in all. Other jobs share this machine: compare the "
            "ratios, not the absolute times._",
            "",
            "A generated reviews export (id, `dd-mm-yyyy HH:MM` date, 5-10 word text, stars; a few rows to "
            "reject: stars out of range, repeated ids) pulled with `pull(settings, all_quarters=True)`, each "
            "pull in its own child process. Peak RSS is that child's `ru_maxrss` (Python and imports "
            f"included). Streamed pulls read batches of {batch:,} rows; files above {threshold} stream by "
            "default.",
            "",
            "| file | rows | MB | pull | seconds | rows/s | peak RSS (MiB) | rejected |",
            "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
            row("compare", args.compare_rows, small_mb, "whole (in memory)", whole),
            row("compare", args.compare_rows, small_mb, "streamed (forced)", streamed),
            row("large", args.rows, large_mb, "streamed" if streamed_large else "whole", large),
            row("large", args.rows, large_mb, "... dates detected (no `date_format`)", detect),
            "",
            f"At {args.compare_rows:,} rows, streamed / whole: **{time_ratio:.2f}x the time, "
            f"{rss_ratio:.2f}x the peak RSS**; both wrote the same processed table (compared row for row). "
            f"The {args.rows:,}-row file ({large_mb:,.0f} MB, generated in {gen_s:.0f} s) pulled in "
            f"**{large['seconds']:.0f} s with a peak RSS of {large['rss_mib'] / 1024:.2f} GiB**; "
            "processed + rejected == rows, as every pull checks. Without `date_format` the day/month order "
            "is learned over the whole file first (one more pass over the snapshot copy): "
            f"{detect['seconds']:.0f} s, {detect['rss_mib'] / 1024:.2f} GiB.",
        ]
    )
    print(text)
    if not args.no_write:
        benchdoc.write_section(SECTION, text)


if __name__ == "__main__":
    main()
