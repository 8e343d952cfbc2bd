"""Similar-feedback search on a hand-built corpus with a bag-of-words backend (no model)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.themes import search as s
from workbench.themes.embeddings import Embedder

REPO = Path(__file__).resolve().parents[3]
VOCAB = ["export", "excel", "broken", "login", "sso", "slow", "mobile", "price"]


class WordsBackend:
    """Unit vectors of word counts over VOCAB: similarity = shared words, so the answer is known."""

    model_id = "words-test"

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = np.array([[t.lower().count(w) for w in VOCAB] for t in texts], dtype=np.float32) + 1e-3
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


FEEDBACK = pd.DataFrame(
    {
        "feedback_id": ["f1", "f2", "f3", "f4", "f5"],
        "text": [
            "Export to excel is broken again",
            "SSO login fails, call me on +44 20 7946 0958",
            "Mobile app is slow",
            "excel export broken for Enterprise users",
            "   ",
        ],
        "channel": ["support_ticket", "nps", "app_review", "support_ticket", "nps"],
        "created_at": pd.to_datetime(["2026-07-02", "2026-07-03", "2026-04-01", "2026-08-09", "2026-08-09"]),
        "quarter": ["2026Q3", "2026Q3", "2026Q2", "2026Q3", "2026Q3"],
        "account_id": ["A1", "A2", None, "A3", "A1"],
    }
)
ASSIGNMENTS = pd.DataFrame(
    {
        "table": "feedback",
        "record_id": ["f1", "f2", "f3", "f4"],
        "theme_id": ["export", "sso", "mobile", "export"],
        "sentiment": [-0.8, -0.5, -0.4, -0.7],
    }
)
THEMES = pd.DataFrame({"theme_id": ["export", "sso", "mobile"], "label": ["Export", "SSO", "Mobile"]})
ACCOUNTS = pd.DataFrame(
    {
        "account_id": ["A1", "A2", "A3"],
        "name": ["Acme", "Beta", "Gamma"],
        "segment": ["SMB", "Enterprise", "Enterprise"],
        "arr": [1000.0, 50000.0, 90000.0],
    }
)


def _index() -> s.SearchIndex:
    items = s.search_items(FEEDBACK, ASSIGNMENTS, THEMES, ACCOUNTS)
    embedder = Embedder(backend=WordsBackend(), cache_dir=None)
    raw = FEEDBACK.set_index("feedback_id")["text"]
    return s.SearchIndex(items, embedder.embed(raw.loc[items["feedback_id"]].tolist()), embedder)


def test_items_join_theme_account_and_redact_text():
    items = s.search_items(FEEDBACK, ASSIGNMENTS, THEMES, ACCOUNTS).set_index("feedback_id")
    assert "f5" not in items.index  # blank text is not searchable
    assert items.loc["f4", "theme"] == "Export" and items.loc["f4", "arr"] == 90000.0
    assert "7946" not in items.loc["f2", "text"]
    assert pd.isna(items.loc["f3", "segment"])


def test_query_ranks_by_similarity_and_applies_filters():
    index = _index()
    top = index.query("export to excel is broken", k=2)
    assert list(top["feedback_id"]) == ["f1", "f4"] or list(top["feedback_id"]) == ["f4", "f1"]
    assert top["similarity"].is_monotonic_decreasing
    assert list(top.columns) == s.RESULT_COLUMNS
    ent = index.query("export to excel is broken", quarter="2026Q3", segment="enterprise", k=20)
    assert set(ent["feedback_id"]) == {"f2", "f4"}
    assert ent.iloc[0]["feedback_id"] == "f4"
    assert index.query("mobile", quarter="2026Q1").empty


def test_empty_query_is_a_user_error():
    with pytest.raises(s.SearchError):
        _index().query("  ")


def test_top_k_matches_a_full_sort_and_respects_mask():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(2000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    q = vectors[7]
    idx, scores = s.top_k(vectors, q, 10)
    expected = np.argsort(-(vectors @ q), kind="stable")[:10]
    assert idx.tolist() == expected.tolist()
    assert idx[0] == 7 and scores[0] == pytest.approx(1.0)
    mask = np.zeros(2000, dtype=bool)
    mask[[3, 9, 11]] = True
    idx, _ = s.top_k(vectors, q, 10, mask)
    assert sorted(idx.tolist()) == [3, 9, 11]
    half, _ = s.top_k(vectors.astype(np.float16), q, 10)
    assert half[0] == 7


def test_search_on_a_project_reuses_the_index(tmp_path, monkeypatch):
    from workbench.core.config import load_settings
    from workbench.core.store import themes_path, write_atomic

    shutil.copytree(REPO / "config", tmp_path / "config")
    settings = load_settings(root=tmp_path)
    settings.paths.processed.mkdir(parents=True, exist_ok=True)
    write_atomic(FEEDBACK, settings.paths.processed / "feedback.parquet")
    write_atomic(ACCOUNTS, settings.paths.processed / "accounts.parquet")
    write_atomic(ASSIGNMENTS, themes_path(settings, "assignments"))
    write_atomic(THEMES, themes_path(settings, "themes"))
    monkeypatch.setattr(s, "embedder_for", lambda _settings: Embedder(backend=WordsBackend(), cache_dir=None))
    out = s.search(settings, "sso login", k=1)
    assert out.iloc[0]["feedback_id"] == "f2" and out.iloc[0]["account"] == "Beta"
    assert s.build_index(settings) is s.build_index(settings)


def test_index_and_query_embed_the_engines_modelling_text(tmp_path, monkeypatch):
    """The engine cached the masked texts' vectors: the index reads those, and masks the query alike."""
    from types import SimpleNamespace

    from workbench.core.config import load_settings
    from workbench.core.store import themes_path, write_atomic
    from workbench.themes.prep import prep_texts

    seen: list[str] = []

    class Recording(WordsBackend):
        def encode(self, texts: list[str]) -> np.ndarray:
            seen.extend(texts)
            return super().encode(texts)

    shutil.copytree(REPO / "config", tmp_path / "config")
    settings = load_settings(root=tmp_path)
    settings.paths.processed.mkdir(parents=True, exist_ok=True)
    write_atomic(FEEDBACK, settings.paths.processed / "feedback.parquet")
    write_atomic(ASSIGNMENTS, themes_path(settings, "assignments"))
    monkeypatch.setattr(s, "embedder_for", lambda _settings: Embedder(backend=Recording(), cache_dir=None))
    monkeypatch.setattr(
        s, "prior_model", lambda _models, _quarter, _mid: SimpleNamespace(mask_terms=["Enterprise"])
    )
    out = s.search(settings, "Enterprise excel export", k=1)
    assert out.iloc[0]["feedback_id"] in {"f1", "f4"}
    original = "excel export broken for Enterprise users"
    assert prep_texts([original], ["Enterprise"])[0] in seen and original not in seen
    assert prep_texts(["Enterprise excel export"], ["Enterprise"])[0] in seen
