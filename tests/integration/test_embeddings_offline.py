"""Embedding models load and run with the network cut off: nothing reaches the hub at run time."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from workbench.core.config import Paths
from workbench.themes.embeddings import l2_normalise, load_backend, model_id

pytestmark = pytest.mark.slow

TEXTS = ["The CSV import times out on big files.", "Support was quick and friendly.", "SSO with Okta fails"]


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails loudly (and is recorded)."""
    attempts: list[object] = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError(f"network access attempted in an offline test: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.mark.parametrize("spec", ["default", "model2vec:distill"])
def test_models_load_and_embed_offline(spec, no_network, tmp_path):
    # The static model is distilled from the default one once and kept in the cache folder
    # ($WORKBENCH_CACHE_DIR in tests), so only the first session pays for the distillation.
    backend = load_backend(spec, cache_dir=Paths(tmp_path).cache)
    vectors = l2_normalise(backend.encode(TEXTS))

    assert no_network == []
    assert vectors.shape[0] == 3 and np.isfinite(vectors).all()
    sims = vectors @ vectors.T
    assert sims[0, 1] < 0.9  # different meanings stay apart
    assert backend.model_id == model_id(spec, "auto")
