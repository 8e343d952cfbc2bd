"""Report pages read on a laptop and a phone and print on A4 and Letter; notebook charts draw offline.

Checked in headless Chromium with element bounds, never pixels: at 390 px no page scrolls
sideways (charts fit their box, wide tables scroll inside their own box); long pages carry a table
of contents; in print every chart fits the printable width of A4 and Letter, headings keep with
what follows, and the executive summary is at most two pages. Screenshots at 1280 and 390 px go
to ``test-artifacts/`` for a human look.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import CHROMIUM_ARGS

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ALL_DRAWN = """() => [...document.querySelectorAll('.wb-chart-view')].every(v =>
  [...v.querySelectorAll('svg, canvas')].some(e => { const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0; }))"""

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Printable width in CSS px (96/in) of each paper at the report's @page margins (11 mm each side).
PRINTABLE_PX = {"A4": (210 - 22) / 25.4 * 96, "Letter": 8.5 * 96 - 22 / 25.4 * 96}
OVERFLOW = """() => {
  const W = document.documentElement.clientWidth;
  const out = [];
  for (const e of document.querySelectorAll('main *')) {
    if (e.closest('table')) continue;  // tables scroll inside their own box (checked separately)
    const r = e.getBoundingClientRect();
    if (r.width && r.right > W + 1) out.push(`${e.tagName} ${Math.round(r.right)}px`);
  }
  return {scroll: document.documentElement.scrollWidth, client: W, over: out.slice(0, 5)};
}"""
TABLES_BOXED = """() => [...document.querySelectorAll('main table')].every(t => {
  const r = t.getBoundingClientRect(); return r.right <= document.documentElement.clientWidth + 1; })"""
CHARTS_WITHIN = """(limit) => [...document.querySelectorAll('.wb-chart-view svg')].map(s => {
  const r = s.getBoundingClientRect(); return [s.closest('figure').dataset.chart, Math.round(r.right)]; })
  .filter(([, right]) => right > limit + 1)"""


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("headless Chromium is missing: apt-get install -y chromium (.ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def report_pages(demo_report) -> list[Path]:
    assert demo_report.ok, demo_report.summary()
    return [demo_report.target / "index.html", *sorted(demo_report.target.glob("[0-9]*.html"))]


def _open(browser, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    return context, context.new_page()


def test_no_page_scrolls_sideways_on_a_phone(browser, report_pages):
    context, page = _open(browser, 390, 844)
    ARTIFACTS.mkdir(exist_ok=True)
    for path in report_pages:
        page.goto(path.as_uri())
        page.wait_for_function(ALL_DRAWN, timeout=30_000)
        bounds = page.evaluate(OVERFLOW)
        assert bounds["scroll"] <= bounds["client"], f"{path.name} scrolls sideways: {bounds}"
        assert not bounds["over"], f"{path.name}: elements past the right edge: {bounds['over']}"
        assert page.evaluate(TABLES_BOXED), f"{path.name}: a table is wider than the page"
        assert not page.evaluate(CHARTS_WITHIN, bounds["client"]), path.name
        if path.name.startswith("00_"):
            page.screenshot(path=str(ARTIFACTS / "executive_summary_390.png"), full_page=True)
    context.close()


def test_long_pages_have_a_table_of_contents(browser, report_pages):
    context, page = _open(browser, 1280, 900)
    long_pages = 0
    for path in report_pages:
        page.goto(path.as_uri())
        page.wait_for_function(ALL_DRAWN, timeout=30_000)
        screens = page.evaluate("document.documentElement.scrollHeight") / 900
        links = page.eval_on_selector_all(".wb-toc a", "a => a.map(x => x.getAttribute('href'))")
        if screens > 2:
            long_pages += 1
            assert len(links) >= 3, f"{path.name} is {screens:.1f} screens long and has no table of contents"
        for href in links:
            found = page.evaluate("h => !!document.getElementById(decodeURIComponent(h.slice(1)))", href)
            assert found, f"{path.name}: {href} goes nowhere"
        if path.name.startswith("00_"):
            page.screenshot(path=str(ARTIFACTS / "executive_summary_1280.png"))
    assert long_pages >= 4  # the five report pages are long; the check above must have run
    context.close()


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_print_fits_the_paper(browser, report_pages, paper):
    width = int(PRINTABLE_PX[paper])
    narrow, paper_page = _open(browser, width, 1000)  # laid out at the paper's printable width
    laptop, page = _open(browser, 1280, 900)  # printed from a laptop browser window
    for path in report_pages:
        paper_page.goto(path.as_uri())
        paper_page.wait_for_function(ALL_DRAWN, timeout=30_000)
        paper_page.emulate_media(media="print")
        assert not paper_page.evaluate(CHARTS_WITHIN, width), f"{path.name}: chart wider than {paper}"
        styles = paper_page.eval_on_selector_all(
            "main h2, main h3", "hs => hs.map(h => getComputedStyle(h).breakAfter)"
        )
        assert styles and set(styles) == {"avoid"}, f"{path.name}: a heading may be stranded"
        hidden = paper_page.eval_on_selector_all(
            ".wb-toc, .wb-nav", "n => n.filter(e => e.offsetParent).length"
        )
        assert hidden == 0
        page.goto(path.as_uri())
        page.wait_for_function(ALL_DRAWN, timeout=30_000)
        page.emulate_media(media="print")
        pdf = page.pdf(format=paper, print_background=True)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        if path.name.startswith("00_"):
            (ARTIFACTS / f"executive_summary_{paper}.pdf").write_bytes(pdf)
            assert pages <= 2, f"the executive summary prints on {pages} {paper} pages"
        assert pages >= 1
    narrow.close()
    laptop.close()


def test_notebook_charts_draw_offline_in_nbconvert_html(browser, tmp_path):
    """An ad-hoc Altair chart, exported with nbconvert's own lab template, draws with the network cut."""
    import altair as alt
    import nbformat
    import pandas as pd
    from nbconvert import HTMLExporter

    from workbench.viz import offline

    chart = alt.Chart(pd.DataFrame({"x": ["a", "b"], "y": [1, 2]})).mark_bar().encode(x="x:N", y="y:Q")
    before = alt.renderers.active
    try:
        offline.enable()
        bundle = chart._repr_mimebundle_()
    finally:
        alt.renderers.enable(before)
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("chart")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": data["text/html"]})]
    nb.cells = [cell]
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    assert not re.search(r"<script[^>]+src=[\"']https?://[^\"']*vega", html)
    page_file = tmp_path / "nb.html"
    page_file.write_text(html, encoding="utf-8")
    context, page = _open(browser, 1000, 800)
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.unroute("**/*")
    context.route("**/*", route)
    page.goto(page_file.as_uri())
    page.wait_for_selector(".wb-offline-chart svg", timeout=30_000)
    box = page.eval_on_selector(".wb-offline-chart svg", "s => s.getBoundingClientRect().width")
    assert box > 50
    assert not [u for u in blocked if "vega" in u]  # nothing chart-related was asked of the network
    context.close()
