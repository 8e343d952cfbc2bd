"""Wall time of generating the demo company (not run by `make test`).

Usage: ``.venv/bin/python bench/bench_demo.py [--scales 0.2 1 3]``

Generates into a temporary folder at each scale and prints one markdown table row per scale
(simulation and writing timed separately); paste the rows into docs/benchmarks.md. The goal is
"well under 30 s" at scale 1 on a 2-core machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from workbench.demo import company as demo
from workbench.demo.export import write_all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.2, 1.0, 3.0])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print("| scale | feedback items | deals | usage rows | simulate s | write s | total s |")
    print("|---|---|---|---|---|---|---|")
    for scale in args.scales:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            company = demo.simulate(args.seed, scale)
            simulated = time.perf_counter()
            write_all(Path(tmp), company, params={"seed": args.seed, "scale": scale})
            done = time.perf_counter()
        print(
            f"| {scale:g} | {len(company.feedback):,} | {len(company.deals):,} | {len(company.usage):,} "
            f"| {simulated - start:.1f} | {done - simulated:.1f} | {done - start:.1f} |"
        )


if __name__ == "__main__":
    main()
