"""Short readable labels for discovered clusters: a phrase, not a list of keywords.

Why: "export, csv, report, download" makes a reader decode the theme; "export to csv" does not.
A label is chosen among the n-grams that are frequent inside the cluster and rare outside it (a
coverage lift, the intuition behind c-TF-IDF), and the winner is the candidate whose embedding is
closest to the cluster centroid: the most central phrase. Everything is deterministic: ties are
broken by the phrase text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Sequence
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from workbench.themes.group_labels import Tone, group_labels

logger = logging.getLogger(__name__)

MAX_WORDS = 4
DOCS_PER_CLUSTER = 250
CANDIDATES_PER_CLUSTER = 15
MIN_COVERAGE = 0.02
# A label is a phrase at least this many of the cluster's customers wrote (a tenth of a small
# cluster, at least 2): a word three of 43 used (a driver's first name at the start of "<name> was
# great" on the Uber reviews) says nothing about the other 40.
MIN_DOCS = 5
SURFACE_DOCS = 500  # documents scanned for a label's usual casing
# Distinctiveness vs centrality. Measured on Banking77 by bench/bench_quality.py (see docs/themes.md):
# the share of queries whose theme label shares a content word with their human intent's name is
# 79.2% / 75.3% / 72.0% at weights 0 / 0.25 / 0.5 on test (78.5 / 76.3 / 73.7% on train), NMI the
# same. 0 (the most central candidate alone) names generic review clusters by generic words ("Fun",
# "Device", "Guy", "Mast" on the Alexa and Uber reviews), so 0.25.
LIFT_WEIGHT = 0.25
# Words that start or end a phrase badly even though sklearn does not list them as stop words.
_EDGE_WORDS = ENGLISH_STOP_WORDS | {
    "just",
    "really",
    "like",
    "im",
    "dont",
    "doesnt",
    "didnt",
    "cant",
    "ive",
    "its",
    "thats",
    # More contractions of stop words once the apostrophe is gone ("she's" -> "shes"), and two forms
    # of "do" that sklearn does not list: on the Alexa reviews "Shes" and "Does" became labels.
    "shes",
    "hes",
    "youre",
    "theyre",
    "isnt",
    "arent",
    "wasnt",
    "werent",
    "wont",
    "wouldnt",
    "couldnt",
    "shouldnt",
    "hasnt",
    "havent",
    "hadnt",
    "youve",
    "weve",
    "theyve",
    "youll",
    "theyll",
    "whats",
    "theres",
    "heres",
    "does",
    "did",
    "unable",  # like "cant": "unable to log in" is about logging in (Uber: "Unable" for it)
    "use",
    "using",
    "app",
    "pls",
    "please",
    "thanks",
    "thank",
    "lot",
    "bit",
    "way",
    "make",
    "makes",
    "made",
    "get",
    "got",
    "good",
    "great",
    "bad",
    "nice",
    "ok",
    "okay",
    "need",
    "needs",
    "want",
    "wants",
    "know",
    "think",
    "time",
}
_TOKEN = r"(?u)\b[a-zA-Z][a-zA-Z0-9+-]*[a-zA-Z0-9]\b"
# Fragments of links, handles and markup: never part of a label a person would write.
_NOISE_WORDS = {"http", "https", "www", "com", "html", "url", "amp", "rt", "dm", "cluster"}


def _good_phrase(phrase: str) -> bool:
    words = phrase.split()
    return (
        not _NOISE_WORDS.intersection(words)
        and words[0] not in _EDGE_WORDS
        and words[-1] not in _EDGE_WORDS
        and len(set(words)) == len(words)
        and len(phrase) >= 3
    )


def _usable_phrase(phrase: str) -> bool:
    """The fallback when a cluster has no good phrase (e.g. reviews that only say "good app")."""
    words = phrase.split()
    return (
        not _NOISE_WORDS.intersection(words)
        and len(set(words)) == len(words)
        and any(w not in ENGLISH_STOP_WORDS for w in words)
    )


def _glued(vocab: Sequence[str]) -> np.ndarray:
    """Single words that are two other vocabulary words glued together while the spaced bigram also
    occurs ("customerservice" beside "customer service"): an artefact, not a word customers use."""
    words = {p for p in vocab if " " not in p}
    bigrams = {p for p in vocab if p.count(" ") == 1}
    out = np.zeros(len(vocab), dtype=bool)
    for i, p in enumerate(vocab):
        if " " in p or len(p) < 6:
            continue
        out[i] = any(
            p[:j] in words and p[j:] in words and f"{p[:j]} {p[j:]}" in bigrams for j in range(3, len(p) - 2)
        )
    return out


def _clean(text: str) -> str:
    # "it's" -> "its", "don't" -> "dont": contractions then meet the stop-word lists.
    return re.sub(r"['\u2019]", "", text)


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def _stem(phrase: str) -> str:
    """Word stems (Snowball, English), so that two clusters never take one word in two forms.

    A crude singular ("drivers" -> "driver") let the Alexa reviews label three clusters "Works",
    "Worked" and "Working"; with stems the later clusters take their next distinctive phrase.
    """
    return " ".join(_stemmer().stemWords(phrase.lower().split()))


def slugify(text: str, max_len: int = 40) -> str:
    """A lower-case id fragment: ``'Export to CSV!'`` -> ``'export-to-csv'``."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "theme"


def candidate_phrases(
    texts: Sequence[str],
    labels: np.ndarray,
    n_clusters: int,
    per_cluster: int = CANDIDATES_PER_CLUSTER,
    names: Collection[str] = (),
) -> dict[int, list[tuple[str, float, float]]]:
    """Per cluster, the most distinctive 1-4 word phrases as ``(phrase, coverage, lift score)``.

    Coverage is the share of the cluster's documents that contain the phrase; the score is
    coverage x log(1 + coverage / coverage elsewhere), which favours phrases common here and rare
    elsewhere. Multi-word phrases get a small bonus because they read better as labels. A phrase
    made only of ``names`` (lower-case words customers write as names) is a name alone, never a label.
    """
    labels = np.asarray(labels)
    # At most DOCS_PER_CLUSTER documents per cluster (the first ones: the engine's order is by doc id,
    # so effectively random): coverage estimates need hundreds, and n-gram counting is the slow part.
    keep = labels >= 0
    for k in np.unique(labels[keep]):
        keep[np.flatnonzero(labels == k)[DOCS_PER_CLUSTER:]] = False
    docs = [_clean(str(t)) for t, k in zip(texts, keep, strict=True) if k]
    groups = labels[keep]
    out: dict[int, list[tuple[str, float, float]]] = {k: [] for k in range(n_clusters)}
    if not docs:
        return out
    vectorizer = CountVectorizer(
        ngram_range=(1, MAX_WORDS),
        token_pattern=_TOKEN,
        lowercase=True,
        binary=True,
        min_df=min(3, len(docs)),
        dtype=np.int32,
    )
    try:
        matrix = vectorizer.fit_transform(docs).tocsc()
    except ValueError:  # empty vocabulary: every document is a stop word or too short
        return out
    vocab = vectorizer.get_feature_names_out()
    only_names = np.array([bool(names) and all(w in names for w in p.split()) for p in vocab])
    glued = _glued(vocab)
    good = np.array([_good_phrase(p) for p in vocab]) & ~only_names & ~glued
    usable = np.array([_usable_phrase(p) for p in vocab]) & ~only_names & ~glued
    n_words = np.array([p.count(" ") + 1 for p in vocab])
    totals = np.asarray(matrix.sum(axis=0)).ravel()
    for k in range(n_clusters):
        member = groups == k
        size = int(member.sum())
        if size == 0:
            continue
        inside = np.asarray(matrix[member].sum(axis=0)).ravel()
        outside = totals - inside
        coverage = inside / size
        elsewhere = (outside + 1) / (len(docs) - size + 1)
        score = coverage * np.log1p(coverage / elsewhere) * (1 + 0.15 * (np.minimum(n_words, 3) - 1))
        frequent = (coverage >= MIN_COVERAGE) & (inside >= min(MIN_DOCS, max(2, round(0.1 * size))))
        idx = np.flatnonzero(good & frequent)
        if len(idx) == 0:
            idx = np.flatnonzero(usable & frequent)
        if len(idx) == 0:
            continue
        order = idx[np.lexsort((vocab[idx], -score[idx]))][:per_cluster]
        out[k] = [(str(vocab[i]), float(coverage[i]), float(score[i])) for i in order]
    return out


def surface_form(phrase: str, texts: Sequence[str]) -> str:
    """The phrase as customers most often write it (``'api'`` -> ``'API'``, ``'sso'`` -> ``'SSO'``).

    Candidates are matched lower-cased, so the casing is recovered from the texts; ties go to the
    lower-case form, and a phrase not found verbatim stays as it is.
    """
    pattern = re.compile(r"\b" + r"\s+".join(re.escape(w) for w in phrase.split()) + r"\b", re.IGNORECASE)
    counts: dict[str, int] = {}
    for text in texts:
        for match in pattern.finditer(_clean(str(text))):
            form = " ".join(match.group(0).split())
            counts[form] = counts.get(form, 0) + 1
    if not counts:
        return phrase
    return max(counts, key=lambda f: (counts[f], f == phrase, f))


def capitalise(label: str) -> str:
    """Capital first letter, unless customers write the first word in camel case (``iPad``, ``eBay``)."""
    first = label.split(" ", 1)[0]
    if any(c.isupper() for c in first[1:]):
        return label
    return label[:1].upper() + label[1:]


def phrase_labels(
    texts: Sequence[str],
    labels: np.ndarray,
    centroids: np.ndarray,
    embed: Callable[[list[str]], np.ndarray],
    names: Collection[str] = (),
    tone: Tone | None = None,
    guesses: Sequence[str | None] | None = None,
) -> dict[int, str]:
    """The most central distinctive phrase of each cluster, capitalised (``'Export to csv'``).

    Clusters without a topic (another language, praise or complaint alone) then get a label that
    says so (:func:`workbench.themes.group_labels.group_labels`, which reads ``tone`` and ``guesses``).

    Args:
        texts: the documents that were clustered.
        labels: cluster index per document (negative = unassigned, ignored).
        centroids: unit-length centroid per cluster, in the same space as ``embed``.
        embed: maps phrases to unit-length vectors (the theme engine passes its cached embedder).
        names: lower-case words customers write as names (:func:`workbench.themes.prep.name_words`):
            a label is never one of them alone.
        tone: sentiment labels of given rows of ``texts``.
        guesses: each text's likeliest language (:func:`workbench.themes.language.guess`).
    """
    labels = np.asarray(labels)
    candidates = candidate_phrases(texts, labels, len(centroids), names=names)
    phrases = sorted({p for items in candidates.values() for p, _, _ in items})
    vectors = embed(phrases) if phrases else np.zeros((0, centroids.shape[1]), dtype=np.float32)
    where = {p: i for i, p in enumerate(phrases)}
    sizes = np.bincount(labels[labels >= 0], minlength=len(centroids))
    out: dict[int, str] = {}
    owners: dict[str, str] = {}  # stemmed phrase -> the label of the (bigger) cluster that took it
    # Bigger clusters choose first; a phrase already taken goes to the next best candidate, so two
    # clusters share a label only when one has no phrase of its own left (then they are one theme).
    for k in sorted(range(len(centroids)), key=lambda c: (-sizes[c], c)):
        # Centrality plus distinctiveness (the lift score relative to the cluster's best candidate).
        # Ties go to the phrase more documents share, then to the longer phrase, then alphabetically.
        top = max((sc for _, _, sc in candidates[k]), default=1.0) or 1.0
        scored = sorted(
            (
                (float(vectors[where[p]] @ centroids[k]) + LIFT_WEIGHT * sc / top, cov, p)
                for p, cov, sc in candidates[k]
            ),
            key=lambda s: (-round(s[0], 6), -round(s[1], 6), -s[2].count(" "), s[2]),
        )
        free = [p for _, _, p in scored if _stem(p) not in owners]
        if not free and scored:
            # Every phrase of this cluster (in some form: "worked" for "works") already labels a
            # bigger one: to a reader they are the same theme, so it takes that cluster's very
            # label (the engine then folds both into one theme) rather than "Excellent (3)" or
            # "Worked" beside "Works". On the Uber reviews this joins the clusters of praise.
            out[k] = owners[_stem(scored[0][2])]
            continue
        phrase = free[0] if free else "other short feedback"  # nothing distinctive: emoji, "ok", a link
        written = surface_form(phrase, [texts[i] for i in np.flatnonzero(labels == k)[:SURFACE_DOCS]])
        out[k] = owners.setdefault(_stem(phrase), capitalise(written))
    return group_labels(out, texts, labels, tone=tone, guesses=guesses)
