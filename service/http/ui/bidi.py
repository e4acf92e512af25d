"""Bidirectional control characters made visible on the moderator page.

A comment's text or link may carry U+202E (RIGHT-TO-LEFT OVERRIDE) and its
kin, which make ``evil.com/moc.knab`` read as another address or an ``.exe``
read as a ``.png``. The page never lets one act: each is replaced by a visible
marker such as ``[U+202E]``, and the fields are isolated (``<bdi>``,
``dir="auto"``) so right-to-left text does not reorder what surrounds it.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from markupsafe import Markup, escape

# Embeddings, overrides, isolates and marks: the set the intake refuses in names.
from service.http.schemas import BIDI_CONTROLS


def reveal_bidi(value: object) -> Markup:
    """The value, HTML-escaped, with every bidi control shown as a visible marker."""
    text = "" if value is None else str(value)
    if BIDI_CONTROLS.isdisjoint(text):
        return escape(text)
    parts: list[str] = []
    for char in text:
        if char in BIDI_CONTROLS:
            code = f"U+{ord(char):04X}"
            name = unicodedata.name(char, "bidirectional control")
            parts.append(f'<span class="bidi" title="{escape(name)}">[{code}]</span>')
        else:
            parts.append(str(escape(char)))
    return Markup("".join(parts))


def encode_bidi(url: object) -> str:
    """A link's address with its bidi controls percent-encoded (as a browser sends them)."""
    text = "" if url is None else str(url)
    if BIDI_CONTROLS.isdisjoint(text):
        return text
    return "".join(quote(c) if c in BIDI_CONTROLS else c for c in text)


def mark_bidi(value: object) -> str:
    """Plain text (for attributes) with every bidi control written as ``[U+XXXX]``."""
    text = "" if value is None else str(value)
    if BIDI_CONTROLS.isdisjoint(text):
        return text
    return "".join(f"[U+{ord(c):04X}]" if c in BIDI_CONTROLS else c for c in text)
