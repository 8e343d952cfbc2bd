"""Warm notebook workers (workbench.report.warm): real worker processes and kernels, started ahead."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from workbench.core import busy
from workbench.report import runner
from workbench.report.warm import WarmWorkers

pytestmark = pytest.mark.slow

# What the kernel had imported before the notebook's first cell, and where it runs.
PROBE = """
import os, sys
print(all(m in sys.modules for m in WARM), os.getcwd(), NAME)
"""


def probe_job(tmp_path: Path, name: str, cwd: Path) -> runner.NotebookJob:
    source = tmp_path / f"{name}.ipynb"
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    )
    nb.cells = [
        nbformat.v4.new_code_cell("WARM = ()\nNAME = ''", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(PROBE),
    ]
    nbformat.write(nb, source)
    return runner.NotebookJob(
        name=name,
        source=source,
        executed=tmp_path / f"{name}.out.ipynb",
        html=tmp_path / f"{name}.html",
        parameters={"WARM": list(runner.WARM_MODULES), "NAME": name},
        cwd=cwd,
    )


def printed(job: runner.NotebookJob) -> list[str]:
    return nbformat.read(job.executed, as_version=4).cells[-1].outputs[0]["text"].split()


def wait_until(check, timeout: float = 90.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_a_job_runs_on_a_warm_kernel_and_one_it_cannot_take_runs_cold(tmp_path):
    here, elsewhere = tmp_path / "notebooks", tmp_path / "other"
    here.mkdir()
    elsewhere.mkdir()
    warm_job, cold_job = probe_job(tmp_path, "warm", here), probe_job(tmp_path, "cold", elsewhere)

    with WarmWorkers(1, here) as workers:
        assert wait_until(lambda: len(workers._all) == 1 and workers._all[0].ready())
        folder = workers._all[0].folder
        runs = runner.run_all([warm_job, cold_job], max_parallel=2, warm=workers)

    assert all(r.ok for r in runs), [r.error for r in runs]
    assert printed(warm_job) == ["True", str(here), "warm"]  # imported before the first cell, in its cwd
    assert printed(cold_job) == ["False", str(elsewhere), "cold"]  # another folder: a worker of its own
    assert warm_job.html.is_file() and cold_job.html.is_file()
    assert not folder.exists()


def test_unused_workers_and_their_kernels_end_with_the_build(tmp_path):
    with WarmWorkers(2, tmp_path) as workers:
        assert wait_until(lambda: len(workers._all) == 2 and all(w.ready() for w in workers._all))
        processes = [psutil.Process(w.process.pid) for w in workers._all]
        kernels = [child for p in processes for child in p.children(recursive=True)]
        folders = [w.folder for w in workers._all]
        assert len(kernels) >= 2  # each worker waits with its kernel started
    assert all(w.process.poll() is not None for w in workers._all)
    assert wait_until(
        lambda: not any(k.is_running() and k.status() != psutil.STATUS_ZOMBIE for k in kernels), 15
    )
    assert not any(f.exists() for f in folders)


def test_workers_wait_while_a_step_keeps_every_core_busy_and_start_when_it_ends(tmp_path):
    release = threading.Event()

    def embedding() -> None:
        with busy.all_cores():
            release.wait(timeout=60)

    step = threading.Thread(target=embedding)
    step.start()
    assert wait_until(busy.cores_busy, 5)
    try:
        with WarmWorkers(1, tmp_path) as workers:
            time.sleep(1.0)
            assert workers._all == []  # held back while the step runs
            release.set()
            step.join()
            assert wait_until(lambda: len(workers._all) == 1)  # and started once it ended
    finally:
        release.set()
        step.join()


def test_a_build_that_fails_early_is_not_held_up_by_a_worker_still_starting(tmp_path):
    with pytest.raises(RuntimeError), WarmWorkers(1, tmp_path) as workers:
        assert wait_until(lambda: len(workers._all) == 1, 10)
        worker = workers._all[0]
        assert not worker.ready()  # just started: its kernel and imports take seconds
        failed_at = time.perf_counter()
        raise RuntimeError("the pull failed")
    # Killed at once: a worker asked to stop gracefully would first finish starting (2-3 s here).
    assert time.perf_counter() - failed_at < 1.5
    assert worker.process.poll() is not None and not worker.folder.exists()
