"""``index.html``: the front page of a quarter's report.

It answers, in one screen: how did the quarter go (headline KPIs with their change on the
previous quarter), where are the details (a link to each report) and can I trust this (when it
was built, from which data, at which commit).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from workbench.report.html import PageLink, built_footer, coverage_block, esc, kpi_cards, nav, page

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportEntry:
    """One report of the index: its page, title, one-line description and status."""

    name: str
    title: str
    description: str
    ok: bool


def index_page(
    title: str,
    company: str,
    quarter: str,
    previous: str | None,
    entries: Sequence[ReportEntry],
    kpis: pd.DataFrame | None,
    coverage: pd.DataFrame | None,
    built_at: dt.datetime,
    commit: str | None = None,
    pulled_at: str | None = None,
    rejects_dir: str = "data/processed",
) -> str:
    """The index page HTML (self-contained; it has no charts, so no JavaScript)."""
    links = [PageLink("index.html", "Overview")] + [
        PageLink(f"{e.name}.html", e.title) for e in entries if e.ok
    ]
    parts = [
        f"<h1>{esc(title)} · {esc(quarter)}</h1>",
        '<p class="wb-subtitle">'
        + (f"{esc(company)} · " if company else "")
        + (
            f"changes are against {esc(previous)}"
            if previous
            else "no earlier quarter with data to compare with"
        )
        + "</p>",
    ]
    if kpis is not None and len(kpis):
        parts += ["<h2>Headline numbers</h2>", kpi_cards(kpis)]
    parts.append("<h2>Reports</h2><ul>")
    for entry in entries:
        if entry.ok:
            parts.append(
                f'<li><a href="{esc(entry.name)}.html">{esc(entry.title)}</a>'
                f"{' — ' + esc(entry.description) if entry.description else ''}</li>"
            )
        else:
            parts.append(
                f"<li>{esc(entry.title)} — <strong>not available</strong>: this page was not built; "
                "a failed notebook is kept in "
                f"{esc('reports/_failed/' + quarter + '/' + entry.name + '.ipynb')}"
                "</li>"
            )
    parts.append("</ul>")
    parts.append("<h2>How this report was built</h2>")
    stamp = built_at.strftime("%Y-%m-%d %H:%M UTC")
    bits = [f"Built {stamp}"]
    if commit:
        bits.append(f"code at commit {commit[:12]}")
    if pulled_at:
        bits.append(f"data pulled {pulled_at}")
    parts.append(
        f"<p>{esc('; '.join(bits))}. Every input file, its sha256 and row count, the package versions "
        'and the parameters are listed in <a href="manifest.json">manifest.json</a>; the executed '
        "notebooks (.ipynb) sit beside each page for analysts.</p>"
    )
    if coverage is not None and len(coverage):
        parts.append(coverage_block(coverage, rejects_dir=rejects_dir))
    return page(
        f"{title} {quarter}",
        "\n".join(parts),
        nav(links, "index.html"),
        built_footer(built_at, quarter),
        charts=False,
    )
