"""The embedding cache and backend selection, with a fake backend (no model is loaded here)."""

from __future__ import annotations

import hashlib
import sys

import numpy as np
import pytest

from workbench.themes import embeddings as emb
from workbench.themes.embeddings import Embedder, EmbeddingCache, EmbeddingError, text_keys


class CountingBackend:
    """Deterministic 8-d vectors from the text's hash; records every text it was asked to embed."""

    model_id = "fake-8d"

    def __init__(self):
        self.seen: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[:32], dtype=np.uint8)[:8] for t in texts]
        return np.asarray(rows, dtype=np.float32) + 1.0


def test_second_call_embeds_nothing_new(tmp_path):
    backend = CountingBackend()
    embedder = Embedder(backend=backend, cache_dir=tmp_path)
    texts = ["billing is wrong", "export to csv", "billing is wrong", "sso please"]

    first = embedder.embed(texts)
    assert embedder.stats.computed == 3  # the duplicate is embedded once
    second = embedder.embed(texts)
    assert embedder.stats.computed == 0
    np.testing.assert_array_equal(first, second)
    assert first.dtype == np.float32 and first.shape == (4, 8)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(first[0], first[2])


def test_cache_survives_a_new_process_and_embeds_only_unseen_texts(tmp_path):
    Embedder(backend=CountingBackend(), cache_dir=tmp_path).embed(["a", "b", "c"])
    backend = CountingBackend()
    fresh = Embedder(backend=backend, cache_dir=tmp_path)  # a new run: only the disk is shared

    out = fresh.embed(["c", "d", "a", "e"])

    assert sorted(backend.seen) == ["d", "e"]
    assert fresh.stats.requested == 4 and fresh.stats.computed == 2
    reference = Embedder(backend=CountingBackend(), cache_dir=None).embed(["c", "d", "a", "e"])
    np.testing.assert_allclose(out, reference)


def test_shards_are_bounded_and_keyed_by_sha256(tmp_path):
    embedder = Embedder(backend=CountingBackend(), cache_dir=tmp_path, shard_size=2)
    embedder.embed(["t1", "t2", "t3", "t4", "t5"])
    folder = tmp_path / "embeddings" / "fake-8d"
    keys = sorted(folder.glob("*.keys.npy"))
    assert len(keys) == 3
    stored = np.concatenate([np.load(k) for k in keys])
    assert sorted(stored.tolist()) == sorted(
        hashlib.sha256(t.encode()).digest() for t in ["t1", "t2", "t3", "t4", "t5"]
    )
    assert len(EmbeddingCache(folder)) == 5


def test_a_shard_without_its_keys_file_is_ignored(tmp_path):
    """An interrupted write leaves an orphan .npy; it must not be read as a complete shard."""
    folder = tmp_path / "embeddings" / "fake-8d"
    folder.mkdir(parents=True)
    np.save(folder / "orphan.npy", np.ones((2, 8), dtype=np.float32))
    backend = CountingBackend()
    Embedder(backend=backend, cache_dir=tmp_path).embed(["x"])
    assert backend.seen == ["x"]


def test_models_never_share_vectors(tmp_path):
    class Other(CountingBackend):
        model_id = "fake-other"

    Embedder(backend=CountingBackend(), cache_dir=tmp_path).embed(["same text"])
    other = Other()
    Embedder(backend=other, cache_dir=tmp_path).embed(["same text"])
    assert other.seen == ["same text"]


def test_empty_request_returns_an_empty_matrix(tmp_path):
    out = Embedder(backend=CountingBackend(), cache_dir=tmp_path).embed([])
    assert out.shape[0] == 0


def test_text_keys_are_sha256_digests():
    keys = text_keys(["héllo"])
    assert keys[0] == hashlib.sha256("héllo".encode()).digest()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("default", "st-all-MiniLM-L6-v2"),
        ("", "st-all-MiniLM-L6-v2"),
        ("model2vec:distill", "m2v-distill-all-MiniLM-L6-v2-pca256"),
        ("sentence-transformers/all-mpnet-base-v2", "st-sentence-transformers-all-mpnet-base-v2"),
        ("model2vec:minishlab/potion-base-8M", "m2v-minishlab-potion-base-8M"),
    ],
)
def test_model_ids_are_filesystem_safe(spec, expected):
    assert emb.model_id(spec) == expected


def test_a_local_model_path_is_keyed_by_its_location(tmp_path):
    folder = tmp_path / "my model"
    folder.mkdir()
    mid = emb.model_id(str(folder))
    assert mid.startswith("st-my-model-") and "/" not in mid


def test_missing_optional_dependency_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "model2vec", None)  # makes `import model2vec` raise ImportError
    with pytest.raises(EmbeddingError, match=r"pip install 'model2vec\[distill\]==0.10.0'"):
        emb.load_backend("model2vec:/nonexistent/model", cache_dir=None)


def test_empty_model2vec_spec_is_a_user_error():
    with pytest.raises(EmbeddingError, match="model2vec:distill"):
        emb.load_backend("model2vec:", cache_dir=None)
