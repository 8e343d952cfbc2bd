"""Run every benchmark in bench/ (``make bench``): each ``bench_*.py`` with its default arguments.

Benchmarks are slow and measure the machine they run on, so they are never part of ``make test``.
Each script writes (or prints) its own section of ``docs/benchmarks.md``; this runner only runs
them one after another, so they do not compete for the CPU, and reports which ones failed.

Usage: ``.venv/bin/python bench/run_all.py [name ...]`` (names without ``bench_`` and ``.py``,
e.g. ``themes``; default: all).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts(names: list[str]) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if not names:
        return found
    wanted = {f"bench_{n.removeprefix('bench_').removesuffix('.py')}.py" for n in names}
    missing = wanted - {p.name for p in found}
    if missing:
        raise SystemExit(f"no such benchmark(s): {sorted(missing)}; have {[p.name for p in found]}")
    return [p for p in found if p.name in wanted]


def main() -> int:
    failed = []
    for script in scripts(sys.argv[1:]):
        print(f"==> {script.name}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)])
        print(f"<== {script.name}: exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
