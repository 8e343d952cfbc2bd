"""Runtime choice (torch / ONNX fp32 / OpenVINO / ONNX int8 / CUDA fp16) and cache keys per runtime;
no model loads."""

from __future__ import annotations

import pytest

from workbench.themes import embeddings as emb
from workbench.themes.embeddings import Embedder, EmbeddingError


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(emb, "cuda_available", lambda: False)


@pytest.fixture
def gpu(monkeypatch):
    monkeypatch.setattr(emb, "cuda_available", lambda: True)


def test_auto_runs_the_measured_cpu_default_for_the_default_model(no_gpu):
    assert emb.resolve_backend("default", "auto") == emb.DEFAULT_CPU_BACKEND
    assert emb.resolve_backend("sentence-transformers/all-mpnet-base-v2", "auto") == "torch"
    assert emb.resolve_backend("model2vec:distill", "auto") == "static"


def test_a_visible_gpu_is_used_without_any_config_change(gpu):
    assert emb.resolve_backend("default", "auto") == "cuda-fp16"
    assert emb.resolve_backend("default", "torch") == "cuda-fp16"
    assert emb.resolve_backend("default", "onnx") == "onnx"  # asked for explicitly: kept
    assert emb.resolve_backend("model2vec:distill", "auto") == "static"


def test_each_runtime_has_its_own_cache_folder(no_gpu, tmp_path):
    ids = {
        runtime: Embedder("default", cache_dir=tmp_path, runtime=runtime).model_id
        for runtime in ("torch", "onnx", "openvino", "onnx-int8")
    }
    assert ids == {
        "torch": "st-all-MiniLM-L6-v2",  # unchanged, so caches written before runtimes stay valid
        "onnx": "onnx-fp32-all-MiniLM-L6-v2",
        "openvino": f"ov-{emb.openvino_precision()}-all-MiniLM-L6-v2",  # bf16 and fp32 cached apart
        "onnx-int8": "onnx-int8-all-MiniLM-L6-v2",
    }
    folders = {Embedder("default", cache_dir=tmp_path, runtime=r).cache.folder for r in ids}
    assert len(folders) == 4
    assert emb.model_id("default", "cuda-fp16") == "st-all-MiniLM-L6-v2-cuda-fp16"


def test_equivalent_runtimes_share_a_vector_space_but_int8_does_not():
    assert emb.vector_space("onnx-fp32-all-MiniLM-L6-v2") == "st-all-MiniLM-L6-v2"
    assert emb.vector_space("st-all-MiniLM-L6-v2-cuda-fp16") == "st-all-MiniLM-L6-v2"
    assert emb.vector_space("ov-bf16-all-MiniLM-L6-v2") == "st-all-MiniLM-L6-v2"
    assert emb.vector_space("ov-fp32-all-MiniLM-L6-v2") == "st-all-MiniLM-L6-v2"
    assert emb.vector_space("onnx-int8-all-MiniLM-L6-v2") != "st-all-MiniLM-L6-v2"
    assert emb.vector_space("m2v-distill-all-MiniLM-L6-v2-pca256") == "m2v-distill-all-MiniLM-L6-v2-pca256"


def test_onnx_for_another_model_is_a_user_error(no_gpu):
    with pytest.raises(EmbeddingError, match="default model only"):
        emb.resolve_backend("sentence-transformers/all-mpnet-base-v2", "onnx-int8")
    with pytest.raises(EmbeddingError, match="default model only"):
        emb.resolve_backend("sentence-transformers/all-mpnet-base-v2", "openvino")
    with pytest.raises(EmbeddingError, match="unknown embedding_backend"):
        emb.resolve_backend("default", "tensorrt")


def test_settings_choose_the_runtime(no_gpu, tmp_path):
    from workbench.core.config import Settings, ThemeSettings

    settings = Settings(root=tmp_path, themes=ThemeSettings(embedding_backend="onnx-int8"))
    assert emb.embedder_for(settings).model_id == "onnx-int8-all-MiniLM-L6-v2"
    assert emb.embedder_for(Settings(root=tmp_path)).runtime == emb.DEFAULT_CPU_BACKEND


def test_switching_to_an_equivalent_runtime_keeps_the_previous_quarter_model(tmp_path):
    import numpy as np

    from workbench.themes.model import ThemeModel, model_dir, prior_model

    saved = ThemeModel(
        centroids=np.eye(2, 4, dtype=np.float32),
        topic_theme=["a", "b"],
        floor=0.2,
        model_id="st-all-MiniLM-L6-v2",
        quarter="2026Q2",
    )
    saved.save(model_dir(tmp_path, "2026Q2"))

    assert prior_model(tmp_path, "2026Q3", "onnx-fp32-all-MiniLM-L6-v2").quarter == "2026Q2"
    assert prior_model(tmp_path, "2026Q3", "st-all-MiniLM-L6-v2-cuda-fp16").quarter == "2026Q2"
    assert prior_model(tmp_path, "2026Q3", "onnx-int8-all-MiniLM-L6-v2") is None
