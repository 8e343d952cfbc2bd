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
                    checks=(pa.Check.in_range(0, 5),),
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
    "sentiment": "VADER compound score, -1..1",
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
