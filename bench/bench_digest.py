"""Time of ``workbench digest`` on a themed project (not run by `make test`).

Usage: ``.venv/bin/python bench/bench_digest.py --project PATH [--no-write]``

PATH is a project after ``workbench demo && workbench pull --all && workbench themes`` (the demo
company: about 17k feedback items, 1.5k accounts, 4.5k deals). Measures ``digest.run`` in-process
(loading the tables, drivers, competitor scan, Markdown and JSON) for the quarter and for a
``--since`` week, and the whole command in a fresh process (interpreter and imports included).
Target: < 5 s on the demo after themes.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchdoc import write_section

from workbench.analysis import digest
from workbench.core.config import load_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path, help="a themed demo project (required to measure)")
    parser.add_argument("--quarter", default="2026Q3")
    parser.add_argument("--since", default="2026-09-01")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.project is None:
        print("bench_digest: skipped; pass --project PATH of a themed demo project")
        return
    settings = load_settings(root=args.project)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state.json"
        for label, kwargs in (
            (f"--quarter {args.quarter}, first run (all new)", {"quarter": args.quarter}),
            (f"--quarter {args.quarter}, second run (all ongoing)", {"quarter": args.quarter}),
            (f"--since {args.since}", {"since": args.since}),
        ):
            start, cpu = time.perf_counter(), time.process_time()
            result, _, _ = digest.run(settings, out_dir=Path(tmp), state_path=state, **kwargs)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            new = sum(i.status == "new" for i in result.items)
            rows.append(
                f"| in-process, {label} | {len(result.items)} items, {new} new | {seconds:.2f} | {cpu:.2f} |"
            )
        exe = Path(sys.executable).with_name("workbench")
        start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        code = subprocess.call(
            [str(exe), "digest", "--quarter", args.quarter, "--state", str(state)],
            cwd=args.project,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        rows.append(
            f"| `workbench digest --quarter {args.quarter}` (new process, state above) "
            f"| exit {code} | "
            f"{time.perf_counter() - start:.2f} | {cpu:.2f} |"
        )
    load = os.getloadavg()[0]
    text = "\n".join(
        [
            "## Digest",
            "",
            f"`bench/bench_digest.py --project <themed demo>` on {datetime.now(UTC):%Y-%m-%d}, load "
            f"average {load:.1f}. Input: the demo company after `workbench themes` (about 17k feedback "
            "items, 1.5k accounts, 4.5k deals). Target: < 5 s. CPU seconds are given beside wall time "
            "because the machine was shared (wall time grows with the load average, CPU time hardly).",
            "",
            "| run | result | wall s | CPU s |",
            "| --- | --- | --- | --- |",
            *rows,
            "",
        ]
    )
    print(text)
    if not args.no_write:
        write_section("## Digest", text)


if __name__ == "__main__":
    main()
