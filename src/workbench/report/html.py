"""Safe HTML for the reports: escaped fragments, chart embeds and whole self-contained pages.

Executives open these pages from an email attachment or a file share, often offline, so a
page must carry everything it needs: the vega, vega-lite and vega-embed JavaScript is inlined
once per page (from ``vl_convert.javascript_bundle()``) and every chart is an inert JSON spec
that the bundle renders. A Content-Security-Policy forbids every network request.

Customer text is untrusted. Every fragment here escapes what it shows, and chart specs are
embedded with ``<``, ``>`` and ``&`` written as JSON escapes so that a quote containing
``</script>`` cannot end the tag it sits in (vl-convert's own HTML export does not guard
against that, which is why standalone chart pages are built here too). Notebooks display
these fragments; they never format customer text themselves.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

from workbench.core.formatting import money
from workbench.themes.text import escape_html
from workbench.viz.offline import json_for_script, vega_bundle

logger = logging.getLogger(__name__)

#: MIME type of a chart output in an executed notebook (Altair 6 writes Vega-Lite v6 specs).
CHART_MIME = "application/vnd.vegalite.v6+json"
#: Every network request is refused; inline scripts and styles only. Vega compiles its
#: expressions with ``Function``, hence ``unsafe-eval``.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
)
_SAFE_LINK = re.compile(r"^[A-Za-z0-9_.\-/]*(#[A-Za-z0-9_.\-]*)?$")


class Fragment(str):
    """An HTML string built by the workbench (already escaped); Jupyter displays it as HTML."""

    def _repr_html_(self) -> str:
        return str(self)


def esc(value: Any) -> str:
    """Any value as escaped HTML text (``None``, NaN and NaT as an empty string; midnight as a date)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, dt.datetime) and value == dt.datetime.combine(value.date(), dt.time()):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return escape_html(value if isinstance(value, str) else str(value))


def safe_href(link: str | None) -> str | None:
    """A relative link to another page of the report, or ``None`` for anything else.

    Links come from code (insight templates), but a theme id can reach an anchor; refusing
    schemes outright keeps ``javascript:`` and remote URLs out of the page.
    """
    if not link or not _SAFE_LINK.match(link) or link.startswith("//"):
        return None
    return link


# ------------------------------------------------------------------------------------ assets


@lru_cache(maxsize=4)
def asset(name: str) -> str:
    """A text file shipped in ``workbench/assets``."""
    return resources.files("workbench.report").joinpath("assets", name).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------- fragments


def chart_fragment(spec: Mapping[str, Any], name: str = "", links: bool = True) -> Fragment:
    """A chart as an embed container: a ``<div>`` for the view and its spec as inert JSON.

    Args:
        spec: a Vega-Lite spec with its data inline.
        name: the chart's file stem in ``charts/``; adds download links (PNG, SVG, CSV) when ``links``.
        links: whether to link the exported files (the report pages do; a standalone chart page doesn't).
    """
    title = spec.get("title")
    if isinstance(title, Mapping):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    label = esc(title or name or "chart")
    parts = [
        f'<figure class="wb-chart" data-chart="{esc(name)}">',
        f'<div class="wb-chart-view" role="img" aria-label="{label}"></div>',
        f'<script type="application/json" class="wb-chart-spec">{json_for_script(dict(spec))}</script>',
    ]
    if links and name:
        stem = esc(name)
        parts.append(
            f'<figcaption class="wb-chart-links">Download: <a href="charts/{stem}.png">PNG</a> · '
            f'<a href="charts/{stem}.svg">SVG</a> · <a href="charts/{stem}.csv">data (CSV)</a>'
            "</figcaption>"
        )
    parts.append("</figure>")
    return Fragment("".join(parts))


def heading(text: str, level: int = 2, anchor: str | None = None, subtitle: str | None = None) -> Fragment:
    """A heading built from data (e.g. the quarter), escaped, with an optional anchor id."""
    level = min(max(int(level), 1), 4)
    ident = f' id="{esc(anchor)}"' if anchor else ""
    sub = f'<p class="wb-subtitle">{esc(subtitle)}</p>' if subtitle else ""
    return Fragment(f"<h{level}{ident}>{esc(text)}</h{level}>{sub}")


def paragraph(text: str, muted: bool = False) -> Fragment:
    """One escaped paragraph (narrative sentences computed from data)."""
    cls = ' class="wb-muted"' if muted else ""
    return Fragment(f"<p{cls}>{esc(text)}</p>")


def callout(text: str) -> Fragment:
    """A highlighted note, e.g. "no data for this segment"."""
    return Fragment(f'<p class="wb-callout">{esc(text)}</p>')


def format_value(value: Any, unit: str = "") -> str:
    """Human formatting for KPI values: ``%`` for rates, thousands separators, compact money."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit == "%":
        return f"{float(value):.0%}" if abs(float(value)) >= 0.1 else f"{float(value):.1%}"
    if unit == "nps":
        return f"{float(value):+.0f}"
    if unit in ("$", "ARR"):
        return money(value)
    if isinstance(value, int | float) and float(value).is_integer():
        return f"{int(value):,}"
    if isinstance(value, int | float):
        return f"{float(value):,.2f}"
    return str(value)


def delta_text(delta: Any, unit: str = "") -> str:
    """A quarter-over-quarter change as text: ``+12%``, ``-3.1 pts`` (rates change in points)."""
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return "no prior quarter"
    d = float(delta)
    if unit == "%":
        return f"{d * 100:+.1f} pts QoQ"
    if unit == "nps":
        return f"{d:+.0f} pts QoQ"
    return f"{d:+.0%} QoQ"


def kpi_cards(kpis: pd.DataFrame) -> Fragment:
    """Headline KPI cards.

    Colour follows the statistics, not the sign: a change is green or rose only when the KPI frame
    says it is ``significant``; otherwise the card stays neutral and says "not significant", so a
    card never contradicts a finding that calls the same change noise.

    Args:
        kpis: columns ``label``, ``value``, ``delta`` (fraction, or points for rates), ``unit``
            ('%', '$', 'nps' or ''), ``good_when`` ('up', 'down' or '' when neither is better) and
            ``significant`` (bool; without it every card is neutral) with its ``p_value``.
    """
    cards = []
    for row in kpis.itertuples(index=False):
        delta = getattr(row, "delta", None)
        unit = getattr(row, "unit", "") or ""
        good_when = getattr(row, "good_when", "") or ""
        significant = getattr(row, "significant", False) is True or getattr(row, "significant", False) == 1
        p_value = getattr(row, "p_value", float("nan"))
        cls = "wb-flat"
        known = delta is not None and not (isinstance(delta, float) and math.isnan(delta))
        text = delta_text(delta, unit)
        if known and float(delta) != 0 and good_when and significant:
            cls = "wb-good" if (float(delta) > 0) == (good_when == "up") else "wb-bad"
        elif (
            known
            and float(delta) != 0
            and not significant
            and p_value is not None
            and not math.isnan(float(p_value))
        ):
            text += ", not significant"
        cards.append(
            f'<div class="wb-kpi"><div class="wb-kpi-label">{esc(row.label)}</div>'
            f'<div class="wb-kpi-value">{esc(format_value(row.value, unit))}</div>'
            f'<div class="wb-delta {cls}">{esc(text)}</div></div>'
        )
    return Fragment(f'<div class="wb-kpis">{"".join(cards)}</div>')


def insight_list(insights: Sequence[Any]) -> Fragment:
    """Headline insights as a list; each links to its detailed report.

    Args:
        insights: objects with ``headline``, ``value``, ``delta``, ``significant`` and ``link``
            (as returned by ``workbench.analysis.insights.executive_summary``); ``detail`` is optional.
    """
    items = []
    for ins in insights:
        href = safe_href(getattr(ins, "link", None))
        more = f' <a href="{esc(href)}">Details &rarr;</a>' if href else ""
        detail = getattr(ins, "detail", None)
        detail_html = f"<div>{esc(detail)}</div>" if detail else ""
        cls = "wb-insight" if getattr(ins, "significant", True) else "wb-insight wb-not-significant"
        items.append(
            f'<li class="{cls}"><div class="wb-headline">{esc(ins.headline)}</div>'
            f'{detail_html}<div class="wb-muted">{more}</div></li>'
        )
    if not items:
        return callout("No headline insight passed the significance checks this quarter.")
    return Fragment(f'<ol class="wb-insights">{"".join(items)}</ol>')


def quote_list(quotes: pd.DataFrame, text: str = "text", meta: Sequence[str] = ()) -> Fragment:
    """Customer quotes, escaped; ``meta`` columns (channel, segment...) shown under each quote."""
    items = []
    for _, row in quotes.iterrows():
        bits = [esc(row[c]) for c in meta if c in quotes.columns and esc(row[c])]
        meta_html = f'<span class="wb-quote-meta">{" · ".join(bits)}</span>' if bits else ""
        items.append(f'<li class="wb-quote"><q>{esc(row[text])}</q>{meta_html}</li>')
    return Fragment(f'<ul class="wb-quotes">{"".join(items)}</ul>')


def theme_quotes(
    quotes: pd.DataFrame, metrics: pd.DataFrame, themes: pd.DataFrame, top: int = 6, per_theme: int = 3
) -> Fragment:
    """Evidence quotes for the ``top`` themes by volume, each under its theme's label.

    Args:
        quotes: the theme engine's ``quotes`` (``theme_id, rank, quote, channel, ...``), PII redacted.
        metrics: theme metrics of one quarter (``theme_id, volume``) to pick and order the themes.
        themes: theme table (``theme_id, label``).
        top: number of themes.
        per_theme: quotes per theme, most representative first.
    """
    labels = dict(zip(themes["theme_id"].astype(str), themes["label"].astype(str), strict=False))
    order = metrics[metrics["volume"] > 0].sort_values("volume", ascending=False)["theme_id"].astype(str)
    parts = []
    for theme_id in order.head(top):
        picked = quotes[quotes["theme_id"].astype(str) == theme_id]
        if "rank" in picked:
            picked = picked.sort_values("rank")
        if picked.empty:
            continue
        volume = int(metrics.loc[metrics["theme_id"].astype(str) == theme_id, "volume"].iloc[0])
        parts.append(
            f'<h3>{esc(labels.get(theme_id, theme_id))} <span class="wb-muted">({volume:,} items)</span></h3>'
        )
        parts.append(quote_list(picked.head(per_theme), text="quote", meta=("channel", "quarter")))
    if not parts:
        return callout("No quotes are available for this quarter's themes.")
    return Fragment("".join(parts))


def table(
    frame: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    formats: Mapping[str, str] | None = None,
    max_rows: int = 50,
    empty: str = "Nothing to show for this quarter.",
) -> Fragment:
    """A small escaped HTML table (or the ``empty`` sentence when there are no rows).

    Args:
        frame: the rows to show (at most ``max_rows``).
        columns: frame column -> header text; the order given is the order shown. Default: all.
        formats: column -> unit for :func:`format_value` ('%', '$', '' for numbers).
    """
    if frame.empty:
        return paragraph(empty, muted=True)
    columns = dict(columns or {c: str(c) for c in frame.columns})
    formats = dict(formats or {})
    head = "".join(
        f'<th class="{"wb-num" if c in formats else ""}">{esc(h)}</th>' for c, h in columns.items()
    )
    body = []
    for _, row in frame.head(max_rows).iterrows():
        cells = []
        for col in columns:
            value = row[col] if col in frame.columns else None
            if col in formats:
                cells.append(f'<td class="wb-num">{esc(format_value(value, formats[col]))}</td>')
            else:
                cells.append(f"<td>{esc(value)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return Fragment(
        f'<table class="wb-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


def coverage_block(
    coverage: pd.DataFrame, pulled_at: str | None = None, rejects_dir: str = "data/processed"
) -> Fragment:
    """Data coverage: per table and source, the rows, rejects and date range behind the report.

    Args:
        coverage: columns ``table``, ``source``, ``rows``, ``rejects``, ``first``, ``last``.
        pulled_at: when the data was pulled, if known.
        rejects_dir: the folder that holds the rejects files (the workspace's processed folder).
    """
    shown = coverage.assign(
        first=coverage["first"].map(lambda d: "" if pd.isna(d) else pd.Timestamp(d).date().isoformat()),
        last=coverage["last"].map(lambda d: "" if pd.isna(d) else pd.Timestamp(d).date().isoformat()),
    )
    when = f" Data pulled {pulled_at}." if pulled_at else ""
    total, rejects = int(coverage["rows"].sum()), int(coverage["rejects"].sum())
    intro = paragraph(
        f"{total:,} rows from {len(coverage)} sources; {rejects:,} rows rejected by validation "
        f"(kept in {rejects_dir}/*.rejects.parquet with the reason).{when}",
        muted=True,
    )
    return Fragment(
        intro
        + table(
            shown,
            {
                "table": "Table",
                "source": "Source",
                "rows": "Rows",
                "rejects": "Rejected",
                "first": "From",
                "last": "To",
            },
            {"rows": "", "rejects": ""},
            max_rows=100,
        )
    )


# ---------------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class PageLink:
    """One entry of the navigation bar: a page of the report."""

    href: str
    title: str


def nav(links: Iterable[PageLink], current: str | None = None) -> str:
    """The navigation bar shared by every page of one report."""
    items = []
    for link in links:
        here = ' aria-current="page"' if link.href == current else ""
        items.append(f'<a href="{esc(link.href)}"{here}>{esc(link.title)}</a>')
    return f'<nav class="wb-nav" aria-label="Report pages">{"".join(items)}</nav>'


def page(title: str, body: str, nav_html: str = "", footer: str = "", charts: bool = False) -> str:
    """A complete self-contained page around ``body`` (trusted, already escaped HTML)."""
    scripts = ""
    if charts:
        scripts = f"<script>{vega_bundle()}</script><script>{asset('embed.js')}</script>"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        f"<title>{esc(title)}</title>\n<style>{asset('report.css')}</style>\n</head>\n<body>\n"
        f'<header class="wb-header">{nav_html}</header>\n<main class="wb-report">\n{body}\n</main>\n'
        f'<footer class="wb-footer">{footer}</footer>\n{scripts}\n</body>\n</html>\n'
    )


def standalone_chart_page(spec: Mapping[str, Any], title: str | None = None) -> str:
    """One chart as an offline HTML page (the ``charts/<name>.html`` export)."""
    name = title or "Chart"
    return page(name, chart_fragment(spec, links=False), charts=True)


def built_footer(built_at: dt.datetime, quarter: str, extra: str = "") -> str:
    """The footer line every page carries: what quarter, when built."""
    stamp = built_at.strftime("%Y-%m-%d %H:%M UTC")
    tail = f" · {esc(extra)}" if extra else ""
    return f"Quarter {esc(quarter)} · built {esc(stamp)} by the Product Insights Workbench{tail}"
