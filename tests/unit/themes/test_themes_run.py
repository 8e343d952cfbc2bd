"""The theme engine end to end on a tiny hand-built project, with a bag-of-words fake embedder.

Three planted themes with disjoint vocabularies; the registry knows two of them, so the third
must come out as an emerging candidate with a readable label. Runs take a few seconds (BERTopic
is real; only the embedding model is fake).
"""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pandas as pd
import pytest

from workbench.core.config import load_settings
from workbench.core.schemas import ASSIGNMENT_COLUMNS, THEME_COLUMNS
from workbench.core.store import load_output, themes_path
from workbench.themes import engine as themes
from workbench.themes.embeddings import Embedder, l2_normalise
from workbench.themes.model import ThemeModel, model_dir

WORDS = {
    "billing": ["invoice", "charged", "refund", "billing", "overcharged", "receipt", "payment"],
    "sso": ["sso", "okta", "saml", "login", "provisioning", "password", "signin"],
    "export": ["export", "csv", "download", "spreadsheet", "columns", "excel", "file"],
}
FILLER = ["the", "we", "our", "team", "today", "really", "again", "with", "is", "and"]
REGISTRY = """\
version: 1
themes:
- id: billing
  label: Billing problems
  kind: blocker
  seed_phrases: [invoice charged refund, billing payment receipt]
- id: sso
  label: Single sign-on
  kind: blocker
  seed_phrases: [sso okta saml login, provisioning password signin]
"""
QUARTERS = {"2026Q1": "2026-02-01", "2026Q2": "2026-05-01"}


class BagOfWords:
    """Sum of fixed random vectors per lower-case word: texts sharing words end up close."""

    model_id = "fake-bow"

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 48))
        for i, text in enumerate(texts):
            for word in text.lower().replace(",", " ").split():
                seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
                weight = 0.3 if word in FILLER else 1.0
                out[i] += weight * np.random.default_rng(seed).normal(size=48)
        return l2_normalise(out)


def corpus() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(11)
    rows = []
    for quarter, day in QUARTERS.items():
        for theme, words in WORDS.items():
            for i in range(24):
                text = " ".join(rng.choice(words, 4, replace=False).tolist() + rng.choice(FILLER, 3).tolist())
                rows.append(
                    {
                        "theme": theme,
                        "quarter": quarter,
                        "created_at": pd.Timestamp(day) + pd.Timedelta(hours=i),
                        "text": text,
                        "channel": ["support_ticket", "nps"][i % 2],
                        "account_id": f"A{i % 6}",
                        "rating": float(1 + i % 5),
                    }
                )
    fb = pd.DataFrame(rows)
    fb.insert(0, "feedback_id", [f"f{i:03d}" for i in range(len(fb))])
    fb.loc[0, "text"] = "   "  # blank: stays unassigned
    deals = pd.DataFrame(
        {
            "deal_id": ["D1", "D2", "D3"],
            "account_id": ["A1", "A2", None],
            "notes": ["lost on sso okta saml login provisioning", None, "invoice refund charged billing"],
            "quarter": ["2026Q2"] * 3,
            "outcome": ["lost", "won", "open"],
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(6)],
            "segment": ["SMB", "SMB", "Mid-Market", "Enterprise", "Enterprise", "SMB"],
            "arr": [1e3, 2e3, 5e3, 5e4, 8e4, 1e3],
        }
    )
    return fb, deals, accounts


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("themes_project")
    (root / "config").mkdir()
    (root / "config" / "workbench.yaml").write_text(
        "themes:\n  registry: config/themes.yaml\n  embedding_model: fake\n  sample_size: 100\n"
        "  chunk_size: 100\n  n_clusters: 3\n  min_volume: 5\n"
    )
    (root / "config" / "themes.yaml").write_text(REGISTRY)
    processed = root / "data" / "processed"
    processed.mkdir(parents=True)
    fb, deals, accounts = corpus()
    fb.drop(columns=["theme"]).to_parquet(processed / "feedback.parquet")
    deals.to_parquet(processed / "deals.parquet")
    accounts.to_parquet(processed / "accounts.parquet")
    return root, fb


@pytest.fixture(scope="module")
def fake_embedder():
    mp = pytest.MonkeyPatch()
    mp.setattr(
        themes, "embedder_for", lambda s: Embedder("fake", cache_dir=s.root / ".cache", backend=BagOfWords())
    )
    yield
    mp.undo()


def run(root, quarter="2026Q2"):
    return themes.run(load_settings(root=root), quarter=quarter)


@pytest.fixture(scope="module")
def first_run(project, fake_embedder):
    root, _ = project
    return run(root)


def test_every_output_is_written_with_the_contract_columns(project, first_run):
    root, fb = project
    settings = load_settings(root=root)
    for name in themes.OUTPUTS:
        assert themes_path(settings, name).is_file(), name
    assignments = load_output("assignments", settings)
    assert list(assignments.columns) == list(ASSIGNMENT_COLUMNS)
    assert list(load_output("themes", settings).columns) == list(THEME_COLUMNS)
    # every feedback item and every deal note (not the deal without notes), exactly once
    assert len(assignments) == len(fb) + 2
    assert assignments["doc_id"].is_unique
    assert set(assignments.loc[assignments["table"] == "deals", "record_id"]) == {"D1", "D3"}
    assert assignments["intent"].isin(["goal", "blocker", "value", "request", "other"]).all()
    # sentiment for every text (VADER here: the fake embedder is not the head's model), none for blank text
    blank = assignments["record_id"].isin(fb.loc[fb["text"].str.strip() == "", "feedback_id"])
    assert assignments.loc[~blank, "sentiment"].between(-1, 1).all()
    assert assignments.loc[~blank, "sentiment_label"].isin(["negative", "neutral", "positive"]).all()
    assert assignments.loc[blank, "sentiment"].isna().all() and blank.any()


def test_registered_themes_are_recovered_and_the_unknown_one_is_an_emerging_candidate(project, first_run):
    root, fb = project
    settings = load_settings(root=root)
    a = load_output("assignments", settings)
    fb_a = a[a["table"] == "feedback"].set_index("record_id").loc[fb["feedback_id"]]
    truth = fb["theme"].to_numpy()
    got = fb_a["theme_id"].to_numpy()
    assert (got[truth == "billing"] == "billing").mean() > 0.95
    assert (got[truth == "sso"] == "sso").mean() > 0.95
    export_ids = pd.Series(got[truth == "export"]).dropna()
    assert export_ids.nunique() == 1 and export_ids.iloc[0].startswith("new-")
    assert pd.isna(got[0])  # the blank text
    deals = a[a["table"] == "deals"].set_index("record_id")["theme_id"]
    assert deals["D1"] == "sso" and deals["D3"] == "billing"

    table = load_output("themes", settings).set_index("theme_id")
    assert (
        table.loc["billing", "label"] == "Billing problems" and table.loc["billing", "status"] == "registered"
    )
    candidate = table.loc[export_ids.iloc[0]]
    assert candidate["status"] == "emerging" and candidate["kind"] == "unknown"
    words = set(WORDS["export"])
    assert set(candidate["label"].lower().split()) <= words and "," not in candidate["label"]
    assert table["n_docs"].sum() == a["theme_id"].notna().sum()  # the window holds every quarter here
    assert first_run.unassigned_share <= 0.10
    assert "2026Q2" in first_run.summary()


def test_metrics_splits_and_quotes_come_from_the_assignments(project, first_run):
    root, _ = project
    settings = load_settings(root=root)
    metrics = load_output("metrics", settings)
    assert set(metrics["quarter"]) == {"2026Q1", "2026Q2"}
    assert {"billing", "sso"} <= set(metrics["theme_id"])
    quotes = load_output("quotes", settings)
    assert set(quotes["theme_id"]) == set(load_output("themes", settings)["theme_id"])
    assert quotes.groupby("theme_id").size().max() <= settings.themes.quotes_per_theme
    assert set(load_output("splits_segment", settings)["segment"]) <= {
        "SMB",
        "Mid-Market",
        "Enterprise",
        "Unknown",
    }


def test_saved_model_is_bertopic_safetensors_and_assigns_like_the_fitted_one(project, first_run, monkeypatch):
    """Save -> load must not change a single assignment: the fitted model in memory is the oracle.

    (Comparing a loaded model with the published assignments would compare the loader with itself:
    the engine also assigns with the model it just saved and loaded.)
    """
    root, fb = project
    settings = load_settings(root=root)
    fitted: list[ThemeModel] = []
    real_save = ThemeModel.save

    def keep(self, *args, **kwargs):
        fitted.append(self)
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(ThemeModel, "save", keep)
    run(root)
    folder = model_dir(settings.paths.models, "2026Q2")
    assert (folder / "bertopic" / "topic_embeddings.safetensors").is_file()
    assert (folder / "bertopic" / "ctfidf.safetensors").is_file()
    loaded = ThemeModel.load(folder)
    vectors = BagOfWords().encode(fb["text"].tolist()[1:])
    want_ids, want_sims = fitted[-1].assign(vectors)
    got_ids, got_sims = loaded.assign(vectors)
    assert [None if pd.isna(i) else i for i in got_ids] == [None if pd.isna(i) else i for i in want_ids]
    np.testing.assert_allclose(got_sims, want_sims, rtol=0, atol=1e-6)
    assert pd.notna(got_ids).sum() > len(vectors) // 2  # a real model, not everything unassigned
    assert (loaded.floor, loaded.topic_theme, loaded.window) == (
        fitted[-1].floor,
        fitted[-1].topic_theme,
        fitted[-1].window,
    )


def test_same_inputs_give_identical_files(project, first_run):
    root, _ = project
    settings = load_settings(root=root)

    def digests():
        return {n: hashlib.sha256(themes_path(settings, n).read_bytes()).hexdigest() for n in themes.OUTPUTS}

    before = digests()
    shutil.rmtree(root / ".cache")  # the project's own cache: a cold cache must not change anything
    run(root)
    assert digests() == before


def test_ids_persist_into_the_next_quarter_and_rerunning_an_earlier_quarter_is_stable(project, first_run):
    root, _ = project
    settings = load_settings(root=root)

    def candidates():
        table = load_output("themes", settings)
        return table.loc[table["status"] == "emerging", ["theme_id", "label"]].to_dict("records")

    run(root, "2026Q1")
    q1 = candidates()
    run(root, "2026Q2")  # the Q2 fit now reads Q1's memory: the candidate keeps its id and label
    assert candidates() == q1
    run(root, "2026Q1")  # an earlier quarter never reads a later model
    assert candidates() == q1


def test_a_window_without_text_is_a_one_line_user_error(project, fake_embedder):
    from workbench.core.errors import WorkbenchError

    root, _ = project
    with pytest.raises(WorkbenchError, match=r"only 0 document\(s\) with text in 2019Q2..2020Q1"):
        run(root, "2020Q1")
