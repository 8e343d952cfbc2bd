"""Repair text that was decoded with the wrong encoding on its way to the export (mojibake).

Why: real exports carry it. In the Google Play reviews of the Uber app in ``../shared/data``,
1,276 of 12,000 reviews were UTF-8 read as Windows-1252 and saved again: "ðŸ‘\x8d" for 👍,
"Ø´Ø®Øµ" for Arabic, "Ä°zmir" for İzmir. Left as it is, an executive reads garbage in a quote,
VADER cannot see the emoji, the language detector sees Latin letters instead of Arabic or
Bengali, and the theme engine makes a cluster of the debris ("Other short feedback").

The repair is ftfy's (``ftfy.fix_text``), which undoes such round trips only where the result is
far more plausible than the input, and also decodes HTML entities left in plain text (the Alexa
reviews' ``&#34;``). Typography the customer chose is kept: curly quotes stay curly and full-width
characters (Japanese punctuation) stay full-width. Only values with a non-ASCII character or an
``&`` can need it, so plain ASCII text costs one vectorised check. The raw snapshot of every pull
keeps the text exactly as it came.
"""

from __future__ import annotations

import functools

import polars as pl

_MAYBE_BROKEN = r"[^\x00-\x7f]|&"


@functools.lru_cache(maxsize=1)
def _config():
    from ftfy import TextFixerConfig

    return TextFixerConfig(uncurl_quotes=False, fix_character_width=False, explain=False)


def repair_text(values: pl.Series) -> tuple[pl.Series, int]:
    """``values`` with mis-decoded text repaired, and how many values changed.

    Nulls stay null; a value that needs nothing comes back unchanged.
    """
    if values.dtype != pl.String or values.len() == 0:
        return values, 0
    suspect = values.str.contains(_MAYBE_BROKEN).fill_null(False)
    if not suspect.any():
        return values, 0
    from ftfy import fix_text

    config = _config()
    rows = suspect.arg_true()
    before = values.gather(rows).to_list()
    after = [fix_text(v, config) for v in before]
    changed = sum(a != b for a, b in zip(after, before, strict=True))
    if not changed:
        return values, 0
    return values.clone().scatter(rows, pl.Series(after, dtype=pl.String)), changed  # scatter is in place
