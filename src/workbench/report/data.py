"""What a report says about its own data: the default quarter, coverage and headline KPIs.

A leader who reads "win rate 31%" needs to know what it was computed from: the report
therefore states, for every source, how many rows it read, how many were rejected by
validation and which dates they cover. The headline KPIs of the index page are simple,
auditable counts and rates over the canonical tables, each with its quarter-over-quarter
change; the analyses with significance tests live in the analysis modules.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis import churn, sales
from workbench.analysis.stats import count_change_pvalue, two_proportion_pvalue
from workbench.core.config import Settings
from workbench.core.errors import NoDataError
from workbench.core.quarters import Quarter, last_complete_quarter, quarter_labels
from workbench.core.schemas import TABLES
from workbench.core.store import processed_path

logger = logging.getLogger(__name__)

#: Tables whose latest date decides the default quarter: customer voice and sales activity.
#: Market series can run ahead of (or lag) the company's own data, so they do not vote.
_ACTIVITY_TABLES = ("feedback", "deals")


def _read_columns(path: Path, columns: list[str]) -> pd.DataFrame:
    import pyarrow.parquet as pq

    present = set(pq.read_schema(path).names)
    return pd.read_parquet(path, columns=[c for c in columns if c in present])


def activity_dates(settings: Settings) -> pd.Series:
    """Every activity date of the processed feedback and deals the current sources configure."""
    from workbench.core.store import table_available

    parts: list[pd.Series] = []
    for table in _ACTIVITY_TABLES:
        column = TABLES[table].date_column
        if column is None or not table_available(settings, table):
            continue
        values = _read_columns(processed_path(settings, table), [column]).get(column)
        if values is not None:
            parts.append(pd.to_datetime(values, errors="coerce", utc=True).dt.tz_localize(None).dropna())
    return pd.concat(parts, ignore_index=True) if parts else pd.Series(dtype="datetime64[ns]")


def data_max_date(settings: Settings) -> pd.Timestamp | None:
    """The latest activity date in the processed feedback and deals (``None`` if empty)."""
    dates = activity_dates(settings)
    return dates.max() if len(dates) else None


def default_quarter_of(dates: pd.Series, now: pd.Timestamp, fy_start_month: int = 1) -> Quarter | None:
    """The last complete quarter that has data (pure; see :func:`default_quarter`).

    A date after ``now`` is a data error (a stray 2031 row), not a quarter to report on, so it is
    ignored; the quarter is complete when the data or the calendar has reached its last day, and
    quarters without a single row are skipped. ``None`` when no complete quarter has data.
    """
    dates = pd.to_datetime(dates, errors="coerce").dropna()
    dates = dates[dates <= now]
    if dates.empty:
        return None
    with_data = set(quarter_labels(dates, fy_start_month).dropna())
    candidate = min(
        Quarter.of(dates.max(), fy_start_month),  # the data's last quarter, once the calendar closed it
        last_complete_quarter(now, fy_start_month),
    )
    if candidate == Quarter.of(now, fy_start_month):  # the running quarter is never complete
        candidate = candidate.previous()
    earliest = Quarter.of(dates.min(), fy_start_month)
    while candidate >= earliest:
        if str(candidate) in with_data:
            return candidate
        candidate = candidate.previous()
    return None


def default_quarter(settings: Settings, now: pd.Timestamp | None = None) -> Quarter:
    """The last complete quarter that has feedback or deals: the report's default."""
    now = now if now is not None else pd.Timestamp.now()
    dates = activity_dates(settings)
    if dates.empty:
        raise NoDataError("no dated feedback or deals in data/processed; run `workbench pull --all` first")
    found = default_quarter_of(dates, now, settings.fiscal_year_start_month)
    if found is None:
        latest = dates[dates <= now].max() if (dates <= now).any() else dates.max()
        raise NoDataError(
            f"no complete quarter has data yet (latest date {latest:%Y-%m-%d}); "
            "name one with --quarter, e.g. the running one"
        )
    future = int((dates > now).sum())
    if future:
        logger.warning(
            "%d feedback/deal row(s) dated after today were ignored for the default quarter", future
        )
    return found


def resolve_quarter(settings: Settings, quarter: str | None) -> Quarter:
    """``quarter`` parsed (any accepted spelling), or the default when empty."""
    if quarter:
        return Quarter.parse(quarter, settings.fiscal_year_start_month)
    return default_quarter(settings)


def pull_manifest(settings: Settings) -> dict[str, Any]:
    """The pull's ``data/processed/manifest.json`` ({} when absent or unreadable)."""
    path = settings.paths.processed / "manifest.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        logger.warning("could not read %s", path)
        return {}


def processed_dir_label(settings: Settings) -> str:
    """Where this workspace's processed tables (and rejects files) are, as a reader finds them:
    relative to the project root when inside it (``data/processed``, or a per-config workspace's
    ``data/workspaces/<name>/processed``), else the absolute path."""
    processed = settings.paths.processed
    try:
        return processed.resolve().relative_to(settings.root.resolve()).as_posix()
    except ValueError:
        return processed.as_posix()


def coverage(settings: Settings) -> pd.DataFrame:
    """Rows, rejects and date range per table and source, read from ``data/processed``.

    Computed from the processed files themselves (not copied from the pull's manifest) so the
    statement is true of exactly the data the report used.

    Returns:
        Columns ``table``, ``source``, ``rows``, ``rejects``, ``first``, ``last``.
    """
    frames = []
    for name, spec in TABLES.items():
        path = processed_path(settings, name)
        rejects_path = path.with_name(f"{name}.rejects.parquet")
        if not path.exists() and not rejects_path.exists():
            continue
        cols = ["source"] + ([spec.date_column] if spec.date_column else [])
        data = _read_columns(path, cols) if path.exists() else pd.DataFrame(columns=cols)
        rejected = (
            _read_columns(rejects_path, ["source", "_source"]) if rejects_path.exists() else pd.DataFrame()
        )
        frames.append(table_coverage(name, data, rejected, spec.date_column))
    if not frames:
        return pd.DataFrame(columns=["table", "source", "rows", "rejects", "first", "last"])
    return pd.concat(frames, ignore_index=True)


def table_coverage(
    table: str, data: pd.DataFrame, rejected: pd.DataFrame, date_column: str | None
) -> pd.DataFrame:
    """Coverage rows of one table (pure; see :func:`coverage`).

    Args:
        table: the table name.
        data: the processed rows (``source`` and the date column are used).
        rejected: the rejected rows (``_source``, as the pull writes it, or ``source`` names the
            source; without either, all are counted against a single ``(all sources)`` row).
        date_column: the column that places a row in time, or ``None``.
    """
    src = (
        data["source"].astype("string").fillna("(unknown)")
        if "source" in data
        else pd.Series("(all sources)", index=data.index, dtype="string")
    )
    frame = pd.DataFrame({"source": src.to_numpy()})
    if date_column and date_column in data:
        frame["date"] = pd.to_datetime(data[date_column], errors="coerce").to_numpy()
    else:
        frame["date"] = pd.NaT
    out = (
        frame.groupby("source", sort=True)
        .agg(rows=("source", "size"), first=("date", "min"), last=("date", "max"))
        .reset_index()
    )
    if len(rejected):
        col = next((c for c in ("_source", "source") if c in rejected), None)
        if col:
            rej = rejected[col].astype("string").fillna("(unknown)").value_counts()
        else:
            rej = pd.Series({"(all sources)": len(rejected)})
        out = out.merge(
            rej.rename("rejects").rename_axis("source").reset_index(),
            on="source",
            how="outer",
            validate="1:1",
        )
    else:
        out["rejects"] = 0
    out["rows"] = out["rows"].fillna(0).astype(int)
    out["rejects"] = out["rejects"].fillna(0).astype(int)
    out.insert(0, "table", table)
    return out[["table", "source", "rows", "rejects", "first", "last"]]


# ----------------------------------------------------------------------------------- KPIs


def _rate_delta(now: float, before: float) -> float:
    return float(now - before) if np.isfinite(now) and np.isfinite(before) else float("nan")


def _rel_delta(now: float, before: float) -> float:
    return float(now / before - 1) if np.isfinite(now) and np.isfinite(before) and before else float("nan")


def headline_kpis(
    feedback: pd.DataFrame | None,
    deals: pd.DataFrame | None,
    accounts: pd.DataFrame | None,
    quarter: Quarter,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The index page's headline KPIs for ``quarter`` with the previous quarter and the change.

    Definitions (kept deliberately plain so that anyone can recompute them):
    feedback items and accounts heard from count feedback created in the quarter; NPS is
    promoters (9-10) minus detractors (0-6) over scored feedback, in points; win rate is won /
    (won + lost) over deals closed in the quarter; bookings sum won amounts; logo churn is
    accounts churned in the quarter over accounts active at its start; ARR churned sums their ARR.

    Only what the data supports is shown: a table that is ``None`` (not configured) drops its
    KPIs, a KPI whose column is absent (no NPS score, no account ids) is left out, and when the
    table has no row in the previous quarter the previous value and change are blank, never a
    comparison with nothing.

    Returns:
        Columns ``kpi``, ``label``, ``value``, ``previous``, ``delta``, ``unit``, ``good_when``,
        ``p_value`` and ``significant``. ``delta`` is a relative change for counts and money, a
        difference for rates and NPS. ``p_value`` tests the change (counts: exact count-change
        test; win rate and logo churn: two-proportion test; NPS: z-test on the promoter/detractor
        scores) and is NaN where no test applies (money totals); ``significant`` is
        ``p_value < alpha``, so a card is coloured only for a change the findings would call real.
    """
    fy = quarter.fy_start_month
    prev = quarter.previous()
    rows: list[dict[str, Any]] = []
    columns = ["kpi", "label", "value", "previous", "delta", "unit", "good_when", "p_value", "significant"]

    def add(
        kpi: str, label: str, fn, unit: str, good_when: str, relative: bool, prev_ok: bool, test=None
    ) -> None:
        now = fn(quarter)
        before = fn(prev) if prev_ok else float("nan")
        delta = _rel_delta(now, before) if relative else _rate_delta(now, before)
        p = float(test()) if test is not None and prev_ok and np.isfinite(delta) else float("nan")
        values = [kpi, label, now, before, delta, unit, good_when, p, bool(np.isfinite(p) and p < alpha)]
        rows.append(dict(zip(columns, values, strict=True)))

    if feedback is not None:
        fb_q = quarter_labels(feedback["created_at"], fy) if len(feedback) else pd.Series(dtype="string")

        def fb_in(q: Quarter) -> pd.DataFrame:
            return feedback[(fb_q == str(q)).to_numpy()] if len(feedback) else feedback

        fb_prev = len(fb_in(prev)) > 0
        add(
            "feedback_items",
            "Feedback items",
            lambda q: float(len(fb_in(q))),
            "",
            "",
            True,
            fb_prev,
            test=lambda: count_change_pvalue(len(fb_in(prev)), len(fb_in(quarter))),
        )
        if "account_id" in feedback and feedback["account_id"].notna().any():
            add(
                "accounts_heard",
                "Accounts heard from",
                lambda q: float(fb_in(q)["account_id"].dropna().nunique()),
                "",
                "up",
                True,
                fb_prev,
                test=lambda: count_change_pvalue(
                    fb_in(prev)["account_id"].dropna().nunique(),
                    fb_in(quarter)["account_id"].dropna().nunique(),
                ),
            )

        def nps(q: Quarter) -> float:
            scores = pd.to_numeric(fb_in(q)["score"], errors="coerce").dropna()
            if scores.empty:
                return float("nan")
            return float(((scores >= 9).mean() - (scores <= 6).mean()) * 100)

        if "score" in feedback and pd.to_numeric(feedback["score"], errors="coerce").notna().any():
            add(
                "nps",
                "NPS",
                nps,
                "nps",
                "up",
                False,
                fb_prev,
                test=lambda: _nps_pvalue(
                    pd.to_numeric(fb_in(prev)["score"], errors="coerce").dropna(),
                    pd.to_numeric(fb_in(quarter)["score"], errors="coerce").dropna(),
                ),
            )

    # Win rate, bookings and churn come from the analyses themselves, so the index page and the
    # executive summary can never disagree on a definition.
    if deals is not None and {"outcome", "closed_at"} <= set(deals.columns):
        wins = (
            sales.win_rate_by_quarter(deals, fy_start_month=fy).set_index("quarter")
            if len(deals)
            else pd.DataFrame()
        )
        deal_q = (
            quarter_labels(deals["created_at"], fy) if "created_at" in deals else pd.Series(dtype="string")
        )
        deals_prev = str(prev) in wins.index or bool((deal_q == str(prev)).any())
        add(
            "win_rate",
            "Win rate",
            _pick(wins, "win_rate"),
            "%",
            "up",
            False,
            deals_prev,
            test=lambda: two_proportion_pvalue(
                _pick(wins, "won", 0.0)(quarter),
                _pick(wins, "closed", 0.0)(quarter),
                _pick(wins, "won", 0.0)(prev),
                _pick(wins, "closed", 0.0)(prev),
            ),
        )
        # no deal closed in a quarter that has deals: nothing booked
        add("bookings", "New bookings", _pick(wins, "won_value", 0.0), "$", "up", True, deals_prev)
    if accounts is not None and len(accounts) and "churned_at" in accounts.columns:
        churn_all = churn.churn_rates(
            accounts, quarters=[str(prev), str(quarter)], by=None, fy_start_month=fy
        ).set_index("quarter")
        add(
            "logo_churn",
            "Logo churn",
            _pick(churn_all, "logo_churn"),
            "%",
            "down",
            False,
            True,
            test=lambda: two_proportion_pvalue(
                _pick(churn_all, "churned", 0.0)(quarter),
                _pick(churn_all, "active_start", 0.0)(quarter),
                _pick(churn_all, "churned", 0.0)(prev),
                _pick(churn_all, "active_start", 0.0)(prev),
            ),
        )
        add("arr_churned", "ARR churned", _pick(churn_all, "arr_churned"), "$", "down", True, True)
    return pd.DataFrame(rows, columns=columns)


def _nps_pvalue(before: pd.Series, after: pd.Series) -> float:
    """Two-sided z-test p-value that NPS changed (each answer scores +1, 0 or -1; NaN when untestable)."""
    if len(before) < 2 or len(after) < 2:
        return float("nan")
    a = (after >= 9).astype(float) - (after <= 6).astype(float)
    b = (before >= 9).astype(float) - (before <= 6).astype(float)
    se = float(np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))
    if se == 0:
        return 1.0 if a.mean() == b.mean() else 0.0
    from scipy import stats

    return float(2 * stats.norm.sf(abs((a.mean() - b.mean()) / se)))


def _pick(frame: pd.DataFrame, column: str, fill: float = float("nan")):
    return lambda q: float(frame.at[str(q), column]) if str(q) in frame.index else fill
