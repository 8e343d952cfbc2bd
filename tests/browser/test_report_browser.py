"""Every page of the demo report in headless Chromium with the network cut off.

Asserts: no console error, every chart drawn (an svg or canvas of non-zero size in each embed
container), no request to any host, tooltips escape customer text, and the planted ``<script>``
/ ``<img onerror>`` text fired nothing and created no element. Saves a screenshot of the executive
summary to ``test-artifacts/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import CHROMIUM_ARGS, offline_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ALL_DRAWN = """() => {
  const views = [...document.querySelectorAll('.wb-chart-view')];
  return views.every(v => [...v.querySelectorAll('svg, canvas')].some(e => {
    const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; }));
}"""


@pytest.fixture(scope="module")
def browser(chromium):  # tests/browser/conftest.py installs Chromium where it can
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def pages(demo_report) -> list[Path]:
    assert demo_report.ok, demo_report.summary()
    folder = demo_report.target
    found = [
        folder / "index.html",
        *sorted(folder.glob("[0-9]*.html")),
        *sorted((folder / "charts").glob("*.html")),
    ]
    assert len(found) >= 26
    return found


def test_every_page_renders_offline_and_inert(browser, pages):
    page, outside, errors, dialogs = offline_page(browser)
    drawn = 0
    for path in pages:
        page.goto(path.as_uri())
        page.wait_for_function(ALL_DRAWN, timeout=30_000)
        drawn += page.eval_on_selector_all(".wb-chart-view", "v => v.length")
        assert page.evaluate("typeof window.__wbXss") == "undefined", path.name
        assert page.eval_on_selector_all('img[src="x"], img[onerror]', "e => e.length") == 0, path.name
        # only our own scripts: the bundle and the embed code on chart pages, the inert JSON specs
        scripts = page.eval_on_selector_all("script:not([type='application/json'])", "e => e.length")
        assert scripts == (2 if page.eval_on_selector_all(".wb-chart-view", "v => v.length") else 0), (
            path.name
        )
        assert not errors, f"{path.name}: {errors}"
    assert drawn >= 40
    assert outside == [] and dialogs == []
    page.context.close()


def test_tooltips_render_customer_text_as_text(browser, demo_report):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((demo_report.target / "10_customer_themes.html").as_uri())
    page.wait_for_function(ALL_DRAWN, timeout=30_000)
    bars = page.query_selector_all(
        "figure[data-chart='themes_by_volume'] .wb-chart-view svg path[aria-roledescription='bar']"
    )
    assert bars
    seen = []
    for bar in bars:
        bar.hover()
        page.wait_for_selector("#vg-tooltip-element.visible", timeout=5_000)
        seen.append(page.inner_html("#vg-tooltip-element"))
    hostile = [html for html in seen if "__wbXss" in html]
    assert hostile, "the planted label should be on one of the bars"
    assert all("&lt;script&gt;" in html and "<script>" not in html for html in hostile)
    assert page.evaluate("typeof window.__wbXss") == "undefined"
    page.close()


def test_screenshot_of_the_executive_summary(browser, demo_report):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((demo_report.target / "00_executive_summary.html").as_uri())
    page.wait_for_function(ALL_DRAWN, timeout=30_000)
    shot = ARTIFACTS / "executive_summary.png"
    page.screenshot(path=str(shot), full_page=True)
    page.emulate_media(media="print")
    page.pdf(path=str(ARTIFACTS / "executive_summary.pdf"), format="A4", print_background=True)
    assert shot.stat().st_size > 10_000
    page.close()
