"""Sentiment, intent, PII redaction and HTML escaping on hand-written sentences with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.themes.text import (
    classify_intent,
    escape_html,
    luhn_valid,
    redact_pii,
    sentiment_scores,
    url_carries_secret,
)

# ------------------------------------------------------------------------------------------ sentiment


def test_sentiment_sign_on_clear_sentences():
    scores = sentiment_scores(
        [
            "I love this app, it is fantastic and saves us so much time!",
            "Terrible update. The app crashes constantly and support is useless.",
            "The invoice was sent on Tuesday.",
        ]
    )
    assert scores.dtype == np.float64
    assert scores[0] > 0.5
    assert scores[1] < -0.3
    assert scores[2] == pytest.approx(0.0)
    assert ((scores >= -1) & (scores <= 1)).all()


def test_sentiment_handles_empty_none_and_nan():
    scores = sentiment_scores(["", None, float("nan"), "   ", pd.NA, "great"])
    assert scores[:5].tolist() == [0.0] * 5
    assert scores[5] > 0


def test_sentiment_of_long_texts_is_scored_in_chunks_and_keeps_its_sign():
    negative = "This is terrible. The app crashes all the time and I hate it. " * 400  # ~25,000 chars
    positive = "Wonderful support, I love how easy the new dashboards are " * 400  # no sentence breaks
    scores = sentiment_scores([negative, positive])
    assert scores[0] < -0.5 and scores[1] > 0.5


def test_sentiment_repeated_texts_score_the_same():
    scores = sentiment_scores(["Awful, just awful", "fine", "Awful, just awful"])
    assert scores[0] == scores[2] < 0
    assert len(scores) == 3


# --------------------------------------------------------------------------------------------- intent

INTENT_CASES = [
    ("Please add a dark mode, the white screen hurts at night", "request"),
    ("I wish the export supported CSV files", "request"),
    ("Would love a Slack integration, we can't get alerts otherwise", "request"),  # request beats blocker
    ("Feature request: bulk edit for invoices", "request"),
    ("It would be great if we could schedule reports", "request"),  # not value: it is an ask
    ("We can't log in since the last update", "blocker"),
    ("The sync is broken and our reports fail every morning", "blocker"),
    ("Stuck on the payment page, it shows an error", "blocker"),
    ("Love the app but it crashes every time I open the camera", "blocker"),  # blocker beats value
    ("We're trying to export to Excel but it fails", "blocker"),  # a blocked goal is a blocker
    ("We want to share dashboards with our clients so that they see progress", "goal"),
    ("We are trying to onboard the whole team before the launch", "goal"),
    ("We need to export invoices to our accounting system", "goal"),
    ("It saves us hours every week, the team loves it", "value"),
    ("Great app, super easy to use", "value"),
    ("I can't live without this app", "value"),  # praise idiom, not a blocker
    ("No more crashes since the update, great work", "value"),  # denial of a blocker
    ("Not great, not terrible", "other"),  # negated praise
    ("I would not recommend this app", "other"),
    ("What's the pricing for 50 seats?", "other"),
    ("We can\u2019t connect the bank feed", "blocker"),  # typographic apostrophe
    # from real app reviews
    ("PLEASE UPDATE YOUR MAPS! It seems they are trying to reach infinity with prices", "request"),
    ("Great prices but the app is terribly slow", "blocker"),
    ("It's gotten so hard to get a ride, 20 minute waits", "blocker"),
    ("Easy to use, and quick response to any issues, very happy", "value"),  # "any issues" is no blocker
    ("The support team solved my problem quickly", "other"),  # a solved problem is no blocker
    ("Good service and nice drivers", "value"),
    ("Not good at all", "other"),
]


@pytest.mark.parametrize(("sentence", "expected"), INTENT_CASES)
def test_classify_intent_on_known_sentences(sentence, expected):
    assert classify_intent([sentence]) == [expected]


def test_classify_intent_keeps_order_and_handles_missing():
    labels = classify_intent([None, "Please add SSO", "", float("nan"), "It helps a lot"])
    assert labels == ["other", "request", "other", "other", "value"]


# ------------------------------------------------------------------------------------------------ PII

PII_CASES = [
    ("Email me at john.doe+work@example.co.uk please", "Email me at [email] please"),
    ("Reach Anna (anna_b@corp-mail.io).", "Reach Anna ([email])."),
    ("Call +44 20 7946 0958 today", "Call [phone] today"),
    ("Call +1 (555) 123-4567 today", "Call [phone] today"),
    ("my cell 555-123-4567", "my cell [phone]"),
    ("office (555) 123-4567 or 555.123.4567", "office [phone] or [phone]"),
    ("toll free 1-800-555-0199.", "toll free [phone]."),
    ("my number is 0612345678, call me at 07700 900123", "my number is [phone], call me at [phone]"),
    ("Charged twice on 4111 1111 1111 1111!", "Charged twice on [card]!"),
    ("card 4111-1111-1111-1111 and amex 378282246310005", "card [card] and amex [card]"),
    ("IBAN GB82 WEST 1234 5698 7654 32 please refund", "IBAN [iban] please refund"),
    ("to DE89370400440532013000.", "to [iban]."),
    ("reset link https://app.example.com/reset?token=abc123XYZ&user=5 expired.", "reset link [url] expired."),
    ("see https://x.io/cb?Access-Token=zz#top", "see [url]"),
    ("login https://bob:hunter2@example.com/x", "login [url]"),
    ("file https://s3.amazonaws.com/b/f.pdf?X-Amz-Signature=abcd&X-Amz-Expires=3 ok", "file [url] ok"),
    ("https://app.example.com/#access_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc", "[url]"),
    ("share link www.example.com/share/aB3dE5fG7hJ9kL1mN3pQ5rS7tU9v, open it", "share link [url], open it"),
    ("oauth https://example.com/callback?code=4/0AfJohXn&state=x", "oauth [url]"),
]


@pytest.mark.parametrize(("text", "expected"), PII_CASES)
def test_redact_pii_replaces_personal_data(text, expected):
    assert redact_pii(text) == expected


NOT_PII = [
    "Upgraded to version 4.2.1 and then 10.15.7",
    "We pay $45,000 a year, about \u20ac41.500 or 1,250,000 over the contract",
    "Since 2024 it took 2 hours, 30 minutes per day, 3.14159 times worse",
    "Order 1234567890 and ticket #12345678 were opened on 2026-03-15 at 10:30",
    "Build 20240115, +5% growth, ip 192.168.1.10, 50 seats at 12.50 each",
    "Not a card: 1234 5678 9012 3456",  # fails Luhn
    "contact support about ticket 12345678",
    "see https://docs.example.com/guide?page=2&lang=en for details",
    "https://example.com/blog/2024-release-notes-version-4-2-1-new-features",
    "Rated 5/5, NPS 9, 99.9% uptime, call at 5pm",
    "Invoice INV-2026-000123 and PO 4500012345",
]


@pytest.mark.parametrize("text", NOT_PII)
def test_redact_pii_keeps_ordinary_numbers_and_links(text):
    assert redact_pii(text) == text


def test_redact_pii_handles_missing_and_several_kinds_at_once():
    assert redact_pii(None) == ""
    assert redact_pii(float("nan")) == ""
    mixed = "I'm jo@x.com, +33 6 12 34 56 78, card 4111111111111111, v2.3.1"
    assert redact_pii(mixed) == "I'm [email], [phone], card [card], v2.3.1"


def test_luhn_and_url_secret_helpers():
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert url_carries_secret("https://a.com/x?sig=1")
    assert url_carries_secret("https://a.com/x?reset_token=1")
    assert not url_carries_secret("https://a.com/pricing?plan=pro")


# -------------------------------------------------------------------------------------------- escaping


def test_escape_html_makes_markup_inert():
    attack = "<script>alert('x')</script> & \"quoted\""
    escaped = escape_html(attack)
    assert "<" not in escaped and ">" not in escaped and '"' not in escaped and "'" not in escaped
    assert escaped == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;"
    assert escape_html(None) == ""
