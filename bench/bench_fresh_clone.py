"""Benchmark: the whole commands a new user runs, on a fresh clone (not run by `make test`).

    .venv/bin/python bench/bench_fresh_clone.py [--steps setup,quarterly,rerun] [--reuse-venv] [--no-write]

Clones the repository's committed ``HEAD`` into a temporary folder (``git clone``: no ``.venv``, no
data, no theme models, an empty embedding cache under the clone's ``.cache/``) and times, in order:

* ``setup``: ``make setup`` (a new venv and the pinned install; pip reads the machine's configured
  index, as CI does; then ``workbench themes prepare`` exports and compiles the embedding model);
* ``quarterly``: ``make quarterly`` cold (demo company, pull, theme fit with every text embedded,
  every notebook);
* ``rerun``: ``make quarterly`` again with nothing changed;
* ``newpull``: ``make quarterly`` after a new export arrived: :func:`add_survey_responses` appends
  ``NEW_RESPONSES`` NPS responses (new ids, new wording, dated in the export's last month) to the
  demo's survey export, so the pull, the themes (cached embeddings, new texts embedded) and every
  notebook run again;
* ``ci`` (only when asked): ``CI=true bash .ci/run``.

``--reuse-venv`` links this checkout's ``.venv`` into the clone instead of running ``make setup``
(for a quick check of the other steps; the row then says so). Each row of the "Whole commands on a
fresh clone" section of docs/benchmarks.md names what its run started from; the section is written
by :func:`benchdoc.write_section` unless ``--no-write``. A full run takes several minutes of both
cores: run it on an otherwise idle machine.
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
SECTION = "## Whole commands on a fresh clone"
STEPS = ("setup", "quarterly", "rerun", "newpull", "ci")
NEW_RESPONSES = 300
SURVEY = Path("data/demo/exports/nps_survey.csv")
COMMANDS = {
    "setup": ["make", "setup"],
    "quarterly": ["make", "quarterly"],
    "rerun": ["make", "quarterly"],
    "newpull": ["make", "quarterly"],
    "ci": ["bash", ".ci/run"],
}
STARTS = {
    "setup": "fresh clone: no .venv",
    "quarterly": "after setup: no data, no theme models, empty embedding cache (every text embedded cold; "
    "the embedding model was exported and compiled by setup)",
    "rerun": "right after the cold run, nothing changed",
    "newpull": f"warm, after {NEW_RESPONSES} new NPS responses were appended to the demo's survey export",
    "ci": "the clone as left by the steps before (CI=true)",
}


def clone(dest: Path) -> str:
    """``git clone`` of the committed HEAD; returns its short commit id."""
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(dest)], check=True)
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=dest, check=True, capture_output=True, text=True
    ).stdout.strip()


def add_survey_responses(root: Path, n: int = NEW_RESPONSES) -> None:
    """Append ``n`` responses to the demo survey export, as a new month's export would bring.

    Copies of the last ``n`` rows with new response ids and each reason reworded (so its text is new
    to the embedding cache), submitted on the export's last day.
    """
    import csv

    path = root / SURVEY
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    reason = next(i for i, name in enumerate(header) if name.startswith("What is the main reason"))

    def when(row: list[str]) -> dt.datetime:  # the export plants impossible dates (31/02): skip them
        try:
            return dt.datetime.strptime(row[1], "%d/%m/%Y %H:%M")
        except ValueError:
            return dt.datetime.min

    last_day = max(body, key=when)[1]
    new = []
    for i, row in enumerate(body[-n:]):
        row = list(row)
        row[0] = f"R_NEW{i:06d}"
        row[1] = last_day
        row[reason] = f"{row[reason]} Follow-up {i}: still the same for us this month."
        new.append(row)
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(new)


def timed(step: str, root: Path, reuse_venv: bool = False) -> tuple[float, int, str]:
    """Run one step in ``root``; returns (seconds, exit code, its whole output).

    With a linked ``.venv``, ``make -o .venv/.installed`` keeps make from reinstalling into it (an
    editable install from the clone would repoint the shared venv at the clone's sources).
    """
    unset = ("VIRTUAL_ENV", "WORKBENCH_HOME", "WORKBENCH_CACHE_DIR")  # the clone's own .cache: cold
    env = {k: v for k, v in os.environ.items() if k not in unset}
    if step == "ci":
        env["CI"] = "true"
    command = COMMANDS[step]
    if step == "newpull":
        add_survey_responses(root)
    if reuse_venv and command[0] == "make":
        command = ["make", "-o", ".venv/.installed", *command[1:]]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return seconds, done.returncode, done.stdout + done.stderr


def steps_of(output: str) -> str:
    """The per-step times of the last ``workbench report`` summary in ``output`` (``data 4.3 s, ...``)."""
    found = re.findall(r"data [\d.]+ s, themes [\d.]+ s, notebooks [\d.]+ s", output)
    return found[-1] if found else ""


def minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{int(seconds // 60)} min {seconds % 60:02.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="setup,quarterly,rerun", help=f"comma-separated, of {STEPS}")
    parser.add_argument("--reuse-venv", action="store_true", help="link this checkout's .venv, skip setup")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    args = parser.parse_args()
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        sys.exit(f"unknown step(s) {unknown}; choose from {STEPS}")
    if args.reuse_venv:
        steps = [s for s in steps if s not in ("setup", "ci")]  # ci would reinstall into the shared venv

    tmp = Path(tempfile.mkdtemp(prefix="wb-fresh-clone-"))
    root = tmp / "clone"
    rows = []
    try:
        commit = clone(root)
        print(f"cloned {commit} into {root}")
        if args.reuse_venv:
            (root / ".venv").symlink_to(REPO / ".venv")
        for step in steps:
            seconds, code, output = timed(step, root, args.reuse_venv)
            last = ([line for line in output.splitlines() if line.strip()] or [""])[-1]
            status = "ok" if code == 0 else f"FAILED (exit {code}): {last[:120]}"
            start = STARTS[step]
            if args.reuse_venv and step == "quarterly":
                start += "; the checkout's .venv linked in, set-up not timed"
            detail = steps_of(output)
            rows.append(
                f"| `{' '.join(COMMANDS[step])}` ({step}) | {minutes(seconds)} | {status} | {start} "
                f"| {detail or '-'} |"
            )
            print(rows[-1], flush=True)
    finally:
        if args.keep:
            print(f"clone kept in {root}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.no_write or not rows:
        return
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    text = "\n".join(
        [
            SECTION,
            "",
            f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} by `bench/bench_fresh_clone.py --steps "
            f"{','.join(steps)}{' --reuse-venv' if args.reuse_venv else ''}` on {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}; a `git clone` of commit {commit} "
            f"in a temporary folder; load average (1/5/15 min) {load} at the end.",
            "",
            "| command | wall time | result | started from | steps (from the report summary) |",
            "| --- | --- | --- | --- | --- |",
            *rows,
            "",
        ]
    )
    benchdoc.write_section(SECTION, text)


if __name__ == "__main__":
    main()
