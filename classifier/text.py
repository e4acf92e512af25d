"""Text normalization for comment moderation, with an offset map back to the original.

``normalize(text)`` is the fast path used for scoring. ``normalize_with_offsets(text)``
produces the very same string plus, for every character of it, the ``[start, end)``
range of the ORIGINAL text it came from, so an explanation can highlight real
substrings of what the commenter wrote.

The steps, in order (each one a regex substitution or a per-character table, so
both paths share one definition):

1. HTML: character entities (``&amp;``, ``&#39;``) decoded; tags dropped (a link's
   ``href`` is kept so it counts as a URL).
2. Characters: Unicode NFKC (``ｆｒｅｅ`` -> ``free``, ``𝐟𝐫𝐞𝐞`` -> ``free``), lower case,
   accents stripped from Latin letters, Cyrillic/Greek look-alikes folded to Latin,
   zero-width and BOM characters removed, control characters turned into spaces.
3. E-mail addresses, URLs (also bare ``example.com``), ``@mentions`` and the
   datasets' masks (``URL``, ``@USER``, a retweet ``RT``) become the tokens
   ``xemailx``, ``xurlx`` and ``xuserx``.
4. Letters spelled out with separators (``f.u.c.k``, ``f u c k``) are joined.
5. Leetspeak inside words is folded (``v1agra`` -> ``viagra``, ``$hit`` -> ``shit``), and
   trailing leet digits too (``fr33`` -> ``free``).
6. Runs of three or more equal characters shrink to two (``soooo`` -> ``soo``).
7. Whitespace is collapsed to single spaces and trimmed.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

URL_TOKEN = "xurlx"
EMAIL_TOKEN = "xemailx"
USER_TOKEN = "xuserx"

# Look-alike letters that NFKC leaves alone (Cyrillic and Greek lower case).
_HOMOGLYPHS = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ı": "i", "ℓ": "l",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
}  # fmt: skip

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                       "$": "s", "|": "l", "!": "i", "@": "a"})  # fmt: skip


class _CharTable(dict[int, str]):
    """str.translate table computed lazily per code point (C-speed once cached)."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


def _fold_char(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Cf" or char in "\u00ad\u034f\u180e":
        return ""  # zero-width joiners/spaces, BOM, soft hyphen, direction marks
    if category in ("Cc", "Zl", "Zp") or char == "\u2028":
        return " "
    folded = unicodedata.normalize("NFKC", char).lower()
    out = []
    for part in folded:
        part = _HOMOGLYPHS.get(part, part)
        decomposed = unicodedata.normalize("NFD", part)
        # Strip accents from Latin letters only ("é" -> "e"); other scripts keep marks.
        if len(decomposed) > 1 and decomposed[0].isascii():
            base = decomposed[0]
            if all(unicodedata.category(c) == "Mn" for c in decomposed[1:]):
                part = base
        if "\u0300" <= part <= "\u036f":
            part = ""  # combining diacritics (accents split off, "Zalgo" text): drop
        out.append(part)
    return "".join(out)


_CHAR_TABLE = _CharTable()


_obfuscation_hints: Callable[[str], int] | None
try:  # built by setup.py; without it each obfuscation step's guard is its own regex search
    from classifier._hashing import obfuscation_hints as _obfuscation_hints
except ImportError:  # pragma: no cover - the build is optional
    _obfuscation_hints = None


def _hint(bit: int, search: Callable[[str], object] | None) -> Callable[[str], bool]:
    """An obfuscation step's guard: bit ``bit`` of the compiled hints (set exactly when
    ``search`` finds something), or without the compiled module ``search`` itself (None:
    no guard, the step's own regex is as cheap)."""
    hints = _obfuscation_hints
    if hints is not None:
        return lambda text: bool(hints(text) & bit)
    if search is None:
        return lambda _text: True
    return lambda text: search(text) is not None


Replacement = Callable[[re.Match[str]], str]


@dataclass(frozen=True)
class _Step:
    pattern: re.Pattern[str]
    replace: Replacement
    # A cheap necessary condition for a match; the fast path skips the step without it.
    guard: Callable[[str], bool] = lambda _text: True
    # Optional: the pattern to use for a text (None: no match possible), when a cheaper
    # pattern finds exactly the same matches in that text.
    choose: Callable[[str], re.Pattern[str] | None] | None = None

    def pattern_for(self, text: str) -> re.Pattern[str] | None:
        """The pattern to run on this text; None when a match is ruled out."""
        if self.choose is not None:
            return self.choose(text)
        return self.pattern if self.guard(text) else None

    def apply(self, text: str) -> str:
        """The step on a text, skipped when its guard rules a match out."""
        pattern = self.pattern_for(text)
        return pattern.sub(self.replace, text) if pattern is not None else text


def _entity(match: re.Match[str]) -> str:
    return html.unescape(match.group(0))


def _tag(match: re.Match[str]) -> str:
    href = match.group("href")
    return f" {href} " if href else " "


def _const(value: str) -> Replacement:
    return lambda _match: value


def _join_letters(match: re.Match[str]) -> str:
    return "".join(c for c in match.group(0) if c.isalpha())


def _leet(match: re.Match[str]) -> str:
    return match.group(0).translate(_LEET)


def _squeeze(match: re.Match[str]) -> str:
    return match.group(1) * 2


def _tld_hint(text: str) -> bool:
    return "." in text and _TLD_HINT.search(text) is not None


_TLDS = (
    "com|net|org|info|biz|ru|co|io|ly|me|tk|xyz|us|uk|de|tv|gl|be|cn|in|online|site|"
    "top|club|shop|live|pw|cc|ws|to|fr|nl|eu|es|it|pl|br|au|ca|click|link|gd|su"
)
_TLD_HINT = re.compile(rf"\.(?:{_TLDS})\b")  # a literal first character: a fast scan
# URLs in three forms; each form can only match where its literal hint is in the text
_URL_FORMS = (
    (r"(?:https?://|www\.)[^\s<>\"]+", lambda text: "http" in text or "www." in text),
    (rf"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:{_TLDS})\b(?:/[^\s<>\"]*)?", _tld_hint),
    (r"\burl\b", lambda text: "url" in text),
)


@functools.lru_cache(maxsize=8)
def _url_pattern(forms: tuple[bool, ...]) -> re.Pattern[str] | None:
    """The URL pattern with only the forms that can match (same matches, less scanning:
    the bare-domain form alone is tried at every word)."""
    kept = [form for (form, _hint), wanted in zip(_URL_FORMS, forms, strict=True) if wanted]
    return re.compile("|".join(kept)) if kept else None


def _url_pattern_for(text: str) -> re.Pattern[str] | None:
    return _url_pattern(tuple(hint(text) for _form, hint in _URL_FORMS))


# [a-z][013457]{2}, but led by the digit class so that re skips ahead to digits, and
# the letter checked behind: a letter-led search tries every letter (several times slower)
_LEET_TAIL = re.compile(r"[013457](?<=[a-z][013457])[013457]")
_STEPS_HTML = (
    _Step(
        re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"),
        _entity,
        lambda text: "&" in text,
    ),
    _Step(
        re.compile(
            r"<(?:a\s[^<>]*?href\s*=\s*[\"']?(?P<href>[^\"'\s<>]+)[^<>]*"
            r"|/?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,300})?/?)>"
        ),
        _tag,
        lambda text: "<" in text,
    ),
)
_STEPS_TOKENS = (
    _Step(
        re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b"),
        _const(f" {EMAIL_TOKEN} "),
        lambda text: "@" in text,
    ),
    _Step(
        re.compile("|".join(form for form, _hint in _URL_FORMS)),
        _const(f" {URL_TOKEN} "),
        choose=_url_pattern_for,
    ),
    _Step(re.compile(r"(?<![\w@])@\w+"), _const(f" {USER_TOKEN} "), lambda text: "@" in text),
    _Step(
        re.compile(rf"(?:^|(?<=\s))rt(?=\s+{USER_TOKEN}|\s*:)"),
        _const(" "),
        lambda text: "rt" in text and ("xuserx" in text or ":" in text),
    ),
)
_STEPS_OBFUSCATION = (
    # f.u.c.k, f-u-c-k, f_u_c_k, f*u*c*k (three letters or more) and f u c k (four or more)
    _Step(
        re.compile(r"(?<![\w.*-])[a-z](?:[.*_-][a-z]){2,}(?![\w*-])\.?"),
        _join_letters,
        _hint(1, re.compile(r"[.*_-][a-z][.*_-][a-z]").search),
    ),
    _Step(
        re.compile(r"(?<!\S)[a-z](?: [a-z]){3,}(?!\S)"),
        _join_letters,
        _hint(2, re.compile(r" [a-z] [a-z] ").search),
    ),
    # leetspeak: a word with a digit or symbol between letters, or a leading "$" or "@"
    # (a trailing "!" is punctuation: "v1agra!!" -> "viagra!!")
    _Step(
        re.compile(
            r"(?<![\w$|!@])(?:[a-z0-9$|!@]*[a-z][0-9$|!@]+[a-z](?:[a-z0-9$|@]|!(?=[\w$|@]))*"
            r"|[$@][a-z]{2,}(?:[a-z0-9$|@]|!(?=[\w$|@]))*)(?![\w$|@])"
        ),
        _leet,
        _hint(4, re.compile(r"[0-9$|!@][a-z]").search),
    ),
    # ...and trailing leet digits ("fr33" -> "free"): two or more, at least one of 3/4/5/7,
    # so "mp3", "win10" and "covid19" stay as they are
    _Step(
        re.compile(r"(?<![\w$|!@])[a-z]{2,}(?=[01]*[3457])[013457]{2,}(?![\w$|@])"),
        _leet,
        _hint(8, _LEET_TAIL.search),
    ),
    # (.)\1\1+ is (.)\1{2,}, and twice as fast in Python's re; most texts have no run,
    # which the compiled test tells at a fraction of the regex's cost
    _Step(re.compile(r"(.)\1\1+", re.DOTALL), _squeeze, _hint(16, None)),
    # Kept last: the fast path does these two steps as " ".join(text.split()).
    # Whitespace runs become one space; a lone space already is one (no match needed).
    _Step(re.compile(r"\s{2,}|[^\S ]"), _const(" ")),
    _Step(re.compile(r"^ | $"), _const(""), lambda text: text[:1] == " " or text[-1:] == " "),
)


def normalize(text: str) -> str:
    """The normalized form of ``text`` used for features (fast path, no offsets)."""
    for step in _STEPS_HTML:
        text = step.apply(text)
    text = text.translate(_CHAR_TABLE)
    for step in _STEPS_TOKENS:
        text = step.apply(text)
    return " ".join(_undo_obfuscation(text).split())


def _undo_obfuscation(text: str) -> str:
    """The obfuscation steps but the last two (``normalize`` does those as a split)."""
    steps = _STEPS_OBFUSCATION[:-2]
    if _obfuscation_hints is None:
        for step in steps:
            text = step.apply(text)
        return text
    # Every guard in one compiled pass, again only after a step changed the text.
    hints = _obfuscation_hints(text)
    for bit, step in zip((1, 2, 4, 8, 16), steps, strict=True):
        if hints & bit:
            text, count = step.pattern.subn(step.replace, text)
            if count:
                hints = _obfuscation_hints(text)
    return text


@dataclass(frozen=True)
class Normalized:
    """A normalized text and, per character, the [start, end) it came from in the original."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The range of the original text that normalized characters [start, end) came from."""
        if end <= start:
            raise ValueError("empty span")
        return self.starts[start], max(self.ends[start:end])


def _sub_with_offsets(
    step: _Step, text: str, starts: list[int], ends: list[int]
) -> tuple[str, list[int], list[int]]:
    pattern = step.pattern_for(text)
    if pattern is None:
        return text, starts, ends  # no match possible: nothing moves
    first = pattern.search(text)
    if first is None:
        return text, starts, ends  # no match: nothing moves, nothing copied
    pieces: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    last = 0
    for match in pattern.finditer(text, first.start()):
        begin, finish = match.span()
        pieces.append(text[last:begin])
        new_starts.extend(starts[last:begin])
        new_ends.extend(ends[last:begin])
        replacement = step.replace(match)
        if replacement:
            if finish > begin:
                origin = (starts[begin], max(ends[begin:finish]))
            else:  # an empty match: anchor to the neighbouring character
                anchor = min(begin, len(starts) - 1)
                origin = (starts[anchor], starts[anchor]) if anchor >= 0 else (0, 0)
            pieces.append(replacement)
            new_starts.extend([origin[0]] * len(replacement))
            new_ends.extend([origin[1]] * len(replacement))
        last = finish
    pieces.append(text[last:])
    new_starts.extend(starts[last:])
    new_ends.extend(ends[last:])
    return "".join(pieces), new_starts, new_ends


def normalize_with_offsets(text: str) -> Normalized:
    """``normalize(text)`` together with an offset map into the original text."""
    original = text
    starts = list(range(len(text)))
    ends = list(range(1, len(text) + 1))
    for step in _STEPS_HTML:
        text, starts, ends = _sub_with_offsets(step, text, starts, ends)
    if text.isascii():
        # ASCII folds one character to one (lower case, controls to spaces): offsets stay
        text = text.translate(_CHAR_TABLE)
    else:
        folded: list[str] = []
        f_starts: list[int] = []
        f_ends: list[int] = []
        for char, start, end in zip(text, starts, ends, strict=True):
            out = _CHAR_TABLE[ord(char)]
            folded.append(out)
            f_starts.extend([start] * len(out))
            f_ends.extend([end] * len(out))
        text, starts, ends = "".join(folded), f_starts, f_ends
    for step in (*_STEPS_TOKENS, *_STEPS_OBFUSCATION):
        text, starts, ends = _sub_with_offsets(step, text, starts, ends)
    return Normalized(original, text, tuple(starts), tuple(ends))


# The two URL forms of a raw text, each with a case-blind test for its literal part
_RAW_FORMS = (
    (r"(?:https?://|www\.)[^\s<>\"]+", re.compile(r"https?://|www\.", re.IGNORECASE)),
    (
        rf"\b[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.(?:{_TLDS})\b",
        re.compile(rf"\.(?:{_TLDS})\b", re.IGNORECASE),
    ),
)


@functools.lru_cache(maxsize=4)
def _raw_url_pattern(forms: tuple[bool, ...], ignore_case: bool = True) -> re.Pattern[str]:
    kept = [form for (form, _hint), wanted in zip(_RAW_FORMS, forms, strict=True) if wanted]
    return re.compile("|".join(kept), re.IGNORECASE if ignore_case else 0)


_SCHEME_HINT = re.compile(r"https?://|www\.")  # _RAW_FORMS[0]'s hint, for lower-case text


def find_urls(text: str) -> list[str]:
    """The links in a raw text (http(s)://, www., bare domains, href attributes)."""
    if "." not in text:
        return []
    lowered = text.lower()
    scheme = "http" in lowered or "www." in lowered
    domain = _TLD_HINT.search(lowered) is not None
    if not scheme and not domain:
        return []  # a cheap necessary condition for a match
    if not text.isascii():
        return _find_urls_any_case(text)
    # ASCII lower-cases letter for letter, so the case-sensitive patterns find the same
    # spans in the lowered text as IGNORECASE in the original, twice as fast (IGNORECASE
    # folds the case at every position it tries).
    forms = (scheme and _SCHEME_HINT.search(lowered) is not None, domain)
    if not any(forms):
        return []
    pattern = _raw_url_pattern(forms, ignore_case=False)
    return [text[match.start() : match.end()] for match in pattern.finditer(lowered)]


def _find_urls_any_case(text: str) -> list[str]:
    # only the forms whose literal part is in the text: the same links, less scanning
    forms = tuple(hint.search(text) is not None for _form, hint in _RAW_FORMS)
    if not any(forms):
        return []
    return _raw_url_pattern(forms).findall(text)
