"""A site's word lists: banned words reject a comment, suspect words hold it for review.

As WordPress's disallowed and moderation keys and Coral's banned and suspect words do.
An entry is a word or a phrase, matched as a whole word, case-insensitively, in the
comment's text and in the commenter's name, twice over:

- in the text as written, so an entry such as ``cheap-pills.example`` (a domain)
  matches as typed;
- in the text after the classifier's normalization, so that obfuscated spellings
  (``v1agra``, ``f.u.c.k``, ``ＦＲＥＥ``, ``viiiagra``) match the plain entry.

Matches in the text come with their spans in the original text, so the moderator
page highlights them like the model's. An empty list costs nothing per comment.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from classifier.text import normalize, normalize_with_offsets


@dataclass(frozen=True)
class WordMatch:
    """The entries a comment matched, and where in its text."""

    words: tuple[str, ...]
    spans: list[dict[str, Any]] = field(default_factory=list)
    in_name: bool = False


class WordList:
    """Compiled entries of one list (see the module's docstring for how they match)."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.entries = tuple(dict.fromkeys(e.strip() for e in entries if e.strip()))
        # each way of matching, from what it matches back to the entry as configured
        self._as_written = {e.lower(): e for e in self.entries}
        normalized = ((normalize(e), e) for e in self.entries)
        self._normalized = {key: e for key, e in normalized if key}
        self._written_pattern = _whole_words(self._as_written, re.IGNORECASE)
        self._normalized_pattern = _whole_words(self._normalized, 0)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def find(self, text: str, name: str = "") -> WordMatch | None:
        """The entries found in the text or the name, or None."""
        if not self.entries:
            return None
        in_text = self._hits(text)
        in_name = self._hits(name) if name else []
        words = tuple(dict.fromkeys(word for word, _ in in_text + in_name))
        if not words:
            return None
        spans = [
            {"start": s, "end": e, "text": text[s:e]} for s, e in sorted({w for _, w in in_text})
        ]
        return WordMatch(words=words, spans=spans, in_name=bool(in_name))

    def _hits(self, subject: str) -> list[tuple[str, tuple[int, int]]]:
        """(entry, span in ``subject``) for every match, as written then normalized."""
        hits = [
            (self._as_written.get(m.group().lower(), m.group()), m.span())
            for m in self._written_pattern.finditer(subject)
        ]
        if self._normalized_pattern.search(normalize(subject)):
            # only now is the offset map worth building
            mapped = normalize_with_offsets(subject)
            hits += [
                (self._normalized.get(m.group(), m.group()), mapped.original_span(*m.span()))
                for m in self._normalized_pattern.finditer(mapped.text)
            ]
        return hits


def _whole_words(table: dict[str, str], flags: int) -> re.Pattern[str]:
    if not table:
        return re.compile(r"(?!)")  # matches nothing
    # longest first, so a phrase wins over a word it starts with
    alternatives = "|".join(re.escape(key) for key in sorted(table, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", flags)


@functools.lru_cache(maxsize=16)
def word_list(entries: tuple[str, ...]) -> WordList:
    """The compiled list for these entries (compiled once per process)."""
    return WordList(entries)
