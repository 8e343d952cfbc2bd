"""Text enrichment for customer voice: sentiment, intent, PII redaction and HTML escaping.

Every function here is pure and works on plain strings, so the theme engine, the quote
picker and the renderers can share one definition of "negative", "a request" or "PII".
Customer text is untrusted: :func:`redact_pii` runs before any quote leaves the
workbench, and :func:`escape_html` runs wherever a quote is rendered.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

logger = logging.getLogger(__name__)

INTENTS = ("goal", "blocker", "value", "request", "other")

# --------------------------------------------------------------------------------------- sentiment


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    """One VADER analyzer per process: building it reads the lexicon files (the slow part)."""
    return SentimentIntensityAnalyzer()


def _as_text(value: object) -> str:
    """``value`` as a string; None, NaN and other non-strings (pandas NA) become ``""``."""
    return value if isinstance(value, str) else ""


# VADER's cost grows with the square of a text's length (about 0.06 ms at 100 characters, 4 ms at
# 2,000, 300 ms at 20,000), and its compound score saturates at +-1 on long texts anyway. Texts
# longer than LONG_TEXT are therefore scored in sentence-aligned chunks of about CHUNK characters,
# and the compound scores are averaged weighted by chunk length.
LONG_TEXT = 2_000
CHUNK = 1_000
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?\n])\s+")


def _chunks(text: str) -> list[str]:
    chunks: list[str] = []
    current = ""
    for sentence in _SENTENCE_SPLIT.split(text):
        while len(sentence) > CHUNK:  # one huge "sentence" (no punctuation): cut it at a space
            cut = sentence.rfind(" ", 0, CHUNK)
            cut = cut if cut > 0 else CHUNK
            if current:
                chunks.append(current)
                current = ""
            chunks.append(sentence[:cut])
            sentence = sentence[cut:].lstrip()
        if current and len(current) + len(sentence) + 1 > CHUNK:
            chunks.append(current)
            current = ""
        current = f"{current} {sentence}" if current else sentence
    if current:
        chunks.append(current)
    return [c for c in chunks if c.strip()]


def _compound(analyzer: SentimentIntensityAnalyzer, text: str) -> float:
    if len(text) <= LONG_TEXT:
        return float(analyzer.polarity_scores(text)["compound"])
    parts = _chunks(text)
    scores = np.array([analyzer.polarity_scores(p)["compound"] for p in parts], dtype=np.float64)
    weights = np.array([len(p) for p in parts], dtype=np.float64)
    return float(np.average(scores, weights=weights))


def sentiment_scores(texts: Sequence[str | None]) -> np.ndarray:
    """VADER compound score per text, in -1..1 (0.0 for empty or missing text).

    The theme engine's sentiment comes from a head on the MiniLM embeddings
    (:mod:`workbench.themes.sentiment`), which agrees with people far more often (docs/sentiment.md);
    VADER is its fallback for embedding models the head was not trained on (the static model2vec
    ones), because it needs no weights, runs at tens of thousands of short texts per second on one
    core and was built for short, informal text with emphasis, emoji and negation. Identical
    texts are scored once: exports repeat "Great app" and template replies a lot. Texts over
    ``LONG_TEXT`` characters are scored in chunks (see above), which keeps a 20,000-character call
    transcript at a few milliseconds instead of a third of a second.

    Args:
        texts: the texts, in order; ``None``/NaN allowed.

    Returns:
        A float64 array aligned with ``texts``.
    """
    analyzer = _analyzer()
    seen: dict[str, float] = {}
    out = np.zeros(len(texts), dtype=np.float64)
    for i, raw in enumerate(texts):
        text = _as_text(raw)
        if not text.strip():
            continue
        score = seen.get(text)
        if score is None:
            score = seen[text] = _compound(analyzer, text)
        out[i] = score
    return out


# ------------------------------------------------------------------------------------------ intent
# Cue lists, matched case-insensitively on word boundaries. Precedence when a text has cues of
# several kinds: request > blocker > goal > value > other.
#  - request first: an explicit ask ("please add X") is the most actionable reading, and requests
#    usually carry the blocker or goal that motivates them ("we can't export, please add CSV").
#  - blocker before goal: a goal that is being blocked ("trying to export but it fails") is friction.
#  - goal before value: "we need to share reports so that clients see progress; it helps" is about
#    what the customer is trying to achieve.
#  - value last: praise is common as a preface to everything else ("love it, but...").

REQUEST_CUES = (
    r"please (?:add|allow|make|let|bring|include|consider|support|give|enable|implement|provide|offer"
    r"|update|improve|change|remove|reduce|lower|stop)",
    r"(?:would|'d) (?:love|like)",
    r"it would be (?:nice|great|helpful|awesome|good|useful|better)",
    r"would be (?:nice|great|helpful|awesome|useful)",
    r"feature requests?",
    r"wish(?:es|ed)?",
    r"should (?:have|add|allow|support|be able to|let)",
    r"(?:can|could) you (?:please )?(?:add|make|allow)",
    r"hope (?:you|they) (?:add|will add|bring)",
    r"any plans? (?:to|for)",
    r"add (?:an? )?(?:option|ability|way|setting|support)",
    r"needs? (?:an? )?(?:option|setting|way) to",
    r"missing (?:a |an |the )?feature",
    r"bring back",
)
BLOCKER_CUES = (
    r"can'?t",
    r"cannot",
    r"can not",
    r"couldn'?t",
    r"unable to",
    r"not able to",
    r"won'?t (?:let|load|open|work|sync)",
    r"errors?",
    r"stuck",
    r"broken",
    r"breaks?",
    r"fail(?:s|ed|ing|ure)?",
    r"crash(?:es|ed|ing)?",
    r"bugs?",
    r"buggy",
    r"glitch(?:es|y)?",
    r"doesn'?t work",
    r"does not work",
    r"not working",
    r"stopped working",
    r"freez(?:es|ing)",
    r"frozen",
    r"hangs",
    r"hanging",
    r"time[ds]? ?out",
    r"blocked",
    r"blocker",
    r"impossible",
    r"(?:too|so|very|really|extremely|painfully|terribly|incredibly|super) slow",
    r"slow to (?:load|open|sync)",
    r"keeps? (?:logging|kicking|losing)",
    r"problems?",
    r"issues?",
    r"unusable",
    r"useless",
    r"confusing",
    r"(?:hard|difficult|impossible) to (?:find|use|understand|cancel|reach|contact|get|book|log ?in|navigate"
    r"|set up|change|delete)",
    r"not possible",
    r"closes (?:on its own|itself|by itself|unexpectedly)",
    r"wait(?:ed|ing)? (?:for )?(?:\d+|ages|hours|forever|so long)",
    r"not (?:loading|opening|responding|syncing)",
    r"no (?:response|reply|answer)",
    r"never (?:arrived|came|showed up|received|got)",
    r"long wait(?:ing|s)?",
)
GOAL_CUES = (
    r"(?:we|i) (?:want|wanted) to",
    r"want to be able to",
    r"trying to",
    r"(?:we|i) (?:need|needed) to",
    r"need to",
    r"so that",
    r"in order to",
    r"our goal",
    r"(?:the|my) goal is",
    r"(?:we're|we are|i'm|i am) looking to",
    r"looking for a way to",
    r"hoping to",
    r"(?:we|i) aim to",
    r"(?:we|i) plan to",
)
VALUE_CUES = (
    r"lov(?:e|es|ed|ing)",
    r"sav(?:es|ed|ing) (?:us|me|our|my|a lot of|so much|hours|time)",
    r"great",
    r"helps",
    r"helped",
    r"helpful",
    r"easy to use",
    r"easy",
    r"simple",
    r"intuitive",
    r"excellent",
    r"amazing",
    r"awesome",
    r"fantastic",
    r"perfect",
    r"best",
    r"reliable",
    r"game[- ]changer",
    r"worth (?:it|every)",
    r"recommend",
    r"works (?:great|well|perfectly)",
    r"happy with",
    r"makes (?:it|our|my) (?:\w+ )?easy",
    r"good",
    r"nice",
    r"wonderful",
    r"brilliant",
    r"superb",
    r"outstanding",
    r"convenient",
    r"smooth",
    r"comfortable",
    r"useful",
    r"handy",
    r"efficient",
    r"satisfied",
    r"pleasant",
    r"fast",
)
# Idioms whose words look like blockers but that praise the product: they count as value and are
# removed before blocker cues are matched.
VALUE_IDIOMS = (
    r"(?:can'?t|cannot|couldn'?t) (?:live|imagine (?:life|working|doing \w+)|do) without",
    r"(?:can'?t|cannot) recommend (?:\w+ ){0,3}enough",
    r"couldn'?t be happier",
)
# Phrases that mention a blocker word to deny it ("no errors since the update"); removed before matching.
NEUTRAL_PHRASES = (
    r"can'?t wait",
    r"(?:any|all) (?:issues?|problems?)",
    r"no (?:more )?(?:errors?|bugs?|crash(?:es)?|issues|problems?)",
    r"never (?:crash(?:es|ed)?|fails?)",
    r"zero (?:errors?|bugs?|crash(?:es)?)",
    r"bug[- ]free",
    r"without (?:any )?(?:errors?|bugs?|crash(?:es)?|issues|problems?)",
    r"(?:fixed|solved|resolved|sorted(?: out)?) (?:\w+ ){0,2}"
    r"(?:bugs?|crash(?:es)?|errors?|problems?|issues?)",
)
_NEGATOR = (
    r"(?:not|never|no longer|hardly|isn'?t|wasn'?t|aren'?t|doesn'?t|don'?t|didn'?t|won'?t|wouldn'?t|"
    r"shouldn'?t|couldn'?t|can'?t|cannot)"
)


def _alternation(cues: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(?:" + "|".join(cues) + r")(?![\w'])", re.IGNORECASE)


_REQUEST = _alternation(REQUEST_CUES)
_BLOCKER = _alternation(BLOCKER_CUES)
_GOAL = _alternation(GOAL_CUES)
_VALUE = _alternation(VALUE_CUES)
_VALUE_IDIOM = _alternation(VALUE_IDIOMS)
_NEUTRAL = _alternation(NEUTRAL_PHRASES)
# "not great", "doesn't really help", "no longer love": a negated value cue is not praise.
_NEGATED_VALUE = re.compile(
    rf"(?<![\w']){_NEGATOR}\s+(?:\w+\s+)?(?:{'|'.join(VALUE_CUES)})(?![\w'])", re.IGNORECASE
)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def _intent_of(text: str) -> str:
    cleaned = text.translate(_APOSTROPHES)
    if not cleaned.strip():
        return "other"
    if _REQUEST.search(cleaned):
        return "request"
    idiom_value = bool(_VALUE_IDIOM.search(cleaned))
    cleaned = _NEUTRAL.sub(" ", _VALUE_IDIOM.sub(" ", cleaned))
    if _BLOCKER.search(cleaned):
        return "blocker"
    if _GOAL.search(cleaned):
        return "goal"
    if idiom_value or _VALUE.search(_NEGATED_VALUE.sub(" ", cleaned)):
        return "value"
    return "other"


def classify_intent(texts: Sequence[str | None]) -> list[str]:
    """Rule-based intent per text: ``goal``, ``blocker``, ``value``, ``request`` or ``other``.

    Rules rather than a model because the labels have to be explainable to the people who act
    on them ("why is this a blocker?" -> "it says *can't export*"), deterministic across runs,
    and fast on a million texts. The cue lists and their precedence are the module constants
    ``REQUEST_CUES``, ``BLOCKER_CUES``, ``GOAL_CUES`` and ``VALUE_CUES`` (precedence
    request > blocker > goal > value). Praise idioms ("can't live without it") count as value,
    denials ("no more crashes") do not count as blockers, and negated praise ("not great")
    does not count as value.

    Args:
        texts: the texts, in order; ``None``/NaN give ``other``.

    Returns:
        One label per text.
    """
    cache: dict[str, str] = {}
    labels = []
    for raw in texts:
        text = _as_text(raw)
        label = cache.get(text)
        if label is None:
            label = cache[text] = _intent_of(text)
        labels.append(label)
    return labels


# --------------------------------------------------------------------------------------------- PII

# Query/fragment keys that carry credentials or one-time secrets. A key is sensitive when it is
# one of these, or when it ends with one of _SENSITIVE_SUFFIXES ("x_api_key", "reset_token").
SENSITIVE_URL_KEYS = frozenset(
    {
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "auth",
        "auth_token",
        "authorization",
        "key",
        "api_key",
        "apikey",
        "sig",
        "signature",
        "x_amz_signature",
        "x_amz_credential",
        "x_amz_security_token",
        "session",
        "sessionid",
        "session_id",
        "sid",
        "code",
        "password",
        "pass",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "otp",
        "jwt",
        "ticket",
        "hash",
        "credential",
        "credentials",
        "private_token",
    }
)
_SENSITIVE_SUFFIXES = ("token", "_key", "secret", "password", "signature", "_sig", "_auth", "session")

_URL = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>\"'`]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}'\""
# A path segment that looks like a credential: long, and mixing cases and digits (slugs are lowercase),
# or a long hex string, or a JWT.
_TOKEN_SEGMENT = re.compile(
    r"^(?:(?=[A-Za-z0-9_\-]{24,}$)(?=.*[a-z])(?=.*[A-Z])(?=.*\d).*|[0-9a-fA-F]{32,}|eyJ[\w\-]+\.[\w\-]+.*)$"
)
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
# E-mails written to dodge scrapers: "jane dot doe at example dot com", "jane [at] example [dot] com",
# "jane(at)example(dot)com". At least one "at" or "dot" must be spelled out or bracketed (plain
# addresses are _EMAIL's), and the address must end in a dot and a top-level domain.
_OBF_AT = r"(?:\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+|\s*@\s*)"
_OBF_DOT = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+|\.)"
_OBF_LABEL = r"[A-Za-z0-9][A-Za-z0-9_%+-]*"
_OBF_EMAIL = re.compile(
    rf"(?<![\w.@-]){_OBF_LABEL}(?:{_OBF_DOT}{_OBF_LABEL})*{_OBF_AT}{_OBF_LABEL}(?:{_OBF_DOT}{_OBF_LABEL})*"
    rf"{_OBF_DOT}[A-Za-z]{{2,24}}(?![\w@-])",
    re.IGNORECASE,
)
_SPELLED = re.compile(r"[\[({<]\s*(?:at|dot)\s*[\])}>]|\s(?:at|dot)\s", re.IGNORECASE)
# Top-level domains an e-mail spelled with plain words ("at", "dot") must end in, so that
# "arrived at home dot ..." style prose is not taken for an address.
_TLD_LIST = "com net org edu gov io co uk de fr es it nl be ch at se no dk fi pl ru in au ca us me info biz"
_COMMON_TLDS = frozenset(_TLD_LIST.split() + ["app", "dev", "mail", "email", "online", "br", "mx", "jp"])
# US Social Security numbers, 123-45-6789 (area 000, 666 and 9xx, group 00 and serial 0000 are never
# issued), or any 9 digits right after "SSN" / "social security number".
_SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w]|-\d)")
_SSN_CUED = re.compile(
    r"(?P<cue>\b(?:ssn|ss#|social security(?:\s+(?:number|no\.?|#))?)\s*(?:is|:|#|-)?\s*)"
    r"(?P<num>\d{3}[ .-]?\d{2}[ .-]?\d{4})(?![\w]|[.,-]\d)",
    re.IGNORECASE,
)
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])")
# 13-19 digits, optionally grouped by single spaces or dashes; Luhn-checked before redaction.
_CARD = re.compile(r"(?<![\w.,])\d(?:[ -]?\d){12,18}(?![\w]|[.,]\d)")
# International: +CC then 2-6 groups; 8-15 digits in all (E.164).
_PHONE_INTL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){2,6}(?![\w]|[.,]\d)")
# North American: (555) 123-4567, 555-123-4567, 555.123.4567, 1-800-555-0199, +1 555 123 4567.
_PHONE_US = re.compile(
    r"(?<![\w.+-])(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w]|[.,-]\d)"
)
# Any other digit run (7-15 digits) only when the words just before it say it is a phone number.
_PHONE_CUED = re.compile(
    r"(?P<cue>\b(?:call|phone|tel|telephone|mobile|cell|whatsapp|text|sms|reach|ring|contact"
    r"|(?:my|our) number)\b"
    r"(?:\s+(?:me|us))?(?:\s+(?:number|no\.?|#))?(?:\s*(?:at|on|is|:|-))?\s*)"
    r"(?P<num>\(?\d[\d ().-]{5,20}\d)(?![\w]|[.,]\d)",
    re.IGNORECASE,
)


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum that every payment card number satisfies (and ~90% of random numbers fail)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _sensitive_key(key: str) -> bool:
    key = key.strip().lower().replace("-", "_")
    return key in SENSITIVE_URL_KEYS or key.endswith(_SENSITIVE_SUFFIXES)


def url_carries_secret(url: str) -> bool:
    """True when a URL carries credentials: user:password@, a sensitive query/fragment key, or a token path.

    Ordinary links (documentation, app store pages) are evidence worth keeping in a quote;
    links with a session, reset or signed-download token would let a reader act as the customer.
    """
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
    except ValueError:
        return True  # unparseable: do not take the risk
    if "@" in parts.netloc:
        return True
    for blob in (parts.query, parts.fragment):
        if any(_sensitive_key(k) for k, _ in parse_qsl(blob, keep_blank_values=True)):
            return True
    return any(_TOKEN_SEGMENT.match(seg) for seg in parts.path.split("/") if seg)


def _redact_url(match: re.Match[str]) -> str:
    url = match.group(0)
    tail = ""
    while url and url[-1] in _URL_TRAILING:
        tail = url[-1] + tail
        url = url[:-1]
    return ("[url]" if url_carries_secret(url) else url) + tail


def _redact_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card]" if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group(0)


def _redact_intl_phone(match: re.Match[str]) -> str:
    n = sum(ch.isdigit() for ch in match.group(0))
    return "[phone]" if 8 <= n <= 15 else match.group(0)


def _redact_cued_phone(match: re.Match[str]) -> str:
    n = sum(ch.isdigit() for ch in match.group("num"))
    return match.group("cue") + "[phone]" if 7 <= n <= 15 else match.group(0)


def _redact_obfuscated_email(match: re.Match[str]) -> str:
    found = match.group(0)
    spelled = _SPELLED.findall(found)
    at_bracketed = any(s.strip()[0] in "[({<" and "at" in s.lower() for s in spelled)
    if not at_bracketed and not any("dot" in s.lower() for s in spelled):
        return found  # an ordinary address (_EMAIL's), or prose such as "booked at uber.com"
    bracketed = any(s.strip()[0] in "[({<" for s in spelled)
    tld = re.split(r"\s+dot\s+|[\])}>]|\.", found, flags=re.IGNORECASE)[-1].strip().lower()
    return "[email]" if bracketed or tld in _COMMON_TLDS else found


def redact_pii(text: str | None) -> str:
    """``text`` with personal data replaced by ``[url]``, ``[email]``, ``[ssn]``, ``[iban]``, ``[card]``
    or ``[phone]``.

    Quotes travel into decks and e-mails far beyond the support tool's access controls, so
    anything that identifies or lets someone act as a customer is removed first. Each pattern
    is narrow on purpose: a quote full of false redactions ("version [phone]") is useless, so
    ordinary numbers (versions, money, years, durations, dates, order numbers) are kept.

    Rules, applied in this order so that a longer pattern is not half-eaten by a shorter one:

    - URLs carrying secrets (see :func:`url_carries_secret`): the whole URL becomes ``[url]``;
      ordinary URLs are kept.
    - E-mail addresses, also spelled out to dodge scrapers (``jane dot doe at example dot com``,
      ``jane [at] example [dot] com``).
    - US Social Security numbers (``123-45-6789`` in the issued ranges, or 9 digits after "SSN").
    - IBAN-like account numbers that pass the ISO 13616 mod-97 check.
    - Card-like numbers: 13-19 digits, optionally grouped by spaces or dashes, passing Luhn.
    - Phone numbers: international (``+`` and 8-15 digits), North American formats
      (``(555) 123-4567``, ``555-123-4567``, ``555.123.4567``, ``1-800-555-0199``), and any 7-15
      digit run right after a cue such as "call me at" or "my number is".

    Args:
        text: untrusted text; ``None`` gives ``""``.

    Returns:
        The redacted text.
    """
    text = _as_text(text)
    if not text:
        return ""
    text = _URL.sub(_redact_url, text)
    text = _EMAIL.sub("[email]", text)
    text = _OBF_EMAIL.sub(_redact_obfuscated_email, text)
    text = _SSN.sub("[ssn]", text)
    text = _SSN_CUED.sub(lambda m: m.group("cue") + "[ssn]", text)
    text = _IBAN.sub(lambda m: "[iban]" if _iban_valid(m.group(0)) else m.group(0), text)
    text = _CARD.sub(_redact_card, text)
    text = _PHONE_INTL.sub(_redact_intl_phone, text)
    text = _PHONE_US.sub("[phone]", text)
    return _PHONE_CUED.sub(_redact_cued_phone, text)


def escape_html(text: str | None) -> str:
    """``text`` safe to place in HTML element content or a quoted attribute (``None`` gives ``""``).

    Quotes are customer-written and therefore untrusted; renderers call this on every quote
    so that ``<script>`` in a review shows up as text instead of running in the report.
    """
    return html.escape(_as_text(text), quote=True)
