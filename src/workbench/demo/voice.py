"""Composing customer-voice texts for the demo company from the phrase banks in text.py.

A text is assembled from a theme statement, optional details, sometimes a second theme, a
channel's framing (ticket greeting, NPS verdict, casual app review, third-person sales note,
churn survey) and sometimes typos. Composition is where the variety comes from, so that a
theme model has to generalise rather than memorise one template per theme. Every random
choice goes through the one ``numpy.random.Generator`` handed in, so output is a pure
function of the seed.
"""

from __future__ import annotations

import re

import numpy as np

from workbench.demo import text as bank

_SLOT = re.compile(r"\{(\w+)\}")
_ALTERNATIVES = re.compile(r"\[([^\[\]]*)\]")

# First words that keep their capital letter when a statement is embedded mid-sentence.
_PROPER = frozenset(
    {w for names in (bank.SLOTS["tool"], bank.SLOTS["idp"]) for n in names for w in n.split()}
    | {
        "Bulk",
        "Zapier",
        "SAML",
        "SSO",
        "SCIM",
        "Northwind",
        "Android",
        "iOS",
        "UI",
        "API",
        "CSV",
        "Excel",
        "XLSX",
        "AI",
        "KPI",
        "CSM's",
        "Live",
    }
)

# Customer voice -> sales-note voice ("we need" -> "they need"). Order matters: contractions first.
_THIRD_PERSON = [
    (re.compile(r"\b(I|we)'re\b", re.IGNORECASE), "they're"),
    (re.compile(r"\bI'm\b"), "they're"),
    (re.compile(r"\b(I|we)'ve\b", re.IGNORECASE), "they've"),
    (re.compile(r"\b(I|we)'d\b", re.IGNORECASE), "they'd"),
    (re.compile(r"\b(I|we)'ll\b", re.IGNORECASE), "they'll"),
    (re.compile(r"\bI was\b"), "they were"),
    (re.compile(r"\bI am\b"), "they are"),
    (re.compile(r"\bI\b"), "they"),
    (re.compile(r"\bwe\b", re.IGNORECASE), "they"),
    (re.compile(r"\bourselves\b", re.IGNORECASE), "themselves"),
    (re.compile(r"\bmyself\b", re.IGNORECASE), "themselves"),
    (re.compile(r"\bours\b", re.IGNORECASE), "theirs"),
    (re.compile(r"\bour\b", re.IGNORECASE), "their"),
    (re.compile(r"\bmy\b", re.IGNORECASE), "their"),
    (re.compile(r"\bus\b"), "them"),
    (re.compile(r"\bme\b"), "them"),
]


def third_person(text: str) -> str:
    """Rewrite a first-person statement as a sales rep would note it ("we need" -> "they need")."""
    out = text
    for pattern, repl in _THIRD_PERSON:
        out = pattern.sub(lambda m, r=repl, s=out: r.capitalize() if _starts_sentence(s, m) else r, out)
    return out


def _starts_sentence(text: str, match: re.Match) -> bool:
    before = text[: match.start()].rstrip()
    return match.group(0)[0].isupper() and (not before or before[-1] in '.!?:"')


def lower_first(text: str) -> str:
    """Lower-case the first letter so a statement can follow "because" or a connector."""
    if not text:
        return text
    word = text.split(" ", 1)[0].rstrip(",.:;!?")
    if word == "I" or word.startswith("I'") or word in _PROPER or not word[:1].isalpha():
        return text
    if len(word) > 1 and word[1].isupper():  # SSO, UI, KPI...
        return text
    return text[0].lower() + text[1:]


# How many detail sentences each channel tends to add (probabilities of 0, 1, 2, 3).
_DETAILS = {
    "support_ticket": (0.3, 0.35, 0.25, 0.1),
    "nps": (0.6, 0.4),
    "app_review": (0.6, 0.4),
    "sales_call": (0.45, 0.4, 0.15),
    "churn_survey": (0.5, 0.35, 0.15),
}


_SHORT_SHARE = {"app_review": 0.15, "nps": 0.08}


def _strip_end(text: str) -> str:
    return text.rstrip(" .!")


class Voice:
    """Draws texts for one generation run. Holds only the random generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    # ------------------------------------------------------------------ primitives
    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def fill(self, text: str) -> str:
        """Resolve ``[a|b|c]`` alternatives, then replace each ``{slot}`` by a random filler."""
        text = _ALTERNATIVES.sub(lambda m: self.pick(m.group(1).split("|")), text)
        return _SLOT.sub(lambda m: self.pick(bank.SLOTS[m.group(1)]), text)

    def statement(self, theme_id: str, flipped: bool = False) -> str:
        theme = bank.THEME_BY_ID[theme_id]
        pool = theme.flipped if flipped and theme.flipped else theme.core
        return self.fill(self.pick(pool))

    def details(self, theme_id: str, n: int) -> list[str]:
        pool = list(bank.THEME_BY_ID[theme_id].details)
        n = min(n, len(pool))
        idx = self.rng.choice(len(pool), size=n, replace=False) if n else []
        return [self.fill(pool[i]) for i in idx]

    def noise(self) -> str:
        text = self.pick(bank.NOISE)
        roll = self.rng.random()
        if roll < 0.2:
            text = text.upper()
        elif roll < 0.4:
            text = text.lower()
        elif roll < 0.55 and text[-1:].isalpha():
            text += self.pick(("!", ".", "!!", " :)", "?"))
        return text

    def typos(self, text: str, n_words: int | None = None) -> str:
        """Misspell one to three words (swap, drop or double a letter), as hurried writers do."""
        words = text.split(" ")
        candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        if not candidates:
            return text
        n = min(len(candidates), n_words or int(self.rng.integers(1, 4)))
        for i in self.rng.choice(candidates, size=n, replace=False):
            w = words[i]
            j = int(self.rng.integers(1, len(w) - 1))
            kind = int(self.rng.integers(3))
            if kind == 0:
                w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            elif kind == 1:
                w = w[:j] + w[j + 1 :]
            else:
                w = w[:j] + w[j] + w[j:]
            words[i] = w
        return " ".join(words)

    # ------------------------------------------------------------------ feedback channels
    def short(self, theme_id: str, polarity: int, channel: str) -> str:
        """A few words only, as many app reviews and NPS answers are."""
        pool = bank.SHORT[theme_id]
        picks = self.rng.choice(len(pool), size=1 + int(self.chance(0.4)), replace=False)
        text = " ".join(pool[i] for i in picks)
        if self.chance(0.4):
            text = f"{text} {self.pick(bank.TAGS[polarity])}"
        if channel == "app_review" and self.chance(0.35):
            text = text.lower()
        return self.typos(text, 1) if self.chance(0.1) else text

    def _secondary(self, secondary: str | None, sales: bool = False) -> list[str]:
        if not secondary:
            return []
        text = self.statement(secondary)
        if sales:
            text = third_person(text)
        connector = self.pick(bank.CONNECTORS)
        return [f"{connector} {lower_first(text)}"]

    def _n(self, probs: tuple[float, ...]) -> int:
        return int(self.rng.choice(len(probs), p=np.asarray(probs) / sum(probs)))

    def feedback(
        self,
        theme_id: str,
        channel: str,
        *,
        flipped: bool = False,
        secondary: str | None = None,
        score: float | None = None,
        rating: float | None = None,
    ) -> str:
        """A customer-voice text for one feedback item of ``theme_id`` in ``channel``."""
        if theme_id == bank.NOISE_ID:
            return self.noise()
        kind = bank.THEME_BY_ID[theme_id].kind
        positive = (kind == "value") != flipped
        polarity = 0 if kind == "goal" and not flipped else (1 if positive else -1)
        core = self.statement(theme_id, flipped)
        if not flipped and channel in ("app_review", "nps") and self.chance(_SHORT_SHARE[channel]):
            return self.short(theme_id, polarity, channel)
        if self.chance(0.25):
            core = f"{self.pick(bank.LEADS[polarity])} {lower_first(core)}"
        if self.chance(0.2):
            core = f"{core} {self.pick(bank.TAGS[polarity])}"
        n_details = self._n(_DETAILS[channel])
        details = self.details(theme_id, n_details) if positive == (kind == "value") else []
        if channel == "support_ticket":
            opener = (
                self.pick(bank.TICKET_PRAISE_OPENERS)
                if positive and self.chance(0.5)
                else self.pick(bank.TICKET_OPENERS)
                if self.chance(0.6)
                else None
            )
            if opener and opener.endswith(","):
                core = lower_first(core)
            closer = self.fill(self.pick(bank.TICKET_CLOSERS)) if self.chance(0.55) else None
            text = " ".join(p for p in (opener, core, *details, *self._secondary(secondary), closer) if p)
        elif channel == "nps":
            parts = [core, *details, *self._secondary(secondary)]
            score = 5 if score is None else int(score)
            roll = self.rng.random()
            if roll < 0.15:
                parts[0] = f"{self.pick(bank.NPS_SCORE_LEADS).format(score=score)} {lower_first(parts[0])}"
            elif roll < 0.4:
                if score >= 9:
                    parts.insert(0, self.pick(bank.NPS_PROMOTER))
                elif score >= 7:
                    parts.insert(0, self.pick(bank.NPS_PASSIVE))
                elif not positive:
                    parts.insert(0, self.pick(bank.NPS_IF + bank.NPS_DETRACTOR))
            text = " ".join(parts)
            if self.chance(0.1):
                text = text.lower()
            if self.chance(0.25):
                text = _strip_end(text)
        elif channel == "app_review":
            parts = [core, *details, *self._secondary(secondary)]
            good = positive if rating is None else rating >= 4
            if self.chance(0.35):
                parts.insert(0, self.pick(bank.APP_PREFIX_POS if good else bank.APP_PREFIX_NEG))
            if self.chance(0.35):
                parts.append(self.pick(bank.APP_SUFFIX_POS if good else bank.APP_SUFFIX_NEG))
            text = " ".join(parts)
            if self.chance(0.2):
                text = text.lower()
            if self.chance(0.3):
                text = _strip_end(text)
        elif channel == "sales_call":
            text = self._sales(theme_id, core, secondary, details)
        elif channel == "churn_survey":
            lead = self.pick(bank.CHURN_LEADS)
            body = [*details, *self._secondary(secondary)]
            first = (
                f"{lead} {lower_first(core)}" if lead.endswith(("because", ":", ",")) else f"{lead} {core}"
            )
            closer = self.pick(bank.CHURN_CLOSERS) if self.chance(0.3) else ""
            text = " ".join(p for p in (first, *body, closer) if p)
        else:
            raise ValueError(f"unknown channel {channel!r}")
        return self.typos(text) if self.chance(0.15) else text

    def _sales(self, theme_id: str, core: str, secondary: str | None, details: list[str]) -> str:
        details = [third_person(d) for d in details]
        if core.startswith("Please "):
            first = f"{self.pick(bank.SALES_ASKS)} {core.removeprefix('Please ')}"
        elif self.chance(0.25) or core.startswith(("Let us", "Can ")) or core.endswith("?"):
            first = f'{self.pick(bank.SALES_QUOTES)} "{core}"'
        else:
            first = f"{self.pick(bank.SALES_LEADS)} {lower_first(third_person(core))}"
        closer = self.pick(bank.SALES_CLOSERS) if self.chance(0.4) else None
        return " ".join(p for p in (first, *details, *self._secondary(secondary, sales=True), closer) if p)

    def deal_note(
        self, theme_id: str, outcome: str, *, secondary: str | None = None, competitor: str | None = None
    ) -> str:
        """CRM deal notes: the outcome, a third-person account of the theme, maybe the competitor."""
        context = {"lost": bank.DEAL_CONTEXT_LOST, "won": bank.DEAL_CONTEXT_WON}.get(
            outcome, bank.DEAL_CONTEXT_OPEN
        )
        parts = [self.pick(context)] if self.chance(0.6) else []
        details = self.details(theme_id, self._n(_DETAILS["sales_call"]))
        parts.append(self._sales(theme_id, self.statement(theme_id), secondary, details))
        if self.chance(0.25):
            parts.append(self.pick(bank.DEAL_PROCESS))
        text = " ".join(parts)
        if self.chance(0.15):
            text = self.typos(text)
        if competitor:
            text = f"{text} {third_person(self.competitor_line(theme_id, competitor, outcome))}"
        return text

    def competitor_line(self, theme_id: str, name: str, outcome: str = "lost") -> str:
        """A sentence naming a competitor, phrased for the theme when there is a themed line."""
        if outcome == "lost" and self.chance(0.5):
            line = self.pick(
                (
                    f"Went with {name}.",
                    f"They chose {name}.",
                    f"Lost to {name}.",
                    f"Signed with {name} instead.",
                )
            )
            return (
                f"{line} {self.pick(bank.COMPETITOR_LINES.get(theme_id, bank.COMPETITOR_GENERIC))}".replace(
                    "{comp}", name
                )
            )
        if outcome == "won" and self.chance(0.6):
            return self.pick(
                (f"Beat {name} on this.", f"{name} was the other finalist.", f"Competitive against {name}.")
            )
        return self.pick(bank.COMPETITOR_LINES.get(theme_id, bank.COMPETITOR_GENERIC)).replace("{comp}", name)
