"""The canonical tables: their columns, types and rules (pandera).

Every source is normalised into one of these tables by ``workbench.ingest.pull``; every
analysis reads them from ``data/processed/<table>.parquet``. The column lists below
are the documentation (``workbench.core.schemas.describe()`` prints them) and the
contract: required columns must be present, optional ones are added as nulls,
extra source columns are kept.

Columns the pull adds to every table: ``source`` (the source name from
sources.yaml). Time-based tables also get ``quarter`` (canonical label such as
``2026Q3``, computed with the configured fiscal-year start).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
OUTCOMES = ("won", "lost", "open")
MAX_TEXT_CHARS = 20_000  # longer texts are truncated by the pull (and the truncation is recorded)


@dataclass(frozen=True)
class Col:
    name: str
    dtype: str  # "str", "float", "int", "datetime", "bool"
    required: bool
    doc: str
    nullable: bool = True
    checks: tuple = ()
    unique: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    id_column: str | None
    date_column: str | None  # the column that places a row in a quarter
    columns: tuple[Col, ...]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


_non_negative = (pa.Check.ge(0),)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "accounts",
            "Customer accounts with their revenue.",
            "account_id",
            None,
            (
                Col("account_id", "str", True, "stable account id", nullable=False, unique=True),
                Col("name", "str", True, "account name"),
                Col("segment", "str", True, f"one of {', '.join(SEGMENTS)} (other values are kept)"),
                Col("region", "str", False, "sales region"),
                Col("plan", "str", False, "pricing plan"),
                Col("arr", "float", True, "annual recurring revenue, currency units", checks=_non_negative),
                Col("created_at", "datetime", False, "when the account became a customer"),
                Col("churned_at", "datetime", False, "when it churned; null while active"),
            ),
        ),
        Table(
            "feedback",
            "Every piece of customer voice: tickets, surveys, reviews, call notes, churn surveys.",
            "feedback_id",
            "created_at",
            (
                Col(
                    "feedback_id", "str", True, "unique id (prefixed per source)", nullable=False, unique=True
                ),
                Col(
                    "channel",
                    "str",
                    True,
                    "support_ticket, nps, app_review, sales_call, churn_survey, ...",
                    nullable=False,
                ),
                Col("created_at", "datetime", True, "when it was written", nullable=False),
                Col("text", "str", True, "the customer's words (untrusted)", nullable=False),
                Col(
                    "rating",
                    "float",
                    False,
                    "star rating 1-5 where the channel has one",
                    checks=(pa.Check.in_range(1, 5),),
                ),
                Col(
                    "score",
                    "float",
                    False,
                    "NPS 0-10 where the channel has one",
                    checks=(pa.Check.in_range(0, 10),),
                ),
                Col("account_id", "str", False, "account that wrote it, if known"),
                Col("product_area", "str", False, "product area, if tagged"),
                Col("app_version", "str", False, "app version, if known"),
            ),
        ),
        Table(
            "deals",
            "CRM opportunities with outcome, loss reason, competitor and notes.",
            "deal_id",
            "created_at",
            (
                Col("deal_id", "str", True, "unique opportunity id", nullable=False, unique=True),
                Col("account_id", "str", False, "account; null for unmatched prospects"),
                Col("stage", "str", True, "CRM stage as exported"),
                Col(
                    "amount",
                    "float",
                    False,
                    "deal value (won: booked; open/lost: expected)",
                    checks=_non_negative,
                ),
                Col("created_at", "datetime", True, "when the opportunity was opened", nullable=False),
                Col("closed_at", "datetime", False, "when won or lost; null while open"),
                Col(
                    "outcome",
                    "str",
                    True,
                    "won, lost or open",
                    nullable=False,
                    checks=(pa.Check.isin(OUTCOMES),),
                ),
                Col("loss_reason", "str", False, "reason given for a loss"),
                Col("competitor", "str", False, "competitor named on the deal"),
                Col("product", "str", False, "product or plan sold"),
                Col("notes", "str", False, "free-text deal notes (untrusted)"),
            ),
        ),
        Table(
            "usage",
            "Feature usage per account and period (weekly in the demo).",
            None,
            "period",
            (
                Col("account_id", "str", True, "account", nullable=False),
                Col("period", "datetime", True, "start of the period", nullable=False),
                Col("feature", "str", True, "feature name", nullable=False),
                Col(
                    "active_users",
                    "float",
                    False,
                    "distinct active users in the period",
                    checks=_non_negative,
                ),
                Col("events", "float", False, "events in the period", checks=_non_negative),
            ),
        ),
        Table(
            "competitors",
            "Competitors and the aliases customers use for them.",
            "name",
            None,
            (
                Col("name", "str", True, "canonical competitor name", nullable=False, unique=True),
                Col("aliases", "str", False, "other spellings, separated by '|'"),
                Col("website", "str", False, "home page"),
            ),
        ),
        Table(
            "market_events",
            "Competitor releases, pricing moves, funding and other market events.",
            None,
            "date",
            (
                Col("date", "datetime", True, "when it happened", nullable=False),
                Col("competitor", "str", True, "competitor (or 'market')"),
                Col("kind", "str", True, "release, pricing, funding, acquisition, ..."),
                Col("title", "str", True, "short title"),
                Col("description", "str", False, "details (untrusted)"),
            ),
        ),
        Table(
            "market_metrics",
            "Market time series: category size, competitor ratings, share, search interest.",
            None,
            "date",
            (
                Col("date", "datetime", True, "observation date", nullable=False),
                Col("metric", "str", True, "metric name", nullable=False),
                Col("entity", "str", True, "who it measures (competitor, market, us)", nullable=False),
                Col("value", "float", True, "the value"),
            ),
        ),
    )
}

_DTYPES = {"str": str, "float": float, "int": "Int64", "datetime": "datetime64[ns]", "bool": bool}


def schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema for a canonical table. Extra columns are allowed and kept."""
    spec = TABLES[table]
    columns = {
        c.name: pa.Column(
            _DTYPES[c.dtype],
            checks=list(c.checks),
            nullable=c.nullable,
            unique=c.unique,
            required=c.required,
            coerce=True,
            description=c.doc,
        )
        for c in spec.columns
    }
    return pa.DataFrameSchema(columns, strict=False, name=table, description=spec.doc)


def describe() -> pd.DataFrame:
    """One row per canonical column: the data dictionary."""
    return pd.DataFrame(
        [
            {
                "table": t.name,
                "column": c.name,
                "type": c.dtype,
                "required": c.required,
                "nullable": c.nullable,
                "description": c.doc,
            }
            for t in TABLES.values()
            for c in t.columns
        ]
    )


# ----------------------------------------------------------------------------------------------
# Derived tables written by the theme engine (data/processed/themes/). Documented here so that the
# analyses and charts can rely on them.

ASSIGNMENT_COLUMNS = {
    "doc_id": "'<table>:<record id>', e.g. 'feedback:tk-00042' or 'deals:D-001'",
    "table": "'feedback' or 'deals'",
    "record_id": "feedback_id or deal_id",
    "quarter": "quarter of the record",
    "theme_id": "registered or emerging theme id; null when unassigned",
    "similarity": "cosine similarity of the text to its theme centroid",
    "sentiment": (
        "inferred sentiment, -1..1: a blend of the sentiment head on the MiniLM embeddings "
        "(P(positive) - P(negative)), VADER and a zero-shot anchor similarity (VADER's compound score "
        "alone with other embedding models); null for blank text"
    ),
    "sentiment_label": (
        "negative, neutral or positive: the blended score outside or inside the head's neutral band "
        "(VADER: +-0.05); null for blank text"
    ),
    "stated_rating": "star rating 1-5 the customer gave (feedback.rating), kept beside the inferred one",
    "stated_nps": "NPS score 0-10 the customer gave (feedback.score), kept beside the inferred one",
    "intent": "goal, blocker, value, request or other",
}

THEME_COLUMNS = {
    "theme_id": "stable id (registry key, or 'new-...' for an emerging candidate)",
    "label": "curated label, or a short readable auto-label for candidates",
    "description": "what the theme is about",
    "kind": "goal, blocker or value (from the registry; 'unknown' for candidates)",
    "status": "registered, emerging or hidden",
    "keywords": "top c-TF-IDF terms, comma separated",
    "n_docs": "documents assigned in the fitted window",
}

METRICS_COLUMNS_DOC = {
    "quarter": "quarter label, e.g. 2026Q3",
    "theme_id": "theme id (see the themes output)",
    "volume": "feedback items assigned to the theme in the quarter",
    "share": "volume over the quarter's assigned feedback, 0..1",
    "accounts": "distinct accounts behind the theme's feedback",
    "arr_touched": "summed ARR of those accounts (each account counted once per theme)",
    "sentiment_mean": "mean inferred sentiment (assignments.sentiment), -1..1",
    "negative_share": "share of items whose sentiment_label is negative (score < -0.05 for unlabelled rows)",
    "rating_mean": "mean stated star rating where the channel has one",
    "nps_mean": "mean stated NPS score (0-10) where the channel has one",
    "intent_goal": "share of items stating a goal",
    "intent_blocker": "share of items describing a blocker",
    "intent_value": "share of items praising value",
    "intent_request": "share of items requesting something",
    "prev_volume": "volume in the previous quarter",
    "prev_share": "share in the previous quarter",
    "change_pct": "volume change against the previous quarter, in percent",
    "p_value": "two-sided p-value that the volume changed",
    "p_adjusted": "p_value adjusted (Benjamini-Hochberg) across the quarter's themes",
    "significant": "p_adjusted below the configured alpha",
    "trend": "rising, falling, steady or new",
    "is_emerging": "an emerging (not yet registered) theme",
    "rank_by_volume": "1 = largest volume in the quarter",
    "rank_by_arr": "1 = most ARR touched in the quarter",
}

QUOTES_COLUMNS_DOC = {
    "theme_id": "theme id",
    "rank": "0 = most representative quote of the theme",
    "quote": "the customer's words, trimmed, PII redacted (untrusted text: escape when rendering)",
    "doc_id": "'<table>:<record id>' of the quoted item",
    "account_id": "account that said it, when known",
    "channel": "where it was said (support, survey, review...)",
    "quarter": "quarter of the quoted item",
}

SPLIT_COLUMNS_DOC = {
    "quarter": "quarter label",
    "theme_id": "theme id",
    "<by>": "the group (segment or channel); missing values are 'Unknown' / 'unknown'",
    "volume": "items of the theme in the group",
    "share_of_theme": "volume over the theme's volume",
    "share_of_group": "volume over the group's assigned feedback",
    "concentration": "share_of_group over the theme's overall share (1 = no over-representation)",
}

#: The theme engine's outputs (``data/processed/themes/<name>.parquet``) and their columns.
OUTPUTS: dict[str, dict[str, str]] = {
    "assignments": ASSIGNMENT_COLUMNS,
    "themes": THEME_COLUMNS,
    "metrics": METRICS_COLUMNS_DOC,
    "quotes": QUOTES_COLUMNS_DOC,
    **{
        f"splits_{by}": {(by if col == "<by>" else col): doc for col, doc in SPLIT_COLUMNS_DOC.items()}
        for by in ("segment", "channel")
    },
}


def describe_outputs() -> pd.DataFrame:
    """One row per column of each theme-engine output: their data dictionary."""
    return pd.DataFrame(
        [
            {"output": name, "column": column, "description": doc}
            for name, columns in OUTPUTS.items()
            for column, doc in columns.items()
        ]
    )
