"""Running report notebooks with papermill, several at once, each in its own process.

Each notebook runs in its own worker process (``python -m workbench.report.runner``, which
starts the notebook's kernel), so that independent notebooks use both cores and a crash in one
cannot take the others down. A fresh interpreter rather than ``multiprocessing``: spawn
re-imports the caller's ``__main__`` (which breaks scripts without a main guard) and fork would
copy the parent's threads mid-lock. A worker never raises: it writes a :class:`NotebookRun` that
says whether the notebook passed and, if not, which cell failed and why, so that the build can
run the rest and report precisely.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.report.warm import WarmWorkers

logger = logging.getLogger(__name__)

# jsonschema imports the optional ``rfc3987_syntax`` when it is installed (jupyterlab's
# jsonschema[format-nongpl] pulls it in), and that import builds 38 Lark parsers: 1.05-1.13 s of CPU in
# every process that imports altair or nbformat, measured here (upstream: python-jsonschema/jsonschema
# #1428). A report runs 11 such processes (a worker and a kernel per notebook, and the parent), about
# 11 s of CPU on a 2-core machine. Workers and report kernels never check the "iri" format it serves,
# so they mark it absent and jsonschema leaves that one format unchecked; nothing else changes.
SKIPPED_OPTIONAL_IMPORTS = ("rfc3987_syntax",)
# What a report kernel runs before any cell (IPKernelApp.exec_lines); this module imports only the
# standard library at the top (~40 ms with the package), so importing it there is cheap.
_KERNEL_START_LINE = (
    "from workbench.report.runner import skip_slow_optional_imports; skip_slow_optional_imports()"
)
# What a warm worker's kernel imports while it waits for its notebook (see workbench.report.warm):
# the modules every report notebook's first cell needs (pandas, polars, altair, scipy.stats under them).
WARM_MODULES = (
    "IPython.display",
    "workbench.report.context",
    "workbench.report.html",
    "workbench.viz.charts",
)
WARM_READY_FILE = "ready"  # a warm worker writes it into its folder once it waits for its notebook
_KERNEL_WARM_LINE = "from workbench.report.runner import warm_kernel; warm_kernel(); del warm_kernel"


def skip_slow_optional_imports() -> None:
    """Mark :data:`SKIPPED_OPTIONAL_IMPORTS` absent in this process (before anything imports them)."""
    for name in SKIPPED_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)


def warm_kernel() -> None:
    """Import :data:`WARM_MODULES` in a kernel before its notebook arrives (binds no names).

    A module that fails to import is left for the notebook's own cell to report, as it would be cold.
    """
    import importlib

    skip_slow_optional_imports()
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the notebook's own import says what is wrong
            logger.debug("warm import of %s failed", name, exc_info=True)


@dataclass(frozen=True)
class NotebookJob:
    """One notebook to execute and render (picklable: it crosses into a worker process)."""

    name: str
    source: Path
    executed: Path
    html: Path
    parameters: dict[str, Any]
    kernel_name: str = "python3"
    cell_timeout_s: int = 600
    title: str = ""
    nav_html: str = ""
    footer: str = ""
    cwd: Path | None = None


@dataclass
class NotebookRun:
    """What happened to one notebook."""

    name: str
    ok: bool
    seconds: float
    executed: Path
    html: Path | None = None
    cell: int | None = None  # 1-based position of the failing cell in the source notebook
    cell_source: str = ""
    error: str = ""

    def describe(self) -> str:
        """One line: ``name ok (12.3 s)`` or ``name FAILED at cell 5 `code...`: KeyError: 'x'``."""
        if self.ok:
            return f"{self.name} ok ({self.seconds:.1f} s)"
        where = f" at cell {self.cell}" if self.cell is not None else ""
        first = self.cell_source.strip().splitlines()[0][:70] if self.cell_source.strip() else ""
        code = f" `{first}`" if first else ""
        return f"{self.name} FAILED{where}{code}: {self.error}"


def _source_position(executed: Path, cell_index: int) -> int:
    """1-based position of a failing cell in the notebook as the analyst wrote it.

    Papermill inserts its injected-parameters cell into the executed copy; cells after it are
    shifted by one, so the position is corrected to match the source notebook (and its .py pair).
    """
    import nbformat

    try:
        cells = nbformat.read(executed, as_version=4).cells
    except Exception:
        return cell_index + 1
    injected = [i for i, c in enumerate(cells) if "injected-parameters" in c.metadata.get("tags", [])]
    shift = 1 if injected and injected[0] < cell_index else 0
    return cell_index + 1 - shift


def ipc_kernel_manager(folder: Path) -> type:
    """A kernel manager class whose kernels talk over Unix sockets in ``folder``, not TCP ports.

    Why: over TCP the launching process picks free ports and the kernel binds them a moment later.
    Kernels launched at once by separate workers (each with its own port cache) can pick the same
    port, and the loser dies with "Address already in use" before replying to kernel_info.
    Measured here with 6 kernels started at once: 2 of 120 starts died over TCP, 0 of 72 over
    Unix sockets in a private folder each (a shared folder is no cure: every kernel then binds
    ``kernel-ipc-1`` in its working directory and they read each other's messages).
    """
    from jupyter_client import AsyncKernelManager

    class IpcKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", str(folder / "kernel"))
            super().__init__(**kwargs)

    return IpcKernelManager


def start_kernel(folder: Path, kernel_name: str, cwd: Path | None, warm: bool = False) -> Any:
    """Start a report kernel (Unix sockets in ``folder`` on POSIX) and return its kernel manager.

    ``warm`` also runs :func:`warm_kernel` in it before it answers, which a notebook then need not.
    """
    from jupyter_client import AsyncKernelManager
    from jupyter_core.utils import run_sync

    manager = ipc_kernel_manager(folder) if os.name == "posix" else AsyncKernelManager
    km = manager(kernel_name=kernel_name)
    lines = [_KERNEL_START_LINE] + ([_KERNEL_WARM_LINE] if warm else [])
    run_sync(km.start_kernel)(
        extra_arguments=[f"--IPKernelApp.exec_lines={line}" for line in lines],
        cwd=str(cwd) if cwd else None,
    )
    return km


def kernel_alive(km: Any) -> bool:
    """Whether the kernel of a manager from :func:`start_kernel` is still running."""
    from jupyter_core.utils import run_sync

    try:
        return bool(run_sync(km.is_alive)())
    except Exception:  # noqa: BLE001 - no kernel, or its process is gone
        return False


def stop_kernel(km: Any) -> None:
    """Shut a kernel from :func:`start_kernel` down (at once) and remove its socket files."""
    from jupyter_core.utils import run_sync

    try:
        if kernel_alive(km):
            run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - already gone
        logger.debug("kernel shutdown failed", exc_info=True)
    finally:
        km.cleanup_resources()


def execute(job: NotebookJob, folder: Path, km: Any = None) -> NotebookRun:
    """Execute one notebook with papermill and, if it passes, render its executive HTML.

    ``folder`` is the worker's own temporary folder: the kernel's sockets go there, so they go
    with it (or with :func:`clean_stale_temp` when the build was killed). ``km`` is a kernel
    already started for this notebook (:func:`start_kernel`); by default papermill starts one.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from workbench.report.notebook_html import notebook_to_html

    start = time.perf_counter()
    if km is not None:
        transport: dict[str, Any] = {"km": km}
    elif os.name == "posix":
        transport = {"kernel_manager_class": ipc_kernel_manager(folder)}
    else:
        transport = {}
    try:
        pm.execute_notebook(
            str(job.source),
            str(job.executed),
            parameters=job.parameters,
            kernel_name=job.kernel_name,
            cwd=str(job.cwd) if job.cwd else None,
            progress_bar=False,
            log_output=False,
            execution_timeout=job.cell_timeout_s,
            extra_arguments=[f"--IPKernelApp.exec_lines={_KERNEL_START_LINE}"],  # run before any cell
            **transport,
        )
    except PapermillExecutionError as exc:
        return failed_run(
            job,
            start,
            f"{exc.ename}: {exc.evalue}",
            cell=_source_position(job.executed, exc.cell_index),
            cell_source=exc.source or "",
        )
    except Exception as exc:  # kernel died, timeout, unreadable notebook...
        return failed_run(job, start, f"{type(exc).__name__}: {exc}")
    try:
        nb = nbformat.read(job.executed, as_version=4)
        job.html.write_text(
            notebook_to_html(nb, job.title or job.name, job.nav_html, job.footer), encoding="utf-8"
        )
    except Exception as exc:
        return failed_run(job, start, f"HTML export failed: {type(exc).__name__}: {exc}")
    return NotebookRun(job.name, True, time.perf_counter() - start, job.executed, html=job.html)


def _job_to_json(job: NotebookJob) -> dict[str, Any]:
    data = asdict(job)
    return {k: str(v) if isinstance(v, Path) else v for k, v in data.items()}


def _job_from_json(data: dict[str, Any]) -> NotebookJob:
    paths = {"source", "executed", "html", "cwd"}
    return NotebookJob(**{k: Path(v) if k in paths and v is not None else v for k, v in data.items()})


def _run_from_json(data: dict[str, Any]) -> NotebookRun:
    data = dict(data)
    data["executed"] = Path(data["executed"])
    data["html"] = Path(data["html"]) if data.get("html") else None
    return NotebookRun(**data)


def worker_env(folder: Path) -> dict[str, str]:
    """This process's environment for notebook workers and kernels, plus the build's vega bundle.

    The JavaScript bundle every page inlines is written once into ``folder`` rather than made in
    each worker and kernel (:data:`workbench.viz.offline.BUNDLE_FILE_ENV`).
    """
    from workbench.viz.offline import BUNDLE_FILE_ENV, write_bundle_file

    return {**os.environ, BUNDLE_FILE_ENV: str(write_bundle_file(folder / "vega-bundle.js"))}


def failed_run(job: NotebookJob, start: float, error: str, **where: Any) -> NotebookRun:
    """A failed :class:`NotebookRun` of ``job``, timed from ``start`` (``where``: cell, cell_source)."""
    return NotebookRun(job.name, False, time.perf_counter() - start, job.executed, error=error[:300], **where)


def worker_result(job: NotebookJob, start: float, result_file: Path, code: int, stderr: str) -> NotebookRun:
    """What a worker process wrote to ``result_file``, or, when it wrote nothing, why it ended."""
    if result_file.is_file():
        return _run_from_json(json.loads(result_file.read_text(encoding="utf-8")))
    tail = stderr.strip().splitlines()[-1:] or ["no output"]
    return failed_run(job, start, f"worker exited with code {code}: {tail[0]}")


def execute_in_subprocess(job: NotebookJob, env: dict[str, str] | None = None) -> NotebookRun:
    """Run :func:`execute` for ``job`` in a fresh Python process and read back its result.

    ``env`` is the worker's environment (its kernel inherits it); ``None`` means this process's.
    """
    start = time.perf_counter()
    with owned_temp_folder() as tmp:
        job_file, result_file = tmp / "job.json", tmp / "result.json"
        job_file.write_text(json.dumps(_job_to_json(job)), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "workbench.report.runner", str(job_file), str(result_file)],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        return worker_result(job, start, result_file, done.returncode, done.stderr or "")


TEMP_PREFIX = "wb-nb-"
OWNER_FILE = "owner.pid"


@contextmanager
def owned_temp_folder() -> Iterator[Path]:
    """A temporary folder named for this process, removed on exit (or by :func:`clean_stale_temp`)."""
    with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as tmp:
        (Path(tmp) / OWNER_FILE).write_text(str(os.getpid()), encoding="utf-8")
        yield Path(tmp)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def clean_stale_temp(folder: Path | None = None, max_age_s: float = 86_400.0) -> list[Path]:
    """Remove ``wb-nb-*`` temporary folders left by killed builds.

    A folder belongs to a dead build when the process named in its ``owner.pid`` is gone (or,
    without that file, when it is older than ``max_age_s``); live builds' folders are left alone.
    """
    folder = folder or Path(tempfile.gettempdir())
    removed = []
    for path in folder.glob(f"{TEMP_PREFIX}*"):
        if not path.is_dir():
            continue
        try:
            owner = int((path / OWNER_FILE).read_text(encoding="utf-8").strip())
            stale = not _alive(owner)
        except (OSError, ValueError):
            try:
                stale = time.time() - path.stat().st_mtime > max_age_s
            except OSError:
                continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    if removed:
        logger.info("removed %d temporary folder(s) of killed builds", len(removed))
    return removed


def _exit_with_parent() -> None:
    """End this worker when the build that started it dies (e.g. ``kill -9``): no orphan runs on."""
    import threading

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def run_all(
    jobs: Sequence[NotebookJob],
    max_parallel: int = 2,
    on_done: Callable[[NotebookRun], None] | None = None,
    warm: WarmWorkers | None = None,
) -> list[NotebookRun]:
    """Run every job, ``max_parallel`` at a time; results come back in the order of ``jobs``.

    Args:
        jobs: the notebooks; they must not depend on each other's outputs.
        max_parallel: worker processes (each drives one kernel).
        on_done: called in this process as each notebook finishes (progress display).
        warm: workers started ahead (:mod:`workbench.report.warm`); each job takes one while any
            is left, the others start a worker of their own.
    """
    if not jobs:
        return []
    clean_stale_temp()
    results: dict[str, NotebookRun] = {}
    workers = max(1, min(max_parallel, len(jobs)))
    with (
        owned_temp_folder() if warm is None else nullcontext(None) as shared,
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notebook") as pool,
    ):
        env = warm.env if warm is not None else worker_env(shared)

        def run_one(job: NotebookJob) -> NotebookRun:
            worker = warm.take(job) if warm is not None else None
            return worker.run(job) if worker is not None else execute_in_subprocess(job, env)

        futures = {pool.submit(run_one, job): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                run = future.result()
            except Exception as exc:  # could not even start the worker
                run = failed_run(job, time.perf_counter(), f"worker failed: {exc}")
            results[job.name] = run
            (logger.info if run.ok else logger.error)("%s", run.describe())
            if on_done is not None:
                on_done(run)
    return [results[job.name] for job in jobs]


def _write_run(run: NotebookRun, path: Path) -> None:
    data = asdict(run)
    data["executed"] = str(run.executed)
    data["html"] = str(run.html) if run.html else None
    path.write_text(json.dumps(data, default=str), encoding="utf-8")


def _wait_until_ready(km: Any, timeout: float = 60.0) -> bool:
    """Wait for a kernel to answer (its start lines, warm imports included, are done then)."""
    from jupyter_core.utils import run_sync

    client = km.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=timeout)
        return True
    except Exception as exc:  # noqa: BLE001 - died or hung: the job starts a fresh kernel
        logger.warning("warm kernel did not answer (%s); the notebook will start its own", exc)
        return False
    finally:
        client.stop_channels()


def _serve_warm(folder: Path, cwd: Path, kernel_name: str) -> int:
    """A warm worker (:mod:`workbench.report.warm`): get ready, then run the one job stdin names.

    The kernel starts first (a process of its own, importing :data:`WARM_MODULES`), then this worker
    imports what a run and its HTML export need; then it waits. The job arrives as one line,
    ``JOB.json<TAB>RESULT.json``; end of input means no job (the build needed none): the kernel is
    shut down and the worker ends. A kernel that died meanwhile, or a job for another kernel or
    folder, runs on a fresh kernel as a cold worker would.
    """
    try:
        km = start_kernel(folder, kernel_name, cwd, warm=True)
    except Exception as exc:  # noqa: BLE001 - the job then starts its own kernel
        logger.warning("warm kernel did not start (%s); the notebook will start its own", exc)
        km = None
    try:
        import papermill  # noqa: F401 - imported now, while the build is busy elsewhere

        from workbench.report import notebook_html  # noqa: F401

        if km is not None and not _wait_until_ready(km):
            stop_kernel(km)
            km = None
        (folder / WARM_READY_FILE).write_text("", encoding="utf-8")
        line = sys.stdin.readline().rstrip("\n")
        if not line:
            return 0
        job_file, result_file = (Path(part) for part in line.split("\t"))
        job = _job_from_json(json.loads(job_file.read_text(encoding="utf-8")))
        fits = km is not None and job.kernel_name == kernel_name and job.cwd == cwd
        if km is not None and not (fits and kernel_alive(km)):
            stop_kernel(km)
            km = None
        _write_run(execute(job, folder, km), result_file)
        return 0
    finally:
        if km is not None:
            stop_kernel(km)


def _main(argv: list[str]) -> int:
    """Worker entry point: ``python -m workbench.report.runner JOB.json RESULT.json``.

    ``python -m workbench.report.runner --warm FOLDER CWD KERNEL`` starts a warm worker instead.
    """
    _exit_with_parent()
    skip_slow_optional_imports()
    if argv[0] == "--warm":
        return _serve_warm(Path(argv[1]), Path(argv[2]), argv[3])
    job_file = Path(argv[0])  # in the folder execute_in_subprocess made for this worker
    job = _job_from_json(json.loads(job_file.read_text(encoding="utf-8")))
    _write_run(execute(job, job_file.parent), Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
