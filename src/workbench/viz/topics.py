"""BERTopic's own visualisations of the saved theme model, labelled with theme labels.

Analysts who know BERTopic reach for ``visualize_topics`` (the intertopic distance map),
``visualize_documents`` (the document map) and ``visualize_topics_over_time``. They work on the
model the theme engine saves (``data/models/themes/<quarter>/bertopic``), but out of the box they
show "0_export_csv_..." topic names that appear nowhere in the reports. :func:`visualize` loads
the model, sets BERTopic's custom labels to the workbench theme labels, and calls the view with
``custom_labels=True``, so the figure speaks the reports' language.

The figures are plotly (BERTopic's choice), not the house Altair style: they are exploration
tools for analysts, not report charts.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.core.config import Settings
from workbench.core.errors import ModelError, WorkbenchError
from workbench.core.names import match_name
from workbench.core.quarters import Quarter
from workbench.core.store import load_output, load_table

logger = logging.getLogger(__name__)

KINDS = ("topics", "documents", "over_time")
#: The document map draws at most this many points (a random sample, fixed seed): plotly in a
#: notebook slows down past a few thousand, and the map's shape is clear well before that.
MAX_DOCUMENTS = 3000


def _model_folder(settings: Settings, quarter: str | None) -> Path:
    root = settings.paths.models / "themes"
    saved = sorted(p.name for p in root.glob("*") if (p / "state.json").is_file()) if root.is_dir() else []
    if not saved:
        raise ModelError(f"no saved theme model under {root}; run `workbench themes` first")
    if quarter is None:
        return root / saved[-1]
    label = str(Quarter.parse(quarter, settings.fiscal_year_start_month))
    return root / match_name(label, saved, "saved theme model quarter")


def topic_labels(state: dict[str, Any], themes: pd.DataFrame | None) -> dict[int, str]:
    """Topic number -> theme label (the curated label from the themes output when there is one).

    Two topics that fall into one theme get the same label, as they do in the reports.
    """
    labels = dict(state.get("labels") or {})
    if themes is not None and {"theme_id", "label"} <= set(themes.columns):
        labels.update(dict(zip(themes["theme_id"].astype(str), themes["label"].astype(str), strict=False)))
    return {i: labels.get(str(t), str(t)) for i, t in enumerate(state["topic_theme"])}


def load_labelled_model(settings: Settings, quarter: str | None = None):
    """The saved BERTopic model with theme labels as its custom labels, and the model's state.

    Returns:
        ``(topic_model, state)``; ``state`` is the saved ``state.json`` (quarter, window, topic_theme).
    """
    try:
        from bertopic import BERTopic
    except ImportError as exc:  # pragma: no cover - bertopic is a core dependency
        raise WorkbenchError("wb.visualize needs bertopic: pip install bertopic") from exc
    folder = _model_folder(settings, quarter)
    state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    bertopic_dir = folder / "bertopic"
    if not (bertopic_dir / "ctfidf.safetensors").is_file() and not (bertopic_dir / "config.json").is_file():
        raise ModelError(f"{bertopic_dir} holds no full BERTopic model; refit with `workbench themes`")
    # The embedding model is not needed for these views (document positions come from the cached
    # embeddings), so it is not loaded: an empty backend keeps BERTopic from reading the saved ref.
    from bertopic.backend import BaseEmbedder

    topic_model = BERTopic.load(str(bertopic_dir), embedding_model=BaseEmbedder())
    try:
        themes = load_output("themes", settings)
    except WorkbenchError:
        themes = None
    labels = topic_labels(state, themes)
    known = {t: labels[t] for t in topic_model.get_topics() if t in labels}
    topic_model.set_topic_labels(known)
    return topic_model, state


def _documents(settings: Settings, state: dict[str, Any]) -> pd.DataFrame:
    """Feedback of the model's window that the model assigned to a theme, with its topic number."""
    assignments = load_output("assignments", settings)
    window = [str(q) for q in state.get("window") or []]
    rows = assignments[(assignments["table"] == "feedback") & assignments["theme_id"].notna()]
    if window:
        rows = rows[rows["quarter"].astype(str).isin(window)]
    topic_of: dict[str, int] = {}
    for i, theme in enumerate(state["topic_theme"]):
        topic_of.setdefault(str(theme), i)
    feedback = load_table("feedback", settings)[["feedback_id", "text", "created_at"]]
    docs = rows.merge(
        feedback.rename(columns={"feedback_id": "record_id"}), on="record_id", how="inner", validate="1:1"
    )
    docs = docs.assign(topic=docs["theme_id"].astype(str).map(topic_of))
    docs = docs[docs["topic"].notna() & docs["text"].astype(str).str.strip().ne("")]
    return docs.assign(topic=docs["topic"].astype(int)).sort_values("doc_id").reset_index(drop=True)


def visualize(kind: str, settings: Settings, quarter: str | None = None, **kwargs: Any):
    """One of BERTopic's views of the saved model, labelled with theme labels.

    Args:
        kind: ``"topics"``, ``"documents"`` or ``"over_time"`` (any case).
        settings: the project.
        quarter: which saved model (default: the latest).
        **kwargs: passed on to BERTopic's ``visualize_topics`` / ``visualize_documents`` /
            ``visualize_topics_over_time`` (e.g. ``top_n_topics``, ``width``, ``height``).
            ``sample`` (documents only) caps the points drawn (default :data:`MAX_DOCUMENTS`).

    Returns:
        A plotly ``Figure``.
    """
    kind = match_name(kind.replace("-", "_"), KINDS, "visualisation")
    topic_model, state = load_labelled_model(settings, quarter)
    if kind == "topics":
        return topic_model.visualize_topics(custom_labels=True, **kwargs)
    docs = _documents(settings, state)
    if docs.empty:
        raise WorkbenchError("no assigned feedback in the model's window to visualise")
    if kind == "documents":
        limit = int(kwargs.pop("sample", MAX_DOCUMENTS))
        if len(docs) > limit:
            docs = docs.sample(limit, random_state=0).sort_values("doc_id").reset_index(drop=True)
        from sklearn.decomposition import PCA

        from workbench.themes.embeddings import embedder_for

        vectors = np.asarray(embedder_for(settings).embed(docs["text"].astype(str).tolist()))
        reduced = PCA(n_components=2, random_state=0).fit_transform(vectors)
        topic_model.topics_ = docs["topic"].tolist()  # the view reads each document's topic from here
        return topic_model.visualize_documents(
            docs["text"].astype(str).tolist(),
            reduced_embeddings=reduced,
            custom_labels=True,
            hide_annotations=kwargs.pop("hide_annotations", False),
            **kwargs,
        )
    stamps = pd.to_datetime(docs["created_at"], errors="coerce")
    docs = docs[stamps.notna().to_numpy()]
    stamps = stamps.dropna()
    # one bin per quarter: timestamps are each document's quarter start
    fy = settings.fiscal_year_start_month
    starts = [Quarter.of(t, fy).start for t in stamps]
    over_time = topic_model.topics_over_time(
        docs["text"].astype(str).tolist(), starts, topics=docs["topic"].tolist(), global_tuning=False
    )
    return topic_model.visualize_topics_over_time(over_time, custom_labels=True, **kwargs)
