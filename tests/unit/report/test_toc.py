"""Long report pages get an "On this page" list of their sections; short ones do not."""

from __future__ import annotations

from workbench.report.notebook_html import TOC_MIN_SECTIONS, with_toc


def _page(n: int) -> str:
    cells = "".join(
        f'<div class="jp-Cell jp-MarkdownCell"><h2 id="s{i}">Section &amp; {i}'
        f'<a class="anchor-link" href="#s{i}">\u00b6</a></h2></div>'
        for i in range(n)
    )
    bundle = '<script>var x = `<h2 id="fake">${o(e)}</h2>`;</script>'
    return f'<body><main class="wb-report"><div class="jp-Cell"><h1>T</h1></div>{cells}</main>{bundle}</body>'


def test_long_pages_list_their_sections_before_the_first():
    page = with_toc(_page(TOC_MIN_SECTIONS + 1))
    toc_at, first_at = page.index('<nav class="wb-toc"'), page.index('<h2 id="s0"')
    assert page.index("<h1>") < toc_at < first_at
    assert page.count('<li><a href="#s') == TOC_MIN_SECTIONS + 1
    assert '<a href="#s0">Section &amp; 0</a>' in page  # escaped text reused, anchor mark dropped
    assert "#fake" not in page  # headings inside scripts (the vega bundle) are not sections


def test_short_pages_have_no_toc():
    page = _page(TOC_MIN_SECTIONS - 1)
    assert with_toc(page) == page
