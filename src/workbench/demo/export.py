"""Writing the simulated demo company the way a real company holds its data.

CRM, support, sales-call and usage tables go into an embedded DuckDB warehouse with the
column names such systems use; survey, review and market data become CSV/JSON exports with
their own headings and date formats. ``config/sources.yaml`` maps both back to the canonical
tables, so a pull of the demo exercises column mapping, date parsing, id prefixes and the
reject accounting (a few deliberately bad rows are planted and listed in the truth).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd

from workbench.core.store import atomic
from workbench.demo import spec
from workbench.demo import text as bank
from workbench.demo.market import COMPETITORS

if TYPE_CHECKING:
    from workbench.demo.company import Company

logger = logging.getLogger(__name__)

# Date formats of the exports (also stated in config/sources.yaml).
NPS_DATE_FORMAT = "%d/%m/%Y %H:%M"
APP_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
CHURN_DATE_FORMAT = "%m/%d/%Y"
EVENT_DATE_FORMAT = "%Y-%m-%d"
METRIC_DATE_FORMAT = "%Y-%m"

NPS_SCORE_COLUMN = "How likely are you to recommend Northwind Cloud to a friend or colleague? (0-10)"
NPS_TEXT_COLUMN = "What is the main reason for your score?"
BAD_NPS_DATES = ("31/02/2026 09:15", "2026-13-01 10:00", "yesterday")

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
_HEX = "0123456789abcdef"


def _unique_ids(rng: np.random.Generator, n: int, make: Callable[[], str]) -> list[str]:
    seen: set[str] = set()
    out = []
    while len(out) < n:
        value = make()
        if value not in seen:
            seen.add(value)
            out.append(value)
    return out


def _token(rng: np.random.Generator, n: int, alphabet: str) -> str:
    return "".join(alphabet[i] for i in rng.integers(len(alphabet), size=n))


def _fmt(series: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(series).dt.strftime(fmt)


def _us(series: pd.Series) -> pd.Series:
    """Microsecond timestamps: DuckDB stores them as plain TIMESTAMP."""
    return pd.to_datetime(series).astype("datetime64[us]")


def write_all(out_dir: Path, company: Company, params: dict[str, Any]) -> dict[str, int]:
    """Write warehouse, exports, planted truth and truth labels; return rows per table/file."""

    rng = np.random.default_rng([int(params["seed"]), 2])  # ids and bad rows; independent of the simulation
    out_dir.mkdir(parents=True, exist_ok=True)
    exports = out_dir / "exports"
    fb = company.feedback.sort_values(["created_at"], kind="stable").reset_index(drop=True)
    by_channel = {ch: fb[fb["channel"] == ch].reset_index(drop=True) for ch in spec.CHANNEL_SOURCE}

    # --- raw ids per source (canonical feedback_id = id_prefix + raw id)
    ids = {
        "support_ticket": [str(100001 + i) for i in range(len(by_channel["support_ticket"]))],
        "sales_call": [str(500001 + i) for i in range(len(by_channel["sales_call"]))],
        "nps": _unique_ids(rng, len(by_channel["nps"]), lambda: "R_" + _token(rng, 15, _ALNUM)),
        "app_review": _unique_ids(
            rng,
            len(by_channel["app_review"]),
            lambda: "-".join(_token(rng, k, _HEX) for k in (8, 4, 4, 4, 12)),
        ),
        "churn_survey": _unique_ids(
            rng,
            len(by_channel["churn_survey"]),
            lambda: _token(rng, 1, _LOWER[:26]) + _token(rng, 11, _LOWER),
        ),
    }
    for ch, frame in by_channel.items():
        frame["raw_id"] = ids[ch]
        frame["record_id"] = spec.ID_PREFIXES[spec.CHANNEL_SOURCE[ch]] + frame["raw_id"]
        frame["expected_reject"] = False

    # --- deliberately bad rows, as real exports have them
    nps, app, tickets = by_channel["nps"], by_channel["app_review"], by_channel["support_ticket"]
    bad_nps = np.sort(rng.choice(len(nps), size=3, replace=False))
    bad_app = np.sort(rng.choice(len(app), size=2, replace=False))
    dup_ticket = int(rng.integers(len(tickets)))
    nps.loc[bad_nps, "expected_reject"] = True
    app.loc[bad_app, "expected_reject"] = True
    app.loc[bad_app, "text"] = ""
    app.loc[bad_app, ["theme_id", "secondary_theme_id"]] = [bank.NOISE_ID, None]
    expected_rejects = (
        [
            {
                "table": "feedback",
                "source": "nps_survey",
                "record_id": nps.at[i, "record_id"],
                "rows": 1,
                "reason": f"unparseable date {BAD_NPS_DATES[k]!r}",
            }
            for k, i in enumerate(bad_nps)
        ]
        + [
            {
                "table": "feedback",
                "source": "app_reviews",
                "record_id": app.at[i, "record_id"],
                "rows": 1,
                "reason": "empty text",
            }
            for i in bad_app
        ]
        + [
            {
                "table": "feedback",
                "source": "support_tickets",
                "record_id": tickets.at[dup_ticket, "record_id"],
                "rows": 1,
                "reason": "duplicate id (the export repeats one ticket row verbatim; one copy is kept)",
            }
        ]
    )

    counts: dict[str, int] = {}
    counts.update(_write_warehouse(out_dir / "warehouse.duckdb", company, by_channel, dup_ticket, rng))
    counts.update(_write_exports(exports, company, by_channel, bad_nps, rng))
    labels = _truth_labels(by_channel, company.deals)
    atomic(out_dir / "truth_labels.parquet", lambda p: labels.to_parquet(p, index=False))
    counts["truth_labels"] = len(labels)
    truth = _planted_truth(company, by_channel, expected_rejects, params, counts)
    text = json.dumps(truth, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    atomic(out_dir / "planted_truth.json", lambda p: p.write_text(text, encoding="utf-8"))
    return counts


def _write_warehouse(
    path: Path,
    company: Company,
    by_channel: dict[str, pd.DataFrame],
    dup_ticket: int,
    rng: np.random.Generator,
) -> dict[str, int]:
    acc = company.accounts
    accounts = pd.DataFrame(
        {
            "account_id": acc["account_id"],
            "account_name": acc["account_name"],
            "segment": acc["segment"],
            "region": acc["region"],
            "plan": acc["plan"],
            "arr": acc["arr"],
            "created_at": _us(acc["created_at"]),
            "churned_at": _us(acc["churned_at"]),
        }
    )
    d = company.deals
    deals = pd.DataFrame(
        {
            "opportunity_id": d["deal_id"],
            "account_id": d["account_id"],
            "deal_type": d["deal_type"],
            "segment": d["segment"],
            "stage": d["stage"],
            "amount": d["amount"],
            "created_date": _us(d["created_at"]),
            "close_date": _us(d["closed_at"]),
            "loss_reason": d["loss_reason"],
            "competitor": d["competitor"],
            "product": d["product"],
            "owner": d["owner"],
            "notes": d["notes"],
        }
    )
    tk = by_channel["support_ticket"]
    n = len(tk)
    recent = (pd.to_datetime(tk["created_at"]) > pd.Timestamp("2026-09-16")).to_numpy()
    status = np.where(recent, np.asarray(["open", "pending", "closed"])[rng.integers(0, 3, n)], "closed")
    tickets = pd.DataFrame(
        {
            "ticket_id": tk["raw_id"],
            "account_id": tk["account_id"],
            "opened_at": _us(tk["created_at"]),
            "product_area": tk["product_area"],
            "priority": np.asarray(["Low", "Normal", "High", "Urgent"])[
                rng.choice(4, size=n, p=[0.3, 0.45, 0.2, 0.05])
            ],
            "status": status,
            "body": tk["text"],
        }
    )
    tickets = pd.concat([tickets, tickets.iloc[[dup_ticket]]], ignore_index=True)  # the duplicated ticket
    sc = by_channel["sales_call"]

    calls = pd.DataFrame(
        {
            "call_id": sc["raw_id"],
            "account_id": sc["account_id"],
            "call_date": _us(sc["created_at"]),
            "rep": np.asarray(spec.REPS)[rng.integers(len(spec.REPS), size=len(sc))],
            "notes": sc["text"],
        }
    )
    usage = company.usage.assign(week_start=_us(company.usage["week_start"]))
    tables = {
        "accounts": accounts,
        "deals": deals,
        "support_tickets": tickets,
        "sales_calls": calls,
        "usage": usage,
    }

    def write(tmp: Path) -> None:
        con = duckdb.connect(str(tmp))
        try:
            for name, frame in tables.items():
                con.register("frame_view", frame)
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame_view")
                con.unregister("frame_view")
        finally:
            con.close()

    atomic(path, write)
    return {name: len(frame) for name, frame in tables.items()}


def _write_exports(
    folder: Path,
    company: Company,
    by_channel: dict[str, pd.DataFrame],
    bad_nps: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, int]:
    nps = by_channel["nps"]
    submitted = _fmt(nps["created_at"], NPS_DATE_FORMAT)
    submitted.iloc[bad_nps] = list(BAD_NPS_DATES)
    nps_out = pd.DataFrame(
        {
            "Response ID": nps["raw_id"],
            "Submitted At": submitted,
            "Customer Account": nps["account_id"],
            NPS_SCORE_COLUMN: nps["score"].astype("Int64"),
            NPS_TEXT_COLUMN: nps["text"],
            "Product Area": nps["product_area"],
            "Respondent Role": np.asarray(["Admin", "User", "Manager", "Executive"])[
                rng.choice(4, size=len(nps), p=[0.25, 0.5, 0.17, 0.08])
            ],
        }
    )
    atomic(folder / "nps_survey.csv", lambda p: nps_out.to_csv(p, index=False, encoding="utf-8"))

    app = by_channel["app_review"]
    first = np.asarray(bank.SLOTS["name"])[rng.integers(len(bank.SLOTS["name"]), size=len(app))]
    last = np.asarray(list("ABCDEFGHJKLMNPRSTVW"))[rng.integers(19, size=len(app))]
    anonymous = rng.random(len(app)) < 0.25
    thumbs = rng.poisson(1.5, size=len(app))
    at = _fmt(app["created_at"], APP_DATE_FORMAT)
    lines = [
        json.dumps(
            {
                "reviewId": rid,
                "userName": "A Google user" if anon else f"{f} {ln}.",
                "content": text,
                "score": int(score),
                "thumbsUpCount": int(th),
                "reviewCreatedVersion": ver,
                "at": when,
            },
            ensure_ascii=False,
        )
        for rid, anon, f, ln, text, score, th, ver, when in zip(
            app["raw_id"],
            anonymous,
            first,
            last,
            app["text"],
            app["rating"],
            thumbs,
            app["app_version"],
            at,
            strict=True,
        )
    ]
    atomic(folder / "app_reviews.jsonl", lambda p: p.write_text("\n".join(lines) + "\n", encoding="utf-8"))

    churn = by_channel["churn_survey"]
    churn_out = pd.DataFrame(
        {
            "Survey ID": churn["raw_id"],
            "Completed On": _fmt(churn["created_at"], CHURN_DATE_FORMAT),
            "Customer ID": churn["account_id"],
            "Primary reason": churn["churn_category"],
            "Tell us more": churn["text"],
            "Would you consider returning?": np.asarray(["Yes", "Maybe", "No"])[
                rng.choice(3, size=len(churn), p=[0.15, 0.35, 0.5])
            ],
        }
    )
    atomic(folder / "churn_survey.csv", lambda p: churn_out.to_csv(p, index=False, encoding="utf-8"))

    ev = company.market_events
    events = [
        {"published": d, "vendor": c, "type": k, "headline": t, "details": x}
        for d, c, k, t, x in zip(
            _fmt(ev["date"], EVENT_DATE_FORMAT),
            ev["competitor"],
            ev["kind"],
            ev["title"],
            ev["description"],
            strict=True,
        )
    ]
    atomic(
        folder / "market_events.json",
        lambda p: p.write_text(json.dumps(events, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"),
    )

    mm = company.market_metrics
    metrics = pd.DataFrame(
        {
            "month": _fmt(mm["date"], METRIC_DATE_FORMAT),
            "series": mm["metric"],
            "subject": mm["entity"],
            "reading": mm["value"],
        }
    )
    atomic(folder / "market_metrics.csv", lambda p: metrics.to_csv(p, index=False, encoding="utf-8"))
    return {
        "nps_survey": len(nps_out),
        "app_reviews": len(lines),
        "churn_survey": len(churn_out),
        "market_events": len(events),
        "market_metrics": len(metrics),
    }


def _truth_labels(by_channel: dict[str, pd.DataFrame], deals: pd.DataFrame) -> pd.DataFrame:
    """One row per text item: which planted theme it is about (record ids as the pull writes them)."""

    frames = [
        pd.DataFrame(
            {
                "table": "feedback",
                "record_id": f["record_id"],
                "source": spec.CHANNEL_SOURCE[ch],
                "channel": ch,
                "theme_id": f["theme_id"],
                "secondary_theme_id": f["secondary_theme_id"],
                "expected_reject": f["expected_reject"],
            }
        )
        for ch, f in by_channel.items()
    ]
    noted = deals[deals["notes"].notna()]
    frames.append(
        pd.DataFrame(
            {
                "table": "deals",
                "record_id": noted["deal_id"],
                "source": "crm_deals",
                "channel": None,
                "theme_id": noted["theme_id"],
                "secondary_theme_id": noted["secondary_theme_id"],
                "expected_reject": False,
            }
        )
    )
    labels = pd.concat(frames, ignore_index=True)
    labels["secondary_theme_id"] = labels["secondary_theme_id"].astype("string")
    labels["channel"] = labels["channel"].astype("string")
    return labels.sort_values(["table", "record_id"], kind="stable").reset_index(drop=True)


def _future_churners(accounts: pd.DataFrame) -> list[str]:
    """Accounts still active at the end whose (unrecorded) churn date lies in the next two quarters."""
    future = accounts["churned_at"].isna() & accounts["latent_churn"].notna()
    return sorted(accounts.loc[future, "account_id"].tolist())


def _planted_truth(
    company: Company,
    by_channel: dict[str, pd.DataFrame],
    expected_rejects: list[dict],
    params: dict[str, Any],
    counts: dict[str, int],
) -> dict[str, Any]:
    from workbench.demo.observed import observed_facts

    fb = pd.concat(by_channel.values(), ignore_index=True)
    return {
        "company": "Northwind Cloud",
        "period": {
            "start": str(spec.START.date()),
            "end_exclusive": str(spec.END.date()),
            "quarters": list(spec.QUARTERS),
        },
        "themes": [
            {
                "id": t.id,
                "label": t.label,
                "kind": t.kind,
                "description": t.description,
                "seed_phrases": list(t.seed_phrases),
            }
            for t in bank.THEMES
        ],
        "noise_theme_id": bank.NOISE_ID,
        "facts": {
            "rising": {
                "theme_id": spec.RISING_THEME,
                "quarter": spec.RISING_QUARTER,
                "previous_quarter": "2026Q2",
                "planted_factor": spec.RISING_FACTOR,
            },
            "enterprise": {
                "theme_id": spec.ENTERPRISE_THEME,
                "segment": "Enterprise",
                "planted_share": spec.ENTERPRISE_SHARE,
            },
            "competitor": {
                "theme_id": spec.COMPETITOR_THEME,
                "competitor": spec.COMPETITOR,
                "event": {
                    "date": "2026-04-14",
                    "title": "Flowbase launches AI dashboards",
                    "quarter": "2026Q2",
                },
                "planted_flowbase_share_of_competitive_losses": dict(
                    zip(spec.QUARTERS, spec.FLOWBASE_LOSS_SHARE, strict=True)
                ),
            },
            "improved": {**spec.SHIPPED, "shipped_quarter": "2026Q1"},
            "drivers": {
                "churn": {
                    "theme_id": spec.CHURN_DRIVER_THEME,
                    "rule": f"its complaints are drawn {spec.CHURN_DRIVER_BOOST:g}x more often from accounts "
                    "that churn within 150 days (blockers: 4x); it is not the most-mentioned theme",
                },
                "nps": {
                    "theme_id": spec.NPS_DRIVER_THEME,
                    "rule": "its NPS responses are drawn from a distribution of hard detractors (mostly 0-3)",
                },
            },
            "win_rate_target_new_business": dict(zip(spec.QUARTERS, spec.WIN_RATE, strict=True)),
            "at_risk": {
                "rule": "blocker feedback is drawn 4x more often from accounts that churn within 150 days; "
                "these active accounts churn in the two quarters after the data ends",
                "account_ids": _future_churners(company.accounts),
            },
        },
        "observed": observed_facts(company, fb),
        "expected_rejects": expected_rejects,
        "id_mapping": {
            "feedback": {
                src: {"id_prefix": prefix, "raw_id": raw}
                for (src, prefix), raw in zip(
                    spec.ID_PREFIXES.items(),
                    (
                        "support_tickets.ticket_id",
                        "nps_survey.csv 'Response ID'",
                        "app_reviews.jsonl reviewId",
                        "sales_calls.call_id",
                        "churn_survey.csv 'Survey ID'",
                    ),
                    strict=True,
                )
            },
            "deals": "deal_id = warehouse deals.opportunity_id (no prefix)",
            "rule": "canonical feedback_id = id_prefix + raw id",
        },
        "pii_record_ids": sorted(fb.loc[fb["has_pii"], "record_id"].tolist()),
        "injection_record_ids": sorted(fb.loc[fb["has_injection"], "record_id"].tolist()),
        "competitors": [dict(c) for c in COMPETITORS],
        "decoy_words": list(bank.DECOY_WORDS),
        "parameters": {**params, "rows": counts},
    }
