"""Issue 2, item 7: the shipped example configs pull the real exports in ../shared/data.

Each test project sits beside a link named ``shared`` to the real folder, so the examples' paths
(``../shared/data/...``, relative to the project root) resolve exactly as in a checkout. Dates are
checked against the raw files read independently with the csv module, including days <= 12 where
a day/month swap would go unnoticed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
import yaml

from workbench.core.config import load_settings
from workbench.core.schemas import SEGMENTS
from workbench.ingest.pull import pull
from workbench.ingest.repair import repair_text

pytestmark = pytest.mark.shared_data

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "config" / "examples"


def _pull_example(tmp_path_factory, shared_data: Path, example: str, change=None):
    """Pull an example config as shipped, or a copy of it after ``change(config_dict)``."""
    base = tmp_path_factory.mktemp(example)
    (base / "shared").symlink_to(shared_data.parent, target_is_directory=True)
    root = base / "project"
    (root / "config").mkdir(parents=True)
    sources = EXAMPLES / f"{example}.yaml"
    if change is not None:
        config = yaml.safe_load(sources.read_text(encoding="utf-8"))
        change(config)
        sources = root / "config" / "sources.yaml"
        sources.write_text(yaml.safe_dump(config), encoding="utf-8")
    (root / "config" / "workbench.yaml").write_text(yaml.safe_dump({"sources": str(sources)}))
    settings = load_settings(root=root)
    result = pull(settings, all_quarters=True)
    return settings, result


def _raw_rows(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def _accounted(result) -> None:
    for source in result.sources:
        assert source.outside == 0
        assert source.processed + source.rejected == source.input == source.read


def _low_day_rows(rows: list[dict[str, str]], column: str, fmt: str, n: int = 3) -> list[int]:
    """Indexes of rows whose day of month is <= 12 (where a day/month swap would still parse)."""
    found = [i for i, r in enumerate(rows) if dt.datetime.strptime(r[column], fmt).day <= 12]
    return found[:: max(1, len(found) // n)][:n]


# ------------------------------------------------------------------------------- Google Play


@pytest.fixture(scope="module")
def google_play(tmp_path_factory, shared_data):
    return _pull_example(tmp_path_factory, shared_data, "google_play_reviews")


def test_google_play_every_row_accounted_for(google_play, shared_data):
    settings, result = google_play
    raw = _raw_rows(shared_data / "uber_play_reviews" / "uber_reviews_without_reviewid.csv")
    _accounted(result)
    assert result.sources[0].read == len(raw) == 12_000
    assert result.counts["feedback"] == {"input": 12_000, "processed": 12_000, "rejected": 0, "rows": 12_000}


def _repaired(text: str) -> str:
    return repair_text(pl.Series([text]))[0][0]


def test_google_play_dates_match_the_raw_file(google_play, shared_data):
    settings, _ = google_play
    raw = _raw_rows(shared_data / "uber_play_reviews" / "uber_reviews_without_reviewid.csv")
    processed = pd.read_parquet(settings.paths.processed / "feedback.parquet").set_index("userName")
    fmt = "%d-%m-%Y %H:%M"
    picks = [0, 4_321, 11_999, *_low_day_rows(raw, "at", fmt)]
    for i in picks:
        row = raw[i]
        expected = dt.datetime.strptime(row["at"], fmt)
        got = processed.loc[row["userName"], "created_at"]
        assert got == pd.Timestamp(expected), (i, row["at"], got)
        # The text as written, with the export's mojibake repaired (see ingest/repair.py).
        assert processed.loc[row["userName"], "text"] == _repaired(row["content"]).strip()
        assert processed.loc[row["userName"], "rating"] == float(row["score"])
    december_5 = [r for r in raw if r["at"].startswith("05-12-2024")]
    assert december_5 and processed.loc[december_5[0]["userName"], "created_at"].month == 12


def test_google_play_without_date_format_learns_day_first_from_the_values(
    google_play, tmp_path_factory, shared_data
):
    def drop_format(config):
        del config["tables"]["feedback"][0]["date_format"]

    settings, result = _pull_example(tmp_path_factory, shared_data, "google_play_reviews", drop_format)
    assert result.rejected == 0
    inferred = pd.read_parquet(settings.paths.processed / "feedback.parquet").set_index("feedback_id")
    shipped = pd.read_parquet(google_play[0].paths.processed / "feedback.parquet").set_index("feedback_id")
    pd.testing.assert_series_equal(inferred["created_at"], shipped["created_at"])  # zero rows misdated


def test_no_false_pii_redactions_in_real_review_texts(shared_data):
    from workbench.themes.text import redact_pii

    uber = pd.read_csv(shared_data / "uber_play_reviews" / "uber_reviews_without_reviewid.csv")["content"]
    alexa = pd.read_csv(shared_data / "amazon_alexa" / "amazon_alexa.tsv", sep="\t")["verified_reviews"]
    texts = [str(t) for t in pd.concat([uber, alexa]).dropna()]
    assert len(texts) > 15_000
    changed = [t for t in texts if redact_pii(t) != t]
    assert changed == []


def test_google_play_bom_and_columns(google_play):
    settings, _ = google_play
    processed = pd.read_parquet(settings.paths.processed / "feedback.parquet")
    assert "userName" in processed.columns and not any("\ufeff" in c for c in processed.columns)
    assert processed["feedback_id"].is_unique and processed["feedback_id"].str.startswith("gplay-").all()
    assert set(processed["channel"]) == {"app_review"} and set(processed["quarter"]) == {"2024Q4"}


# ---------------------------------------------------------------------------- Amazon (tsv)


@pytest.fixture(scope="module")
def marketplace(tmp_path_factory, shared_data):
    return _pull_example(tmp_path_factory, shared_data, "marketplace_reviews_tsv")


def test_marketplace_every_row_accounted_for(marketplace, shared_data):
    settings, result = marketplace
    raw = _raw_rows(shared_data / "amazon_alexa" / "amazon_alexa.tsv", delimiter="\t")
    blank = [i + 1 for i, r in enumerate(raw) if not r["verified_reviews"].strip()]
    _accounted(result)
    assert result.sources[0].read == len(raw) == 3_150
    assert result.counts["feedback"]["rejected"] == len(blank) == 79
    rejects = pd.read_parquet(result.rejects_paths["feedback"])
    assert rejects["_row"].tolist() == blank
    assert set(rejects["_reason"]) == {"text is missing"}


def test_marketplace_without_date_format_reads_the_same_dates(marketplace, tmp_path_factory, shared_data):
    def drop_format(config):
        del config["tables"]["feedback"][0]["date_format"]

    settings, _ = _pull_example(tmp_path_factory, shared_data, "marketplace_reviews_tsv", drop_format)
    inferred = pd.read_parquet(settings.paths.processed / "feedback.parquet").set_index("feedback_id")
    shipped = pd.read_parquet(marketplace[0].paths.processed / "feedback.parquet").set_index("feedback_id")
    pd.testing.assert_series_equal(inferred["created_at"], shipped["created_at"])


def test_marketplace_dates_and_labels_match_the_raw_file(marketplace, shared_data):
    settings, _ = marketplace
    raw = _raw_rows(shared_data / "amazon_alexa" / "amazon_alexa.tsv", delimiter="\t")
    processed = pd.read_parquet(settings.paths.processed / "feedback.parquet")
    by_id = processed.set_index("feedback_id")
    fmt = "%d-%b-%y"
    kept = [i for i, r in enumerate(raw) if r["verified_reviews"].strip()]
    low_day = _low_day_rows([raw[i] for i in kept], "date", fmt)
    for i in [kept[0], kept[len(kept) // 2], kept[-1], *(kept[j] for j in low_day)]:
        row = raw[i]
        # id_from: [_row] -> sha1 of the 1-based row number (documented in the source model)
        review = by_id.loc["alexa-" + hashlib.sha1(str(i + 1).encode()).hexdigest()[:16]]
        assert review["created_at"] == pd.Timestamp(dt.datetime.strptime(row["date"], fmt)), (i, row["date"])
        assert review["text"] == row["verified_reviews"].strip()
        assert review["rating"] == float(row["rating"])
        assert review["product_area"] == " ".join(row["variation"].split())
    assert not processed["product_area"].str.contains("  ").any()
    assert {"White Dot", "Charcoal Fabric"} <= set(processed["product_area"])
    assert by_id.index.is_unique and set(processed["quarter"]) <= {"2018Q2", "2018Q3"}
    assert processed["rating"].between(1, 5).all() and processed["positive"].isin(["0", "1"]).all()


# -------------------------------------------------------------------------------- Maven CRM


@pytest.fixture(scope="module")
def crm(tmp_path_factory, shared_data):
    return _pull_example(tmp_path_factory, shared_data, "crm_opportunities")


def test_crm_every_row_accounted_for(crm, shared_data):
    settings, result = crm
    raw = _raw_rows(shared_data / "crm_maven" / "sales_pipeline.csv")
    _accounted(result)
    assert result.counts["deals"]["input"] == len(raw) == 8_800
    prospecting = [i + 1 for i, r in enumerate(raw) if not r["engage_date"]]
    assert len(prospecting) == 500
    rejects = pd.read_parquet(result.rejects_paths["deals"])
    assert rejects["_row"].tolist() == prospecting
    assert set(rejects["deal_stage"]) == {"Prospecting"} and set(rejects["_reason"]) == {
        "created_at is missing"
    }
    assert result.counts["accounts"] == {"input": 85, "processed": 85, "rejected": 0, "rows": 85}


def test_crm_deals_match_the_raw_file(crm, shared_data):
    settings, _ = crm
    raw = _raw_rows(shared_data / "crm_maven" / "sales_pipeline.csv")
    deals = pd.read_parquet(settings.paths.processed / "deals.parquet").set_index("deal_id")
    fmt = "%Y-%m-%d"
    engaged = [r for r in raw if r["engage_date"]]
    for row in [engaged[0], engaged[-1], *(engaged[i] for i in _low_day_rows(engaged, "engage_date", fmt))]:
        deal = deals.loc[row["opportunity_id"]]
        assert deal["created_at"] == pd.Timestamp(dt.datetime.strptime(row["engage_date"], fmt))
        if row["close_date"]:
            assert deal["closed_at"] == pd.Timestamp(dt.datetime.strptime(row["close_date"], fmt))
        assert deal["stage"] == row["deal_stage"]
    outcomes = deals["outcome"].value_counts().to_dict()
    expected = {
        "won": sum(r["deal_stage"] == "Won" for r in raw),
        "lost": sum(r["deal_stage"] == "Lost" for r in raw),
        "open": sum(r["deal_stage"] == "Engaging" for r in raw),
    }
    assert outcomes == expected
    catalogue = {r["product"] for r in _raw_rows(shared_data / "crm_maven" / "products.csv")}
    assert set(deals["product"]) <= catalogue and "GTX Pro" in set(deals["product"])
    assert deals["product_series"].notna().all()
    no_account = sum(1 for r in engaged if not r["account"])
    assert deals["account_id"].isna().sum() == no_account


def test_crm_accounts_get_a_segment_and_join_the_deals(crm):
    settings, _ = crm
    accounts = pd.read_parquet(settings.paths.processed / "accounts.parquet")
    deals = pd.read_parquet(settings.paths.processed / "deals.parquet")
    assert set(accounts["segment"]) == set(SEGMENTS)
    assert (accounts["arr"] >= 0).all() and accounts["account_id"].is_unique
    assert set(deals["account_id"].dropna()) <= set(accounts["account_id"])
    assert "technology" in set(accounts["sector"]) and "technolgy" not in set(accounts["sector"])
