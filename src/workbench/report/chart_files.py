"""Writing a chart to disk with vl-convert: PNG (2x), SVG, standalone HTML and the CSV behind it.

Chart functions never save (they return ``alt.Chart``); this module is the one place that
does, so that every chart of a report lands in ``charts/`` in the same four forms: PNG for
slides, SVG for print, a standalone HTML page that works offline (vega, vega-lite and
vega-embed bundled in) and the data as CSV so that any number on a chart can be checked.

The standalone page is built by :mod:`workbench.report.html` rather than
``vl_convert.vegalite_to_html``: the latter writes the spec into a ``<script>`` unescaped, so a
customer quote containing ``</script>`` in the chart data would break out of it.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from workbench.report.html import standalone_chart_page

logger = logging.getLogger(__name__)

_SLUG = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """A file-safe name: lower case, ``[a-z0-9_]`` only (chart names come from code, but be safe)."""
    cleaned = _SLUG.sub("_", str(name).lower()).strip("_")
    if not cleaned:
        raise ValueError(f"chart name {name!r} has no usable characters")
    return cleaned


@dataclass(frozen=True)
class ChartFiles:
    """Where one exported chart's files are."""

    name: str
    png: Path
    svg: Path
    html: Path
    csv: Path


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas (the OWASP CSV-injection rule).

    CSV files of a report are opened in Excel or Sheets by people; a CRM field or customer quote
    starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be evaluated there
    (``=HYPERLINK(...)``, ``+cmd|...``). Such a cell gets a leading ``'``, which spreadsheets show
    as text. Numeric columns are untouched, so negative numbers stay numbers.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            out[column] = values.map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v
            )
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a CSV meant for people: spreadsheet-safe cells, no index."""
    spreadsheet_safe(frame).to_csv(path, index=False)
    return path


def chart_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec of a chart with its data inlined (the form every export uses).

    Missing values become JSON ``null``: a NaN or infinity left in the data (pandas 3 turns
    ``None`` back into NaN in string columns, a change on a zero base is infinite) is not JSON and
    would fail the page, so it is shown as missing instead.
    """
    with alt.data_transformers.disable_max_rows():
        return _finite(chart.to_dict())


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def chart_title(spec: dict[str, Any]) -> str:
    """The chart's title text ('' when it has none); multi-line titles are joined."""
    title = spec.get("title") or ""
    if isinstance(title, dict):
        title = title.get("text") or ""
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title)


def chart_data(spec: dict[str, Any]) -> pd.DataFrame:
    """The data behind a chart: every inline dataset of the spec, concatenated.

    Layered charts often carry one dataset per layer; a ``_dataset`` column says which
    row came from which when there is more than one.
    """
    datasets = spec.get("datasets") or {}
    frames = [pd.DataFrame(rows) for rows in datasets.values()]
    if not frames:
        values = (spec.get("data") or {}).get("values")
        return pd.DataFrame(values or [])
    if len(frames) == 1:
        return frames[0]
    return pd.concat([f.assign(_dataset=i) for i, f in enumerate(frames)], ignore_index=True, sort=False)


def export_chart(chart: alt.TopLevelMixin, name: str, folder: Path) -> ChartFiles:
    """Write ``<name>.png`` (scale 2), ``.svg``, ``.html`` (offline) and ``.csv`` into ``folder``.

    Args:
        chart: any Altair top-level chart (layered and concatenated charts included).
        name: file stem; turned into a safe slug.
        folder: the report's ``charts/`` folder; created when missing.
    """
    stem = slug(name)
    folder.mkdir(parents=True, exist_ok=True)
    spec = chart_spec(chart)
    files = ChartFiles(
        stem, folder / f"{stem}.png", folder / f"{stem}.svg", folder / f"{stem}.html", folder / f"{stem}.csv"
    )
    files.png.write_bytes(vlc.vegalite_to_png(spec, scale=2))
    files.svg.write_text(vlc.vegalite_to_svg(spec), encoding="utf-8")
    files.html.write_text(standalone_chart_page(spec, chart_title(spec) or stem), encoding="utf-8")
    write_csv(chart_data(spec), files.csv)
    logger.debug("exported chart %s to %s", stem, folder)
    return files
