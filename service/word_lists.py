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
        self._normalized = {normalize(e): e for e in self.entries if normalize(e)}
        self._written_pattern = _whole_words(self._as_written, re.IGNORECASE)
        self._normalized_pattern = _whole_words(self._normalized, 0)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def find(self, text: str, name: str = "") -> WordMatch | None:
        """The entries found in the text or the name, or None."""
        if not self.entries:
            return None
        words: dict[str, None] = {}
        found: set[tuple[int, int]] = set()
        for match in self._written_pattern.finditer(text):
            words[self._as_written.get(match.group().lower(), match.group())] = None
            found.add(match.span())
        normalized = normalize(text)
        if self._normalized_pattern.search(normalized):
            mapped = normalize_with_offsets(text)
            for match in self._normalized_pattern.finditer(mapped.text):
                words[self._normalized.get(match.group(), match.group())] = None
                found.add(mapped.original_span(match.start(), match.end()))
        in_name = False
        if name:
            for pattern, table, subject in (
                (self._written_pattern, self._as_written, name),
                (self._normalized_pattern, self._normalized, normalize(name)),
            ):
                for match in pattern.finditer(subject):
                    key = match.group().lower() if table is self._as_written else match.group()
                    words[table.get(key, match.group())] = None
                    in_name = True
        if not words:
            return None
        spans = [{"start": s, "end": e, "text": text[s:e]} for s, e in sorted(found)]
        return WordMatch(words=tuple(words), spans=spans, in_name=in_name)


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
