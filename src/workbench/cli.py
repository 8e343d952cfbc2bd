"""The ``workbench`` command (Typer). The only module that configures logging.

Each command is a thin wrapper: it loads the settings, calls one function of the
package and prints a short summary. Errors derived from
:class:`workbench.core.errors.WorkbenchError` become a one-line message and exit code 2.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from workbench.core.errors import WorkbenchError

app = typer.Typer(
    help="Product Insights Workbench: pull customer and market data, find themes, build quarterly reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
themes_app = typer.Typer(help="Fit or update the theme model, and review registry changes.")
app.add_typer(themes_app, name="themes")

console = Console(stderr=True)

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="workbench.yaml to use (default: config/workbench.yaml)")
]
QuarterOpt = Annotated[
    str | None,
    typer.Option(
        "--quarter", "-q", help="2026Q3, 2026-Q3 or Q3-2026 (default: last complete quarter in the data)"
    ),
]


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(console=console, show_path=False, rich_tracebacks=False)],
        force=True,
    )
    for noisy in (
        "numba",
        "urllib3",
        "httpx",
        "sentence_transformers",
        "transformers",
        "matplotlib",
        "papermill",
        "traitlets",
        "asyncio",
        "filelock",
        "fsspec",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="debug logging")] = False) -> None:
    """Runs before every command."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _setup_logging(verbose)


def _settings(config: Path | None):
    from workbench.core.config import load_settings

    return load_settings(config)


@app.command()
def demo(
    config: ConfigOpt = None,
    out: Annotated[Path | None, typer.Option(help="folder to write (default: data/demo)")] = None,
    seed: Annotated[
        int | None, typer.Option(help="random seed (default: demo_seed in workbench.yaml)")
    ] = None,
    scale: Annotated[float, typer.Option(help="size multiplier; 1.0 is the full demo company")] = 1.0,
) -> None:
    """Generate the embedded demo company (DuckDB warehouse, CSV/JSON exports and planted truth)."""
    from workbench.demo import company as demo_mod

    settings = _settings(config)
    if out is None and not _is_demo_configuration(settings):
        raise WorkbenchError(
            f"refusing to write the demo company for {settings.sources}: it is not the project's demo "
            "configuration (config/sources.yaml reading data/demo); pass --out FOLDER to write it elsewhere"
        )
    target = out or settings.paths.demo
    summary = demo_mod.generate(target, seed=settings.demo_seed if seed is None else seed, scale=scale)
    for table, rows in summary.items():
        console.print(f"  {table:<16} {rows:>9,} rows")
    console.print(f"[green]demo company written to {target}[/green]")


@app.command()
def pull(
    config: ConfigOpt = None,
    quarter: QuarterOpt = None,
    all_: Annotated[bool, typer.Option("--all", help="pull every quarter the sources hold")] = False,
) -> None:
    """Snapshot every source, then normalise and validate into data/processed/."""
    from workbench.ingest import pull as pull_mod

    settings = _settings(config)
    if not quarter and not all_:
        raise WorkbenchError("say which data to pull: --quarter 2026Q3 or --all")
    result = pull_mod.pull(settings, quarter=quarter, all_quarters=all_)
    console.print(result.summary(), markup=False, soft_wrap=True)


@themes_app.callback(invoke_without_command=True)
def themes(
    ctx: typer.Context,
    config: ConfigOpt = None,
    quarter: QuarterOpt = None,
    engine: Annotated[
        str | None,
        typer.Option("--engine", help="'local' (this process) or 'ray' (at themes.ray_address)"),
    ] = None,
) -> None:
    """Fit or update themes over the window ending at the quarter; write assignments and metrics."""
    if ctx.invoked_subcommand is not None:
        return
    from workbench.themes import engine as themes_mod

    settings = _settings(config)
    if engine is not None:
        if engine not in ("local", "ray"):
            raise typer.BadParameter(f"{engine!r}: use 'local' or 'ray'", param_hint="--engine")
        themes_cfg = settings.themes.model_copy(update={"engine": engine})
        settings = settings.model_copy(update={"themes": themes_cfg})
    result = themes_mod.run(settings, quarter=quarter)
    console.print(result.summary())


@themes_app.command("prepare")
def themes_prepare(config: ConfigOpt = None) -> None:
    """Export and compile the embedding model for this machine, once (`make setup` runs it)."""
    from workbench.themes import bertopic_model, embeddings

    typer.echo(embeddings.prepare(_settings(config)))
    typer.echo(bertopic_model.prepare())


@themes_app.command("review")
def themes_review(
    config: ConfigOpt = None,
    accept: Annotated[
        bool, typer.Option("--accept", help="write the proposed registry to themes.yaml")
    ] = False,
) -> None:
    """Show proposed registry changes (new candidate themes, label updates) as a diff."""
    from workbench.themes import registry

    settings = _settings(config)
    diff = registry.review(settings, accept=accept)
    typer.echo(diff or "no changes proposed")


def _is_demo_configuration(settings) -> bool:
    """True for the project's own demo setup: ``config/sources.yaml`` reading from ``data/demo``.

    Only then may the demo company be generated implicitly; a user's own sources file never
    triggers it, even when it lacks a ``warehouse:`` key (whose default names the demo warehouse).
    """
    from workbench.core.config import FileSource

    if settings.resolve(settings.sources).resolve() != settings.resolve("config/sources.yaml").resolve():
        return False
    demo = settings.paths.demo.resolve()
    sources = settings.load_sources()
    paths = [
        settings.resolve(s.path) for ss in sources.tables.values() for s in ss if isinstance(s, FileSource)
    ]
    if any(
        getattr(s, "kind", "") == "sql" and not getattr(s, "url_env", None)
        for ss in sources.tables.values()
        for s in ss
    ):
        paths.append(settings.resolve(sources.warehouse))
    return any(p.resolve() == demo or demo in p.resolve().parents for p in paths)


def _ensure_demo(settings) -> None:
    """Generate the demo company when the demo configuration needs it (never for a user's sources)."""
    if not _is_demo_configuration(settings):
        return
    from workbench.demo import ensure

    if ensure(settings):
        console.print(f"demo company generated into {settings.paths.demo}")


@app.command()
def report(
    config: ConfigOpt = None,
    quarter: QuarterOpt = None,
    only: Annotated[list[str] | None, typer.Option(help="run only these notebooks (repeatable)")] = None,
    segment: Annotated[
        str | None, typer.Option(help="narrow every page to one customer segment, e.g. Enterprise")
    ] = None,
    skip_pull: Annotated[bool, typer.Option(help="reuse data/processed as it is")] = False,
    force: Annotated[
        bool, typer.Option(help="rerun every notebook, even those whose inputs did not change")
    ] = False,
) -> None:
    """Pull, find themes, run every report notebook and publish reports/<quarter>/.

    Exits with status 1 whenever anything was not published (a failed notebook keeps the last
    good report and goes to ``reports/_failed/<quarter>/``), so ``make quarterly`` fails too.
    """
    from workbench import pipeline

    settings = _settings(config)
    # With new data due, the notebooks' workers start now and get ready while the demo, the pull
    # and the themes run (workbench.report.warm).
    with pipeline.warm_workers(settings, only=only, skip_pull=skip_pull) as warm:
        if not skip_pull:
            _ensure_demo(settings)
        result = pipeline.build(
            settings,
            quarter=quarter,
            only=only,
            skip_pull=skip_pull,
            segment=segment or "",
            force=force,
            warm=warm,
        )
    console.print(result.summary(), markup=False, soft_wrap=True)
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def digest(
    config: ConfigOpt = None,
    quarter: QuarterOpt = None,
    since: Annotated[
        str | None, typer.Option(help="weekly use: from this date (e.g. 2026-09-01) to the latest data")
    ] = None,
    base_url: Annotated[
        str, typer.Option(help="prefix for report links, e.g. where the reports are published")
    ] = "",
    state: Annotated[Path | None, typer.Option(help="state file (default: data/digest_state.json)")] = None,
) -> None:
    """Write a Markdown and JSON digest of what changed (paste into Slack or e-mail).

    Exits with status 3 when there is something new since the last digest, 0 when not (for cron and CI).
    """
    from workbench.analysis import digest as digest_mod

    settings = _settings(config)
    result, md_path, json_path = digest_mod.run(
        settings, quarter=quarter, since=since, state_path=state, base_url=base_url
    )
    typer.echo(md_path.read_text(encoding="utf-8"))
    console.print(f"written {md_path} and {json_path}", markup=False, soft_wrap=True)
    if result.has_new:
        raise typer.Exit(digest_mod.EXIT_NEW)


@app.command()
def schema(
    name: Annotated[str | None, typer.Argument(help="one table or theme output (default: all)")] = None,
) -> None:
    """Print the canonical tables and the theme outputs with their columns (the data dictionary)."""
    from workbench.core.names import match_name
    from workbench.core.schemas import OUTPUTS, TABLES, describe, describe_outputs

    if name is not None:
        name = match_name(name, [*TABLES, *OUTPUTS], "table or output")
    frame = describe()
    for table, rows in frame.groupby("table", sort=False):
        if name not in (None, table):
            continue
        typer.echo(f"\n{table}")
        for row in rows.itertuples():
            flag = "required" if row.required else "optional"
            typer.echo(f"  {row.column:<14} {row.type:<9} {flag:<9} {row.description}")
    if name is None:
        typer.echo("\nTheme outputs (data/processed/themes/<name>.parquet, written by `workbench themes`):")
    for output, rows in describe_outputs().groupby("output", sort=False):
        if name not in (None, output):
            continue
        typer.echo(f"\n{output}")
        for row in rows.itertuples():
            typer.echo(f"  {row.column:<16} {row.description}")


def _exit_code(value: object) -> int:
    """``app(standalone_mode=False)`` returns a command's ``typer.Exit`` code instead of exiting."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def run() -> None:
    """Entry point with the one-line error policy.

    Under ``standalone_mode=False`` click returns the exit code of ``raise typer.Exit(n)`` from
    ``app()`` rather than raising it, so the value is passed to ``sys.exit`` here; without that a
    report that was not published would exit 0 and ``make quarterly`` would report success.
    """
    # The command process never checks the one jsonschema format that import serves either; skipping
    # it cut importing workbench.pipeline from 4.9-5.0 s to 2.8-3.0 s (3 interleaved runs, loaded
    # machine), all before `workbench report` can start anything (workbench.report.runner says why).
    from workbench.report.runner import skip_slow_optional_imports

    skip_slow_optional_imports()
    try:
        code = _exit_code(app(standalone_mode=False))
    except WorkbenchError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors arrive here in standalone_mode=False
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            console.print("aborted")
            sys.exit(130)
        console.print(f"[red]error:[/red] {escape(_one_line(exc))}", highlight=False, soft_wrap=True)
        logging.getLogger(__name__).debug("unexpected error", exc_info=True)
        sys.exit(2 if isinstance(exc, OSError | ValueError | OverflowError) else 1)
    sys.exit(code)


def _one_line(exc: BaseException) -> str:
    """A one-line reason for an unexpected error: a full disk and other OS errors are named plainly."""
    import errno

    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        where = f" while writing {exc.filename}" if exc.filename else ""
        return f"the disk is full{where}: free some space and run the command again (nothing was published)"
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300] + " (run with -v for details)"


if __name__ == "__main__":
    run()
