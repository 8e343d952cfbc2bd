"""The one object a report notebook works with: settings, quarter, data, and chart output.

Notebooks stay thin (narrative plus calls) because everything they need is here: the
parameters cell's values are turned into a :class:`ReportContext` by :func:`open_report`, which
loads the settings, resolves the quarter, applies the optional segment filter to every table it
hands out, registers the house theme and knows where charts and tables are written.
``ctx.show(chart, "name")`` exports the chart (PNG, SVG, HTML, CSV) and displays it.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from workbench.core.asof import output_as_of, table_as_of
from workbench.core.config import Settings, load_settings
from workbench.core.errors import SegmentError, UnknownNameError, WorkbenchError
from workbench.core.names import match_name
from workbench.core.quarters import Quarter, quarter_labels
from workbench.core.schemas import TABLES
from workbench.core.store import configured_tables, load_output, load_table, table_available, themes_path
from workbench.report.chart_files import chart_spec, chart_title, export_chart, slug, write_csv
from workbench.report.data import coverage, processed_dir_label, pull_manifest, resolve_quarter
from workbench.report.html import CHART_MIME, Fragment, callout, coverage_block, esc
from workbench.viz import style as theme

logger = logging.getLogger(__name__)

#: Tables that carry ``account_id`` and so can be narrowed to one segment.
_ACCOUNT_TABLES = ("feedback", "deals", "usage")


class ChartOutput:
    """A chart as notebook output: the Vega-Lite spec for the HTML page, a PNG for JupyterLab.

    JupyterLab 4 renders Vega-Lite up to v5 only, so the PNG lets analysts see the chart in the
    executed notebook; the executive page uses the spec and drops the PNG.
    """

    def __init__(self, spec: dict[str, Any], name: str, png: bytes) -> None:
        self.spec, self.name, self.png = spec, name, png

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict, dict]:
        data = {
            CHART_MIME: self.spec,
            "image/png": base64.b64encode(self.png).decode("ascii"),
            "text/plain": f"Chart {self.name}: {chart_title(self.spec)}",
        }
        return data, {"workbench": {"chart": self.name}}


@dataclass
class ReportContext:
    """Everything a report notebook needs, built once in its first code cell."""

    settings: Settings
    quarter: Quarter
    out_dir: Path
    segment: str | None = None
    palette: dict[str, str] = field(default_factory=dict)
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    # --- identity -------------------------------------------------------------------------
    @property
    def q(self) -> str:
        """The report quarter as its canonical label, e.g. ``2026Q3``."""
        return str(self.quarter)

    @property
    def prev(self) -> str:
        """The previous quarter's label: the base of every quarter-over-quarter change."""
        return str(self.quarter.previous())

    @property
    def fy(self) -> int:
        return self.settings.fiscal_year_start_month

    @property
    def charts_dir(self) -> Path:
        return self.out_dir / "charts"

    @property
    def tables_dir(self) -> Path:
        return self.out_dir / "tables"

    # --- data -----------------------------------------------------------------------------
    def _segment_accounts(self) -> set[str] | None:
        if not self.segment:
            return None
        accounts = self.table("accounts")
        return set(accounts["account_id"].astype(str))

    def table(self, name: str) -> pd.DataFrame:
        """A processed canonical table, narrowed to the segment when one is set.

        With a segment filter, rows without an account (e.g. anonymous app-store reviews) are
        left out, because they cannot be placed in a segment. The segment name is matched
        case-insensitively. Rows dated after the report quarter are never handed out
        (:func:`workbench.core.asof.table_as_of`): a past quarter's report reads as it would have then.
        """
        key = f"table:{name}"
        if key not in self._cache:
            frame = table_as_of(load_table(name, self.settings), name, self.quarter)
            if self.segment and name == "accounts":
                try:
                    valid = frame["segment"].dropna().astype(str).unique().tolist()
                    self.segment = match_name(self.segment, valid, "segment")
                except UnknownNameError as exc:
                    raise SegmentError(f"segment {self.segment!r} matches no account: {exc}") from None
                frame = frame[frame["segment"].astype(str) == self.segment].reset_index(drop=True)
                if frame.empty:
                    raise SegmentError(f"segment {self.segment!r} matches no account")
            elif self.segment and name in _ACCOUNT_TABLES and "account_id" in frame:
                keep = self._segment_accounts() or set()
                frame = frame[frame["account_id"].astype(str).isin(keep)].reset_index(drop=True)
            self._cache[key] = frame
        return self._cache[key]

    def output(self, name: str) -> pd.DataFrame:
        """A theme-engine output (``assignments``, ``themes``, ``metrics``, ``quotes``, ...).

        Assignments are narrowed to the segment's records when a segment is set; aggregate
        outputs (metrics, splits) are company-wide and say so in the notebooks.
        """
        key = f"output:{name}"
        if key not in self._cache:
            frame = output_as_of(load_output(name, self.settings), self.quarter)
            if self.segment and name == "assignments":
                ids: set[str] = set()
                for table, column in (("feedback", "feedback_id"), ("deals", "deal_id")):
                    if self.has(table):
                        ids |= set(self.table(table)[column].astype(str))
                frame = frame[frame["record_id"].astype(str).isin(ids)].reset_index(drop=True)
            self._cache[key] = frame
        return self._cache[key]

    # --- what exists -----------------------------------------------------------------------
    def has(self, *tables: str) -> bool:
        """True when every named canonical table is configured by the current sources and pulled.

        Report sections ask this first, so a team with only a feedback export still gets every
        page, each absent section saying what would fill it (:meth:`absent`).
        """
        return all(table_available(self.settings, t) for t in tables)

    def themes_are_curated(self) -> bool:
        """Whether any theme of the outputs comes from the curated registry (not pure discovery)."""
        from workbench.themes.registry import CANDIDATE_PREFIX

        if not self.has_themes():
            return False
        ids = self.output("themes")["theme_id"].dropna().astype(str)
        return bool((~ids.str.startswith(CANDIDATE_PREFIX)).any())

    def tables_or_none(self, *tables: str) -> list[pd.DataFrame | None]:
        """Each named table (segment-narrowed), or ``None`` for one this project does not have."""
        return [self.table(t) if self.has(t) else None for t in tables]

    def has_themes(self) -> bool:
        """True when feedback exists and the theme engine's outputs are there to read."""
        return self.has("feedback") and themes_path(self.settings, "metrics").is_file()

    def absent(self, *tables: str, section: str = "This section") -> Fragment:
        """One sentence saying which input a section lacks and the config key that would fill it.

        Args:
            tables: the tables the section needs; the first one missing is named.
            section: how the sentence starts, e.g. ``"Win rate"``.
        """
        missing = [t for t in tables if not self.has(t)] or list(tables)
        table = missing[0]
        sources = self.settings.sources
        if table in configured_tables(self.settings):
            fix = f"run `workbench pull --all` to fetch the {table} that `tables.{table}` in {sources} names"
        else:
            fix = f"add a source under `tables.{table}` in {sources} to fill it"
        return callout(f"{section} needs {table} data, which this project does not have: {fix}.")

    def quarter_has_data(self, quarter: Quarter | str) -> bool:
        """Whether any feedback or deal is dated in ``quarter`` (the base of a comparison must have data)."""
        label = str(quarter)
        for table in ("feedback", "deals"):
            if not self.has(table):
                continue
            column = TABLES[table].date_column
            frame = self.table(table)
            if column in frame and (quarter_labels(frame[column], self.fy) == label).any():
                return True
        return False

    @property
    def compare_with(self) -> str | None:
        """The previous quarter's label when it has data; ``None`` when there is nothing to compare with."""
        return self.prev if self.quarter_has_data(self.quarter.previous()) else None

    def insights(self) -> list:
        """The executive summary's 5-7 headline insights (:mod:`workbench.analysis.insights`) for the quarter.

        With a segment filter the record-level inputs (deals, feedback, accounts, usage,
        assignments) are narrowed to the segment and churn is recomputed on its accounts; theme
        metrics and shipped-item results stay company-wide.
        """
        from workbench.analysis import insights
        from workbench.analysis.churn import churn_rates

        if not self.has_themes():  # no feedback themes: the findings come from deals and accounts alone
            return self._comparable(self._insights_without_themes())
        inputs = insights.load_inputs(self.settings, self.q)
        if self.segment:
            for name in ("deals", "feedback", "accounts", "usage"):
                if inputs.get(name) is not None:
                    inputs[name] = self.table(name)
            inputs["assignments"] = self.output("assignments")
            if inputs.get("accounts") is not None and "churned_at" in inputs["accounts"]:
                inputs["churn"] = churn_rates(
                    inputs["accounts"], [self.prev, self.q], by="segment", fy_start_month=self.fy
                )
        return self._comparable(insights.summary_for(self.settings, self.q, inputs))

    #: Findings that exist only as a change on the previous quarter.
    _CHANGE_FINDINGS = ("rising-theme", "win-rate", "churn")

    def _comparable(self, found: list) -> list:
        """Without an earlier quarter with data, drop findings about a change and blank every delta.

        "No theme rose significantly" or "win rate unchanged" would compare with nothing.
        """
        import dataclasses

        if self.compare_with is not None:
            return found
        return [
            dataclasses.replace(i, delta=None, delta_label="")
            for i in found
            if i.id not in self._CHANGE_FINDINGS
        ]

    def _insights_without_themes(self) -> list:
        """The deal and churn findings of the executive summary, for a project without feedback."""
        from workbench.analysis import insights
        from workbench.analysis.churn import churn_rates

        alpha, found = self.settings.themes.alpha, []
        if self.has("deals"):
            found.append(insights.win_rate_insight(self.table("deals"), self.q, alpha, self.fy))
        if self.has("accounts") and "churned_at" in self.table("accounts"):
            rates = churn_rates(
                self.table("accounts"), [self.prev, self.q], by="segment", fy_start_month=self.fy
            )
            found.append(insights.churn_insight(rates, self.q, alpha))
        return [i for i in found if i is not None]

    # --- output ---------------------------------------------------------------------------
    def show(self, chart: alt.TopLevelMixin, name: str) -> ChartOutput:
        """Export ``chart`` to ``charts/<name>.{png,svg,html,csv}`` and return it for display."""
        files = export_chart(chart, name, self.charts_dir)
        return ChartOutput(chart_spec(chart), files.name, files.png.read_bytes())

    def save_table(self, frame: pd.DataFrame, name: str) -> Path:
        """Write ``tables/<name>.csv`` (the numbers behind a section, for analysts and auditors)."""
        self.tables_dir.mkdir(parents=True, exist_ok=True)
        return write_csv(frame, self.tables_dir / f"{slug(name)}.csv")

    def header(self, title: str, lead: str = "") -> Fragment:
        """The page's title block: report title, quarter, company, segment and a lead sentence."""
        report = self.settings.report
        scope = f" · segment: {self.segment}" if self.segment else ""
        versus = f"compared with {self.compare_with}" if self.compare_with else "no earlier quarter with data"
        lead = f"{report.company} · " if report.company else ""
        sub = f"{lead}{report.title} · {self.q} ({versus}){scope}"
        lead_html = f"<p>{esc(lead)}</p>" if lead else ""
        return Fragment(f'<h1>{esc(title)}</h1><p class="wb-subtitle">{esc(sub)}</p>{lead_html}')

    def coverage(self) -> Fragment:
        """The data-coverage statement (rows per source, rejects, date ranges, pull time)."""
        cov = coverage(self.settings)
        if cov.empty:
            return callout("No processed data found.")
        manifest = pull_manifest(self.settings)
        pulled = manifest.get("pulled_at") or manifest.get("created_at")
        note = Fragment("")
        if self.segment:
            note = callout(f"Rows below are the whole company; this report is narrowed to {self.segment}.")
        pulled_at = str(pulled) if pulled else None
        return Fragment(note + coverage_block(cov, pulled_at, processed_dir_label(self.settings)))


def open_report(
    config: str = "", quarter: str = "", output_dir: str = "", segment: str = ""
) -> ReportContext:
    """Build the context from a notebook's parameters (empty strings mean "the default").

    Args:
        config: path to ``workbench.yaml``; empty = the project's ``config/workbench.yaml``.
        quarter: report quarter in any accepted spelling; empty = last complete quarter.
        output_dir: where ``charts/`` and ``tables/`` go; empty = ``reports/scratch/<quarter>/`` (never the
            published report: ``workbench report`` always passes its build folder).
        segment: ``SMB``, ``Mid-Market``, ``Enterprise`` (or another segment value); empty = all.
    """
    settings = load_settings(config or None)
    resolved = resolve_quarter(settings, quarter or None)
    # created by the first chart or table written, so a look at an empty quarter leaves no folder
    out = Path(output_dir) if output_dir else settings.paths.reports / "scratch" / str(resolved)
    theme.register()
    registry = theme.registry_order(settings.resolve(settings.themes.registry))
    ctx = ReportContext(settings, resolved, out, segment or None)
    try:
        extra = ctx.output("themes")["theme_id"].dropna().astype(str).tolist()
    except WorkbenchError:
        extra = []
    ctx.palette = theme.theme_palette(registry, extra)
    logger.info("report context: quarter %s, output %s, segment %s", resolved, out, segment or "all")
    return ctx
