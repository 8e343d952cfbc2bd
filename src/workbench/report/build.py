"""``workbench report`` / ``make quarterly``: data -> themes -> notebooks -> ``reports/<quarter>/``.

Steps, each skipped when its result is already up to date:

1. the demo company is generated (by the CLI) only for the project's demo configuration;
2. the pull runs unless ``data/processed/manifest.json`` is newer than every input source;
3. the theme engine runs unless its outputs are newer than the processed data and the registry
   and were fitted for the report quarter;
4. every report notebook runs with papermill (in parallel), each rendered to an executive page;
5. ``index.html`` and ``manifest.json`` are written, secrets are scrubbed and the folder is
   published atomically, or, if a notebook failed, the failed notebooks are kept in
   ``reports/_failed/<quarter>/`` (outside the report folder) and the last good report stays as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from rich.console import Console

from workbench.core.config import Settings
from workbench.core.errors import ReportError, WorkbenchError
from workbench.core.progress import progress
from workbench.core.quarters import Quarter
from workbench.core.store import table_available
from workbench.report.chart_files import slug
from workbench.report.context import ReportContext
from workbench.report.data import coverage, headline_kpis, processed_dir_label, pull_manifest
from workbench.report.explorer import write_explorer
from workbench.report.freeze import freeze_keys, recorded_keys
from workbench.report.html import PageLink, built_footer, nav
from workbench.report.index import ReportEntry, index_page
from workbench.report.manifest import build_manifest, git_state
from workbench.report.publish import (
    clear_failed,
    exclusive,
    failed_dir,
    keep_failed,
    new_build_dir,
    publish,
    recover,
    scrub_secrets,
    secret_values,
)
from workbench.report.runner import NotebookJob, NotebookRun, run_all
from workbench.report.warm import WarmWorkers

logger = logging.getLogger(__name__)


@dataclass
class ReportResult:
    """The outcome of a build: what ran, what was published, how long each step took."""

    quarter: str
    target: Path
    runs: list[NotebookRun] = field(default_factory=list)
    published: bool = False
    steps: dict[str, float] = field(default_factory=dict)
    redacted: list[Path] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)  # published notebooks kept: nothing they use changed

    @property
    def ok(self) -> bool:
        return self.published and all(r.ok for r in self.runs)

    @property
    def failed(self) -> list[NotebookRun]:
        return [r for r in self.runs if not r.ok]

    def summary(self) -> str:
        """What a person needs to read after ``make quarterly``: where, what failed, how long."""
        lines = [
            f"report {self.quarter}: "
            + (
                "published to " + str(self.target)
                if self.published
                else "NOT published; the last good report is unchanged"
            )
        ]
        lines += [f"  {run.describe()}" for run in self.runs]
        if self.reused:
            lines.append(
                f"  reused {len(self.reused)} notebook(s) as published: nothing they depend on changed "
                "(--force reruns them)"
            )
        if self.failed:
            lines.append(f"  failed notebooks kept in {failed_dir(self.target.parent, self.target.name)}")
        if self.redacted:
            lines.append(f"  WARNING: secrets were redacted from {len(self.redacted)} file(s)")
        if self.steps:
            lines.append("  " + ", ".join(f"{k} {v:.1f} s" for k, v in self.steps.items()))
        return "\n".join(lines)


# ------------------------------------------------------------------------------- notebooks


def notebook_meta(path: Path) -> tuple[str, str]:
    """The page title and one-line description from a notebook's metadata (``workbench``)."""
    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata.get("workbench", {})
    fallback = path.stem.lstrip("0123456789_").replace("_", " ").capitalize()
    return str(meta.get("title") or fallback), str(meta.get("description") or "")


def select_notebooks(settings: Settings, only: list[str] | None) -> list[str]:
    """The configured notebooks, or the ``only`` subset (unknown names are an error)."""
    names = list(settings.report.notebooks)
    if only:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise ReportError(f"unknown notebook(s) {unknown}; configured: {names}")
        names = [n for n in names if n in set(only)]
    for name in names:
        if not (settings.paths.notebooks / f"{name}.ipynb").is_file():
            raise ReportError(f"notebook not found: {settings.paths.notebooks / (name + '.ipynb')}")
    return names


def config_for_notebooks(settings: Settings) -> Path:
    """The ``workbench.yaml`` the notebooks load: the one these settings came from.

    A notebook rebuilds its settings from a path, and the project root follows from where that
    file sits; a file elsewhere (``load_settings(path, root=...)``) cannot carry its root along, so
    the project's own config is used then, with a warning.
    """
    default = settings.resolve("config/workbench.yaml")
    path = getattr(settings, "config_path", None)
    if not path:
        return default
    path = Path(path).resolve()
    derived = path.parent.parent if path.parent.name == "config" else path.parent
    if derived != settings.root.resolve():
        logger.warning("notebooks use %s: %s lies outside the project root %s", default, path, settings.root)
        return default
    return path


def _compare_with(settings: Settings, quarter: Quarter, segment: str = "") -> str | None:
    """The previous quarter's label when it has data, else ``None`` (the index then compares with nothing)."""
    try:
        return ReportContext(settings, quarter, settings.paths.reports, segment or None).compare_with
    except WorkbenchError:
        return None


def _kpis(settings: Settings, quarter: Quarter, segment: str = ""):
    """The index page's KPIs, narrowed exactly as the notebooks narrow their tables."""
    ctx = ReportContext(settings, quarter, settings.paths.reports, segment or None)
    try:
        return headline_kpis(*ctx.tables_or_none("feedback", "deals", "accounts"), quarter)
    except WorkbenchError as exc:
        logger.warning("headline KPIs skipped: %s", exc)
        return None


def report_target(settings: Settings, quarter: Quarter | str, segment: str = "") -> Path:
    """Where the report of ``quarter`` (narrowed to ``segment``) is published."""
    q = str(quarter)
    return settings.paths.reports / (f"{q}_{slug(segment)}" if segment else q)


def render(
    settings: Settings,
    quarter: Quarter,
    only: list[str] | None = None,
    segment: str = "",
    console: Console | None = None,
    warm: WarmWorkers | None = None,
) -> ReportResult:
    """Run the notebooks into a build folder and publish it (steps 4-5 of the module docstring).

    Data and themes must already be in place; :func:`build` is the full pipeline. A report narrowed
    to a ``segment`` is published beside the company-wide one, as ``reports/<quarter>_<segment>/``.
    ``warm``: notebook workers started ahead (:mod:`workbench.report.warm`), used while any is left.
    """
    q = str(quarter)
    names = select_notebooks(settings, only)
    if segment and not table_available(settings, "accounts"):
        raise ReportError(
            f"--segment {segment} needs accounts data (their segment): add a source under "
            f"`tables.accounts` in {settings.sources}"
        )
    reports = settings.paths.reports
    target = report_target(settings, quarter, segment)
    result = ReportResult(q, target)
    built_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    reports.mkdir(parents=True, exist_ok=True)
    with exclusive(reports / f".{target.name}.lock", f"another build of report {target.name}"):
        recover(reports, target.name)
        build_dir = new_build_dir(reports, target.name)
        _render_into(
            settings, quarter, names, only, segment, build_dir, target, built_at, result, console, warm
        )
    return result


def _render_into(
    settings: Settings,
    quarter: Quarter,
    names: list[str],
    only: list[str] | None,
    segment: str,
    build_dir: Path,
    target: Path,
    built_at: dt.datetime,
    result: ReportResult,
    console: Console | None,
    warm: WarmWorkers | None = None,
) -> None:
    """Steps 4-5 inside the lock: run into ``build_dir``, then publish or keep the failures."""
    q = str(quarter)
    try:
        if only and target.is_dir():  # a partial rebuild keeps the other reports of the quarter
            shutil.copytree(target, build_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("_failed"))
        all_names = list(settings.report.notebooks)
        meta = {
            n: notebook_meta(settings.paths.notebooks / f"{n}.ipynb")
            for n in all_names
            if (settings.paths.notebooks / f"{n}.ipynb").is_file()
        }
        links = [PageLink("index.html", "Overview")] + [PageLink(f"{n}.html", meta[n][0]) for n in meta]
        links.append(PageLink("explorer.html", "Explorer"))
        footer = built_footer(built_at, q)
        config_path = str(config_for_notebooks(settings))
        jobs = [
            NotebookJob(
                name=n,
                source=settings.paths.notebooks / f"{n}.ipynb",
                executed=build_dir / f"{n}.ipynb",
                html=build_dir / f"{n}.html",
                parameters={
                    "quarter": q,
                    "config": config_path,
                    "output_dir": str(build_dir),
                    "segment": segment,
                },
                kernel_name=settings.report.kernel_name,
                cell_timeout_s=settings.report.cell_timeout_s,
                title=meta[n][0],
                nav_html=nav(links, f"{n}.html"),
                footer=footer,
                cwd=settings.paths.notebooks,
            )
            for n in names
        ]
        start = time.perf_counter()
        result.runs = _run_with_progress(jobs, settings.report.max_parallel, console, warm)
        result.steps["notebooks"] = time.perf_counter() - start

        ran = {r.name: r for r in result.runs}
        entries = [
            ReportEntry(
                n, meta[n][0], meta[n][1], ran[n].ok if n in ran else (build_dir / f"{n}.html").is_file()
            )
            for n in all_names
            if n in meta
        ]
        manifest = pull_manifest(settings)
        pulled = manifest.get("pulled_at") or manifest.get("created_at")
        git = git_state(settings.root)
        (build_dir / "index.html").write_text(
            index_page(
                settings.report.title,
                settings.report.company,
                q,
                _compare_with(settings, quarter, segment),
                entries,
                _kpis(settings, quarter, segment),
                coverage(settings),
                built_at,
                git.get("commit"),
                str(pulled) if pulled else None,
                processed_dir_label(settings),
            ),
            encoding="utf-8",
        )
        write_explorer(settings, q, build_dir, nav(links, "explorer.html"), footer, segment)
        parameters = {
            "quarter": q,
            "segment": segment or None,
            "notebooks": names,
            "only": only or None,
            "config": os.path.relpath(config_path, settings.root),
        }
        runs_json = [
            {
                "name": r.name,
                "ok": r.ok,
                "seconds": round(r.seconds, 2),
                "failed_cell": r.cell,
                "error": r.error or None,
            }
            for r in result.runs
        ]
        document = build_manifest(settings, parameters, runs_json, built_at)
        # Freeze keys (workbench.report.freeze): the notebooks run now get theirs; a partial rebuild
        # keeps the published keys of the notebooks it copied.
        kept = recorded_keys(target) if only and target.is_dir() else {}
        document["freeze"] = {**kept, **freeze_keys(settings, q, names, segment)}
        (build_dir / "manifest.json").write_text(
            json.dumps(document, indent=2, default=str), encoding="utf-8"
        )
        result.redacted = scrub_secrets(build_dir, secret_values(settings))

        if result.failed:
            keep_failed(target, {r.name: r.executed for r in result.failed})
            logger.error("not published: %s", "; ".join(r.describe() for r in result.failed))
        else:
            publish(build_dir, target)
            clear_failed(target.parent, target.name)
            result.published = True
    finally:
        if build_dir.exists():
            shutil.rmtree(build_dir, ignore_errors=True)


def _run_with_progress(
    jobs: list[NotebookJob], max_parallel: int, console: Console | None, warm: WarmWorkers | None = None
) -> list[NotebookRun]:
    """Run the notebooks with a progress bar; each finished notebook is also logged (by the runner)."""
    what = f"running {len(jobs)} notebooks ({max_parallel} at a time)"
    with progress(what, len(jobs), console, log=logger) as steps:
        return run_all(jobs, max_parallel, on_done=lambda run: steps.advance(), warm=warm)
