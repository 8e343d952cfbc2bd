"""The Altair house theme and the stable theme-id colour mapping.

Every chart of every report uses one look: readable type, a colour-blind-safe palette
(Paul Tol's "muted" scheme, designed for deuteranopia and protanopia), and the same colour
for the same customer theme everywhere. Executives compare charts across pages; if
"Onboarding friction" is rose in one chart and teal in the next they read two themes.
The colour of a theme therefore comes from its position in the curated registry
(``config/themes.yaml``), never from the order in which a chart happens to list it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import yaml

logger = logging.getLogger(__name__)

THEME_NAME = "workbench"

#: Paul Tol's "muted" qualitative scheme (distinguishable with colour-vision deficiency), extended to 12.
PALETTE: tuple[str, ...] = (
    "#332288",  # indigo
    "#CC6677",  # rose
    "#117733",  # green
    "#DDCC77",  # sand
    "#88CCEE",  # cyan
    "#882255",  # wine
    "#44AA99",  # teal
    "#999933",  # olive
    "#AA4499",  # purple
    "#661100",  # brown (Tol)
    "#6699CC",  # steel blue (Tol)
    "#E69F00",  # orange (Okabe-Ito): 12 distinct colours, so the 12 demo themes never share one
)
NEUTRAL = "#BBBBBB"  # unassigned, "other" and context marks
ACCENT = "#332288"  # the single colour of one-series charts
POSITIVE = "#117733"
NEGATIVE = "#CC6677"
FONT = "Helvetica Neue, Helvetica, Arial, DejaVu Sans, sans-serif"


def house_theme() -> dict[str, Any]:
    """The theme config: sizes tuned for a laptop screen and for print."""
    return {
        "config": {
            "font": FONT,
            "background": "white",
            "view": {"continuousWidth": 560, "continuousHeight": 300, "stroke": None},
            "title": {
                "fontSize": 16,
                "fontWeight": 600,
                "anchor": "start",
                "color": "#1F2328",
                "subtitleFontSize": 12,
                "subtitleColor": "#57606A",
                "offset": 12,
            },
            "axis": {
                "labelFontSize": 12,
                "titleFontSize": 12,
                "titleColor": "#57606A",
                "labelColor": "#1F2328",
                "gridColor": "#EAEEF2",
                "domainColor": "#8C959F",
                "tickColor": "#8C959F",
                "labelLimit": 260,
            },
            "legend": {
                "labelFontSize": 12,
                "titleFontSize": 12,
                "labelLimit": 240,
                "orient": "bottom",
                "direction": "horizontal",
                "columns": 3,
            },
            "header": {"labelFontSize": 12, "titleFontSize": 12},
            "range": {"category": list(PALETTE)},
            "bar": {"color": ACCENT},
            "line": {"color": ACCENT, "strokeWidth": 2.5},
            "point": {"color": ACCENT, "filled": True, "size": 60},
            "area": {"color": ACCENT},
            "rule": {"color": "#57606A"},
            "text": {"fontSize": 12, "color": "#1F2328"},
        }
    }


def register() -> str:
    """Register the house theme with Altair and enable it; safe to call repeatedly."""
    if THEME_NAME not in alt.theme.names():
        alt.theme.register(THEME_NAME, enable=False)(house_theme)
    alt.theme.enable(THEME_NAME)
    return THEME_NAME


def registry_order(registry_path: Path) -> list[str]:
    """Theme ids in the order the curated registry lists them (empty when it cannot be read).

    Accepts the shapes a registry file can take: ``themes:`` as a list of mappings with an
    ``id`` or as a mapping keyed by id, or a top-level mapping keyed by id.
    """
    if not registry_path.is_file():
        return []
    try:
        data = yaml.safe_load(registry_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        logger.warning("theme registry %s is not valid YAML; colours follow theme ids", registry_path)
        return []
    themes = data.get("themes", data) if isinstance(data, dict) else data
    if isinstance(themes, dict):
        return [str(k) for k in themes]
    if isinstance(themes, list):
        return [str(t["id"]) for t in themes if isinstance(t, dict) and "id" in t]
    return []


def theme_palette(registry_ids: Sequence[str], extra_ids: Iterable[str] = ()) -> dict[str, str]:
    """A colour per theme id: registry position first, then any other id in sorted order.

    Args:
        registry_ids: ids in registry order; their colours never move when a theme is added at the end.
        extra_ids: ids seen in the data but absent from the registry (emerging candidates), coloured
            after the registered ones so that they never shift a registered theme's colour.
    """
    ordered = list(dict.fromkeys(str(i) for i in registry_ids))
    ordered += sorted({str(i) for i in extra_ids} - set(ordered))
    return {theme_id: PALETTE[i % len(PALETTE)] for i, theme_id in enumerate(ordered)}
