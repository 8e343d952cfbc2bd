"""The analyst API behind ``import workbench as wb`` (see ``docs/analyst.md``).

One project per Python session: :func:`use` points the session at a project folder (the one
holding ``config/workbench.yaml``); without it the project is ``$WORKBENCH_HOME``, else the
nearest folder above the working directory that has ``config/workbench.yaml``. Every function
here takes an optional ``settings`` and defaults to that project, so a notebook anywhere on disk
works after ``wb.use("path/to/project")``.

Names typed by people are forgiving and never silently wrong: quarters in any accepted spelling
(``2026Q3``, ``2026-Q3``, ``Q3-2026``), table, output, segment and theme names in any case; a
name that matches nothing raises an error that lists the valid ones.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - imports for annotations only; keeps `import workbench` fast
    import pandas as pd

    from workbench.core.config import Settings

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------------------- the project


def use(path: str | os.PathLike[str]) -> Settings:
    """Point this Python session at the project in ``path`` (or any folder inside it).

    Sets ``WORKBENCH_HOME`` for the session, so that :func:`load_settings`, :func:`open_report`
    and the report notebooks' own ``open_report`` all read that project.

    Returns:
        The project's settings.

    Raises:
        ConfigError: no ``config/workbench.yaml`` in ``path`` or any folder above it.
    """
    from workbench.core.config import DEFAULT_CONFIG, ConfigError
    from workbench.core.config import load_settings as _load

    start = Path(path).expanduser().resolve()
    for folder in (start, *start.parents):
        if (folder / DEFAULT_CONFIG).is_file():
            os.environ["WORKBENCH_HOME"] = str(folder)
            logger.info("workbench project: %s", folder)
            return _load(root=folder)
    raise ConfigError(f"no {DEFAULT_CONFIG} in {start} or any folder above it")


def project_root() -> Path:
    """The project this session uses: ``$WORKBENCH_HOME``, else the nearest ``config/`` above the cwd."""
    from workbench.core.config import find_root

    return find_root()


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """The validated ``config/workbench.yaml`` of the current project (or of the file ``path``).

    Raises:
        ConfigError: with a hint to call :func:`use` or set ``WORKBENCH_HOME`` when no project is found.
    """
    from workbench.core.config import DEFAULT_CONFIG, ConfigError, find_root
    from workbench.core.config import load_settings as _load

    if path is None and not (find_root() / DEFAULT_CONFIG).is_file():
        raise ConfigError(
            f"no project found: {Path.cwd()} and the folders above it have no {DEFAULT_CONFIG}; "
            'call wb.use("path/to/project") or set WORKBENCH_HOME'
        )
    return _load(path)


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else load_settings()


# ------------------------------------------------------------------------------------ data


def load_table(
    table: str, settings: Settings | None = None, quarters: Iterable[str] | str | None = None
) -> pd.DataFrame:
    """A processed canonical table (``feedback``, ``deals``, ``accounts``, ...), optionally some quarters.

    Args:
        table: table name, any case (``wb.schema()`` lists them).
        settings: defaults to the current project.
        quarters: one quarter or several, any accepted spelling.
    """
    from workbench.core.store import load_table as _load

    if isinstance(quarters, str):
        quarters = [quarters]
    return _load(table, _settings(settings), quarters=quarters)


def load_output(name: str, settings: Settings | None = None) -> pd.DataFrame:
    """A theme-engine output: ``assignments``, ``themes``, ``metrics``, ``quotes``, ``splits_segment``...

    ``wb.schema("metrics")`` documents its columns. An unknown name lists the valid ones.
    """
    from workbench.core.store import load_output as _load

    return _load(name, _settings(settings))


def schema(name: str | None = None) -> pd.DataFrame:
    """The data dictionary: every column of the input tables and of the theme outputs.

    Args:
        name: one table or output (any case); ``None`` for all.

    Returns:
        ``kind`` ('table' or 'output'), ``name``, ``column``, ``type``, ``required``, ``description``.
    """
    import pandas as pd

    from workbench.core.names import match_name
    from workbench.core.schemas import OUTPUTS, describe, describe_outputs

    tables = describe().rename(columns={"table": "name"}).assign(kind="table")
    outputs = (
        describe_outputs().rename(columns={"output": "name"}).assign(kind="output", type="", required=True)
    )
    frame = pd.concat([tables, outputs], ignore_index=True)[
        ["kind", "name", "column", "type", "required", "description"]
    ]
    if name is not None:
        from workbench.core.schemas import TABLES

        name = match_name(name, [*TABLES, *OUTPUTS], "table or output")
        frame = frame[frame["name"] == name].reset_index(drop=True)
    return frame


def theme_id(name: str, settings: Settings | None = None) -> str:
    """The theme id of a theme label or id, matched case-insensitively (typos list the valid labels)."""
    from workbench.core.names import match_name

    themes = load_output("themes", settings)
    ids = themes["theme_id"].astype(str).tolist()
    labels = themes["label"].astype(str).tolist()
    by_label = dict(zip(labels, ids, strict=False))
    found = match_name(name, [*ids, *labels], "theme")
    return by_label.get(found, found)


def segments(settings: Settings | None = None) -> list[str]:
    """The segment names present in the accounts table."""
    accounts = load_table("accounts", settings)
    return sorted(accounts["segment"].dropna().astype(str).unique().tolist())


def match_segment(name: str, settings: Settings | None = None) -> str:
    """A segment name as stored (``"enterprise"`` -> ``"Enterprise"``); typos list the valid ones."""
    from workbench.core.names import match_name

    return match_name(name, segments(settings), "segment")


# -------------------------------------------------------------------------------- quarters


def parse_quarter(text: str, settings: Settings | None = None) -> str:
    """The canonical label (``2026Q3``) of a quarter written ``2026Q3``, ``2026-Q3`` or ``Q3-2026``."""
    from workbench.core.quarters import Quarter

    fy = settings.fiscal_year_start_month if settings is not None else 1
    return str(Quarter.parse(text, fy))


def quarter_of(when: Any, settings: Settings | None = None) -> str:
    """The quarter label a date falls in (honours the configured fiscal-year start)."""
    from workbench.core.quarters import Quarter

    fy = settings.fiscal_year_start_month if settings is not None else 1
    return str(Quarter.of(when, fy))


def quarter_window(quarter: str, n: int, settings: Settings | None = None) -> list[str]:
    """The ``n`` quarter labels ending at (and including) ``quarter``, oldest first."""
    from workbench.core.quarters import Quarter

    fy = settings.fiscal_year_start_month if settings is not None else 1
    return [str(q) for q in Quarter.parse(quarter, fy).window(n)]


def latest_quarter(settings: Settings | None = None) -> str:
    """The last complete quarter in the processed data: the reports' default quarter."""
    from workbench.report.data import default_quarter

    return str(default_quarter(_settings(settings)))


# ---------------------------------------------------------------------------------- charts


def palette(settings: Settings | None = None) -> dict[str, str]:
    """Theme id -> colour, exactly as the reports colour themes (registry order, then emerging themes).

    Pass it to ``wb.theme_color(frame, wb.palette())`` so an ad-hoc chart matches the report pages.
    """
    from workbench.core.errors import WorkbenchError
    from workbench.viz import style

    settings = _settings(settings)
    try:
        extra = load_output("themes", settings)["theme_id"].dropna().astype(str).tolist()
    except WorkbenchError:
        extra = []
    return style.theme_palette(style.registry_order(settings.resolve(settings.themes.registry)), extra)


def house_style() -> str:
    """Register and enable the reports' Altair theme (fonts, sizes, colour-blind-safe palette)."""
    from workbench.viz.style import register

    return register()


def offline_charts() -> str:
    """Draw every Altair chart of this session without the internet (Lab and nbconvert HTML).

    Registers and enables the ``workbench`` renderer, which inlines the same vega bundle as the
    report pages. Returns the renderer's name.
    """
    from workbench.viz.offline import enable

    return enable()


def visualize(
    kind: str = "topics",
    settings: Settings | None = None,
    quarter: str | None = None,
    **kwargs: Any,
):
    """BERTopic's own views of the saved theme model, labelled with theme labels, not topic numbers.

    Args:
        kind: ``"topics"`` (intertopic distance map), ``"documents"`` (document map: every
            feedback item of the fitted window in 2-D) or ``"over_time"`` (topics over time, one
            bin per quarter).
        settings: defaults to the current project.
        quarter: the model's quarter (default: the latest saved model).
        **kwargs: passed to BERTopic's ``visualize_*`` method (e.g. ``top_n_topics``, ``width``).

    Returns:
        A plotly figure (display it, or ``fig.write_html(...)``).
    """
    from workbench.viz.topics import visualize as _visualize

    return _visualize(kind, _settings(settings), quarter=quarter, **kwargs)
