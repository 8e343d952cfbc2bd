"""Altair charts in notebooks draw offline: the workbench renderer inlines the report's vega bundle."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import pytest

from workbench.report import html as report_html
from workbench.viz import offline

HOSTILE = "</script><script>window.__wbXss=1</script>"


@pytest.fixture
def renderer():
    before = alt.renderers.active
    yield offline.enable()
    alt.renderers.enable(before)


def _chart() -> alt.Chart:
    frame = pd.DataFrame({"label": ["a", HOSTILE], "n": [1, 2]})
    return alt.Chart(frame).mark_bar().encode(x="n:Q", y="label:N")


def test_enable_makes_charts_render_self_contained_html(renderer):
    assert renderer == alt.renderers.active == "workbench"
    bundle = _chart()._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    page = data["text/html"]
    assert offline.vega_bundle() in page  # the very bundle the report pages inline
    assert report_html.vega_bundle() == offline.vega_bundle()
    assert not re.search(r"<script[^>]+src=", page, flags=re.I)
    assert not re.search(r"https?://cdn|jsdelivr|unpkg", page.replace(offline.vega_bundle(), ""))
    # customer text stays inside the inert JSON: no second script element is opened by it
    assert "window.__wbXss" in page and "<script>window.__wbXss" not in page


def test_enable_is_idempotent(renderer):
    assert offline.enable() == "workbench"
    assert alt.renderers.names().count("workbench") == 1


def test_wb_offline_charts_is_the_documented_call(renderer):
    import workbench as wb

    assert wb.offline_charts() == "workbench"


@pytest.fixture
def fresh_bundle_cache():
    offline.vega_bundle.cache_clear()
    yield
    offline.vega_bundle.cache_clear()


def test_a_bundle_file_from_the_build_is_read_instead_of_made_again(
    tmp_path, monkeypatch, fresh_bundle_cache
):
    made = offline.write_bundle_file(tmp_path / "vega-bundle.js")
    assert made.read_text(encoding="utf-8") == offline.vega_bundle()
    marker = tmp_path / "marked.js"
    marker.write_text("/* the build's copy */" + made.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv(offline.BUNDLE_FILE_ENV, str(marker))
    offline.vega_bundle.cache_clear()
    assert offline.vega_bundle().startswith("/* the build's copy */")
    # A missing file is no error: the bundle is made by vl-convert as before.
    monkeypatch.setenv(offline.BUNDLE_FILE_ENV, str(tmp_path / "gone.js"))
    offline.vega_bundle.cache_clear()
    assert offline.vega_bundle() == made.read_text(encoding="utf-8")


def test_a_bundle_file_that_would_end_the_script_is_refused(tmp_path, monkeypatch, fresh_bundle_cache):
    bad = tmp_path / "bad.js"
    bad.write_text("var x = '</script><script>alert(1)';", encoding="utf-8")
    monkeypatch.setenv(offline.BUNDLE_FILE_ENV, str(bad))
    with pytest.raises(RuntimeError, match="cannot be inlined"):
        offline.vega_bundle()
