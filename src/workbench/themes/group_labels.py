"""Honest labels for clusters that have no topic: other languages, and praise or complaint alone.

Why: the phrase labeller (:mod:`workbench.themes.labels`) names a cluster after its most central
distinctive phrase. Some clusters have none that a product manager could act on, and the phrase
it finds misleads. On the real Google Play reviews of the Uber app (``../shared/data``,
empty registry) that gave themes called:

- "Hai" (126 reviews) and "Excelente" (110): Hindi written in Latin letters, and Spanish,
  Portuguese and Romanian reviews too short for the per-review language detector;
- "Nic", "Gud", "Osm", "Goog", "Exlent", "Verry", "Sarvice": one- and two-word praise, misspelt;
- on the Amazon Alexa reviews, "Best" beside "Love": whole reviews that only say how much the
  customer loves the device.

The rules here replace such a label by one that says what the cluster is, so that the report's
top themes are topics and the rest is counted honestly:

1. **Other languages.** A cluster most of whose judgeable members (four words or more, or any
   non-Latin script) the offline detector reads as another language is
   "<Language>-language feedback" when one major language holds two thirds of them, else
   "Feedback in other languages". Short reviews are too short to judge one at a time; a cluster
   of them is judged by its longer members.
2. **Judgement alone** (:func:`generic_polarity`): a cluster of short texts whose label is only
   "good", "excellent"... is "Short praise" / "Short complaints"; a cluster of longer texts
   with such a label is "General praise" / "General complaints": nothing more specific was
   distinctive in it.
3. **Misspelt judgement.** A cluster of short texts whose label is one word that is not in an
   English dictionary (pyspellchecker's, offline) and that customers do not write in capitals
   (so not "SSO" or "API"), and whose tone is clear (a third of its members or more are not
   neutral, and nine in ten of those agree), is short praise or complaints. The tone condition
   keeps neutral jargon ("Okta", "webhook") as it is.

Clusters that end up with one of these labels share it, and the engine makes one theme of them.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from workbench.themes import language

# Words that judge without saying what is judged. A cluster of short texts whose label is made
# only of them (and of intensifiers such as "very") says nothing about a product: on the Uber
# reviews "Good", "Excellent", "Nice", "Best", "Very good", "Wonderful"... were a dozen themes of
# one- and two-word praise, ahead of every real topic. Words that name a quality ("easy", "fast",
# "friendly", "useful") are not here: "easy to use" is a product finding.
GENERIC_EVALUATIVE = frozenset(
    [
        "good",
        "great",
        "nice",
        "excellent",
        "best",
        "better",
        "awesome",
        "super",
        "amazing",
        "fantastic",
        "wonderful",
        "outstanding",
        "superb",
        "perfect",
        "brilliant",
        "exceptional",
        "lovely",
        "love",
        "loved",
        "like",
        "liked",
        "wow",
        "ok",
        "okay",
        "fine",
        "cool",
        "bad",
        "worst",
        "worse",
        "terrible",
        "awful",
        "horrible",
        "pathetic",
        "poor",
        "useless",
        "hate",
        "disappointing",
    ]
)
SHORT_TEXT_WORDS = 4  # a cluster is "short texts" when its median text has at most this many words
SHORT_PRAISE, SHORT_COMPLAINTS = "Short praise", "Short complaints"
GENERAL_PRAISE, GENERAL_COMPLAINTS = "General praise", "General complaints"
OTHER_LANGUAGES = "Feedback in other languages"
MEMBERS_READ = 500  # members of a cluster read to judge it (the engine's order is effectively random)
# Tone: a cluster is clearly positive (negative) when at least POLAR_SHARE of its members are not
# neutral and at least AGREEMENT of those are positive (negative). Read among the polar members
# because a misspelling mutes the inferred sentiment: of 21 Uber reviews saying "Gud", "Gud
# service", "Very gud experience" (4.7 stars on average), 62% read as neutral and none negative.
POLAR_SHARE = 1 / 3
AGREEMENT = 0.9
# Language: a cluster is in another language when at least this share of its judgeable members
# is, and at least MIN_JUDGED of them (or a third of the members) could be judged.
OTHER_LANGUAGE_SHARE = 0.5
ONE_LANGUAGE_SHARE = 2 / 3
MIN_JUDGED = 5

Tone = Callable[[np.ndarray], np.ndarray]
"""Given row indices into the clustered texts, their sentiment labels (positive / neutral / negative)."""


def generic_polarity(label: str) -> int:
    """+1 or -1 when ``label`` is only generic judgement ("Very good", "Worst"), else 0.

    Every word must be a :data:`GENERIC_EVALUATIVE` word, an intensifier VADER knows ("very",
    "so", "really") or a stop word, and at least one must be evaluative; the sign is VADER's.
    """
    from vaderSentiment.vaderSentiment import BOOSTER_DICT

    words = re.findall(r"[a-z]+", label.lower())
    evaluative = [w for w in words if w in GENERIC_EVALUATIVE]
    if not evaluative or any(
        w not in GENERIC_EVALUATIVE and w not in BOOSTER_DICT and w not in ENGLISH_STOP_WORDS for w in words
    ):
        return 0
    from workbench.themes.text import sentiment_scores

    score = float(sentiment_scores([label])[0])
    return 1 if score > 0 else -1 if score < 0 else 0


@functools.lru_cache(maxsize=1)
def _dictionary():
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1)


def is_dictionary_word(word: str) -> bool:
    """True when ``word`` (any case) is in the offline English dictionary."""
    return not _dictionary().unknown([word.lower()])


def cluster_language(guesses: Sequence[str | None]) -> str | None:
    """The label of a cluster written in another language than English, or None.

    ``guesses`` are the members' likeliest languages (:func:`workbench.themes.language.guess`),
    None for a member too short to judge (the detector guesses wildly on "Nic" or "Bas"). Most
    judged members must be read as another language.
    """
    judged = [g for g in guesses if g is not None]
    if len(judged) < max(MIN_JUDGED, len(guesses) / 3):
        return None
    codes = Counter(judged)
    other = len(judged) - codes.pop(language.ENGLISH, 0)
    if other < OTHER_LANGUAGE_SHARE * len(judged):
        return None
    code, n = max(codes.items(), key=lambda kv: (kv[1], kv[0]))
    if code in language.NAMES and n >= ONE_LANGUAGE_SHARE * other:
        return language.group_label(code)
    return OTHER_LANGUAGES


def _tone_sign(tone: Tone | None, rows: np.ndarray) -> int:
    if tone is None or len(rows) == 0:
        return 0
    labels = np.asarray(tone(rows), dtype=object)
    positive, negative = int((labels == "positive").sum()), int((labels == "negative").sum())
    polar = positive + negative
    if polar == 0 or polar < POLAR_SHARE * len(labels):
        return 0
    return 1 if positive >= AGREEMENT * polar else -1 if negative >= AGREEMENT * polar else 0


def _misspelt_judgement(label: str) -> bool:
    """One word, not in the dictionary, and not written in capitals by customers ("SSO")."""
    words = label.split()
    return len(words) == 1 and not label.isupper() and not is_dictionary_word(words[0])


def group_labels(
    out: dict[int, str],
    texts: Sequence[str],
    labels: np.ndarray,
    tone: Tone | None = None,
    guesses: Sequence[str | None] | None = None,
) -> dict[int, str]:
    """``out`` with the labels of topic-less clusters replaced (see the module docstring).

    Args:
        out: cluster -> phrase label.
        texts: the clustered texts.
        labels: cluster index per text (negative = unassigned).
        tone: sentiment labels of given rows, to tell misspelt praise from neutral jargon; without
            it rule 3 is skipped.
        guesses: each text's likeliest language (:func:`workbench.themes.language.guess`); without
            them (a multilingual embedding model) rule 1 is skipped.
    """
    labels = np.asarray(labels)
    relabelled = dict(out)
    for k, label in out.items():
        rows = np.flatnonzero(labels == k)[:MEMBERS_READ]
        if len(rows) == 0:
            continue
        other_language = cluster_language([guesses[i] for i in rows]) if guesses is not None else None
        if other_language:
            relabelled[k] = other_language
            continue
        short = np.median([len(str(texts[i]).split()) for i in rows]) <= SHORT_TEXT_WORDS
        sign = generic_polarity(label)
        if sign and short:
            relabelled[k] = SHORT_PRAISE if sign > 0 else SHORT_COMPLAINTS
        elif sign:
            relabelled[k] = GENERAL_PRAISE if sign > 0 else GENERAL_COMPLAINTS
        elif short and _misspelt_judgement(label):
            sign = _tone_sign(tone, rows)
            if sign:
                relabelled[k] = SHORT_PRAISE if sign > 0 else SHORT_COMPLAINTS
    return relabelled
