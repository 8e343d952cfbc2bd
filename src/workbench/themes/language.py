"""Offline language detection, so non-English feedback becomes its own labelled group.

Why: the default embedding model (all-MiniLM-L6-v2) is English-only. Reviews in Chinese or
Spanish land close together because the model does not understand them, and k-means then makes a
cluster of them that no phrase can label ("Cluster 5"). Detecting the language first keeps them out
of the English clusters, as "Chinese-language feedback", unless a multilingual model is configured.

The detector is py3langid (a pinned PyPI package that ships its model; no download at run time).
It is only trusted when it is confident and the text is long enough to judge: short English
reviews ("good app", "ok") are often given to other languages with low confidence.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence

import numpy as np

logger = logging.getLogger(__name__)

ENGLISH = "en"
MIN_PROBABILITY = 0.95
MIN_WORDS = 4  # Latin-script texts shorter than this stay English (too short to judge)
MIN_GROUP_SHARE = 0.005  # a language needs this share of the documents (and MIN_GROUP_DOCS) to get a group
MIN_GROUP_DOCS = 10
_NON_LATIN = re.compile(  # Cyrillic, Hebrew, Arabic, Indic, Thai, Lao, kana, CJK, Hangul
    r"[\u0400-\u04ff\u0590-\u06ff\u0900-\u0dff\u0e00-\u0eff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]"
)
# Model names that understand many languages: with one configured, non-English text stays in the clusters.
MULTILINGUAL_HINTS = ("multilingual", "labse", "distiluse", "xlm", "-m3", "e5-")
NAMES = {
    "ar": "Arabic",
    "de": "German",
    "es": "Spanish",
    "fr": "French",
    "hi": "Hindi",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sv": "Swedish",
    "th": "Thai",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "zh": "Chinese",
}


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def guess(texts: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
    """Per text, the detector's likeliest language however unsure, and its probability.

    Texts too short to judge (:func:`judgeable`) get None and 0. One pass serves both the
    per-text decision (:func:`detect`) and the judgement of whole clusters
    (:func:`workbench.themes.group_labels.cluster_language`).
    """
    ident = _identifier()
    codes = np.full(len(texts), None, dtype=object)
    probs = np.zeros(len(texts), dtype=np.float64)
    for i, text in enumerate(texts):
        if judgeable(text):
            codes[i], probs[i] = ident.classify(text)
    return codes, probs


def detect(texts: Sequence[object], guessed: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """ISO 639-1 code per text, ``'en'`` unless another language is detected with confidence.

    ``guessed`` is :func:`guess`'s answer for the same texts, when already computed.
    """
    codes, probs = guessed if guessed is not None else guess(texts)
    out = np.full(len(texts), ENGLISH, dtype=object)
    for i, (code, prob) in enumerate(zip(codes, probs, strict=True)):
        if code is not None and code != ENGLISH and (prob >= MIN_PROBABILITY or _NON_LATIN.search(texts[i])):
            out[i] = code
    return out


def judgeable(text: object) -> bool:
    """True for a text long enough to judge its language: MIN_WORDS words, or non-Latin letters."""
    if not isinstance(text, str) or not text.strip():
        return False
    return len(text.split()) >= MIN_WORDS or bool(_NON_LATIN.search(text))


def language_name(code: str) -> str:
    return NAMES.get(code, code.upper())


def group_label(code: str) -> str:
    """The label of a language group: ``'Chinese-language feedback'``."""
    return f"{language_name(code)}-language feedback"


def is_multilingual(model_spec: str) -> bool:
    spec = model_spec.lower()
    return any(h in spec for h in MULTILINGUAL_HINTS)


def language_groups(languages: np.ndarray) -> list[str]:
    """Languages other than English frequent enough to be their own theme, most frequent first."""
    codes, counts = np.unique(np.asarray(languages, dtype=str), return_counts=True)
    need = max(MIN_GROUP_DOCS, MIN_GROUP_SHARE * len(languages))
    keep = [(int(n), str(c)) for c, n in zip(codes, counts, strict=True) if c != ENGLISH and n >= need]
    return [c for _, c in sorted(keep, key=lambda t: (-t[0], t[1]))]
