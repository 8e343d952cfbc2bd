"""Notebook workers started ahead of their notebooks, so each finds its kernel warm.

A notebook's run starts with fixed costs: a worker process imports papermill and nbconvert, starts
a kernel, and the kernel imports pandas, polars, altair and the workbench (about 5 s of CPU per
notebook, the sum of those imports' timings). In a build with new data, the theme engine leaves
one core idle for long stretches (the cluster-count search, the topic model's fit and labels run
on one thread), so the workers are started when the build begins, and pay those costs in that
idle time (docs/report.md has the measurements). Each warm worker then runs exactly one notebook
(:func:`workbench.report.runner.run_all` hands it the next job) and ends; a build that needs fewer
notebooks shuts the rest down unused.

Workers are ordinary ``python -m workbench.report.runner --warm`` processes, each in its own
temporary folder (its kernel's sockets live there), ended with the build, or by
:func:`workbench.report.runner.clean_stale_temp` when the build was killed.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from workbench.core import busy
from workbench.report.runner import (
    WARM_READY_FILE,
    NotebookJob,
    NotebookRun,
    _job_to_json,
    owned_temp_folder,
    worker_env,
    worker_result,
)

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0  # how long an unused worker may take to shut its kernel down before it is killed


class WarmWorker:
    """One waiting worker process: :meth:`run` gives it its notebook."""

    def __init__(self, folder: Path, cwd: Path, kernel_name: str, env: dict[str, str]):
        self.folder = folder
        self.log = folder / "worker.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "workbench.report.runner",
                    "--warm",
                    str(folder),
                    str(cwd),
                    kernel_name,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=env,
            )

    def alive(self) -> bool:
        return self.process.poll() is None

    def ready(self) -> bool:
        """Whether its kernel has answered (its imports done) and it waits for its notebook."""
        return (self.folder / WARM_READY_FILE).is_file()

    def run(self, job: NotebookJob) -> NotebookRun:
        """Run ``job`` in this worker and wait for it (the worker ends afterwards)."""
        start = time.perf_counter()
        job_file, result_file = self.folder / "job.json", self.folder / "result.json"
        job_file.write_text(json.dumps(_job_to_json(job)), encoding="utf-8")
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(f"{job_file}\t{result_file}\n".encode())
            self.process.stdin.close()
        except OSError:  # it died while waiting; its exit code and log say why below
            pass
        code = self.process.wait()
        return worker_result(
            job, start, result_file, code, self.log.read_text(encoding="utf-8", errors="replace")
        )

    def stop(self) -> None:
        """End an unused worker: end of input tells a waiting one to shut its kernel down and exit.

        One still starting (it reads its input only once ready) is killed at once, so a build that
        fails early is not held up; its kernel follows it (kernels end with their parent).
        """
        if not self.alive():
            return
        if not self.ready():
            self.process.kill()
            self.process.wait()
            return
        try:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


class WarmWorkers:
    """Up to ``count`` warm workers for notebooks that will run in ``cwd`` on ``kernel_name``.

    Use as a context manager. Workers start one at a time, each once the one before is ready and
    no step of this process keeps every core busy (:mod:`workbench.core.busy`: the embedding), so
    that their start-up fills idle time instead of slowing the themes. The first :meth:`take` (the
    notebooks are starting) ends the starting; workers not taken are stopped on exit, and every
    worker's folder is removed. Workers and kernels run with :func:`runner.worker_env` (``env``).
    """

    def __init__(self, count: int, cwd: Path, kernel_name: str = "python3"):
        self.count = count
        self.cwd = Path(cwd)
        self.kernel_name = kernel_name
        self.env: dict[str, str] = {}
        self._stack = ExitStack()
        self._idle: list[WarmWorker] = []
        self._all: list[WarmWorker] = []
        self._lock = threading.Lock()  # run_all's threads take workers concurrently
        self._stop = threading.Event()
        self._starter: threading.Thread | None = None

    def __enter__(self) -> WarmWorkers:
        try:
            self.env = worker_env(self._stack.enter_context(owned_temp_folder()))
        except BaseException:
            self._stack.close()
            raise
        self._starter = threading.Thread(target=self._start_all, name="warm-workers", daemon=True)
        self._starter.start()
        return self

    def _start_all(self) -> None:
        for _ in range(self.count):
            while not busy.wait_for_a_free_core(timeout=0.2):
                if self._stop.is_set():
                    return
            with self._lock:
                if self._stop.is_set():
                    return
                folder = self._stack.enter_context(owned_temp_folder())
                worker = WarmWorker(folder, self.cwd, self.kernel_name, self.env)
                self._all.append(worker)
                self._idle.append(worker)
            logger.debug("warm notebook worker %d of %d started", len(self._all), self.count)
            while not worker.ready() and worker.alive() and not self._stop.wait(0.1):
                pass

    def take(self, job: NotebookJob) -> WarmWorker | None:
        """A started worker that can run ``job`` (same kernel and folder), or ``None``."""
        self._stop.set()  # the notebooks are running: start no more
        if job.kernel_name != self.kernel_name or (job.cwd is not None and Path(job.cwd) != self.cwd):
            return None
        with self._lock:
            while self._idle:
                worker = self._idle.pop(0)
                if worker.alive():
                    return worker
        return None

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        try:
            if self._starter is not None:
                self._starter.join()
            for worker in self._all:
                worker.stop()
        finally:
            self._stack.close()
