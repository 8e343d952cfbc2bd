"""Text for modelling, apart from text for display.

Why: short social posts and reviews cluster by whatever name they address. On ~8,000 real complaint
tweets half the discovered themes were named after the @handle of the company addressed and one was
"Http"; on telecom tickets "<Brand> Billing" sat next to "Billing". Embedding and labelling
therefore see a *modelling* text in which the names and the noise are masked, so that clusters
form around the problem. Everything a person reads (quotes, competitor-mention matching, the
assignments' text) keeps the original.

What is masked (removed: a placeholder word would itself pull texts together):

* @handles, URLs, e-mail addresses, order / ticket / reference numbers;
* the organisation's own brand and product names (``themes.brand_terms``) and the competitor names
  and aliases from ``competitors.csv`` (whole words, any case);
* name-like tokens that dominate the corpus without configuration (:func:`dominant_names`): a
  token customers write capitalised (``Uber``, ``Alexa``) that is frequent in many clusters.

And normalised: ``#word`` becomes ``word``; runs of repeated punctuation (``!!!``, ``???``) collapse
to one mark; whitespace is squeezed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|io|co|ly|me|app)/\S*")
_EMAIL = re.compile(r"(?i)\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}")
_HASHTAG = re.compile(r"(?<![\w&])#([A-Za-z]\w*)")
# An order, ticket or reference number: "#12345", "order 123-456", "ref AB12345", any 5+ digit run,
# or a token that mixes letters and at least 4 digits ("TK48213A"). Money and years stay (they carry meaning).
_NUMBER_ID = re.compile(
    r"(?i)#\d{3,}\b|\b(?=[a-z0-9-]*\d{4})(?=[a-z0-9-]*[a-z])[a-z0-9]+(?:-[a-z0-9]+)*\b|\b\d{5,}(?:[-/]\d+)*\b"
)
_REPEAT_PUNCT = re.compile(r"([!?.,;:*~\-_=])\1+")
_MIXED_PUNCT = re.compile(r"[!?]{2,}")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"(?u)\b[^\W\d_][\w'’]*\b")
_SENTENCE_BREAK = re.compile(r"[.!?:;\n\"(\u2013\u2014\-*>]\s*$")  # what may precede a capitalised word
_NAME_SHAPE = re.compile(r"^[A-Za-z][a-z]*[A-Z]?[a-z]+$")  # Uber, Alexa, iPad, McDonald: ASCII letters only

# Dominant-name detection: a name-like token is masked when it appears in at least this share of
# the documents of at least MIN_CLUSTERS clusters (it is then what pulls those clusters together),
# or, before any clustering, in at least CORPUS_SHARE of all documents.
CLUSTER_COVERAGE = 0.5
MIN_CLUSTERS = 2
CORPUS_SHARE = 0.05
CAPITALISED_SHARE = 0.5  # share of mid-sentence uses written with a capital: a name (57% for "Uber")
MIN_OCCURRENCES = 20


@dataclass(frozen=True)
class Masker:
    """Masks a fixed set of names (brand, competitors, detected) and the noise in modelling text.

    Attributes:
        names: names and aliases to remove, whole words, any case (multi-word names allowed).
    """

    names: tuple[str, ...] = ()

    def pattern(self) -> re.Pattern | None:
        names = sorted({n.strip() for n in self.names if n and n.strip()}, key=lambda n: (-len(n), n))
        if not names:
            return None
        alternatives = "|".join(r"\s+".join(re.escape(w) for w in n.split()) for n in names)
        return re.compile(rf"(?i)(?<![\w@#])(?:{alternatives})(?:'s|’s)?(?![\w])")

    def with_names(self, extra: Iterable[str]) -> Masker:
        return Masker(tuple(sorted(set(self.names) | {e for e in extra if e})))

    def __call__(self, texts: Sequence[str]) -> list[str]:
        return prep_texts(texts, self.names)


def prep_text(text: str, names: re.Pattern | None = None) -> str:
    """One text for modelling (see the module docstring); blank when nothing is left."""
    if not isinstance(text, str):
        return ""
    out = _URL.sub(" ", text)
    out = _EMAIL.sub(" ", out)
    out = _HANDLE.sub(" ", out)
    out = _HASHTAG.sub(r"\1", out)
    out = _NUMBER_ID.sub(" ", out)
    if names is not None:
        out = names.sub(" ", out)
    out = _MIXED_PUNCT.sub(lambda m: m.group(0)[0], out)
    out = _REPEAT_PUNCT.sub(lambda m: "..." if m.group(1) == "." else m.group(1), out)
    out = _SPACE.sub(" ", out).strip()
    return re.sub(r"^[\s,;:.!?-]+", "", out)


def prep_texts(texts: Sequence[str], names: Sequence[str] = ()) -> list[str]:
    """Modelling text of every input, in order (pure: the inputs are not changed)."""
    pattern = Masker(tuple(names)).pattern()
    return [prep_text(t, pattern) for t in texts]


def competitor_terms(competitors) -> list[str]:
    """Names and aliases from a ``competitors`` table (``name``, ``aliases`` split on ``|``)."""
    if competitors is None or len(competitors) == 0 or "name" not in competitors:
        return []
    terms: set[str] = set()
    aliases = competitors["aliases"] if "aliases" in competitors else [None] * len(competitors)
    for name, alias in zip(competitors["name"], aliases, strict=True):
        if isinstance(name, str) and name.strip():
            terms.add(name.strip())
        if isinstance(alias, str):
            terms.update(a.strip() for a in alias.split("|") if a.strip())
    return sorted(terms)


def name_like(texts: Sequence[str]) -> dict[str, tuple[int, str]]:
    """Tokens customers write as names: ``lower -> (documents, most common written form)``.

    A name is a word written with a capital (or camel case, ``iPad``) in at least
    ``CAPITALISED_SHARE`` of its occurrences that do not start a sentence, seen in at least
    ``MIN_OCCURRENCES`` places that do not start a sentence. All-capitals words are left alone:
    ``OTP``, ``GPS``, ``ETA`` name problems, not organisations.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    capital: dict[str, int] = {}
    total: dict[str, int] = {}
    docs: dict[str, int] = {}
    forms: dict[str, dict[str, int]] = {}
    for text in texts:
        seen: set[str] = set()
        prev_end = None
        for match in _WORD.finditer(text):
            word = match.group(0)
            low = word.lower()
            start = match.start()
            sentence_start = prev_end is None or bool(_SENTENCE_BREAK.search(text[prev_end:start]))
            prev_end = match.end()
            seen.add(low)
            if sentence_start or low in ENGLISH_STOP_WORDS or len(low) < 3 or not _NAME_SHAPE.match(word):
                continue
            total[low] = total.get(low, 0) + 1
            upper = word[0].isupper() or any(c.isupper() for c in word[1:])
            if upper and not word.isupper():
                capital[low] = capital.get(low, 0) + 1
                forms.setdefault(low, {})[word] = forms.setdefault(low, {}).get(word, 0) + 1
        for low in seen:
            docs[low] = docs.get(low, 0) + 1
    out: dict[str, tuple[int, str]] = {}
    for low, n in total.items():
        if n >= MIN_OCCURRENCES and capital.get(low, 0) >= CAPITALISED_SHARE * n:
            form = max(forms[low], key=lambda f: (forms[low][f], f))
            out[low] = (docs[low], form)
    return out


def dominant_names(
    texts: Sequence[str],
    clusters: np.ndarray | None = None,
    coverage: float = CLUSTER_COVERAGE,
    min_clusters: int = MIN_CLUSTERS,
    corpus_share: float = CORPUS_SHARE,
    found: dict[str, tuple[int, str]] | None = None,
) -> list[str]:
    """Name-like tokens that dominate, found without configuration.

    Without ``clusters``: names present in at least ``corpus_share`` of all documents (``Uber`` in
    Uber's own reviews). With ``clusters`` (a first fit): names present in at least ``coverage`` of
    the documents of ``min_clusters`` or more clusters: the name, not the problem, is what those
    clusters share. Returns the names as customers most often write them, sorted. ``found`` is
    :func:`name_like` of ``texts`` when the caller already has it (one scan serves a fit).
    """
    names = name_like(texts) if found is None else found
    if not names:
        return []
    n = len(texts)
    found = {low for low, (d, _) in names.items() if d >= corpus_share * n}
    if clusters is not None:
        clusters = np.asarray(clusters)
        lows = sorted(names)
        index = {w: i for i, w in enumerate(lows)}
        k = int(clusters.max()) + 1 if len(clusters) else 0
        counts = np.zeros((k, len(lows)), dtype=np.int64)
        for text, c in zip(texts, clusters, strict=True):
            if c < 0:
                continue
            for w in {m.group(0).lower() for m in _WORD.finditer(text)} & names.keys():
                counts[c, index[w]] += 1
        sizes = np.bincount(clusters[clusters >= 0], minlength=k).astype(float)
        share = counts / np.maximum(sizes, 1)[:, None]
        dominant = ((share >= coverage) & (sizes[:, None] >= 5)).sum(axis=0) >= min_clusters
        found |= {lows[i] for i in np.flatnonzero(dominant)}
    result = sorted(names[low][1] for low in found)
    if result:
        logger.info("masking dominant names found without configuration: %s", ", ".join(result))
    return result


def name_words(texts: Sequence[str]) -> set[str]:
    """Lower-case words customers write as names here: a theme label made only of them is a name alone."""
    return set(name_like(texts))
