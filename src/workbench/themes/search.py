"""Similar-feedback search: "show me what customers said that is like this sentence".

``search(settings, "export to excel is broken", quarter="2026Q3", segment="Enterprise", k=20)``
embeds the query with the same model as the theme engine, scores every feedback item in scope by
cosine similarity and returns the best ``k`` with their theme, account, ARR, channel, sentiment and
date. The item vectors come from the shared embedding cache (:mod:`workbench.themes.embeddings`),
so after ``workbench themes`` nothing but the query is embedded.

Why an exact scan and no vector index: the vectors are unit length, so cosine similarity is one
float32 matrix-vector product (BLAS) plus an ``argpartition``; on 100k x 384 that is a few tens of
milliseconds on 2 cores (``bench/bench_search.py``), exact, with no index to build, persist or
keep in step with the cache. Up to :data:`EXACT_LIMIT` items the scan runs in one block; above it,
in chunks of :data:`CHUNK` rows so memory stays bounded, and a warning says that an approximate
index would be faster. The index we would add there is FAISS (``faiss-cpu``: maintained by Meta,
CPU wheels on PyPI, exact ``IndexFlatIP`` and compressed ``IndexIVFPQ``/HNSW behind one API);
it is not a dependency because no data set this workbench reports on comes near that size.

Customer text is untrusted: the returned ``text`` is PII-redacted (:func:`workbench.themes.text.redact_pii`)
and must still be escaped by whoever renders it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.core.config import Settings, load_settings
from workbench.core.errors import SearchError
from workbench.core.quarters import Quarter
from workbench.core.store import MissingDataError, load_output, load_table, themes_path
from workbench.themes.embeddings import Embedder, embedder_for
from workbench.themes.model import prior_model
from workbench.themes.prep import prep_texts
from workbench.themes.text import redact_pii

logger = logging.getLogger(__name__)

EXACT_LIMIT = 300_000  # items scanned in one block; above it, chunked (see the module docstring)
CHUNK = 65_536
RESULT_COLUMNS = [
    "similarity",
    "text",
    "theme_id",
    "theme",
    "account_id",
    "account",
    "segment",
    "arr",
    "channel",
    "sentiment",
    "created_at",
    "quarter",
    "feedback_id",
]


def top_k(
    vectors: np.ndarray, query: np.ndarray, k: int, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine scores of the ``k`` rows of ``vectors`` most similar to ``query``.

    Args:
        vectors: ``(n, d)`` unit-length rows. float32 is the fast path (one BLAS product);
            float16 rows are converted and scored in float32 chunks: half the memory, but several
            times slower (numpy has no float16 BLAS), so use it only when memory is what is short.
        query: ``(d,)`` unit-length vector.
        k: how many to return (fewer when fewer rows pass ``mask``).
        mask: optional boolean ``(n,)``: only these rows are candidates.

    Returns:
        ``(indices, scores)`` best first; ties broken by the lower index, so results are stable.
    """
    n = len(vectors)
    q = np.asarray(query, dtype=np.float32)
    if n == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    step = n if n <= EXACT_LIMIT and vectors.dtype == np.float32 else CHUNK
    if n > EXACT_LIMIT:
        logger.warning("exact scan over %d items; an approximate index (FAISS) would be faster", n)
    scores = np.empty(n, dtype=np.float32)
    for start in range(0, n, step):
        block = vectors[start : start + step]
        scores[start : start + step] = block.astype(np.float32, copy=False) @ q
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    candidates = int(np.isfinite(scores).sum()) if mask is not None else n
    k = min(k, candidates)
    if k == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    part = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
    order = np.lexsort((part, -scores[part]))
    best = part[order]
    return best.astype(np.int64), scores[best]


@dataclass
class SearchIndex:
    """The searchable feedback of one project: a row per feedback item and its unit vector.

    Built once per project state (see :func:`build_index`) and reused by every query, so a notebook
    that asks ten questions embeds the corpus (from the cache) once.
    """

    items: pd.DataFrame  # RESULT_COLUMNS except similarity; text is redacted
    vectors: np.ndarray  # (len(items), d) float32, unit rows
    embedder: Embedder
    mask_terms: tuple[str, ...] = ()  # names masked in the modelling text, query and items alike

    def query(
        self,
        text: str,
        quarter: str | None = None,
        segment: str | None = None,
        channel: str | None = None,
        theme_id: str | None = None,
        k: int = 20,
        fy_start_month: int = 1,
    ) -> pd.DataFrame:
        """The ``k`` items most similar to ``text`` among those matching the filters (None = any)."""
        if not str(text).strip():
            raise SearchError("search needs a non-empty query")
        mask = np.ones(len(self.items), dtype=bool)
        if quarter is not None:
            mask &= (self.items["quarter"] == str(Quarter.parse(quarter, fy_start_month))).to_numpy()
        for col, value in (("segment", segment), ("channel", channel), ("theme_id", theme_id)):
            if value is not None:
                mask &= (
                    (self.items[col].astype("string").str.casefold() == str(value).casefold())
                    .fillna(False)
                    .to_numpy()
                )
        qv = self.embedder.embed(prep_texts([str(text)], self.mask_terms))[0]
        idx, scores = top_k(self.vectors, qv, k, mask)
        out = self.items.iloc[idx].reset_index(drop=True)
        out.insert(0, "similarity", scores.astype(float))
        return out[RESULT_COLUMNS]


def search_items(
    feedback: pd.DataFrame,
    assignments: pd.DataFrame | None = None,
    themes: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per feedback item with text: the columns a search result shows (text redacted).

    Pure: joins the canonical feedback to its theme, sentiment, label and account, stating the
    cardinality of each merge.
    """
    fb = feedback[feedback["text"].astype("string").str.strip().fillna("") != ""]
    items = pd.DataFrame(
        {
            "feedback_id": fb["feedback_id"].astype(str).to_numpy(),
            "raw_text": fb["text"].astype(str).to_numpy(),
            "channel": fb["channel"].to_numpy() if "channel" in fb.columns else None,
            "created_at": pd.to_datetime(fb["created_at"]).to_numpy()
            if "created_at" in fb.columns
            else pd.NaT,
            "quarter": fb["quarter"].astype(str).to_numpy() if "quarter" in fb.columns else None,
            "account_id": fb["account_id"].to_numpy() if "account_id" in fb.columns else None,
        }
    )
    if assignments is not None and len(assignments):
        rows = assignments[assignments["table"] == "feedback"]
        cols = ["record_id", "theme_id"] + (["sentiment"] if "sentiment" in rows.columns else [])
        rows = rows[cols].drop_duplicates("record_id").rename(columns={"record_id": "feedback_id"})
        items = items.merge(rows, on="feedback_id", how="left", validate="1:1")
    for col in ("theme_id", "sentiment"):
        if col not in items.columns:
            items[col] = None
    labels = (
        themes[["theme_id", "label"]].drop_duplicates("theme_id").rename(columns={"label": "theme"})
        if themes is not None and "label" in themes.columns
        else pd.DataFrame({"theme_id": pd.Series(dtype=object), "theme": pd.Series(dtype=object)})
    )
    items = items.merge(labels, on="theme_id", how="left", validate="m:1")
    if accounts is not None and len(accounts):
        acc = accounts[[c for c in ("account_id", "name", "segment", "arr") if c in accounts.columns]]
        items = items.merge(
            acc.rename(columns={"name": "account"}), on="account_id", how="left", validate="m:1"
        )
    for col in ("account", "segment", "arr"):
        if col not in items.columns:
            items[col] = None
    items["text"] = [redact_pii(t) for t in items.pop("raw_text")]
    items["sentiment"] = pd.to_numeric(items["sentiment"], errors="coerce")
    items["arr"] = pd.to_numeric(items["arr"], errors="coerce")
    return items[[c for c in RESULT_COLUMNS if c != "similarity"]]


_INDEXES: dict[tuple, SearchIndex] = {}


def _state(settings: Settings) -> tuple:
    paths = [themes_path(settings, "assignments"), settings.paths.processed / "feedback.parquet"]
    return (str(settings.root), *(p.stat().st_mtime_ns if p.exists() else 0 for p in paths))


def build_index(settings: Settings, embedder: Embedder | None = None) -> SearchIndex:
    """The search index of a project, reused while its feedback and assignments are unchanged.

    The vectors come from the embedding cache: ``workbench themes`` has embedded every feedback
    text as modelling text (:mod:`workbench.themes.prep`, with the names its latest model masked),
    so the index embeds the same texts and computes nothing on a themed project (it embeds what the
    cache lacks otherwise). Queries are masked alike, so a search is about the problem, not the name.
    """
    key = _state(settings)
    if embedder is None and key in _INDEXES:
        return _INDEXES[key]
    feedback = load_table("feedback", settings)

    def optional(load, name):
        try:
            return load(name, settings)
        except MissingDataError:
            return None

    items = search_items(
        feedback,
        optional(load_output, "assignments"),
        optional(load_output, "themes"),
        optional(load_table, "accounts"),
    )
    if items.empty:
        raise SearchError("there is no feedback with text to search; run `workbench pull`")
    embedder = embedder or embedder_for(settings)
    model = prior_model(settings.paths.models, None, embedder.model_id)
    mask_terms = tuple(model.mask_terms) if model is not None else ()
    raw = feedback.set_index(feedback["feedback_id"].astype(str))["text"].astype(str)
    texts = prep_texts(raw.loc[items["feedback_id"]].tolist(), mask_terms)
    vectors = np.ascontiguousarray(embedder.embed(texts), dtype=np.float32)
    index = SearchIndex(items, vectors, embedder, mask_terms)
    _INDEXES.clear()  # one project at a time: the vectors are the big part
    _INDEXES[key] = index
    logger.info("search index: %d feedback items, %d dims", len(items), vectors.shape[1])
    return index


def search(
    settings_or_query: Settings | str,
    query: str | None = None,
    *,
    quarter: str | None = None,
    segment: str | None = None,
    channel: str | None = None,
    theme_id: str | None = None,
    k: int = 20,
) -> pd.DataFrame:
    """The feedback most similar to ``query``, best first.

    Call it as ``search(settings, "export to excel is broken", quarter="2026Q3", k=20)`` or, in a
    notebook via the analyst API, ``wb.search("export to excel is broken", segment="Enterprise")``
    (the project's settings are then loaded as ``wb.load_settings()`` does).

    Args:
        settings_or_query: the project's settings, or the query itself.
        query: the query when the first argument is settings.
        quarter: only feedback from this quarter (e.g. ``"2026Q3"``); None for all.
        segment, channel, theme_id: optional exact filters (case-insensitive).
        k: number of results.

    Returns:
        :data:`RESULT_COLUMNS`: ``similarity`` (cosine, -1..1), PII-redacted ``text`` (untrusted:
        escape it when rendering), theme id and label, account id, name, segment and ARR, channel,
        sentiment (-1..1), ``created_at``, quarter and ``feedback_id``.
    """
    if isinstance(settings_or_query, str):
        settings, query = load_settings(), settings_or_query
    else:
        settings = settings_or_query
    if query is None:
        raise SearchError("search needs a query")
    index = build_index(settings)
    return index.query(
        query,
        quarter=quarter,
        segment=segment,
        channel=channel,
        theme_id=theme_id,
        k=k,
        fy_start_month=settings.fiscal_year_start_month,
    )
