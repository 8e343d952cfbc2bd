"""The report's offline Explorer page: filter and full-text search over the quarter's quotes.

``reports/<quarter>/explorer.html`` holds every feedback item of the quarter (PII-redacted and
trimmed) with its theme, segment, channel, sentiment and date, and a small inline script that
filters by theme, segment and sentiment and searches the text as you type. No network: the page
carries the report's Content-Security-Policy (:data:`workbench.report.html.CSP`) and needs nothing
but itself.

Customer text stays inert: the data travels as JSON inside ``<script type="application/json">``
(``<``, ``>`` and ``&`` escaped by :func:`workbench.report.html.json_for_script`, so ``</script>``
cannot close it), and the script renders every value with ``textContent``, never ``innerHTML``.

Size budget: :data:`MAX_BYTES` (2 MB) for the whole page. When the quarter's items do not fit,
the most representative items of each theme (highest similarity to the theme centroid) are kept,
round-robin over themes so every theme stays visible, and the page says how many were left out.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.core.config import Settings
from workbench.core.frames import visible_themes
from workbench.core.quarters import Quarter
from workbench.core.store import MissingDataError, load_output, load_table
from workbench.report.html import asset, esc, json_for_script, page
from workbench.themes.quotes import trim_quote
from workbench.themes.text import redact_pii

logger = logging.getLogger(__name__)

MAX_BYTES = 2_000_000
QUOTE_CHARS = 320
NEGATIVE_BELOW, POSITIVE_ABOVE = -0.05, 0.05
FIELDS = ["q", "t", "s", "c", "m", "d"]  # quote, theme, segment, channel, mood (sentiment), date
UNASSIGNED = "Unassigned"
UNKNOWN = "Unknown"


def sentiment_label(values: pd.Series) -> pd.Series:
    """negative / neutral / positive from a -1..1 score (VADER's +-0.05 cut), for assignments written
    before the engine stored ``sentiment_label``; unknown for NaN."""
    v = pd.to_numeric(values, errors="coerce")
    out = np.where(v < NEGATIVE_BELOW, "negative", np.where(v > POSITIVE_ABOVE, "positive", "neutral"))
    return pd.Series(np.where(v.isna(), "unknown", out), index=values.index)


def explorer_items(
    feedback: pd.DataFrame,
    quarter: str,
    assignments: pd.DataFrame | None = None,
    themes: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
    segment: str = "",
    fy_start_month: int = 1,
) -> pd.DataFrame:
    """The quarter's feedback as explorer rows (pure): redacted quote, theme label, segment, ...

    Hidden themes show as "Unassigned" (they are noise by the analyst's decision). Returns
    :data:`FIELDS` plus ``similarity`` (for trimming to the size budget), newest first.
    """
    q = str(Quarter.parse(quarter, fy_start_month))
    fb = feedback[feedback["quarter"].astype(str) == q] if "quarter" in feedback.columns else feedback
    fb = fb[fb["text"].astype("string").str.strip().fillna("") != ""]
    rows = pd.DataFrame(
        {
            "feedback_id": fb["feedback_id"].astype(str).to_numpy(),
            "text": fb["text"].astype(str).to_numpy(),
            "c": fb["channel"].astype(str).to_numpy() if "channel" in fb.columns else "",
            "d": pd.to_datetime(fb["created_at"]).dt.strftime("%Y-%m-%d").to_numpy(),
            "account_id": fb["account_id"].to_numpy() if "account_id" in fb.columns else None,
        }
    )
    if assignments is not None and len(assignments):
        a = assignments[assignments["table"] == "feedback"]
        cols = [
            c
            for c in ("record_id", "theme_id", "sentiment", "sentiment_label", "similarity")
            if c in a.columns
        ]
        a = a[cols].drop_duplicates("record_id").rename(columns={"record_id": "feedback_id"})
        rows = rows.merge(a, on="feedback_id", how="left", validate="1:1")
    labels = {}
    if themes is not None and len(themes):
        visible = visible_themes(themes)  # the one hidden-theme filter
        labels = dict(zip(visible["theme_id"], visible["label"], strict=False))
    theme_ids = rows["theme_id"] if "theme_id" in rows.columns else pd.Series(None, index=rows.index)
    rows["t"] = [labels.get(t, UNASSIGNED) if isinstance(t, str) else UNASSIGNED for t in theme_ids]
    if "sentiment_label" in rows.columns:
        rows["m"] = rows["sentiment_label"].fillna("unknown").astype(str)
    elif "sentiment" in rows.columns:
        rows["m"] = sentiment_label(rows["sentiment"])
    else:
        rows["m"] = "unknown"
    seg = {}
    if accounts is not None and "segment" in accounts.columns:
        seg = dict(zip(accounts["account_id"], accounts["segment"], strict=False))
    rows["s"] = [seg.get(a, UNKNOWN) if isinstance(a, str) else UNKNOWN for a in rows["account_id"]]
    rows["s"] = rows["s"].fillna(UNKNOWN).astype(str)
    if segment:
        rows = rows[rows["s"].str.casefold() == segment.casefold()]
    rows["q"] = [trim_quote(redact_pii(t), QUOTE_CHARS) for t in rows["text"]]
    if "similarity" not in rows.columns:
        rows["similarity"] = np.nan
    rows = rows.sort_values(["d", "feedback_id"], ascending=[False, True], kind="stable")
    return rows[[*FIELDS, "similarity"]].reset_index(drop=True)


def fit_budget(items: pd.DataFrame, budget: int) -> pd.DataFrame:
    """The items that fit in ``budget`` bytes of JSON, most representative of each theme first.

    Round-robin over themes by descending similarity, so a big theme cannot crowd out the small
    ones; the kept items are returned in their original order.
    """
    rows = items[FIELDS].astype(str).to_numpy().tolist()
    sizes = np.array([len(json_for_script(r).encode()) + 1 for r in rows], dtype=np.int64)
    if sizes.sum() <= budget:
        return items
    order = items.assign(_size=sizes, _pos=np.arange(len(items))).sort_values(
        ["similarity", "_pos"], ascending=[False, True], na_position="last"
    )
    order["_round"] = order.groupby("t").cumcount()
    order = order.sort_values(
        ["_round", "similarity", "_pos"], ascending=[True, False, True], na_position="last"
    )
    keep = order[order["_size"].cumsum() <= budget]
    return items.iloc[sorted(keep["_pos"])]


def explorer_page(
    items: pd.DataFrame, quarter: str, nav_html: str = "", footer: str = "", total: int | None = None
) -> str:
    """The complete Explorer page for ``items`` (from :func:`explorer_items`, already within budget)."""
    payload = {"fields": FIELDS, "rows": items[FIELDS].astype(str).to_numpy().tolist()}
    total = len(items) if total is None else total
    left_out = (
        f'<p class="wb-callout">Showing {len(items):,} of {total:,} items: the page is kept under '
        f"{MAX_BYTES // 1_000_000} MB, so the most representative items of every theme were kept.</p>"
        if total > len(items)
        else ""
    )
    controls = (
        '<div class="wb-explorer-controls">'
        '<label>Search <input id="wb-f-text" type="search" placeholder="words in the quote"></label> '
        '<label>Theme <select id="wb-f-theme"><option value="">All themes</option></select></label> '
        '<label>Segment <select id="wb-f-segment"><option value="">All segments</option></select></label> '
        '<label>Sentiment <select id="wb-f-sentiment"><option value="">Any sentiment</option>'
        "</select></label>"
        "</div>"
    )
    body = (
        f"<h1>Explorer: what customers said in {esc(quarter)}</h1>"
        '<p class="wb-subtitle">Every feedback item of the quarter, personal data redacted. '
        "Filter by theme, segment and sentiment, or type words to search the text. Works offline.</p>"
        f'{left_out}{controls}<p id="wb-count" class="wb-muted" aria-live="polite"></p>'
        '<ul id="wb-results" class="wb-quotes"></ul>'
        '<button id="wb-more" type="button" hidden>Show more</button>'
        f'<script type="application/json" id="wb-explorer-data">{json_for_script(payload)}</script>'
        f"<script>{asset('explorer.js')}</script>"
        "<style>.wb-explorer-controls{display:flex;flex-wrap:wrap;gap:.5rem 1rem;margin:1rem 0}"
        ".wb-explorer-controls input,.wb-explorer-controls select{font:inherit;padding:.2rem .4rem}</style>"
    )
    return page(f"Explorer {quarter}", body, nav_html, footer)


def write_explorer(
    settings: Settings, quarter: str, folder: Path, nav_html: str = "", footer: str = "", segment: str = ""
) -> Path:
    """Write ``explorer.html`` for a project's quarter into ``folder`` (the report build folder)."""

    def optional(load, name):
        try:
            return load(name, settings)
        except MissingDataError:
            return None

    feedback = optional(load_table, "feedback")
    if feedback is None:
        items = pd.DataFrame(columns=[*FIELDS, "similarity"])
    else:
        items = explorer_items(
            feedback,
            quarter,
            optional(load_output, "assignments"),
            optional(load_output, "themes"),
            optional(load_table, "accounts"),
            segment,
            settings.fiscal_year_start_month,
        )
    shell = len(explorer_page(items.iloc[0:0], quarter, nav_html, footer).encode())
    kept = fit_budget(items, MAX_BYTES - shell - 2_000)
    html_text = explorer_page(kept, quarter, nav_html, footer, total=len(items))
    path = folder / "explorer.html"
    path.write_text(html_text, encoding="utf-8")
    logger.info("explorer: %d of %d items, %.2f MB", len(kept), len(items), len(html_text.encode()) / 1e6)
    return path
