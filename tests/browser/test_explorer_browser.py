"""The report's Explorer page in headless Chromium with the network cut off.

Same checks as the other pages (no request leaves the page, no console error, the planted hostile
theme label fires nothing and creates no element), plus: the filters and the text search narrow the
list, and the page stays within its 2 MB budget.
"""

from __future__ import annotations

import pytest
from support import CHROMIUM_ARGS, offline_page

from workbench.report.explorer import MAX_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _count(page) -> int:
    return len(page.query_selector_all("#wb-results li"))


def test_explorer_filters_searches_and_stays_inert(browser, demo_report):
    assert demo_report.ok, demo_report.summary()
    path = demo_report.target / "explorer.html"
    assert path.is_file() and path.stat().st_size <= MAX_BYTES
    page, outside, errors, dialogs = offline_page(browser)
    page.goto(path.as_uri())
    page.wait_for_selector("#wb-results li", timeout=10_000)
    total = page.evaluate("JSON.parse(document.getElementById('wb-explorer-data').textContent).rows.length")
    assert total > 0 and _count(page) == min(total, 100)
    assert page.eval_on_selector_all("script:not([type='application/json'])", "e => e.length") == 1

    # The planted label is one of the themes: choosing it renders it as text, never as markup.
    options = page.eval_on_selector_all("#wb-f-theme option", "o => o.map(x => x.value)")
    hostile = [o for o in options if "__wbXss" in o]
    assert hostile, "the planted hostile theme label should be a filter option"
    page.select_option("#wb-f-theme", hostile[0])
    assert 0 < _count(page) <= total
    meta = page.inner_text("#wb-results li .wb-quote-meta")
    assert "<script>" in meta  # shown as the text it is
    page.select_option("#wb-f-theme", "")

    page.select_option("#wb-f-sentiment", "negative")
    negative = page.inner_text("#wb-count")
    page.select_option("#wb-f-sentiment", "")
    first_word = page.inner_text("#wb-results li q").split()[0]
    page.fill("#wb-f-text", first_word)
    assert _count(page) > 0
    assert all(
        first_word.lower() in q.lower()
        for q in page.eval_on_selector_all("#wb-results q", "q => q.map(x => x.textContent)")
    )
    page.fill("#wb-f-text", "zzqx-no-such-words")
    assert _count(page) == 0 and page.inner_text("#wb-count").startswith("0 of")
    assert "match" in negative

    assert page.evaluate("typeof window.__wbXss") == "undefined"
    assert page.eval_on_selector_all('img[src="x"], img[onerror]', "e => e.length") == 0
    assert not errors and outside == [] and dialogs == []
    page.context.close()
