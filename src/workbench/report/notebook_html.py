"""Executed notebook -> executive HTML page: code hidden, noise removed, charts inlined once.

nbconvert's HTMLExporter does the cell rendering; what an executive must not see is taken out
first by preprocessors, and the page head is our own template (``assets/report.html.j2``), which
replaces the lab template's CDN scripts (require.js, MathJax, mermaid) with the vega bundle
inlined once and a Content-Security-Policy that blocks every request.
"""

from __future__ import annotations

import copy
import logging
import re
from importlib import resources
from typing import Any

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from workbench.report.html import CHART_MIME, CSP, asset, chart_fragment, vega_bundle

logger = logging.getLogger(__name__)

#: Cells an executive never sees: papermill's injected parameters and the defaults cell.
HIDDEN_CELL_TAGS = frozenset({"injected-parameters", "parameters", "remove-cell"})


class StripNoisePreprocessor(Preprocessor):
    """Drops stderr streams (warnings, progress bars), error outputs and empty outputs.

    A successful notebook has no error outputs; dropping them anyway means a traceback can
    never reach the executive page, whatever a future notebook does.
    """

    def preprocess_cell(self, cell, resources, index):  # noqa: D102 - nbconvert hook
        if cell.cell_type == "code":
            kept = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") != "stdout":
                    continue
                if out.get("output_type") == "error":
                    continue
                if out.get("output_type") in ("display_data", "execute_result") and not out.get("data"):
                    continue
                kept.append(out)
            cell.outputs = kept
        return cell, resources


class ChartEmbedPreprocessor(Preprocessor):
    """Turns each Vega-Lite chart output into an embed container rendered by the page's bundle.

    The executed notebook keeps the chart as a Vega-Lite MIME bundle (plus a PNG that JupyterLab
    can show); the page keeps only the spec, so the JavaScript is inlined once per page rather
    than once per chart.
    """

    def preprocess_cell(self, cell, resources, index):  # noqa: D102 - nbconvert hook
        if cell.cell_type != "code":
            return cell, resources
        for out in cell.get("outputs", []):
            data = out.get("data") or {}
            if CHART_MIME in data:
                name = (out.get("metadata") or {}).get("workbench", {}).get("chart", "")
                out["data"] = {"text/html": str(chart_fragment(data[CHART_MIME], name=name))}
                out["metadata"] = {}
                resources.setdefault("wb", {})["has_charts"] = True
        return cell, resources


def make_exporter() -> HTMLExporter:
    """The configured exporter: no input, no prompts, our template."""
    exporter = HTMLExporter(
        template_name="lab",
        template_file=str(resources.files("workbench.report").joinpath("assets", "report.html.j2")),
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags=set(HIDDEN_CELL_TAGS)), enabled=True
    )
    exporter.register_preprocessor(StripNoisePreprocessor(), enabled=True)
    exporter.register_preprocessor(ChartEmbedPreprocessor(), enabled=True)
    return exporter


def notebook_to_html(nb: nbformat.NotebookNode, title: str, nav_html: str = "", footer: str = "") -> str:
    """The executive page of an executed notebook (the notebook itself is not modified).

    Args:
        nb: the executed notebook.
        title: the page title (plain text; escaped by the template).
        nav_html: navigation bar HTML (trusted, from :func:`workbench.report.html.nav`).
        footer: footer HTML (trusted).
    """
    wb: dict[str, Any] = {
        "title": title,
        "nav": nav_html,
        "footer": footer,
        "css": asset("report.css"),
        "csp": CSP,
        "has_charts": False,
        "embed_js": asset("embed.js"),
        "bundle": vega_bundle(),
    }
    body, _ = make_exporter().from_notebook_node(copy.deepcopy(nb), resources={"wb": wb})
    return with_toc(body)


#: A page with this many sections gets a table of contents: with a chart or table per section,
#: three sections are already more than two laptop screens (tests/browser/test_layout.py checks it).
TOC_MIN_SECTIONS = 3
_MAIN = re.compile(r'<main class="wb-report">(.*?)</main>', re.S)
_H2 = re.compile(r'<h2 id="([^"]+)"[^>]*>(.*?)</h2>', re.S)
_TAG = re.compile(r"<[^>]+>")


def with_toc(page: str) -> str:
    """``page`` with an "On this page" list of its sections before the first one (long pages only).

    Sections are the ``<h2 id=...>`` headings inside ``<main>`` (markdown headings and the
    workbench's own); their text is already escaped, so it is reused as is, minus the ``¶`` anchor.
    """
    main = _MAIN.search(page)
    if not main:
        return page
    sections = [
        (ident, _TAG.sub("", inner).replace("\u00b6", "").strip())
        for ident, inner in _H2.findall(main.group(1))
    ]
    sections = [(ident, text) for ident, text in sections if text]
    if len(sections) < TOC_MIN_SECTIONS:
        return page
    items = "".join(f'<li><a href="#{ident}">{text}</a></li>' for ident, text in sections)
    toc = f'<nav class="wb-toc" aria-label="On this page"><strong>On this page</strong><ol>{items}</ol></nav>'
    first = main.start(1) + _H2.search(main.group(1)).start()
    cell = page.rfind('<div class="jp-Cell ', main.start(1), first)
    at = cell if cell != -1 else first
    return page[:at] + toc + page[at:]
