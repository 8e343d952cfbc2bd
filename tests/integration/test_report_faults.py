"""SIGKILL at random moments, and two builds at once: the last good state survives, a rerun succeeds.

After one good ``workbench report`` of a small synthetic project, ``pull``, ``themes`` and
``report`` are each started again and killed with SIGKILL at random moments (21 in all, spread
over each command's measured duration). After every kill, the state that the next command reads
(what the pull's, the theme engine's and the report's own recovery leave: the same functions each
command runs first) must be byte-identical to the last good state: processed tables, theme models
and outputs, and the published report. A command that finished before its kill, or was killed
after its commit point (between publishing and exiting), is a new good state, checked whole.
Finally a normal rerun must succeed and leave no leftovers.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from report_projects import example_project

from workbench.core.config import load_settings
from workbench.ingest.snapshot import clean_leftovers
from workbench.report.publish import recover
from workbench.report.runner import OWNER_FILE, TEMP_PREFIX
from workbench.themes.engine import recover_publish

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]
KILLS_PER_COMMAND = 7


def _env() -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("WORKBENCH_HOME", None)
    return env


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", *args],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def timed(args: list[str], cwd: Path) -> float:
    begin = time.perf_counter()
    proc = start(args, cwd)
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-3000:]
    return time.perf_counter() - begin


def fingerprint(settings, quarter: str) -> dict[str, str]:
    """sha256 of every file the next command reads: processed data, theme models, the report."""
    roots = {
        "processed": settings.paths.processed,
        "models": settings.paths.models,
        "report": settings.paths.reports / quarter,
    }
    out = {}
    for name, root in roots.items():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.name.endswith(".lock"):
                out[f"{name}/{path.relative_to(root)}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def committed(old: dict[str, str], new: dict[str, str]) -> str | None:
    """Why ``new`` is not a complete new state (``None`` when it is one).

    A kill that lands after a command's commit point (the report renamed into place, the theme
    swap's journal removed, the pull's swap done) but before the process exited leaves the new
    state, whole: that is a finished command, not damage. Anything else that differs is damage.
    """

    def group(key: str) -> str:
        if key.startswith("processed/themes/"):
            return "outputs"
        return key.split("/", 1)[0].replace("processed", "tables")

    changed = {group(k) for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    if ("outputs" in changed) != ("models" in changed):
        return f"theme model and outputs out of step: {sorted(changed)}"
    if "tables" in changed and old.get("processed/manifest.json") == new.get("processed/manifest.json"):
        return "processed tables changed without a new pull manifest"
    if "report" in changed and (
        old.get("report/manifest.json") == new.get("report/manifest.json") or "report/index.html" not in new
    ):
        return "report changed without a new complete build"
    return None


def recover_all(settings, quarter: str) -> None:
    """What each command does first: the pull's, the theme engine's and the report's recovery."""
    clean_leftovers(settings.paths.processed, settings.paths.raw)
    recover_publish(settings)
    recover(settings.paths.reports, quarter)


def test_sigkill_at_random_moments_never_loses_the_last_good_state(tmp_path):
    config = example_project(
        tmp_path,
        "google_play_reviews",
        quarters=2,
        extra={
            "report": {"company": "Synthetic Co", "notebooks": ["00_executive_summary"], "max_parallel": 1}
        },
    )
    root = config.parent.parent
    settings = load_settings(config)
    quarter_args = []
    first = timed(["report", "-c", str(config)], root)
    quarter = next(p.name for p in settings.paths.reports.iterdir() if not p.name.startswith((".", "_")))
    quarter_args = ["-q", quarter]
    durations = {
        "pull": timed(["pull", "--all", "-c", str(config)], root),
        "themes": timed(["themes", "-c", str(config), *quarter_args], root),
        "report": timed(["report", "--skip-pull", "--force", "-c", str(config), *quarter_args], root),
    }
    commands = {
        "pull": ["pull", "--all", "-c", str(config)],
        "themes": ["themes", "-c", str(config), *quarter_args],
        "report": ["report", "--skip-pull", "--force", "-c", str(config), *quarter_args],
    }
    good = fingerprint(settings, quarter)
    rng = random.Random(13)
    kills = finished = late = 0
    attempts = 0
    while kills < 3 * KILLS_PER_COMMAND and attempts < 6 * KILLS_PER_COMMAND:
        name = list(commands)[attempts % len(commands)]
        attempts += 1
        # a moment inside the command's run; durations shrink to what was observed, so load on
        # the machine while measuring does not turn kills into finished runs
        delay = rng.uniform(0.05, 0.95) * durations[name]
        begin = time.perf_counter()
        proc = start(commands[name], root)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            time.sleep(1.0)  # the killed build's workers and kernels notice and exit
            recover_all(settings, quarter)
            now = fingerprint(settings, quarter)
            if now == good:
                print(f"{name} killed after {delay:.1f} s: state intact")
                continue
            damage = committed(good, now)
            assert damage is None, f"{name} killed after {delay:.1f} s: {damage}"
            late += 1
            good = now
            print(f"{name} killed after {delay:.1f} s, past its commit point: a complete new state")
        else:
            assert proc.returncode == 0, proc.stderr.read()[-3000:]
            finished += 1
            durations[name] = min(durations[name], time.perf_counter() - begin)
            good = fingerprint(settings, quarter)  # a finished command is the new good state
            print(f"{name} finished before {delay:.1f} s: new good state")
    assert kills >= 20, f"only {kills} of {attempts} commands were killed before finishing"

    proc = start(["report", "-c", str(config), *quarter_args], root)
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-3000:]
    leftovers = [
        p
        for folder in (settings.paths.reports, settings.paths.processed, settings.paths.models / "themes")
        for p in folder.glob(".*")
        if ".tmp-" in p.name or ".old-" in p.name or ".staged-" in p.name
    ]
    assert leftovers == []
    for folder in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        owner = folder / OWNER_FILE
        if owner.is_file():  # a live build's folder is fine; a dead one's must have been cleaned
            os.kill(int(owner.read_text()), 0)
    print(f"first report {first:.0f} s, {durations}, {kills} kills ({late} past commit), {finished} finished")


def test_two_reports_of_one_quarter_at_once_one_fails_clearly(tmp_path):
    config = example_project(
        tmp_path,
        "google_play_reviews",
        quarters=1,
        extra={"report": {"company": "Synthetic Co", "notebooks": ["00_executive_summary"]}},
    )
    root = config.parent.parent
    settings = load_settings(config)
    timed(["pull", "--all", "-c", str(config)], root)
    first = start(["report", "--skip-pull", "-c", str(config)], root)
    time.sleep(0.5)
    deadline = time.time() + 120
    while not (settings.paths.data / ".report.lock").exists() and time.time() < deadline:
        time.sleep(0.2)
    second = start(["report", "--skip-pull", "-c", str(config)], root)
    _, err2 = second.communicate(timeout=600)
    _, err1 = first.communicate(timeout=900)
    assert first.returncode == 0, err1[-3000:]
    assert second.returncode == 2 and "is already running (pid" in err2 and "Traceback" not in err2
    assert yaml.safe_load(config.read_text())["sources"]  # config untouched
