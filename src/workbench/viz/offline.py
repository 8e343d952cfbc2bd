"""Altair charts that draw without the internet, in JupyterLab and in nbconvert HTML.

Altair's default renderer asks the browser to fetch vega, vega-lite and vega-embed from a CDN,
so an ad-hoc ``alt.Chart`` in a notebook is blank on a laptop without network (or behind a
proxy) and in an HTML export opened offline. The reports never had that problem because they
inline one JavaScript bundle (:func:`vega_bundle`, from ``vl_convert.javascript_bundle()``).
:func:`enable` registers an Altair renderer that uses the very same bundle, so what an analyst
sees in Lab is drawn by the same code as the executive pages.

Each chart output carries the bundle (about 0.9 MB) so that it is self-contained: it still draws
after a kernel restart, in a notebook exported with ``jupyter nbconvert --to html``, and when
the cell is copied into another notebook. The chart spec is embedded as inert JSON with ``<``,
``>`` and ``&`` escaped, so customer text in the data cannot end the script element.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: The name the renderer is registered under: ``alt.renderers.enable(RENDERER)``.
RENDERER = "workbench"


#: A file holding :func:`vega_bundle`'s text, made once by a report build for its worker processes
#: and kernels (``vl_convert.javascript_bundle()`` costs 1.4-2.2 s in every process that calls it;
#: a demo report had 10 of them: a worker and a kernel per notebook).
BUNDLE_FILE_ENV = "WORKBENCH_VEGA_BUNDLE_FILE"


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """vega + vega-lite + vega-embed (with vega-tooltip) as one script, from vl-convert.

    The one JavaScript the workbench ever ships: report pages and notebook charts inline it. Read
    from the file named by ``$WORKBENCH_VEGA_BUNDLE_FILE`` when a report build provides one
    (:func:`write_bundle_file`), else made by vl-convert.
    """
    bundle = None
    if path := os.environ.get(BUNDLE_FILE_ENV):
        try:
            bundle = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            logger.debug("cannot read the vega bundle from %s (%s): making it", path, exc)
    if not bundle:
        import vl_convert as vlc

        bundle = vlc.javascript_bundle()
    if "</script" in bundle.lower():  # would end the inline <script>; never true for known versions
        raise RuntimeError("the vl-convert JavaScript bundle cannot be inlined: it contains '</script'")
    return bundle


def write_bundle_file(path: Path) -> Path:
    """Write :func:`vega_bundle` to ``path``, for child processes to read (``BUNDLE_FILE_ENV``)."""
    path.write_text(vega_bundle(), encoding="utf-8")
    return path


def json_for_script(obj: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: ``<``, ``>``, ``&`` become ``\\u00XX``."""
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, default=str)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def chart_html(spec: dict[str, Any], bundle: bool = True) -> str:
    """An HTML snippet that draws ``spec`` with the inlined bundle and fetches nothing.

    Args:
        spec: a Vega-Lite spec with its data inline (``chart.to_dict()``).
        bundle: include the JavaScript bundle; ``False`` only when the page already has it.
    """
    ident = f"wb-chart-{uuid.uuid4().hex[:12]}"
    script = f"<script>{vega_bundle()}</script>" if bundle else ""
    return (
        f'<div id="{ident}" class="wb-offline-chart" style="max-width:100%"></div>'
        f'<script type="application/json" id="{ident}-spec">{json_for_script(spec)}</script>'
        f"{script}"
        "<script>(function(){"
        f'var el=document.getElementById("{ident}");'
        f'var spec=JSON.parse(document.getElementById("{ident}-spec").textContent);'
        'if(!window.vegaEmbed){el.textContent="vega-embed is not loaded";return;}'
        'window.vegaEmbed(el,spec,{actions:false,renderer:"svg"}).catch(function(e){'
        'el.textContent="This chart could not be drawn ("+e.message+").";});'
        "})();</script>"
    )


def render(spec: dict[str, Any], **options: Any) -> dict[str, str]:
    """The Altair renderer: a MIME bundle with self-contained HTML and a text fallback."""
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    return {
        "text/html": chart_html(spec, bundle=options.get("bundle", True)),
        "text/plain": f"<Chart: {title or spec.get('mark', 'chart')}>",
    }


def enable() -> str:
    """Make every Altair chart in this Python session draw offline; returns the renderer's name.

    Call it once per notebook (``wb.offline_charts()``). Idempotent. The previous renderer can be
    restored with ``alt.renderers.enable("default")``.
    """
    import altair as alt

    if RENDERER not in alt.renderers.names():
        alt.renderers.register(RENDERER, render)
    alt.renderers.enable(RENDERER)
    logger.debug("Altair renderer %r enabled (inline vega bundle)", RENDERER)
    return RENDERER
