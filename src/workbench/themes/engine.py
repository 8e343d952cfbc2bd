"""The theme engine: ``workbench themes --quarter 2026Q3``.

One run, for a report quarter Q:

1. gathers every customer text: feedback items (churn reasons are feedback with channel
   ``churn_survey``) and deal notes, as documents ``'<table>:<id>'``;
2. fits over the ``window_quarters`` ending at Q, on a sample stratified by quarter x channel:
   embeddings (cached) -> BERTopic with k-means -> clusters matched onto the registry and onto
   the previous quarter's memory (:mod:`workbench.themes.matching`); unmatched clusters become emerging
   candidates with a phrase label (:mod:`workbench.themes.labels`);
3. saves the model (BERTopic safetensors + state) under ``<models>/themes/<Q>/``;
4. assigns EVERY document of every pulled quarter in streamed chunks that read only the saved
   model, scores sentiment from the same embeddings (:mod:`workbench.themes.sentiment`; VADER
   for embedding models the sentiment head was not trained on) and intent;
5. writes ``assignments``, ``themes``, ``metrics``, ``splits_segment``, ``splits_channel`` and
   ``quotes`` under ``data/processed/themes/``.

Same inputs and config give identical files: the sample, k-means, the representation model and
every tie-break are seeded or ordered, and the fit for Q reads only models of earlier quarters.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.core.config import Settings
from workbench.core.errors import WorkbenchError
from workbench.core.frames import hidden_theme_ids, require_columns, visible_themes
from workbench.core.quarters import Quarter, last_complete_quarter
from workbench.core.schemas import ASSIGNMENT_COLUMNS, THEME_COLUMNS
from workbench.core.store import MissingDataError, atomic, load_table, replace_with, themes_path, write_atomic
from workbench.themes import bertopic_model as tm
from workbench.themes import sentiment
from workbench.themes.cluster import KChoice, choose_n_clusters, nearest, similarity_floor, stratified_sample
from workbench.themes.embeddings import (
    DISTILL,
    MODEL2VEC_PREFIX,
    Embedder,
    default_model_path,
    distilled_model_path,
    embedder_for,
    l2_normalise,
)
from workbench.themes.labels import phrase_labels, slugify
from workbench.themes.language import ENGLISH, group_label, is_multilingual, language_groups, language_name
from workbench.themes.language import detect as detect_languages
from workbench.themes.language import guess as guess_languages
from workbench.themes.matching import build_references, match_clusters
from workbench.themes.model import ThemeModel, model_dir, models_root, prior_model
from workbench.themes.prep import competitor_terms, dominant_names, name_like, prep_texts
from workbench.themes.registry import CANDIDATE_PREFIX, Registry, load_registry

logger = logging.getLogger(__name__)

OUTPUTS = ("assignments", "themes", "metrics", "splits_segment", "splits_channel", "quotes")
STRATA = ("quarter", "channel")
DEAL_NOTE_CHANNEL = "deal_note"
QUOTE_CANDIDATES = 60  # most central feedback texts per theme handed to the quote picker
REDUCTION: tm.Reduction = "none"
REPRESENTATION: tm.Representation = "ctfidf"
MAX_KEYWORDS = 8


# --------------------------------------------------------------------------- documents


def documents(feedback: pd.DataFrame, deals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every customer text as one document frame, sorted by ``doc_id`` (so input order never matters).

    Columns: ``doc_id, table, record_id, quarter, text, channel, account_id``. Deal notes get the
    channel ``deal_note``; deals without notes are not documents.
    """
    needed = ["feedback_id", "quarter", "text", "channel"]
    require_columns(feedback, needed, "feedback", "re-run `workbench pull`")
    parts = [
        pd.DataFrame(
            {
                "doc_id": "feedback:" + feedback["feedback_id"].astype(str),
                "table": "feedback",
                "record_id": feedback["feedback_id"].astype(str),
                "quarter": feedback["quarter"].astype(str),
                "text": feedback["text"].astype(object),
                "channel": feedback["channel"].astype(object),
                "account_id": feedback["account_id"].astype(object) if "account_id" in feedback else None,
            }
        )
    ]
    if deals is not None and len(deals) and "notes" in deals.columns:
        notes = deals[deals["notes"].notna() & (deals["notes"].astype(str).str.strip() != "")]
        parts.append(
            pd.DataFrame(
                {
                    "doc_id": "deals:" + notes["deal_id"].astype(str),
                    "table": "deals",
                    "record_id": notes["deal_id"].astype(str),
                    "quarter": notes["quarter"].astype(str),
                    "text": notes["notes"].astype(object),
                    "channel": DEAL_NOTE_CHANNEL,
                    "account_id": notes["account_id"].astype(object) if "account_id" in notes else None,
                }
            )
        )
    docs = pd.concat(parts, ignore_index=True)
    docs["text"] = docs["text"].map(lambda t: t if isinstance(t, str) else "")
    return docs.sort_values("doc_id", kind="stable").reset_index(drop=True)


def has_text(docs: pd.DataFrame) -> np.ndarray:
    """Documents with something to embed (blank texts stay unassigned)."""
    return (docs["text"].str.strip().str.len() > 0).to_numpy()


def report_quarter(feedback: pd.DataFrame, settings: Settings, quarter: str | None) -> Quarter:
    """The quarter asked for, else the last complete quarter in the feedback data."""
    fy = settings.fiscal_year_start_month
    if quarter:
        return Quarter.parse(quarter, fy)
    dates = pd.to_datetime(feedback["created_at"], errors="coerce").dropna()
    if dates.empty:
        raise WorkbenchError("feedback has no dated rows: cannot tell the report quarter; pass --quarter")
    return last_complete_quarter(dates.max(), fy)


# --------------------------------------------------------------------------- fit


@dataclass
class FitResult:
    """A fitted window: the model to save, the BERTopic model behind it and the theme rows."""

    model: ThemeModel
    topic_model: object
    themes: pd.DataFrame  # THEME_COLUMNS without n_docs
    n_clusters: int
    sample_size: int
    silhouette: dict[int, float] = field(default_factory=dict)
    match_scores: list[float] = field(default_factory=list)
    k_how: str = ""  # how k was chosen, in words
    mask_terms: list[str] = field(default_factory=list)  # names masked in the modelling text


def _n_clusters(settings: Settings, registry: Registry, embeddings: np.ndarray) -> KChoice:
    if isinstance(settings.themes.n_clusters, int):
        return KChoice(settings.themes.n_clusters, {}, None)
    at_least = len([t for t in registry.themes if t.live])
    return choose_n_clusters(
        embeddings, settings.themes.random_state, at_least=at_least, min_docs=settings.themes.min_volume
    )


def _theme_rows(
    registry: Registry,
    topic_theme: list[str],
    labels: dict[str, str],
    keywords: dict[str, list[str]],
    quarter: str,
) -> pd.DataFrame:
    rows = []
    for theme in registry.themes:
        if not theme.live:
            continue
        rows.append(
            {
                "theme_id": theme.id,
                "label": theme.label,
                "description": theme.description,
                "kind": theme.kind,
                "status": "hidden" if theme.hidden else "registered",
                "keywords": ", ".join(keywords.get(theme.id, theme.keywords)),
            }
        )
    for theme_id in sorted({t for t in topic_theme if registry.get(t) is None}):
        words = keywords.get(theme_id, [])
        rows.append(
            {
                "theme_id": theme_id,
                "label": labels[theme_id],
                "description": (
                    f"Emerging candidate found in the window ending {quarter}, not in the registry yet: "
                    f"customers mention {', '.join(words[:4]) or labels[theme_id].lower()}. "
                    "Review it with `workbench themes review`."
                ),
                "kind": "unknown",
                "status": "emerging",
                "keywords": ", ".join(words),
            }
        )
    return pd.DataFrame(rows, columns=[c for c in THEME_COLUMNS if c != "n_docs"])


def _topic_themes(
    matched: list[str | None], auto: dict[int, str], registry: Registry, prior: ThemeModel | None
) -> tuple[list[str], dict[str, str]]:
    """The theme id of each topic, and the label of every id (registered, carried over or new)."""
    prior_labels = prior.labels if prior is not None else {}
    labels: dict[str, str] = {t.id: t.label for t in registry.themes}
    topic_theme: list[str] = []
    for topic, theme_id in enumerate(matched):
        if theme_id is None:
            # Labels are unique per fit, so two clusters share a candidate id only when their labels
            # slugify alike (or equal a candidate carried over): then they are one theme. A candidate
            # id the analyst already merged into a registered theme resolves to that theme.
            theme_id = registry.resolve(CANDIDATE_PREFIX + slugify(auto[topic]))
            labels.setdefault(theme_id, auto[topic])
        elif registry.get(theme_id) is None:  # a candidate carried over from the previous quarter
            labels.setdefault(theme_id, prior_labels.get(theme_id, auto[topic]))
        topic_theme.append(theme_id)
    return topic_theme, labels


def _memory(
    embeddings: np.ndarray, doc_theme: np.ndarray, topic_theme: list[str], centroids: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """Per theme id, the unit mean of its sample documents: what the next quarter matches against."""
    ids = sorted(set(topic_theme))
    rows = [
        embeddings[doc_theme == t].mean(axis=0) if (doc_theme == t).any() else centroids[topic_theme.index(t)]
        for t in ids
    ]
    return ids, l2_normalise(np.vstack(rows))


def _theme_keywords(model, topics: np.ndarray, topic_theme: list[str]) -> dict[str, list[str]]:
    """Top c-TF-IDF words per theme: its topics' words, biggest topic first, without repeats."""
    sizes = np.bincount(topics, minlength=len(topic_theme))
    keywords: dict[str, list[str]] = {}
    for topic in sorted(range(len(topic_theme)), key=lambda t: (-sizes[t], t)):
        words = keywords.setdefault(topic_theme[topic], [])
        words.extend(w for w in tm.topic_keywords(model, topic, MAX_KEYWORDS) if w not in words)
    return {t: w[:MAX_KEYWORDS] for t, w in keywords.items()}


def _fit_clusters(
    texts: list[str], embeddings: np.ndarray, embedder: Embedder, settings: Settings, registry: Registry
) -> tuple[object, np.ndarray, KChoice]:
    """k chosen (or given), then BERTopic with k-means fitted on the modelling texts."""
    cfg = settings.themes
    choice = _n_clusters(settings, registry, embeddings)
    k = max(1, min(choice.k, len(texts) - 1))
    init = choice.centroids if choice.centroids is not None and len(choice.centroids) == k else None
    model = tm.build(
        k,
        cfg.random_state,
        embedder,
        REDUCTION,
        REPRESENTATION,
        min_df=2 if len(texts) >= 50 else 1,
        init=init,
    )
    try:
        topics = tm.fit(model, texts, embeddings)
    except ValueError as exc:  # e.g. an empty vocabulary: every text is a stop word
        raise WorkbenchError(f"cannot fit themes on these texts ({exc})") from None
    return model, topics, choice


def fit_themes(
    window_docs: pd.DataFrame,
    embedder: Embedder,
    registry: Registry,
    settings: Settings,
    quarter: str,
    window: list[str],
    prior: ThemeModel | None = None,
    mask_terms: Sequence[str] = (),
) -> FitResult:
    """Fit the window's themes and map them onto the registry (see the module docstring).

    Embedding, clustering and labelling read the *modelling* text (:mod:`workbench.themes.prep`):
    handles, URLs, e-mails, ticket numbers and ``mask_terms`` (brand and competitor names) masked,
    plus any name that dominates the corpus or several clusters of a first fit (then the fit is
    redone once without it). Feedback detected in another language than English becomes one theme
    per language (:mod:`workbench.themes.language`) instead of joining the English clusters.

    Args:
        window_docs: documents of the window with text (from :func:`documents`), sorted by doc_id.
        embedder: the cached embedder (its model id is recorded in the model).
        registry: the curated registry; an empty one gives pure discovery.
        settings: ``settings.themes`` holds sample size, k, thresholds and the seed.
        quarter: the report quarter; window: the quarters fitted.
        prior: the previous quarter's model, whose memory keeps ids stable.
        mask_terms: brand, product and competitor names to mask in the modelling text.
    """
    cfg = settings.themes
    if len(window_docs) < 2:
        raise WorkbenchError(
            f"only {len(window_docs)} document(s) with text in {window[0]}..{window[-1]}: "
            "too few to find themes"
        )
    idx = stratified_sample(window_docs, cfg.sample_size, STRATA, cfg.random_state)
    sample = window_docs.iloc[idx]
    originals = sample["text"].tolist()
    logger.info(
        "fitting themes for %s on %d of %d documents (%s..%s)",
        quarter,
        len(sample),
        len(window_docs),
        window[0],
        window[-1],
    )
    languages = np.full(len(originals), ENGLISH, dtype=object)
    guessed = None if is_multilingual(cfg.embedding_model) else guess_languages(originals)
    if guessed is not None:
        languages = detect_languages(originals, guessed)
    groups = language_groups(languages)
    english = ~np.isin(languages.astype(str), groups)
    if english.sum() < 2:  # (almost) nothing in English: cluster everything together
        groups, english = [], np.ones(len(originals), dtype=bool)
    if groups:
        logger.info(
            "language groups kept apart: %s",
            ", ".join(f"{language_name(g)} ({int((languages == g).sum())})" for g in groups),
        )
    names = sorted(set(mask_terms) | set(dominant_names(prep_texts(originals))))
    texts = prep_texts(originals, names)
    embeddings = embedder.embed(texts)
    en_rows = np.flatnonzero(english)
    en_texts = [texts[i] for i in en_rows]
    model, topics, choice = _fit_clusters(en_texts, embeddings[en_rows], embedder, settings, registry)
    known = {n.lower() for n in names}
    found = name_like(en_texts)  # one scan per modelling text: dominant names, then label words
    more = [n for n in dominant_names(en_texts, topics, found=found) if n.lower() not in known]
    if more:  # names that several clusters share: mask them and fit again, once
        names = sorted(set(names) | set(more))
        texts = prep_texts(originals, names)
        embeddings = embedder.embed(texts)
        en_texts = [texts[i] for i in en_rows]
        found = name_like(en_texts)
        model, topics, choice = _fit_clusters(en_texts, embeddings[en_rows], embedder, settings, registry)
    n_topics = int(topics.max()) + 1
    centroids = l2_normalise(np.asarray(model.topic_embeddings_, dtype=np.float32))[:n_topics]

    references = build_references(registry, embedder.embed, prior)
    matched, scores = match_clusters(centroids, references, cfg.match_threshold)

    def tone(rows: np.ndarray) -> np.ndarray:  # rows index en_texts; read only for a few clusters
        picked = en_rows[rows]
        return sentiment.score([originals[i] for i in picked], embeddings[picked], embedder.model_id)[1]

    auto = phrase_labels(
        en_texts,
        topics,
        centroids,
        embedder.embed,
        names=set(found),
        tone=tone,
        guesses=None if guessed is None else guessed[0][en_rows],
    )
    language_topics = {g: n_topics + i for i, g in enumerate(groups)}
    if groups:
        centroids = np.vstack(
            [centroids]
            + [l2_normalise(embeddings[languages == g].mean(axis=0, keepdims=True)) for g in groups]
        ).astype(np.float32)
        matched = list(matched) + [None] * len(groups)
        auto.update({language_topics[g]: group_label(g) for g in groups})
    topic_theme, labels = _topic_themes(matched, auto, registry, prior)
    best_topic, best_sim = nearest(embeddings[en_rows], centroids[:n_topics])
    floor = similarity_floor(best_sim, cfg.max_unassigned_share)
    doc_topic = np.empty(len(texts), dtype=np.int64)
    doc_topic[en_rows] = best_topic
    for g, t in language_topics.items():
        doc_topic[languages == g] = t
    memory_ids, memory = _memory(
        embeddings, np.asarray(topic_theme, dtype=object)[doc_topic], topic_theme, centroids
    )
    keywords = _theme_keywords(model, topics, topic_theme[:n_topics])
    model.set_topic_labels({topic: labels[topic_theme[topic]] for topic in range(n_topics)})

    theme_model = ThemeModel(
        centroids=centroids,
        topic_theme=topic_theme,
        floor=floor,
        model_id=embedder.model_id,
        quarter=quarter,
        window=list(window),
        labels={t: labels[t] for t in memory_ids},
        memory_ids=memory_ids,
        memory=memory,
        mask_terms=list(names),
        languages=language_topics,
    )
    logger.info(
        "%d clusters -> %d themes (%d registered, %d emerging); similarity floor %.3f; k: %s",
        len(centroids),
        len(memory_ids),
        sum(registry.get(t) is not None for t in memory_ids),
        sum(registry.get(t) is None for t in memory_ids),
        floor,
        choice.how or f"given ({choice.k})",
    )
    return FitResult(
        model=theme_model,
        topic_model=model,
        themes=_theme_rows(registry, topic_theme, labels, keywords, quarter),
        n_clusters=len(centroids),
        sample_size=len(sample),
        silhouette=choice.scores,
        match_scores=[float(s) for s in scores],
        k_how=choice.how or f"given ({choice.k})",
        mask_terms=list(names),
    )


# --------------------------------------------------------------------------- assign


def assign_documents(
    docs: pd.DataFrame, model: ThemeModel, embedder: Embedder, chunk_size: int
) -> pd.DataFrame:
    """Theme and similarity of every document, in streamed chunks that read only the saved model.

    Memory stays bounded by the chunk: embeddings of one chunk at a time (from the cache when seen).
    Each chunk is embedded as modelling text (:mod:`workbench.themes.prep`), never its original.
    The sentiment head reads the same vectors, so sentiment costs no second embedding pass.
    Blank texts are unassigned. Returns ``doc_id, theme_id, similarity, sentiment,
    sentiment_label`` in the order of ``docs`` (sentiment null when the head does not fit the model).
    """
    if embedder.model_id != model.model_id:
        raise WorkbenchError(
            f"the saved model was fitted with {model.model_id}, not {embedder.model_id}; refit it"
        )
    theme_ids = np.full(len(docs), None, dtype=object)
    similarity = np.full(len(docs), np.nan)
    scores, labels = np.full(len(docs), np.nan), np.full(len(docs), None, dtype=object)
    head = sentiment.head_for(embedder.model_id)
    usable = np.flatnonzero(has_text(docs))
    texts = docs["text"].to_numpy()
    for start in range(0, len(usable), chunk_size):
        rows = usable[start : start + chunk_size]
        originals = texts[rows].tolist()
        # The modelling text, masked with the terms the model was fitted with (see prep.py); the
        # sentiment head reads the same vectors, so handles and URLs do not sway it either.
        vectors = embedder.embed(prep_texts(originals, model.mask_terms))
        ids, sims = model.assign(vectors, detect_languages(originals) if model.languages else None)
        theme_ids[rows] = ids
        similarity[rows] = sims
        if head is not None:
            scores[rows], labels[rows] = head.score(vectors, originals)
        logger.info("assigned %d/%d documents", min(start + chunk_size, len(usable)), len(usable))
    return pd.DataFrame(
        {
            "doc_id": docs["doc_id"].to_numpy(),
            "theme_id": theme_ids,
            "similarity": similarity,
            "sentiment": scores,
            "sentiment_label": labels,
        }
    )


def unassigned_share(assignments: pd.DataFrame) -> float:
    return float(assignments["theme_id"].isna().mean()) if len(assignments) else 0.0


# --------------------------------------------------------------------------- run


@dataclass
class ThemeRunResult:
    """What a run did: counts, shares, where it wrote, and how long each step took."""

    quarter: str
    window: list[str]
    n_documents: int
    unassigned_share: float
    n_clusters: int
    sample_size: int
    status_counts: dict[str, int]
    top_themes: list[tuple[str, int]]
    model_dir: Path
    outputs: dict[str, Path]
    embedded: int
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.status_counts.items()))
        top = "; ".join(f"{label} ({n:,})" for label, n in self.top_themes) or "none"
        folder = next(iter(self.outputs.values())).parent if self.outputs else "-"
        return "\n".join(
            [
                f"themes for {self.quarter} (fitted on {self.window[0]}..{self.window[-1]}, "
                f"sample {self.sample_size:,}, {self.n_clusters} clusters): {counts}",
                f"  {self.n_documents:,} documents assigned in all quarters, "
                f"{self.unassigned_share:.1%} unassigned; {self.embedded:,} texts newly embedded",
                f"  top themes in {self.quarter}: {top}",
                f"  outputs: {folder}/  model: {self.model_dir}",
                f"  took {sum(self.timings.values()):.1f} s ("
                + ", ".join(f"{k} {v:.1f}" for k, v in self.timings.items())
                + ")",
            ]
        )


def _optional_table(name: str, settings: Settings) -> pd.DataFrame | None:
    try:
        return load_table(name, settings)
    except MissingDataError:
        logger.info("no %s table pulled: continuing without it", name)
        return None


def _quotes(
    docs: pd.DataFrame,
    assignments: pd.DataFrame,
    themes: pd.DataFrame,
    window: list[str],
    embedder: Embedder,
    settings: Settings,
) -> pd.DataFrame:
    from workbench.themes.quotes import select_quotes

    hidden = hidden_theme_ids(themes)
    frame = docs.assign(
        theme_id=assignments["theme_id"].to_numpy(), similarity=assignments["similarity"].to_numpy()
    )
    frame = frame[
        (frame["table"] == "feedback")
        & frame["quarter"].isin(window)
        & frame["theme_id"].notna()
        & ~frame["theme_id"].isin(hidden)
    ]
    frame = frame.sort_values(
        ["theme_id", "similarity", "doc_id"], ascending=[True, False, True], kind="stable"
    )
    frame = frame.groupby("theme_id", sort=True).head(QUOTE_CANDIDATES).reset_index(drop=True)
    vectors = embedder.embed(frame["text"].tolist()) if len(frame) else None
    return select_quotes(
        frame, vectors, per_theme=settings.themes.quotes_per_theme, max_chars=settings.themes.quote_max_chars
    )


def _embedding_model_ref(settings: Settings) -> str:
    """What the saved BERTopic records as its embedding model: a loadable path or name."""
    spec = settings.themes.embedding_model.strip()
    if spec in ("", "default"):
        return str(default_model_path())
    if spec == MODEL2VEC_PREFIX + DISTILL:
        return str(distilled_model_path(settings.paths.cache))
    return spec.removeprefix(MODEL2VEC_PREFIX)


SWAP_JOURNAL = ".themes-swap.json"


def _swap_journal(settings: Settings) -> Path:
    return settings.paths.processed / SWAP_JOURNAL


def publish_run(
    settings: Settings, staged_model: Path, model: Path, staged_outputs: Path, outputs: Path
) -> None:
    """Put a new model and its outputs live together, or (after a kill) neither.

    Four renames cannot be one atomic step, so a journal written first names where the previous
    model and outputs are set aside; it is removed once both new folders are in place (the commit
    point). :func:`recover_publish`, run before any theme read or fit, rolls an interrupted swap
    back, so a reader never sees a new model beside old outputs.
    """
    journal = _swap_journal(settings)
    moves = [(staged_model, model), (staged_outputs, outputs)]
    aside = [(live, live.with_name(f".{live.name}.old-{os.getpid()}")) for _, live in moves]
    state = {"pairs": [[str(live), str(old)] for live, old in aside]}
    atomic(journal, lambda tmp: tmp.write_text(json.dumps(state), encoding="utf-8"))
    for (new, live), (_, old) in zip(moves, aside, strict=True):
        live.parent.mkdir(parents=True, exist_ok=True)
        replace_with(new, live, old)  # the previous version is set aside at `old`, put back on failure
    journal.unlink()  # committed: both are live
    for _, old in aside:
        shutil.rmtree(old, ignore_errors=True)


def recover_publish(settings: Settings) -> bool:
    """Roll back a model/outputs swap that a kill interrupted, and clear staged leftovers.

    Returns:
        Whether an interrupted swap was rolled back.
    """
    journal = _swap_journal(settings)
    rolled = False
    if journal.is_file():
        try:
            pairs = json.loads(journal.read_text(encoding="utf-8"))["pairs"]
        except (OSError, ValueError, KeyError):
            pairs = []
        for live, old in (map(Path, p) for p in pairs):
            if old.exists():  # the previous version was set aside: it goes back
                if live.exists():
                    shutil.rmtree(live, ignore_errors=True)
                os.replace(old, live)
            # nothing set aside yet: live is still the previous version
        journal.unlink(missing_ok=True)
        rolled = True
        logger.warning("a killed themes run was rolled back: the previous model and outputs are live")
    roots = [models_root(settings.paths.models), themes_path(settings, "assignments").parent.parent]
    for root in roots:
        if root.is_dir():
            for leftover in [*root.glob(".*.staged-*"), *root.glob(".*.old-*")]:
                if leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
    return rolled


def run(settings: Settings, quarter: str | None = None) -> ThemeRunResult:
    """Fit or update the themes for a quarter and write every output (see the module docstring)."""
    from workbench.themes import metrics, text

    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 2)
        clock = now

    recover_publish(settings)
    registry = load_registry(settings)
    feedback = load_table("feedback", settings)
    deals = _optional_table("deals", settings)
    accounts = _optional_table("accounts", settings)
    if accounts is None:
        accounts = pd.DataFrame(
            {
                "account_id": pd.Series(dtype=str),
                "segment": pd.Series(dtype=str),
                "arr": pd.Series(dtype=float),
            }
        )
    docs = documents(feedback, deals)
    q = report_quarter(feedback, settings, quarter)
    window = [str(w) for w in q.window(settings.themes.window_quarters)]
    in_window = docs["quarter"].isin(window).to_numpy() & has_text(docs)
    lap("load")

    embedder = embedder_for(settings)
    prior = prior_model(settings.paths.models, str(q), embedder.model_id)
    if prior is not None:
        logger.info("carrying theme identities over from the %s model", prior.quarter)
    competitors = _optional_table("competitors", settings)
    mask_terms = sorted(set(settings.themes.brand_terms) | set(competitor_terms(competitors)))
    fitted = fit_themes(
        docs[in_window].reset_index(drop=True),
        embedder,
        registry,
        settings,
        str(q),
        window,
        prior,
        mask_terms=mask_terms,
    )
    lap("fit")
    folder = model_dir(settings.paths.models, str(q))
    staged_model = folder.with_name(f".{folder.name}.staged-{os.getpid()}")
    # staged beside the live model: it goes live only together with its outputs (publish_run)
    fitted.model.save(staged_model, fitted.topic_model, embedding_model_ref=_embedding_model_ref(settings))
    model = ThemeModel.load(staged_model)
    lap("save")

    if settings.themes.engine == "ray":  # the same pass on a Ray cluster: themes/ray_engine.py
        from workbench.themes import ray_engine

        assigned = ray_engine.assign_documents(docs, model, embedder, settings)
    else:
        assigned = assign_documents(docs, model, embedder, settings.themes.chunk_size)
    lap("assign")
    texts = docs["text"].tolist()
    senti, senti_label = assigned["sentiment"].to_numpy(), assigned["sentiment_label"].to_numpy()
    if sentiment.head_for(embedder.model_id) is None:
        logger.info("sentiment: VADER (the sentiment head reads other vectors than %s)", embedder.model_id)
        senti, senti_label = sentiment.vader(texts)
    assignments = pd.DataFrame(
        {
            "doc_id": docs["doc_id"],
            "table": docs["table"],
            "record_id": docs["record_id"],
            "quarter": docs["quarter"],
            "theme_id": assigned["theme_id"],
            "similarity": assigned["similarity"].astype("float64"),
            "sentiment": senti.astype("float64"),
            "sentiment_label": senti_label,
            **sentiment.stated_scores(docs, feedback),
            "intent": text.classify_intent(texts),
        }
    )[list(ASSIGNMENT_COLUMNS)]
    lap("sentiment+intent")

    window_counts = assignments.loc[assignments["quarter"].isin(window), "theme_id"].value_counts()
    themes = fitted.themes.assign(
        n_docs=fitted.themes["theme_id"].map(window_counts).fillna(0).astype("int64")
    )[list(THEME_COLUMNS)]
    quarters = sorted(assignments["quarter"].dropna().unique().tolist())
    outputs = {
        "assignments": assignments,
        "themes": themes,
        "metrics": metrics.theme_metrics(assignments, feedback, accounts, quarters, settings.themes, themes),
        "splits_segment": metrics.theme_splits(assignments, feedback, accounts, "segment", themes=themes),
        "splits_channel": metrics.theme_splits(assignments, feedback, accounts, "channel", themes=themes),
        "quotes": _quotes(docs, assignments, themes, window, embedder, settings),
    }
    lap("metrics+quotes")
    live_outputs = themes_path(settings, "assignments").parent
    staged_outputs = live_outputs.with_name(f".{live_outputs.name}.staged-{os.getpid()}")
    for name, frame in outputs.items():
        write_atomic(frame, staged_outputs / f"{name}.parquet")
    publish_run(settings, staged_model, folder, staged_outputs, live_outputs)
    paths = {name: themes_path(settings, name) for name in outputs}
    lap("write")

    current = assignments[(assignments["quarter"] == str(q)) & assignments["theme_id"].notna()]
    visible = visible_themes(themes).set_index("theme_id")["label"]
    top = current["theme_id"].value_counts()
    top = [(visible[t], int(n)) for t, n in top.items() if t in visible.index][:5]
    return ThemeRunResult(
        quarter=str(q),
        window=window,
        n_documents=len(assignments),
        unassigned_share=unassigned_share(assignments),
        n_clusters=fitted.n_clusters,
        sample_size=fitted.sample_size,
        status_counts=themes["status"].value_counts().to_dict(),
        top_themes=top,
        model_dir=folder,
        outputs=paths,
        embedded=embedder.stats.total_computed,
        timings=timings,
    )
