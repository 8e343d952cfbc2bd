"""Benchmark: ``make quarterly`` on the demo company, cold and warm, plus the report's page sizes.

    .venv/bin/python bench/bench_quarterly.py [--skip-cold] [--no-write]

* **cold**: a fresh copy of the repository (tracked and non-ignored files only, like a clone),
  the existing ``.venv`` linked in and the model prepared by ``workbench themes prepare`` as
  ``make setup`` does (set-up excluded, as the goal says), an empty embedding cache: demo
  generation, pull, theme fit with every text embedded, all notebooks.
* **warm**: the same copy again after removing ``data/processed``, ``data/models`` and
  ``reports`` but keeping the embedding cache: pull, theme fit (embeddings cached), notebooks.
* **rerun**: ``make quarterly`` once more with nothing changed (every notebook reused).

Goals on a 2-core machine: cold < 90 s and rerun < 5 s (issue 10), warm < 2 min (issue 4).
Results go to the "Quarterly report" section of ``docs/benchmarks.md`` (other sections are kept).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchdoc  # bench/ is on sys.path when a benchmark runs as a script

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Quarterly report"
GOALS = {"cold": 90.0, "warm": 120.0, "rerun (nothing changed)": 5.0}


def copy_checkout(dest: Path) -> None:
    """Copy the files a clone would have (tracked + untracked-not-ignored), keeping mtimes."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True, capture_output=True
        )
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, listed):
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    (dest / ".venv").symlink_to(REPO / ".venv")


def run_make(root: Path, cache: Path) -> tuple[float, str]:
    """Time ``make quarterly`` in ``root``; ``-o`` keeps make from reinstalling the shared venv."""
    env = {**os.environ, "WORKBENCH_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    done = subprocess.run(
        ["make", "-o", ".venv/.installed", "quarterly"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"make quarterly failed with exit code {done.returncode}")
    return seconds, done.stderr + done.stdout


def prepare(root: Path, cache: Path) -> None:
    """What ``make setup`` does after installing (untimed): prepare the model, fill numba's cache."""
    env = {**os.environ, "WORKBENCH_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    subprocess.run([str(root / ".venv/bin/workbench"), "themes", "prepare"], cwd=root, env=env, check=True)


def latest_report(root: Path) -> Path:
    """The newest ``reports/<quarter>/`` folder."""
    found = [p for p in (root / "reports").iterdir() if p.is_dir() and re.fullmatch(r"\d{4}Q[1-4]", p.name)]
    return max(found, key=lambda p: p.name)


def page_sizes(root: Path) -> dict[str, int]:
    """Bytes of every page of the newest report (the executive pages and the index)."""
    return {p.name: p.stat().st_size for p in sorted(latest_report(root).glob("*.html"))}


def steps_line(log: str) -> str:
    """The 'data x s, themes y s, notebooks z s' line of the report summary."""
    found = re.findall(r"data [\d.]+ s, themes [\d.]+ s, notebooks [\d.]+ s", log)
    return found[-1] if found else ""


def render_section(rows: list[tuple[str, float, str]], sizes: dict[str, int], chart_count: int) -> str:
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    cpus = os.cpu_count()
    lines = [
        SECTION,
        "",
        f"Measured {stamp} by `bench/bench_quarterly.py` on {platform.processor() or platform.machine()}, "
        f"{cpus} cores, Python {platform.python_version()}; demo company (seed 7). Other processes may "
        "have shared the CPU; rerun on an idle machine for the cleanest figures.",
        "",
        "| run | wall time | goal | steps (from the report summary) |",
        "| --- | --- | --- | --- |",
    ]
    for name, seconds, steps in rows:
        goal = GOALS.get(name)
        verdict = "-" if goal is None else (f"< {goal:.0f} s: " + ("met" if seconds < goal else "MISSED"))
        lines.append(f"| {name} | {seconds:.0f} s | {verdict} | {steps} |")
    lines += [
        "",
        f"Page sizes ({chart_count} charts exported; limit 5 MB per page):",
        "",
        "| page | size |",
        "| --- | --- |",
    ]
    lines += [f"| {name} | {size / 1024:.0f} KB |" for name, size in sizes.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--skip-cold", action="store_true", help="reuse the cache: measure warm and rerun only"
    )
    parser.add_argument("--no-write", action="store_true", help="print the section, do not touch the docs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wb-bench-") as tmp:
        root, cache = Path(tmp) / "clone", Path(tmp) / "cache"
        copy_checkout(root)
        rows = []
        if not args.skip_cold:
            prepare(root, cache)
            seconds, log = run_make(root, cache)
            rows.append(("cold", seconds, steps_line(log)))
            print(f"cold: {seconds:.1f} s", flush=True)
        else:
            cache = REPO / ".cache"
        for folder in ("data/processed", "data/models", "reports"):
            shutil.rmtree(root / folder, ignore_errors=True)
        (root / "reports").mkdir(exist_ok=True)
        seconds, log = run_make(root, cache)
        rows.append(("warm", seconds, steps_line(log)))
        print(f"warm: {seconds:.1f} s", flush=True)
        seconds, log = run_make(root, cache)
        rows.append(("rerun (nothing changed)", seconds, steps_line(log)))
        print(f"rerun: {seconds:.1f} s", flush=True)
        sizes = page_sizes(root)
        latest = latest_report(root)
        section = render_section(rows, sizes, len(list((latest / "charts").glob("*.png"))))
    print(section)
    if not args.no_write:
        benchdoc.write_section(SECTION, section)


if __name__ == "__main__":
    main()
