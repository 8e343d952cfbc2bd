"""The embedded demo company: deterministic, big enough, and carrying the planted truth it claims.

Frames at full scale come from one in-memory simulation (about 3 s); file-level checks use a
generation at scale 0.2.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from workbench.core.config import load_settings, load_sources
from workbench.core.errors import WorkbenchError
from workbench.core.quarters import quarter_labels
from workbench.demo import company as demo
from workbench.demo import text as bank
from workbench.demo.observed import tone
from workbench.demo.voice import Voice, lower_first, third_person

REPO = Path(__file__).resolve().parents[3]
EXPORTS = (
    "nps_survey.csv",
    "app_reviews.jsonl",
    "churn_survey.csv",
    "market_events.json",
    "market_metrics.csv",
)
WAREHOUSE_TABLES = ("accounts", "deals", "support_tickets", "sales_calls", "usage")


@pytest.fixture(scope="module")
def company() -> demo.Company:
    """The full-scale demo company, in memory."""
    return demo.simulate(seed=7, scale=1.0)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("demo_small")
    return out, demo.generate(out, seed=7, scale=0.2)


def _warehouse(path: Path, table: str) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT * FROM {table}").fetchdf()
    finally:
        con.close()


# --------------------------------------------------------------------------- determinism and layout


def test_same_seed_gives_identical_files(small, tmp_path):
    first, counts = small
    second = tmp_path / "again"
    assert demo.generate(second, seed=7, scale=0.2) == counts
    for name in (*(f"exports/{e}" for e in EXPORTS), "planted_truth.json", "truth_labels.parquet"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    for table in WAREHOUSE_TABLES:
        pd.testing.assert_frame_equal(
            _warehouse(first / "warehouse.duckdb", table), _warehouse(second / "warehouse.duckdb", table)
        )


def test_another_seed_gives_another_company(small, tmp_path):
    first, _ = small
    demo.generate(tmp_path, seed=8, scale=0.2)
    assert (first / "exports/nps_survey.csv").read_bytes() != (
        tmp_path / "exports/nps_survey.csv"
    ).read_bytes()


def test_scale_must_be_positive(tmp_path):
    with pytest.raises(WorkbenchError, match="scale"):
        demo.generate(tmp_path, scale=0)


def test_writes_every_file_with_the_counts_it_reports(small):
    out, counts = small
    for name in (
        "warehouse.duckdb",
        "planted_truth.json",
        "truth_labels.parquet",
        *(f"exports/{e}" for e in EXPORTS),
    ):
        assert (out / name).is_file(), name
    for table in WAREHOUSE_TABLES:
        assert len(_warehouse(out / "warehouse.duckdb", table)) == counts[table]
    assert len(pd.read_csv(out / "exports/nps_survey.csv")) == counts["nps_survey"]
    assert len(pd.read_json(out / "exports/app_reviews.jsonl", lines=True)) == counts["app_reviews"]
    assert len(pd.read_csv(out / "exports/churn_survey.csv")) == counts["churn_survey"]
    assert len(json.loads((out / "exports/market_events.json").read_text())) == counts["market_events"]
    assert len(pd.read_parquet(out / "truth_labels.parquet")) == counts["truth_labels"]


# --------------------------------------------------------------------------- sizes


def test_full_scale_sizes(company):
    assert 1400 <= len(company.accounts) <= 1600
    assert set(company.accounts["segment"]) == {"SMB", "Mid-Market", "Enterprise"}
    assert (company.accounts["arr"] > 0).all()
    assert len(company.feedback) >= 15_000
    assert company.feedback["channel"].nunique() >= 4
    assert company.feedback.groupby("channel").size().min() >= 200
    assert 3_500 <= len(company.deals) <= 4_500
    assert 100_000 <= len(company.usage) < 600_000
    assert set(company.usage["feature"]) == set(demo.FEATURES)
    assert len(company.market_events) >= 30
    assert set(company.market_metrics["entity"]) >= {"Northwind Cloud", *demo.COMPETITOR_NAMES}


def test_everything_lies_in_the_eight_quarters(company):
    for frame, col in (
        (company.feedback, "created_at"),
        (company.deals, "created_at"),
        (company.usage, "week_start"),
        (company.market_events, "date"),
    ):
        assert set(quarter_labels(frame[col])) == set(demo.QUARTERS), col


# --------------------------------------------------------------------------- planted facts


def _volume(feedback: pd.DataFrame) -> pd.DataFrame:
    return pd.crosstab(feedback["theme_id"], quarter_labels(feedback["created_at"]))


def test_rising_theme_rises_in_the_latest_quarter_and_the_others_hold(company):
    volume = _volume(company.feedback)
    ratio = volume["2026Q3"] / volume["2026Q2"]
    assert ratio[demo.RISING_THEME] >= 1.6
    others = ratio.drop(index=[demo.RISING_THEME, bank.NOISE_ID, demo.IMPROVED_THEME])
    assert others.between(0.85, 1.2).all(), others.to_dict()


def test_enterprise_theme_is_concentrated_in_enterprise_accounts(company):
    linked = company.feedback.dropna(subset=["account_id"]).merge(
        company.accounts[["account_id", "segment"]], on="account_id", validate="m:1"
    )
    is_ent = linked["segment"] == "Enterprise"
    assert is_ent[linked["theme_id"] == demo.ENTERPRISE_THEME].mean() > 0.6
    assert is_ent.mean() < 0.25


def test_competitor_losses_grow_and_carry_the_reporting_theme(company):
    deals = company.deals
    lost = deals[deals["loss_reason"] == "Lost to competitor"]
    share = (lost["competitor"] == demo.COMPETITOR).groupby(quarter_labels(lost["closed_at"])).mean()
    assert share["2026Q3"] > share[["2024Q4", "2025Q1", "2025Q2", "2025Q3"]].mean() + 0.15
    flow = deals[
        (deals["outcome"] == "lost") & (deals["competitor"] == demo.COMPETITOR) & deals["notes"].notna()
    ]
    assert len(flow) >= 150
    assert (flow["theme_id"] == demo.COMPETITOR_THEME).mean() >= 0.6
    assert flow["notes"].str.contains(r"\bflow ?base\b", case=False).mean() > 0.4
    ai = company.market_events[company.market_events["title"].str.contains("AI dashboards")]
    assert str(quarter_labels(ai["date"]).iloc[0]) == "2026Q2"
    assert set(ai["competitor"]) == {demo.COMPETITOR}


def test_theme_improves_after_the_release_and_the_feature_is_adopted(company):
    fb = company.feedback
    imp = fb[fb["theme_id"] == demo.IMPROVED_THEME]
    ship, span = demo.SHIP_DATE, pd.Timedelta(days=91)
    before = imp[imp["created_at"].between(ship - span, ship, inclusive="left")]
    after = imp[
        imp["created_at"].between(
            ship + pd.Timedelta(days=28), ship + pd.Timedelta(days=28) + span, inclusive="left"
        )
    ]
    assert len(after) < 0.6 * len(before)
    assert tone(after) > tone(before) + 0.05
    weekly = (
        company.usage[company.usage["feature"] == demo.SHIP_FEATURE]
        .groupby("week_start")["account_id"]
        .nunique()
    )
    assert weekly.tail(8).mean() > 2 * weekly[weekly.index < ship].tail(8).mean()


def test_win_rate_and_churn_move_between_quarters(company):
    deals = company.deals[company.deals["outcome"].isin(["won", "lost"])]
    win = (deals["outcome"] == "won").groupby(quarter_labels(deals["closed_at"])).mean()
    assert win.max() - win.min() > 0.03
    assert win["2026Q3"] < win["2026Q2"]
    churned = company.accounts.dropna(subset=["churned_at"])
    per_quarter = quarter_labels(churned["churned_at"]).value_counts()
    assert set(per_quarter.index) == set(demo.QUARTERS)
    assert per_quarter.max() > per_quarter.min() * 1.15
    by_segment = company.accounts.assign(churned=company.accounts["churned_at"].notna()).groupby("segment")[
        "churned"
    ]
    assert by_segment.mean()["SMB"] > by_segment.mean()["Enterprise"]


def test_accounts_about_to_churn_complain_more(company):
    accounts, fb = company.accounts, company.feedback
    soon = accounts.loc[accounts["churned_at"].isna() & accounts["latent_churn"].notna(), "account_id"]
    latest = fb[(fb["created_at"] >= "2026-07-01") & fb["account_id"].notna()]
    blockers = {t.id for t in bank.THEMES if t.kind == "blocker"}
    share = latest["theme_id"].isin(blockers).groupby(latest["account_id"].isin(soon)).mean()
    assert share[True] > share[False] + 0.08


# --------------------------------------------------------------------------- truth labels and exports


def _exported_feedback_ids(out: Path) -> list[str]:
    prefix = demo.ID_PREFIXES
    wh = out / "warehouse.duckdb"
    ids = [prefix["support_tickets"] + str(i) for i in _warehouse(wh, "support_tickets")["ticket_id"]]
    ids += [prefix["sales_calls"] + str(i) for i in _warehouse(wh, "sales_calls")["call_id"]]
    ids += [prefix["nps_survey"] + i for i in pd.read_csv(out / "exports/nps_survey.csv")["Response ID"]]
    ids += [
        prefix["app_reviews"] + i
        for i in pd.read_json(out / "exports/app_reviews.jsonl", lines=True)["reviewId"]
    ]
    ids += [prefix["churn_survey"] + i for i in pd.read_csv(out / "exports/churn_survey.csv")["Survey ID"]]
    return ids


def test_truth_labels_cover_every_text_item(small):
    out, _ = small
    labels = pd.read_parquet(out / "truth_labels.parquet")
    assert not labels.duplicated(["table", "record_id"]).any()
    exported = _exported_feedback_ids(out)
    assert set(labels.loc[labels["table"] == "feedback", "record_id"]) == set(exported)
    assert len(exported) == (labels["table"] == "feedback").sum() + 1  # the one duplicated ticket
    deals = _warehouse(out / "warehouse.duckdb", "deals")
    noted = deals.loc[deals["notes"].notna(), "opportunity_id"]
    assert set(labels.loc[labels["table"] == "deals", "record_id"]) == set(noted)
    known = {*bank.THEME_IDS, bank.NOISE_ID}
    assert set(labels["theme_id"]) <= known
    assert set(labels["secondary_theme_id"].dropna()) <= set(bank.THEME_IDS)


def test_expected_rejects_are_really_bad_rows(small):
    out, _ = small
    truth = json.loads((out / "planted_truth.json").read_text())
    rejects = {r["record_id"]: r for r in truth["expected_rejects"]}
    assert len(rejects) == 6
    nps = pd.read_csv(out / "exports/nps_survey.csv")
    nps["record_id"] = "nps-" + nps["Response ID"]
    parsed = pd.to_datetime(nps["Submitted At"], format="%d/%m/%Y %H:%M", errors="coerce")
    assert set(nps.loc[parsed.isna(), "record_id"]) == {k for k in rejects if k.startswith("nps-")}
    app = pd.read_json(out / "exports/app_reviews.jsonl", lines=True)
    empty = "ar-" + app.loc[app["content"].str.strip() == "", "reviewId"]
    assert set(empty) == {k for k in rejects if k.startswith("ar-")}
    tickets = _warehouse(out / "warehouse.duckdb", "support_tickets")
    dup = tickets[tickets["ticket_id"].duplicated(keep=False)]
    assert len(dup) == 2 and len(dup.drop_duplicates()) == 1
    assert {"tk-" + dup["ticket_id"].iloc[0]} == {k for k in rejects if k.startswith("tk-")}
    labels = pd.read_parquet(out / "truth_labels.parquet")
    assert set(labels.loc[labels["expected_reject"], "record_id"]) == set(rejects) - {
        "tk-" + dup["ticket_id"].iloc[0]
    }


def test_planted_truth_describes_themes_and_facts(small):
    out, _ = small
    truth = json.loads((out / "planted_truth.json").read_text())
    assert 10 <= len(truth["themes"]) <= 14
    assert {t["kind"] for t in truth["themes"]} == {"goal", "blocker", "value"}
    assert all(t["seed_phrases"] and t["label"] and t["description"] for t in truth["themes"])
    facts = truth["facts"]
    assert facts["rising"] == {**facts["rising"], "theme_id": demo.RISING_THEME, "quarter": "2026Q3"}
    assert facts["competitor"]["competitor"] == "Flowbase"
    assert facts["improved"]["feature"] == "bulk_import" and facts["improved"]["teams"]
    assert truth["pii_record_ids"] and truth["injection_record_ids"]
    at_risk = facts["at_risk"]["account_ids"]
    accounts = _warehouse(out / "warehouse.duckdb", "accounts").set_index("account_id")
    assert at_risk and accounts.loc[at_risk, "churned_at"].isna().all()


def test_sources_yaml_pulls_the_demo_layout(small):
    """The committed sources.yaml matches what the generator writes: files, columns, SQL and prefixes."""
    out, _ = small
    sources = load_sources(REPO / "config" / "sources.yaml")
    assert sources.warehouse == "data/demo/warehouse.duckdb"
    wide = {"start": pd.Timestamp("1900-01-01"), "end": pd.Timestamp("2200-01-01")}
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        for table, entries in sources.tables.items():
            for src in entries:
                if src.name in demo.ID_PREFIXES:
                    assert src.id_prefix == demo.ID_PREFIXES[src.name], src.name
                if src.kind == "sql":
                    params = {k: v for k, v in wide.items() if f"${k}" in src.query}
                    frame = con.execute(src.query, params).fetchdf().rename(columns=src.columns)
                else:
                    path = (
                        REPO / src.path
                        if src.path.startswith("config/")
                        else out / Path(src.path).relative_to("data/demo")
                    )
                    fmt = src.resolved_format
                    frame = pd.read_csv(path) if fmt == "csv" else pd.read_json(path, lines=fmt == "jsonl")
                    assert set(src.columns) <= set(frame.columns), src.name
                    frame = frame.rename(columns=src.columns)
                frame = frame.assign(**src.constants)
                from workbench.core.schemas import TABLES

                missing = set(TABLES[table].required) - set(frame.columns)
                assert not missing, (src.name, missing)
    finally:
        con.close()


def test_shipped_release_in_config_is_the_planted_one():
    settings = load_settings(root=REPO)
    shipped = {s.id: s for s in settings.shipped}
    item = shipped[demo.SHIPPED["id"]]
    assert item.shipped_on == demo.SHIP_DATE.date()
    assert item.feature == demo.SHIP_FEATURE and item.theme_id == demo.IMPROVED_THEME
    assert item.teams == demo.SHIPPED["teams"]
    competitors = pd.read_csv(REPO / "config" / "competitors.csv")
    assert list(competitors["name"]) == list(demo.COMPETITOR_NAMES)


# --------------------------------------------------------------------------- text realism


def _fragment(statement: str) -> str:
    """A slot-free piece of a bank statement long enough to identify it in a composed text."""
    pieces = sorted(re.split(r"\{\w+\}|\[[^\]]*\]", statement), key=len, reverse=True)
    return pieces[0].strip(" .,").lower()[:22]


def test_texts_are_varied(company):
    fb = company.feedback
    themed = fb[fb["theme_id"] != bank.NOISE_ID]
    assert themed["text"].nunique() / len(themed) > 0.95
    assert fb["text"].nunique() / len(fb) > 0.9
    lengths = themed["text"].str.split().str.len()
    assert lengths.quantile(0.05) <= 8 and lengths.quantile(0.9) >= 30


@pytest.mark.parametrize("theme", bank.THEMES, ids=lambda t: t.id)
def test_no_theme_is_one_template(company, theme):
    texts = company.feedback.loc[company.feedback["theme_id"] == theme.id, "text"].str.lower()
    hits = {s: texts.str.contains(_fragment(s), regex=False).mean() for s in theme.core}
    used = [s for s, share in hits.items() if share > 0]
    assert len(used) >= 15
    assert max(hits.values()) < 0.15
    assert texts.value_counts(normalize=True).iloc[0] < 0.01


def test_mixing_noise_pii_and_traps_are_present(company):
    fb = company.feedback
    assert 0.10 <= fb["secondary_theme_id"].notna().mean() <= 0.20
    assert 0.03 <= (fb["theme_id"] == bank.NOISE_ID).mean() <= 0.07
    text = fb["text"]
    for needle in (
        "@example.com",
        "+1 415 555 0134",
        "4111 1111 1111 1111",
        "?token=abc123",
        "<script>",
        "onerror=",
    ):
        assert text.str.contains(needle, regex=False).any(), needle
    assert fb.loc[fb["has_pii"], "text"].str.contains(r"@|\+\d|4111|token=").all()
    for decoy in bank.DECOY_WORDS:
        assert text.str.contains(rf"\b{decoy}\b", case=False).any(), decoy
    sales = fb.loc[fb["channel"] == "sales_call", "text"]
    assert sales.str.contains(r"\bthey\b|\btheir\b|\"", case=False).mean() > 0.6
    tickets = fb.loc[fb["channel"] == "support_ticket", "text"]
    assert tickets.str.match(r"(Hi|Hello|Hey|Good morning|Dear)\b").mean() > 0.2


# --------------------------------------------------------------------------- composition helpers


def test_third_person_rewrites_the_customer_voice():
    assert third_person("We need SSO for our team.") == "They need SSO for their team."
    assert third_person("I'm stuck and it costs me hours.") == "They're stuck and it costs them hours."
    assert third_person("Our US office") == "Their US office"


def test_lower_first_keeps_names_and_acronyms():
    assert lower_first("The app crashes.") == "the app crashes."
    assert lower_first("SAML SSO fails.") == "SAML SSO fails."
    assert lower_first("Salesforce sync breaks.") == "Salesforce sync breaks."
    assert lower_first("I love it.") == "I love it."


def test_typos_change_letters_but_not_the_word_count():
    voice = Voice(np.random.default_rng(0))
    text = "Importing our spreadsheet files fails without telling us which record is wrong"
    garbled = voice.typos(text, n_words=3)
    assert garbled != text
    assert len(garbled.split()) == len(text.split())
    assert sum(a != b for a, b in zip(garbled.split(), text.split(), strict=True)) == 3
