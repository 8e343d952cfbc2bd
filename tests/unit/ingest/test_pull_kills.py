"""SIGKILL a pull at random moments: the processed tables stay byte-identical and a rerun succeeds.

Each pull runs in a child process that imports the workbench first and says "ready", so the
kills land inside the pull itself (reading, snapshotting, validating, writing, swapping), not
during Python's start-up.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pull_fixtures import REVIEWS_HEADER, make_project, reviews_source, write

from workbench.ingest.pull import pull
from workbench.ingest.snapshot import MANIFEST, clean_leftovers

pytestmark = pytest.mark.slow

KILLS = 20
# A pre-imported server forks one pull per request, so each kill costs a pull, not a start-up.
# Nothing in the server touches polars' thread pool before it forks.
SERVER = """
import os, sys
from workbench.core.config import load_settings
from workbench.ingest.pull import pull
settings = load_settings(root=sys.argv[1])
print("ready", flush=True)
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        try:
            pull(settings, quarter="2026Q3")
        finally:
            os._exit(0)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print(status, flush=True)
"""


def _tables(processed: Path) -> dict[str, str]:
    """sha256 of every processed table and rejects file (the manifest carries the pull time)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(processed.glob("*.parquet"))}


def _server(root: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SERVER, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0", "POLARS_ALLOW_FORKING_THREAD": "1"},
    )


def _start(server: subprocess.Popen) -> int:
    server.stdin.write("go\n")
    server.stdin.flush()
    return int(server.stdout.readline())


def test_sigkill_at_random_moments_leaves_the_last_good_tables(tmp_path):
    rows = "".join(
        f"{i},{1 + i % 28:02d}-07-2026 10:00,review number {i} about exports,{1 + i % 5}\n"
        for i in range(6000)
    )
    rows += "bad,31-02-2026 10:00,no such day,3\n"  # one reject, so the rejects file is covered too
    settings = make_project(tmp_path, {"feedback": [reviews_source()]})
    write(tmp_path, "reviews.csv", REVIEWS_HEADER + rows)
    pull(settings, quarter="2026Q3")
    processed, raw = settings.paths.processed, settings.paths.raw
    before = _tables(processed)
    assert set(before) == {"feedback.parquet", "feedback.rejects.parquet"}

    server = _server(tmp_path)
    try:
        assert server.stdout.readline().strip() == "ready"
        durations = []  # how long one pull takes here: the fastest of three, so a slow first
        for _ in range(3):  # run (or load while measuring) does not push kills past the pull
            started = time.monotonic()
            _start(server)
            assert int(server.stdout.readline()) == 0
            durations.append(time.monotonic() - started)
        duration = min(durations)

        rng = random.Random(13)
        kills = attempts = 0
        while kills < KILLS and attempts < 3 * KILLS:
            attempts += 1
            started = time.monotonic()
            pid = _start(server)
            time.sleep(rng.uniform(0.05, 0.9) * duration)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if int(server.stdout.readline()) == 0:  # it finished before the kill: time it again
                duration = min(duration, time.monotonic() - started)
            else:
                kills += 1
            # What the next pull does first; then the tables are exactly the last good ones.
            clean_leftovers(processed, raw)
            assert _tables(processed) == before
            assert json.loads((processed / MANIFEST).read_text())["quarter"] == "2026Q3"
            assert all((folder / MANIFEST).is_file() for folder in raw.iterdir())
            assert not list(settings.paths.data.glob(".processed-*"))
        assert kills == KILLS, f"only {kills} of {attempts} pulls were killed before finishing"
    finally:
        server.stdin.close()
        server.wait(timeout=60)

    result = pull(settings, quarter="2026Q3")  # a rerun succeeds, with the same rows
    assert result.counts["feedback"] == {"input": 6001, "processed": 6000, "rejected": 1, "rows": 6000}
    assert _tables(processed) == before
