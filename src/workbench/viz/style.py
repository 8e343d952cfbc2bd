"""The Altair house theme and the stable theme-id colour mapping.

Every chart of every report uses one look: readable type, a colour-blind-safe palette
(Paul Tol's "muted" scheme, designed for deuteranopia and protanopia), and the same colour
for the same customer theme everywhere. Executives compare charts across pages; if
"Onboarding friction" is rose in one chart and teal in the next they read two themes.
The colour of a theme therefore comes from its position in the curated registry
(``config/themes.yaml``), never from the order in which a chart happens to list it.
"""

from __future__ import annotations

import colorsys
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import altair as alt

from workbench.core.errors import ConfigError
from workbench.themes.registry import parse_registry

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

    The file is read by the product's one registry parser,
    :func:`workbench.themes.registry.parse_registry`, so charts accept exactly the registries the
    theme engine accepts. A registry it rejects colours themes by id order, with a warning (the
    theme engine itself refuses to run on it, naming the key).
    """
    if not registry_path.is_file():
        return []
    try:
        registry = parse_registry(registry_path.read_text(encoding="utf-8"), registry_path.name)
    except ConfigError as exc:
        logger.warning("%s; colours follow theme ids", exc)
        return []
    return [t.id for t in registry.themes]


def theme_palette(registry_ids: Sequence[str], extra_ids: Iterable[str] = ()) -> dict[str, str]:
    """A colour per theme id: registry position first, then any other id in sorted order.

    Args:
        registry_ids: ids in registry order; their colours never move when a theme is added at the end.
        extra_ids: ids seen in the data but absent from the registry (emerging candidates), coloured
            after the registered ones so that they never shift a registered theme's colour.
    """
    ordered = list(dict.fromkeys(str(i) for i in registry_ids))
    ordered += sorted({str(i) for i in extra_ids} - set(ordered))
    if len(ordered) > len(PALETTE):
        logger.info(
            "%d themes but %d palette colours: themes %d and later get generated colours "
            "(see extended_palette); read them by label, not by colour",
            len(ordered),
            len(PALETTE),
            len(PALETTE) + 1,
        )
    colours = extended_palette(len(ordered))
    return {theme_id: colours[i] for i, theme_id in enumerate(ordered)}


def extended_palette(n: int) -> list[str]:
    """``n`` distinct colours: :data:`PALETTE` first, then generated ones, never a repeat.

    Beyond the 12 curated colours no qualitative scheme stays distinguishable, but a repeated
    colour is worse: two themes would read as one. Colour ``k >= 12`` is therefore generated
    deterministically from its position alone (so it never moves when a theme is added): the hue
    steps by the golden angle (137.5 degrees) from Tol's indigo, lightness cycles through three
    levels, and a colour that would equal an earlier one is nudged by 7 degrees of hue until new.
    """
    colours = list(PALETTE[:n])
    seen = set(colours)
    k = len(PALETTE)
    while len(colours) < n:
        hue = (250.0 + 137.508 * (k - len(PALETTE))) % 360.0
        lightness = (0.42, 0.60, 0.30)[(k - len(PALETTE)) % 3]
        for nudge in range(52):
            r, g, b = colorsys.hls_to_rgb(((hue + 7.0 * nudge) % 360.0) / 360.0, lightness, 0.55)
            colour = f"#{round(r * 255):02X}{round(g * 255):02X}{round(b * 255):02X}"
            if colour not in seen:
                break
        colours.append(colour)
        seen.add(colour)
        k += 1
    return colours
