"""CUDA fp16 embeddings agree with CPU fp32 ones; runs only where a GPU is visible (skipped elsewhere)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from workbench.themes import embeddings as emb

torch = pytest.importorskip("torch")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU visible"),
]

BASE = [
    "The CSV import times out on big files.",
    "Support was quick and friendly.",
    "SSO with Okta fails after the last update",
    "why was I charged twice this month??",
    "Please add a dark mode to the mobile app",
    "The dashboard keeps reloading and I lose my filters",
]


def test_gpu_vectors_match_cpu_and_throughput_is_recorded(tmp_path, record_property):
    assert emb.resolve_backend("default", "auto") == "cuda-fp16"  # no config change needed
    texts = [f"{t} ({i})" for i in range(2000) for t in BASE[:1]] + BASE
    gpu = emb.load_backend("default", tmp_path, "auto")
    cpu = emb.SentenceTransformerBackend(emb.default_model_path(), "cpu-reference", device="cpu")
    assert gpu.model_id == "st-all-MiniLM-L6-v2-cuda-fp16"

    reference = cpu.encode(texts[-200:])
    on_gpu = gpu.encode(texts[-200:])
    cosine = (emb.l2_normalise(on_gpu) * emb.l2_normalise(reference)).sum(axis=1)
    assert cosine.min() >= 0.99

    many = texts * 25  # ~50k texts: enough for large batches to reach their rate
    gpu.encode(many[:2048])
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    gpu.encode(many)
    torch.cuda.synchronize()
    rate = len(many) / (time.perf_counter() - t0)
    record_property("gpu_texts_per_s", round(rate))
    record_property("gpu_min_cosine_to_cpu", float(np.round(cosine.min(), 5)))
    print(f"CUDA fp16: {rate:,.0f} texts/s; min cosine to CPU fp32 {cosine.min():.5f}")
