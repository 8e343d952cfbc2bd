"""``workbench digest``: what changed since the last look, ready to paste into Slack or an e-mail.

The digest lists, for a period (a quarter, or ``--since`` a date for weekly use) compared with the
period of the same length just before it:

* **emerging themes**: candidate themes (not yet in the registry) raised in the period;
* **rises and falls**: themes whose share of feedback changed significantly (exact binomial test
  conditional on the two periods' totals, the test of ``themes.metrics``; BH-corrected over the
  themes; volume at least ``min_volume`` in the larger period);
* **new drivers**: significant adverse drivers of NPS, churn and lost deals
  (:mod:`workbench.analysis.drivers`);
* **competitor mention spikes**: competitors named significantly more often (exact test on the
  two counts, windows of equal length, BH-corrected over competitors);
* **churn and win-rate changes**: two-proportion tests of the period against the one before.

Every item carries a stable ``key`` (e.g. ``rising:onboarding-friction``), a link to the report
section holding the detail, and one PII-redacted quote. A **state file** remembers the keys already
sent: an item whose key is in it is shown as ``ongoing`` rather than ``new``; keys that no longer
fire are dropped (so a problem that returns later is new again). ``has_new`` drives the exit
status of the command (3 when something is new, 0 otherwise).

The functions above :func:`run` are pure (frames in, frames/dicts out); :func:`run` reads the
project's data and writes ``digest.md``, ``digest.json`` and the state file.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis import drivers as drv
from workbench.analysis.competitors import mentions as competitor_mentions
from workbench.analysis.joins import theme_labels
from workbench.analysis.stats import count_change_pvalue, two_proportion_pvalue
from workbench.core.config import Settings
from workbench.core.errors import DigestError
from workbench.core.formatting import pct
from workbench.core.quarters import Quarter, last_complete_quarter
from workbench.core.store import MissingDataError, atomic, load_output, load_table
from workbench.themes.quotes import trim_quote
from workbench.themes.text import redact_pii

logger = logging.getLogger(__name__)

EXIT_NEW = 3
QUOTE_CHARS = 200
MAX_DRIVERS = 3  # per outcome: the firmest (smallest adjusted p); the report lists them all
LINKS = {
    "emerging": "10_customer_themes.html#rising-themes",
    "rising": "10_customer_themes.html#rising-themes",
    "falling": "10_customer_themes.html#rising-themes",
    "driver": "10_customer_themes.html#drivers",
    "competitor": "30_market_and_competitors.html#releases",
    "win-rate": "20_sales_and_win_loss.html#win-rate",
    "churn": "40_product_outcomes.html#churn",
}
SECTIONS = (
    ("emerging", "Emerging themes"),
    ("rising", "Significant rises"),
    ("falling", "Significant falls"),
    ("driver", "Drivers of NPS, churn and lost deals"),
    ("competitor", "Competitor mention spikes"),
    ("win-rate", "Win rate"),
    ("churn", "Churn"),
)


@dataclass(frozen=True)
class Period:
    """A half-open date range ``[start, end)`` and the one of the same length before it."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp
    quarter: str  # the quarter holding the period's last day (drivers and report links use it)
    prev_start: pd.Timestamp | None = None  # default: the same length just before ``start``

    @property
    def previous(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        return (self.prev_start or self.start - (self.end - self.start)), self.start

    @property
    def prev_label(self) -> str:
        p0, p1 = self.previous
        if self.prev_start is not None and self.label == self.quarter:
            return str(Quarter.of(p0))
        return f"{p0:%Y-%m-%d} to {p1 - pd.Timedelta(days=1):%Y-%m-%d}"


def quarter_period(quarter: str, fy_start_month: int = 1) -> Period:
    q = Quarter.parse(quarter, fy_start_month)
    return Period(str(q), q.start, q.end, str(q), q.previous().start)


def since_period(since: str | pd.Timestamp, until: pd.Timestamp, fy_start_month: int = 1) -> Period:
    """``[since, until)``; ``until`` is normally the day after the latest record."""
    try:
        start = pd.Timestamp(since).normalize()
    except (ValueError, TypeError) as exc:
        raise DigestError(f"--since {since!r} is not a date (use YYYY-MM-DD)") from exc
    if not until > start:
        raise DigestError(f"--since {start:%Y-%m-%d} is after the latest data ({until:%Y-%m-%d})")
    last = until - pd.Timedelta(seconds=1)
    return Period(f"{start:%Y-%m-%d} to {last:%Y-%m-%d}", start, until, str(Quarter.of(last, fy_start_month)))


@dataclass
class Item:
    """One digest line. ``status`` is ``new`` or ``ongoing`` (set against the state file)."""

    key: str
    section: str
    title: str
    detail: str
    link: str
    quote: str = ""
    status: str = "new"


@dataclass
class Digest:
    period: str
    compared_with: str
    quarter: str
    items: list[Item] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)

    @property
    def has_new(self) -> bool:
        return any(i.status == "new" for i in self.items)

    def to_json(self) -> dict:
        return {
            "period": self.period,
            "compared_with": self.compared_with,
            "quarter": self.quarter,
            "new": sum(i.status == "new" for i in self.items),
            "ongoing": sum(i.status == "ongoing" for i in self.items),
            "resolved": self.resolved,
            "items": [asdict(i) for i in self.items],
        }


def _in(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    d = pd.to_datetime(dates)
    return (d >= start) & (d < end)


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _bh(p: pd.Series) -> pd.Series:
    return drv.bh_adjust(p)


# ------------------------------------------------------------------------------------- themes


def theme_changes(
    docs: pd.DataFrame, period: Period, alpha: float = 0.05, min_volume: int = 30
) -> pd.DataFrame:
    """Per theme: items in the period and the one before, share change, exact test, BH, trend.

    Args:
        docs: one row per themed feedback item: ``theme_id, created_at``.

    Returns:
        ``theme_id, volume, prev_volume, share, prev_share, p_value, p_adjusted, trend``
        (``rising``/``falling``/``""``), largest volume first.
    """
    p0, p1 = period.previous
    cur = docs[_in(docs["created_at"], period.start, period.end)]
    prev = docs[_in(docs["created_at"], p0, p1)]
    n_cur, n_prev = len(cur), len(prev)
    out = pd.DataFrame(
        {"volume": cur["theme_id"].value_counts(), "prev_volume": prev["theme_id"].value_counts()}
    ).fillna(0)
    out.index.name = "theme_id"
    out = out.reset_index()
    out["share"] = out["volume"] / n_cur if n_cur else np.nan
    out["prev_share"] = out["prev_volume"] / n_prev if n_prev else np.nan
    big = np.maximum(out["volume"], out["prev_volume"]) >= min_volume
    pvals = [
        float(stats.binomtest(int(x), int(x + y), n_cur / (n_cur + n_prev)).pvalue)
        if ok and n_cur and n_prev and x + y > 0
        else np.nan
        for x, y, ok in zip(out["volume"], out["prev_volume"], big, strict=True)
    ]
    out["p_value"] = pvals
    out["p_adjusted"] = _bh(out["p_value"])
    sig = (out["p_adjusted"] < alpha).fillna(False)
    out["trend"] = np.where(
        sig & (out["share"] > out["prev_share"]),
        "rising",
        np.where(sig & (out["share"] < out["prev_share"]), "falling", ""),
    )
    return out.sort_values(["volume", "theme_id"], ascending=[False, True]).reset_index(drop=True)


def _quote_for(quotes: pd.DataFrame | None, theme_id: str) -> str:
    if quotes is None or quotes.empty:
        return ""
    rows = quotes[quotes["theme_id"] == theme_id]
    if "rank" in rows.columns:
        rows = rows.sort_values("rank")
    return str(rows["quote"].iloc[0]) if len(rows) else ""


def theme_items(
    changes: pd.DataFrame, themes: pd.DataFrame, quotes: pd.DataFrame | None, period: Period
) -> list[Item]:
    """Emerging, rising and falling theme items from :func:`theme_changes`."""
    labels = dict(zip(themes["theme_id"], themes["label"], strict=False))
    visible = set(theme_labels(themes)["theme_id"])
    status = dict(
        zip(themes["theme_id"], themes.get("status", pd.Series("", index=themes.index)), strict=False)
    )
    items = []
    for row in changes.itertuples(index=False):
        if row.theme_id not in visible:
            continue
        label = labels.get(row.theme_id, row.theme_id)
        if status.get(row.theme_id) == "emerging" and row.volume > 0:
            items.append(
                Item(
                    f"emerging:{row.theme_id}",
                    "emerging",
                    f"Emerging: '{label}'",
                    f"{int(row.volume):,} items in {period.label} "
                    f"({pct(row.share, digits=1)} of themed feedback); "
                    "not in the registry yet (`workbench themes review`).",
                    LINKS["emerging"],
                    _quote_for(quotes, row.theme_id),
                )
            )
        if row.trend in ("rising", "falling"):
            word = "up" if row.trend == "rising" else "down"
            items.append(
                Item(
                    f"{row.trend}:{row.theme_id}",
                    row.trend,
                    f"'{label}' {word}: {pct(row.prev_share, digits=1)} → "
                    f"{pct(row.share, digits=1)} of feedback",
                    f"{int(row.prev_volume):,} → {int(row.volume):,} items "
                    f"({_p(row.p_adjusted)}, BH-adjusted); "
                    f"{period.label} vs {period.prev_label}.",
                    LINKS[row.trend],
                    _quote_for(quotes, row.theme_id),
                )
            )
    return items


# ------------------------------------------------------------------------------------ drivers


def driver_items(
    nps: pd.DataFrame | None,
    churn: pd.DataFrame | None,
    deals: pd.DataFrame | None,
    quotes: pd.DataFrame | None,
) -> list[Item]:
    """Significant adverse drivers (costs NPS, raises churn, more common in lost deals)."""
    items = []
    for kind, frame, adverse in (
        ("nps", nps, lambda f: f["impact"] < 0),
        ("churn", churn, lambda f: f["relative_risk"] > 1),
        ("deals", deals, lambda f: f["lift"] > 1),
    ):
        if frame is None or frame.empty:
            continue
        rows = frame[frame["significant"] & adverse(frame)].sort_values(["p_adjusted", "theme_id"])
        for row in rows.head(MAX_DRIVERS).itertuples(index=False):
            what = {"nps": "NPS", "churn": "churn", "deals": "lost deals"}[kind]
            items.append(
                Item(
                    f"driver-{kind}:{row.theme_id}",
                    "driver",
                    f"'{row.label}' drives {what}",
                    row.statement,
                    LINKS["driver"],
                    _quote_for(quotes, row.theme_id),
                )
            )
    return items


# -------------------------------------------------------------------------------- competitors


def competitor_items(
    found: pd.DataFrame, texts: pd.Series, period: Period, alpha: float = 0.05, min_count: int = 5
) -> list[Item]:
    """Competitors named significantly more often in the period than in the one before.

    Args:
        found: :func:`workbench.analysis.competitors.mentions` output.
        texts: record id → text (feedback and deal notes), for the quote.
    """
    if found.empty:
        return []
    p0, p1 = period.previous
    cur = found[_in(found["created_at"], period.start, period.end)]
    prev = found[_in(found["created_at"], p0, p1)]
    counts = pd.DataFrame(
        {"now": cur["competitor"].value_counts(), "before": prev["competitor"].value_counts()}
    )
    counts = counts.fillna(0).astype(int)
    counts = counts[counts["now"] >= min_count]
    if counts.empty:
        return []
    counts["p"] = [count_change_pvalue(b, n) for b, n in zip(counts["before"], counts["now"], strict=True)]
    counts["p_adj"] = _bh(counts["p"])
    items = []
    for name, row in counts[(counts["p_adj"] < alpha) & (counts["now"] > counts["before"])].iterrows():
        ids = cur.loc[(cur["competitor"] == name) & (cur["table"] == "feedback"), "record_id"]
        ids = ids if len(ids) else cur.loc[cur["competitor"] == name, "record_id"]
        quote = next((str(texts[i]) for i in ids if i in texts.index and isinstance(texts[i], str)), "")
        items.append(
            Item(
                f"competitor:{name}",
                "competitor",
                f"{name} mentioned more: {int(row['before'])} → {int(row['now'])} records",
                f"Feedback and deal notes naming {name}, {period.label} vs {period.prev_label} "
                f"({_p(row['p_adj'])}, BH-adjusted over {len(counts)} competitors).",
                LINKS["competitor"],
                trim_quote(redact_pii(quote), QUOTE_CHARS) if quote else "",
            )
        )
    return items


# ------------------------------------------------------------------------------ rate changes


def _first_quote(texts: pd.Series) -> str:
    """The first non-blank text, redacted and trimmed (the evidence line of a rate item)."""
    for text in texts:
        if isinstance(text, str) and text.strip():
            return trim_quote(redact_pii(text), QUOTE_CHARS)
    return ""


def _rate_item(
    key: str, what: str, now: tuple[int, int], before: tuple[int, int], period: Period, alpha: float
):
    (x1, n1), (x0, n0) = now, before
    p = two_proportion_pvalue(x1, n1, x0, n0)
    if np.isnan(p) or p >= alpha:
        return None
    r1, r0 = x1 / n1, x0 / n0
    word = "up" if r1 > r0 else "down"
    return Item(
        f"{key}:{word}",
        key,
        f"{what} {word}: {pct(r0, digits=1)} → {pct(r1, digits=1)}",
        f"{x1:,} of {n1:,} in {period.label} vs {x0:,} of {n0:,} in {period.prev_label} ({_p(p)}).",
        LINKS[key],
    )


def win_rate_item(deals: pd.DataFrame, period: Period, alpha: float = 0.05) -> Item | None:
    """Win rate of deals closed in the period vs the period before, when significantly different."""
    closed = deals[deals["outcome"].isin(["won", "lost"])]
    p0, p1 = period.previous
    now = closed[_in(closed["closed_at"], period.start, period.end)]
    before = closed[_in(closed["closed_at"], p0, p1)]
    item = _rate_item(
        "win-rate",
        "Win rate",
        (int((now["outcome"] == "won").sum()), len(now)),
        (int((before["outcome"] == "won").sum()), len(before)),
        period,
        alpha,
    )
    if item is not None and "notes" in now.columns:  # a lost deal's notes when it fell, a won one's else
        side = "lost" if item.key.endswith(":down") else "won"
        item.quote = _first_quote(now.loc[now["outcome"] == side].sort_values("closed_at")["notes"])
    return item


def churn_item(
    accounts: pd.DataFrame, period: Period, alpha: float = 0.05, feedback: pd.DataFrame | None = None
) -> Item | None:
    """Logo churn in the period (accounts active at its start) vs the period before.

    The quote is the first churn-survey answer of the period when ``feedback`` has one.
    """

    def counts(start: pd.Timestamp, end: pd.Timestamp) -> tuple[int, int]:
        churned = pd.to_datetime(accounts["churned_at"])
        active = churned.isna() | (churned >= start)
        if "created_at" in accounts.columns:
            created = pd.to_datetime(accounts["created_at"])
            active &= created.isna() | (created < start)
        return int((active & (churned < end)).sum()), int(active.sum())

    item = _rate_item(
        "churn", "Logo churn", counts(period.start, period.end), counts(*period.previous), period, alpha
    )
    if item is not None and feedback is not None and "channel" in feedback.columns:
        said = feedback[
            (feedback["channel"] == "churn_survey") & _in(feedback["created_at"], period.start, period.end)
        ]
        item.quote = _first_quote(said.sort_values("created_at")["text"])
    return item


# ----------------------------------------------------------------------------------- assembly


def apply_state(items: list[Item], state: dict) -> tuple[list[Item], list[str], dict]:
    """Mark items already alerted as ``ongoing``; return them, the resolved keys and the new state.

    The state maps key → ``{"first_seen": ISO date, "last_seen": ISO date}``. Keys that do not fire
    any more are dropped from it (and listed as resolved).
    """
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    old = state.get("alerts", {})
    new_state: dict = {}
    for item in items:
        seen = old.get(item.key)
        item.status = "ongoing" if seen else "new"
        new_state[item.key] = {"first_seen": seen["first_seen"] if seen else today, "last_seen": today}
    resolved = sorted(set(old) - set(new_state))
    return items, resolved, {"version": 1, "alerts": new_state}


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<|#~])")


def inert(text: str) -> str:
    """Customer text made inert for Markdown and Slack: one line, markup and mentions escaped.

    Slack treats ``<...>`` as links and ``<!channel>``/``@here`` as pings; Markdown treats
    ``[x](url)``, ``*`` and backticks as markup. All are neutralised, so a pasted quote can
    neither ping a channel nor hide a link.
    """
    one_line = " ".join(str(text).split())
    escaped = _MD_SPECIAL.sub(r"\\\1", one_line).replace("&", "&amp;")
    return re.sub(r"@(?=\w)", "@\u200b", escaped)


def to_markdown(digest: Digest, base_url: str = "", title: str = "Product insights digest") -> str:
    """The digest as Markdown that pastes cleanly into Slack or an e-mail."""
    new = sum(i.status == "new" for i in digest.items)
    lines = [
        f"*{inert(title)}: {digest.period}* (vs {digest.compared_with})",
        f"{new} new, {len(digest.items) - new} ongoing"
        + (f", {len(digest.resolved)} resolved since last digest" if digest.resolved else ""),
        "",
    ]
    if not digest.items:
        lines.append("Nothing significant changed.")
    base = base_url.rstrip("/") + "/" if base_url else ""
    for section, heading in SECTIONS:
        rows = [i for i in digest.items if i.section == section]
        if not rows:
            continue
        lines.append(f"*{heading}*")
        for item in sorted(rows, key=lambda i: (i.status != "new", i.key)):
            tag = "NEW" if item.status == "new" else "ongoing"
            lines.append(f"- [{tag}] {inert(item.title)}. {inert(item.detail)} ({base}{item.link})")
            if item.quote:
                lines.append(f'  > "{inert(item.quote)}"')
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def build(
    period: Period,
    *,
    docs: pd.DataFrame | None,
    themes: pd.DataFrame | None,
    quotes: pd.DataFrame | None,
    drivers: tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None] = (None, None, None),
    mentions: pd.DataFrame | None = None,
    texts: pd.Series | None = None,
    deals: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
    feedback: pd.DataFrame | None = None,
    state: dict | None = None,
    alpha: float = 0.05,
    min_volume: int = 30,
) -> tuple[Digest, dict]:
    """Assemble the digest from prepared inputs (pure); returns it and the state to save."""
    items: list[Item] = []
    if docs is not None and themes is not None:
        items += theme_items(theme_changes(docs, period, alpha, min_volume), themes, quotes, period)
    items += driver_items(*drivers, quotes)
    if mentions is not None:
        items += competitor_items(
            mentions, texts if texts is not None else pd.Series(dtype=object), period, alpha
        )
    if deals is not None:
        items += [i for i in [win_rate_item(deals, period, alpha)] if i]
    if accounts is not None and "churned_at" in accounts.columns:
        items += [i for i in [churn_item(accounts, period, alpha, feedback)] if i]
    items, resolved, new_state = apply_state(items, state or {})
    digest = Digest(period.label, period.prev_label, period.quarter, items, resolved)
    return digest, new_state


# ----------------------------------------------------------------------------------------- I/O


def _optional(load, name: str, settings: Settings) -> pd.DataFrame | None:
    try:
        return load(name, settings)
    except MissingDataError:
        logger.info("digest: no %s; its items are skipped", name)
        return None


def compute_drivers(
    settings: Settings,
    quarter: str,
    assignments: pd.DataFrame,
    themes: pd.DataFrame,
    feedback: pd.DataFrame,
    accounts: pd.DataFrame | None,
    deals: pd.DataFrame | None,
    period: Period | None = None,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None]:
    """:func:`workbench.analysis.drivers.compute` with the project's alpha and fiscal year."""
    return drv.compute(
        quarter,
        assignments,
        themes,
        feedback,
        accounts,
        deals,
        alpha=settings.themes.alpha,
        fy_start_month=settings.fiscal_year_start_month,
        period=(period.start, period.end) if period else None,
    )


def run(
    settings: Settings,
    quarter: str | None = None,
    since: str | None = None,
    out_dir: Path | None = None,
    state_path: Path | None = None,
    base_url: str = "",
) -> tuple[Digest, Path, Path]:
    """Compute the digest of a project, write ``digest.md`` and ``digest.json``, update the state.

    Args:
        quarter: the period is this quarter (default: the last complete quarter in the data).
        since: the period is ``[since, day after the latest record)``; wins over ``quarter``.
        out_dir: where to write; default ``reports/<quarter>/`` (or ``reports/digest/`` for since).
        state_path: the state file; default ``<data>/digest_state.json``.
        base_url: prefix for report links (e.g. where the reports are published).

    Returns:
        The digest and the paths of the Markdown and JSON files.
    """
    fy = settings.fiscal_year_start_month
    feedback = load_table("feedback", settings)
    feedback = feedback.assign(created_at=pd.to_datetime(feedback["created_at"]))
    until = feedback["created_at"].max().normalize() + pd.Timedelta(days=1)
    if since:
        period = since_period(since, until, fy)
    else:
        label = quarter or str(last_complete_quarter(feedback["created_at"].max(), fy))
        period = quarter_period(label, fy)
    assignments = load_output("assignments", settings)
    themes = load_output("themes", settings)
    quotes = _optional(load_output, "quotes", settings)
    accounts = _optional(load_table, "accounts", settings)
    deals = _optional(load_table, "deals", settings)
    competitors = _optional(load_table, "competitors", settings)
    docs = assignments[(assignments["table"] == "feedback") & assignments["theme_id"].notna()][
        ["record_id", "theme_id"]
    ]
    docs = docs.merge(
        feedback[["feedback_id", "created_at"]].rename(columns={"feedback_id": "record_id"}),
        on="record_id",
        how="inner",
        validate="m:1",
    )
    mentions = texts = None
    if competitors is not None and len(competitors):
        p0 = period.previous[0]
        fb = feedback[_in(feedback["created_at"], p0, period.end)]
        dl = deals[_in(deals["created_at"], p0, period.end)] if deals is not None else None
        mentions = competitor_mentions(fb, dl, competitors, fy)
        texts = fb.set_index("feedback_id")["text"]
    drivers = compute_drivers(
        settings, period.quarter, assignments, themes, feedback, accounts, deals, period if since else None
    )
    state_path = state_path or settings.paths.data / "digest_state.json"
    state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.is_file() else {}
    digest, new_state = build(
        period,
        docs=docs,
        themes=themes,
        quotes=quotes,
        drivers=drivers,
        mentions=mentions,
        texts=texts,
        deals=deals,
        accounts=accounts,
        feedback=feedback,
        state=state,
        alpha=settings.themes.alpha,
        min_volume=settings.themes.min_volume,
    )
    out_dir = out_dir or settings.paths.reports / (period.quarter if not since else "digest")
    base = base_url or ("" if not since else f"../{period.quarter}")
    md_path = atomic(
        out_dir / "digest.md", lambda tmp: tmp.write_text(to_markdown(digest, base), encoding="utf-8")
    )
    payload = digest.to_json() | {"generated_at": datetime.now(UTC).isoformat(timespec="seconds")}
    json_path = atomic(
        out_dir / "digest.json",
        lambda tmp: tmp.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8"),
    )
    atomic(state_path, lambda tmp: tmp.write_text(json.dumps(new_state, indent=2), encoding="utf-8"))
    logger.info(
        "digest %s: %d items (%d new)",
        period.label,
        len(digest.items),
        sum(i.status == "new" for i in digest.items),
    )
    return digest, md_path, json_path
