"""The saved theme model: what assigning a chunk of documents needs, and nothing else.

Layout of ``<models>/themes/<quarter>/``::

    bertopic/        the BERTopic model, safetensors serialization (topic embeddings, c-TF-IDF,
                     topic representations and labels)
    state.json       topic -> theme id, the similarity floor, the embedding model id, labels
    memory.npy       one unit vector per theme id (mean of its documents' embeddings); the next
                     quarter's fit matches its clusters against these, so ids persist
    centroids.npy    every topic's centroid: BERTopic's topics, then one per language group
                     (non-English feedback, :mod:`workbench.themes.language`)

Why a model per quarter: the fit for quarter Q reads the memory of the latest quarter before Q,
never its own, so rerunning Q gives identical results however often it is run.

Assignment of a chunk reads only this folder (:meth:`ThemeModel.load`) and the chunk's
embeddings, so chunks can be assigned in any order, in any process, on any machine.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.core.errors import ModelError
from workbench.core.store import atomic
from workbench.themes.cluster import UNASSIGNED, assign
from workbench.themes.embeddings import vector_space

logger = logging.getLogger(__name__)

STATE_FILE = "state.json"
MEMORY_FILE = "memory.npy"
CENTROIDS_FILE = "centroids.npy"
BERTOPIC_DIR = "bertopic"
TOPIC_EMBEDDINGS = "topic_embeddings.safetensors"
FORMAT_VERSION = 1


@dataclass
class ThemeModel:
    """Cluster centroids with their theme ids, and the floor below which a document stays unassigned.

    Attributes:
        centroids: one unit vector per topic (BERTopic topic embeddings, topic order).
        topic_theme: the theme id of each topic.
        floor: cosine similarity below which a document is left unassigned.
        model_id: the embedding model the centroids live in (a chunk must be embedded with it).
        quarter: the report quarter the model was fitted for.
        window: the quarters it was fitted on.
        labels: label of every theme id the model can assign (candidates included).
        memory_ids / memory: per-theme mean embedding, carried to the next quarter's fit.
        mask_terms: names masked in the modelling text (brand, competitors, detected names); a
            chunk is prepared with the same terms before it is embedded.
        languages: language code -> topic index of its language group; a chunk's documents
            detected in that language go to that topic.
    """

    centroids: np.ndarray
    topic_theme: list[str]
    floor: float
    model_id: str
    quarter: str
    window: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    memory_ids: list[str] = field(default_factory=list)
    memory: np.ndarray | None = None
    mask_terms: list[str] = field(default_factory=list)
    languages: dict[str, int] = field(default_factory=dict)

    def assign(
        self, embeddings: np.ndarray, languages: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Theme id per row (None when unassigned) and the cosine similarity to its topic centroid.

        ``languages`` (a code per row, from :func:`workbench.themes.language.detect`) sends rows in a
        language that has its own group to that group; other rows go to the nearest English topic.
        """
        english = [t for t in range(len(self.centroids)) if t not in set(self.languages.values())]
        topics = np.full(len(embeddings), UNASSIGNED)
        similarity = np.zeros(len(embeddings))
        if english and len(embeddings):
            part, sims = assign(embeddings, self.centroids[english], self.floor)
            topics = np.where(part == UNASSIGNED, UNASSIGNED, np.asarray(english)[np.maximum(part, 0)])
            similarity = sims
        if languages is not None and self.languages:
            for code, topic in self.languages.items():
                rows = np.asarray(languages) == code
                topics[rows] = topic
                similarity[rows] = embeddings[rows] @ self.centroids[topic]
        themes = np.asarray(self.topic_theme, dtype=object)
        ids = np.where(topics == UNASSIGNED, None, themes[np.maximum(topics, 0)])
        return ids.astype(object), similarity.astype(np.float64)

    # ------------------------------------------------------------------ persistence

    def save(self, folder: Path, topic_model=None, embedding_model_ref: str | None = None) -> Path:
        """Write the model folder atomically (a temporary folder renamed over the old one).

        Args:
            folder: ``<models>/themes/<quarter>``.
            topic_model: the fitted BERTopic model, saved with safetensors serialization. Without one
                (unit tests), the centroids are written in the same safetensors layout.
            embedding_model_ref: what BERTopic records as its embedding model (a local path).
        """

        def write(tmp: Path) -> None:
            tmp.mkdir()
            if topic_model is not None:
                topic_model.save(
                    tmp / BERTOPIC_DIR,
                    serialization="safetensors",
                    save_ctfidf=True,
                    save_embedding_model=embedding_model_ref or False,
                )
            else:
                from safetensors.numpy import save_file

                (tmp / BERTOPIC_DIR).mkdir()
                save_file(
                    {"topic_embeddings": np.asarray(self.centroids, dtype=np.float32)},
                    str(tmp / BERTOPIC_DIR / TOPIC_EMBEDDINGS),
                )
            state = {
                "format_version": FORMAT_VERSION,
                "quarter": self.quarter,
                "window": self.window,
                "model_id": self.model_id,
                "floor": self.floor,
                "topic_theme": self.topic_theme,
                "labels": dict(sorted(self.labels.items())),
                "memory_ids": self.memory_ids,
                "mask_terms": sorted(self.mask_terms),
                "languages": dict(sorted(self.languages.items())),
            }
            (tmp / STATE_FILE).write_text(
                json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
            memory = self.memory if self.memory is not None else np.zeros((0, self.centroids.shape[1]))
            np.save(tmp / MEMORY_FILE, np.asarray(memory, dtype=np.float32))
            np.save(tmp / CENTROIDS_FILE, np.asarray(self.centroids, dtype=np.float32))

        return atomic(folder, write)  # the old model stays whole until the new one is complete

    @classmethod
    def load(cls, folder: Path) -> ThemeModel:
        """Read a model folder written by :meth:`save` (BERTopic's topic embeddings via safetensors)."""
        from safetensors.numpy import load_file

        state_file = folder / STATE_FILE
        if not state_file.is_file():
            raise ModelError(f"no theme model at {folder}; run `workbench themes` first")
        try:
            state = json.loads(state_file.read_text(encoding="utf-8"))
            centroids = load_file(str(folder / BERTOPIC_DIR / TOPIC_EMBEDDINGS))["topic_embeddings"]
            memory = np.load(folder / MEMORY_FILE)
            if (folder / CENTROIDS_FILE).is_file():  # includes the language groups' centroids
                centroids = np.load(folder / CENTROIDS_FILE)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(
                f"theme model at {folder} is unreadable ({type(exc).__name__}); refit it"
            ) from exc
        if state.get("format_version") != FORMAT_VERSION:
            raise ModelError(f"theme model at {folder} has an old format; refit it with `workbench themes`")
        return cls(
            centroids=np.asarray(centroids, dtype=np.float32),
            topic_theme=list(state["topic_theme"]),
            floor=float(state["floor"]),
            model_id=state["model_id"],
            quarter=state["quarter"],
            window=list(state["window"]),
            labels=dict(state["labels"]),
            memory_ids=list(state["memory_ids"]),
            memory=memory,
            mask_terms=list(state.get("mask_terms", [])),
            languages={str(k): int(v) for k, v in state.get("languages", {}).items()},
        )


def models_root(models_dir: Path) -> Path:
    return models_dir / "themes"


def model_dir(models_dir: Path, quarter: str) -> Path:
    """Folder of the model fitted for ``quarter``."""
    return models_root(models_dir) / quarter


def prior_model(models_dir: Path, quarter: str | None, model_id: str) -> ThemeModel | None:
    """The model of the latest quarter before ``quarter`` (None: of any quarter) that used the same
    embedding model, if any.

    Its memory carries theme identities (registered and candidate) into the new fit. A model built
    with another embedding model lives in another vector space, so it is ignored; runtimes that give
    the same vectors (torch fp32, ONNX fp32, CUDA fp16 of one model: ``embeddings.vector_space``) count
    as one, so switching runtime keeps the identities.
    """
    root = models_root(models_dir)
    if not root.is_dir():
        return None
    earlier = sorted(
        (
            p
            for p in root.iterdir()
            if p.is_dir()
            and not p.name.startswith(".")
            and (quarter is None or p.name < quarter)
            and (p / STATE_FILE).is_file()
        ),
        key=lambda p: p.name,
    )
    for folder in reversed(earlier):
        try:
            model = ThemeModel.load(folder)
        except ModelError as exc:
            logger.warning("ignoring unreadable earlier model: %s", exc)
            continue
        if vector_space(model.model_id) == vector_space(model_id):
            return model
    return None
