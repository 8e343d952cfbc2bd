"""The quarterly pipeline: pull -> themes -> report, each step skipped when its result is up to date.

This is the one module that wires the steps together (the CLI calls it); each step lives in its
own subpackage and knows nothing of the others:

1. the pull runs unless ``data/processed/manifest.json`` is newer than every input source;
2. the theme engine runs unless its outputs are newer than the processed data, the registry and
   the config, and were fitted for the report quarter;
3. :func:`workbench.report.build.render` runs the notebooks and publishes ``reports/<quarter>/``.

When new data is due, :func:`warm_workers` starts the notebooks' workers and kernels before step 1
(:mod:`workbench.report.warm`), so that they are ready when the themes are done.

The demo company is not generated here: the CLI does that, and only for the demo configuration.
"""

from __future__ import annotations

import glob
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workbench.core.config import FileSource, Settings
from workbench.core.quarters import Quarter
from workbench.report.build import ReportResult, render, report_target, select_notebooks
from workbench.report.data import resolve_quarter
from workbench.report.freeze import freeze_keys, recorded_keys, stale_notebooks
from workbench.report.publish import exclusive, recover
from workbench.report.runner import clean_stale_temp
from workbench.report.warm import WarmWorkers

logger = logging.getLogger(__name__)


def _source_inputs(settings: Settings) -> tuple[list[Path], bool]:
    """Every file the pull reads, and whether some source is outside our sight (a remote DB)."""
    sources = settings.load_sources()
    files = [settings.resolve(settings.sources)]
    remote = False
    uses_warehouse = False
    for ss in sources.tables.values():
        for s in ss:
            if isinstance(s, FileSource):
                files += [Path(p) for p in glob.glob(str(settings.resolve(s.path)))]
            elif s.url_env:
                remote = True
            else:
                uses_warehouse = True
    if uses_warehouse:
        files.append(settings.resolve(sources.warehouse))
    return files, remote


def snapshot_is_fresh(settings: Settings) -> bool:
    """True when ``data/processed/manifest.json`` is newer than every input of the pull.

    A SQL source behind a URL (a live database) can change at any time, so its presence
    makes the snapshot stale by definition.
    """
    manifest = settings.paths.processed / "manifest.json"
    if not manifest.is_file():
        return False
    files, remote = _source_inputs(settings)
    if remote:
        return False
    made = manifest.stat().st_mtime
    return all(p.exists() and p.stat().st_mtime <= made for p in files)


def refresh_pull(settings: Settings) -> bool:
    """Pull every quarter unless the snapshot is fresh; returns whether it pulled."""
    if snapshot_is_fresh(settings):
        logger.info("processed data is newer than every source: reusing it")
        return False
    from workbench.ingest import pull

    result = pull.pull(settings, quarter=None, all_quarters=True)
    logger.info("%s", result.summary())
    return True


def _latest_mtime(folder: Path) -> float:
    return max((p.stat().st_mtime for p in folder.rglob("*") if p.is_file()), default=folder.stat().st_mtime)


def themes_are_fresh(settings: Settings, quarter: Quarter) -> bool:
    """True when the theme outputs were made after the data and registry, by a fit for this quarter.

    The theme engine saves one model folder per fitted quarter and then writes its outputs; the
    outputs belong to ``quarter`` when its model folder is the most recently written one.
    """
    from workbench.themes.engine import recover_publish
    from workbench.themes.model import models_root

    recover_publish(settings)  # a killed themes run must not leave a new model beside old outputs
    outputs = sorted((settings.paths.processed / "themes").glob("*.parquet"))
    root = models_root(settings.paths.models)
    if not outputs or not root.is_dir():
        return False
    inputs = list(settings.paths.processed.glob("*.parquet")) + [
        settings.resolve(settings.themes.registry),
        Path(settings.config_path) if settings.config_path else settings.resolve("config/workbench.yaml"),
    ]
    newest_input = max((p.stat().st_mtime for p in inputs if p.exists()), default=0.0)
    if min(p.stat().st_mtime for p in outputs) < newest_input:
        return False
    fits = {p.name: _latest_mtime(p) for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    return bool(fits) and max(fits, key=fits.__getitem__) == str(quarter)


def refresh_themes(settings: Settings, quarter: Quarter) -> bool:
    """Run the theme engine for ``quarter`` unless its outputs are fresh; returns whether it ran."""
    if themes_are_fresh(settings, quarter):
        logger.info("theme outputs are up to date for %s: reusing them", quarter)
        return False
    from workbench.themes import engine as themes

    result = themes.run(settings, quarter=str(quarter))
    summary = getattr(result, "summary", None)
    logger.info("%s", summary() if callable(summary) else "themes done")
    return True


@contextmanager
def warm_workers(
    settings: Settings, only: list[str] | None = None, skip_pull: bool = False
) -> Iterator[WarmWorkers | None]:
    """Notebook workers started now for a build that will pull new data, else ``None``.

    New data reruns every selected notebook, and the pull and the theme engine leave a core idle
    for long stretches, which the workers' start-up fills (:mod:`workbench.report.warm`). With the
    snapshot fresh, most builds reuse their notebooks (the freeze), so nothing starts.
    """
    try:
        due = settings.report.warm_workers and not skip_pull and not snapshot_is_fresh(settings)
        names = select_notebooks(settings, only) if due else []
    except Exception:  # noqa: BLE001 - the build itself reports a bad config or notebook clearly
        names = []
    if not names:
        yield None
        return
    with WarmWorkers(len(names), settings.paths.notebooks, settings.report.kernel_name) as workers:
        yield workers


def build(
    settings: Settings,
    quarter: str | None = None,
    only: list[str] | None = None,
    skip_pull: bool = False,
    segment: str = "",
    force: bool = False,
    warm: WarmWorkers | None = None,
) -> ReportResult:
    """The whole quarterly report: pull, themes, notebooks, publish.

    One build at a time per workspace: a second ``workbench report`` started while one runs fails
    at once with a clear message (a file lock), so two runs never mix their data or pages.

    Args:
        settings: the project's settings.
        quarter: any accepted spelling; default the last complete quarter in the data.
        only: run only these notebooks (the others of an existing report are kept).
        skip_pull: reuse ``data/processed`` as it is (no pull).
        segment: narrow every page to one customer segment (published as ``<quarter>_<segment>``).
        force: rerun every notebook even when nothing it depends on changed (see
            :mod:`workbench.report.freeze`: by default such notebooks are reused as published).
        warm: notebook workers started ahead (:func:`warm_workers`); the notebooks use them.
    """
    steps: dict[str, float] = {}
    with exclusive(settings.paths.data / ".report.lock", "a `workbench report` of this workspace"):
        t = time.perf_counter()
        if not skip_pull:
            refresh_pull(settings)
        steps["data"] = time.perf_counter() - t
        resolved = resolve_quarter(settings, quarter)
        t = time.perf_counter()
        if has_feedback(settings):
            refresh_themes(settings, resolved)
        else:
            logger.info("no feedback table: the theme engine is skipped")
        steps["themes"] = time.perf_counter() - t
        reused: list[str] = []
        if only is None and not force:
            names = select_notebooks(settings, None)
            target = report_target(settings, resolved, segment)
            # What a killed build left is cleaned first, as a full build does, even when nothing reruns.
            clean_stale_temp()
            reports = settings.paths.reports
            reports.mkdir(parents=True, exist_ok=True)
            with exclusive(reports / f".{target.name}.lock", f"a build of report {target.name}"):
                recover(reports, target.name)
            keys = freeze_keys(settings, str(resolved), names, segment)
            stale = stale_notebooks(keys, recorded_keys(target))
            reused = [n for n in names if n not in stale]
            if not stale:
                logger.info("report %s: nothing its notebooks use changed; reusing %s", resolved, target)
                result = ReportResult(str(resolved), target, published=True, reused=reused)
                result.steps = steps
                return result
            if reused:
                logger.info("reusing %d unchanged notebook(s); rerunning %s", len(reused), ", ".join(stale))
                only = stale
        result = render(settings, resolved, only=only, segment=segment, warm=warm)
        result.reused = reused if result.published else []
    result.steps = {**steps, **result.steps}
    return result


def has_feedback(settings: Settings) -> bool:
    """Whether the current sources configure feedback and it was pulled (themes need it)."""
    from workbench.core.store import table_available

    return table_available(settings, "feedback")
