"""PII redaction of US SSNs and obfuscated e-mails, without redacting ordinary prose."""

from __future__ import annotations

import pytest

from workbench.themes.text import redact_pii


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my SSN is 123-45-6789, please fix", "my SSN is [ssn], please fix"),
        ("ssn: 123456789", "ssn: [ssn]"),
        ("Social security number 123 45 6789", "Social security number [ssn]"),
        ("write to jane dot doe at example dot com today", "write to [email] today"),
        ("jane [at] example [dot] com", "[email]"),
        ("JANE (AT) EXAMPLE (DOT) CO (DOT) UK", "[email]"),
        ("mail jane{at}example.org", "mail [email]"),
        ("jane.doe [at] mail.example.io", "[email]"),
    ],
)
def test_ssns_and_obfuscated_emails_are_redacted(text, expected):
    assert redact_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "booked at uber.com and paid at 9.30",
        "order 000-12-3456 and ticket 666-45-6789 and 900-12-3456",  # never-issued SSN areas
        "released 2024-12-18, version 3.12.2024",
        "I was at home dot not on the road",
        "we met at 5. then the driver left",
        "the app is at version 4.5.2",
        "rated it at 3.5 stars",
    ],
)
def test_ordinary_prose_is_kept(text):
    assert redact_pii(text) == text
