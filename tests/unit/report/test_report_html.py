"""Report HTML: escaping of untrusted text, inert chart specs, and the notebook -> executive page export."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import nbformat
import pandas as pd
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from workbench.report import html as rh
from workbench.report.notebook_html import notebook_to_html

HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)> **bold** [link](javascript:alert(2))"
SPEC = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
    "mark": "bar",
    "title": "t",
    "data": {"values": [{"a": "</script><script>alert(3)</script>", "b": 1}]},
    "encoding": {
        "y": {"field": "a", "type": "nominal"},
        "x": {"field": "b", "type": "quantitative"},
        "tooltip": [{"field": "a", "type": "nominal"}],
    },
}


def test_escaping_of_any_value():
    assert rh.esc(HOSTILE).startswith("&lt;script&gt;")
    assert rh.esc(None) == "" and rh.esc(float("nan")) == "" and rh.esc(3) == "3"


def test_script_json_cannot_close_its_tag():
    text = rh.json_for_script(SPEC)
    assert "<" not in text and ">" not in text
    assert json.loads(text) == SPEC  # the escapes are valid JSON for the same data


def test_chart_fragment_is_inert_and_links_exports():
    html = rh.chart_fragment(SPEC, name="win_rate")
    assert "</script><script>alert(3)" not in html
    assert html.count("<script") == 1 and 'type="application/json"' in html
    assert 'href="charts/win_rate.png"' in html and 'href="charts/win_rate.csv"' in html


def test_only_relative_links_survive():
    assert rh.safe_href("10_customer_themes.html#rising-themes") == "10_customer_themes.html#rising-themes"
    for bad in ("javascript:alert(1)", "https://evil.example/x", "//evil.example", "a b.html", None):
        assert rh.safe_href(bad) is None


def test_quotes_tables_and_kpis_escape_customer_text():
    quotes = pd.DataFrame({"quote": [HOSTILE], "channel": ["<b>app</b>"]})
    html = rh.quote_list(quotes, text="quote", meta=["channel"])
    assert "<script>" not in html and "<img" not in html and "&lt;b&gt;app" in html
    table = rh.table(
        pd.DataFrame({"label": [HOSTILE], "arr": [1_234_567.0]}),
        {"label": "Theme", "arr": "ARR"},
        {"arr": "$"},
    )
    assert "<script>" not in table and "$1.2M" in table


def test_kpi_cards_colour_the_delta_by_direction():
    kpis = pd.DataFrame(
        {
            "label": ["Win rate", "Logo churn", "Items"],
            "value": [0.31, 0.05, 1200],
            "delta": [-0.04, -0.01, 0.2],
            "unit": ["%", "%", ""],
            "good_when": ["up", "down", ""],
            "p_value": [0.001, 0.01, 0.0001],
            "significant": [True, True, True],
        }
    )
    html = rh.kpi_cards(kpis)
    assert html.count("wb-bad") == 1 and html.count("wb-good") == 1 and html.count("wb-flat") == 1
    assert "31%" in html and "-4.0 pts QoQ" in html and "+20% QoQ" in html and "1,200" in html


def test_kpi_cards_stay_neutral_unless_the_change_is_significant():
    kpis = pd.DataFrame(
        {
            "label": ["Win rate", "Logo churn", "New bookings"],
            "value": [0.10, 0.08, 1e6],
            "delta": [-0.12, 0.02, -0.3],
            "unit": ["%", "%", "$"],
            "good_when": ["up", "down", "up"],
            "p_value": [0.2, 0.4, float("nan")],
            "significant": [False, False, False],
        }
    )
    html = rh.kpi_cards(kpis)
    assert "wb-bad" not in html and "wb-good" not in html and html.count("wb-flat") == 3
    assert html.count("not significant") == 2  # the untested money total claims nothing
    real = rh.kpi_cards(kpis.assign(good_when=["", "", ""], p_value=0.001, significant=True))
    assert "not significant" not in real and "wb-good" not in real  # no better direction: neutral, no claim
    no_test = rh.kpi_cards(kpis.drop(columns=["p_value", "significant"]))
    assert "wb-bad" not in no_test and "wb-good" not in no_test


@dataclass
class _Insight:
    headline: str
    significant: bool
    link: str
    detail: str = ""


def test_insight_list_links_and_escapes():
    html = rh.insight_list(
        [
            _Insight(HOSTILE, True, "20_sales_and_win_loss.html#win-rate"),
            _Insight("No significant change in churn", False, "javascript:alert(1)"),
        ]
    )
    assert "<script>" not in html and 'href="20_sales_and_win_loss.html#win-rate"' in html
    assert 'href="javascript' not in html and "wb-not-significant" in html
    assert "significance" in rh.insight_list([])


def test_page_is_self_contained_with_one_bundle():
    page = rh.page("T", rh.chart_fragment(SPEC) + rh.chart_fragment(SPEC), charts=True)
    assert page.count("window.vegaEmbed=") == 1
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?https?:", page)


def _executed_notebook() -> nbformat.NotebookNode:
    params = new_code_cell('quarter: str = ""', metadata={"tags": ["parameters"]})
    injected = new_code_cell(
        'quarter = "2026Q3"  # SECRET_MARKER', metadata={"tags": ["injected-parameters"]}
    )
    body = new_code_cell(
        "display(chart)",
        outputs=[
            new_output("stream", name="stderr", text="UserWarning: something noisy\n"),
            new_output(
                "display_data",
                data={rh.CHART_MIME: SPEC, "image/png": "iVBORw0KGgo=", "text/plain": "c"},
                metadata={"workbench": {"chart": "c1"}},
            ),
            new_output("display_data", data={rh.CHART_MIME: SPEC, "text/plain": "c"}),
            new_output(
                "display_data",
                data={"text/html": rh.quote_list(pd.DataFrame({"quote": [HOSTILE]}), text="quote")},
            ),
            new_output("error", ename="KeyError", evalue="x", traceback=["Traceback ..."]),
        ],
    )
    return new_notebook(cells=[new_markdown_cell("# Customer themes"), params, injected, body])


def test_notebook_page_hides_code_noise_and_parameters():
    nb = _executed_notebook()
    page = notebook_to_html(nb, "Customer themes", nav_html="<nav>n</nav>", footer="f")
    assert "display(chart)" not in page and "SECRET_MARKER" not in page and "quarter: str" not in page
    assert "UserWarning" not in page and "Traceback" not in page and "KeyError" not in page
    assert page.count("window.vegaEmbed=") == 1  # two charts, one bundle
    assert page.count('class="wb-chart-spec"') == 2 and 'href="charts/c1.png"' in page
    assert "iVBORw0KGgo" not in page  # the notebook's PNG fallback is not carried into the page
    assert "<script>alert" not in page and "</script><script>alert(3)" not in page
    assert "In&nbsp;[" not in page and "require.js" not in page and "mathjax" not in page.lower()
    assert nb.cells[3].outputs[0]["name"] == "stderr"  # the notebook itself is not modified


def test_page_without_charts_carries_no_javascript():
    nb = new_notebook(cells=[new_markdown_cell("# Plain")])
    assert "<script" not in notebook_to_html(nb, "Plain")


def test_empty_table_says_so_instead_of_showing_bare_headers():
    import pandas as pd

    from workbench.report.html import table

    out = table(pd.DataFrame({"label": []}), {"label": "Theme"}, empty="No emerging <themes>.")
    assert "<table" not in out
    assert "No emerging &lt;themes&gt;." in out


def test_coverage_names_the_workspaces_own_rejects_folder(tmp_path):
    """A report from another sources file points at its workspace's rejects, not the project's."""
    import pandas as pd

    from workbench.core.config import Settings
    from workbench.report.data import processed_dir_label
    from workbench.report.html import coverage_block

    project = Settings(root=tmp_path)
    assert processed_dir_label(project) == "data/processed"
    other = Settings(root=tmp_path, sources="config/examples/google_play_reviews.yaml")
    label = processed_dir_label(other)
    assert label.startswith("data/workspaces/google_play_reviews-") and label.endswith("/processed")
    outside = Settings(root=tmp_path, data_dir=str(tmp_path.parent / "elsewhere"))
    assert processed_dir_label(outside) == (tmp_path.parent / "elsewhere" / "processed").as_posix()
    cov = pd.DataFrame(
        {
            "table": ["feedback"],
            "source": ["reviews"],
            "rows": [10],
            "rejects": [2],
            "first": [None],
            "last": [None],
        }
    )
    assert f"kept in {label}/*.rejects.parquet" in str(coverage_block(cov, rejects_dir=label))
