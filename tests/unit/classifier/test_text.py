"""Normalization: each obfuscation folds to the plain word, with offsets into the original."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifier import features
from classifier.text import _find_urls_any_case, find_urls, normalize, normalize_with_offsets


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Buy v1agra now", "buy viagra now"),
        ("f.u.c.k you", "fuck you"),
        ("F U C K off", "fuck off"),
        ("ｆｒｅｅ money", "free money"),
        ("𝐟𝐫𝐞𝐞 gift", "free gift"),
        ("Сheap раss", "cheap pass"),  # Cyrillic С, а
        ("$hit and h3ll0 and c4sh", "shit and hello and cash"),
        ("sooooo goooood!!!!!", "soo good!!"),
        ("zero\u200bwidth\ufeff text\u00ad", "zerowidth text"),
        ("caf\u00e9 na\u00efve", "cafe naive"),
        ("Tom &amp; Jerry &#39;quoted&#39;", "tom & jerry 'quoted'"),
        ("<b>bold</b> <script>x</script>", "bold x"),
        ("<a href='http://spam.example.com/x'>click</a>", "xurlx click"),
        ("see http://a.example.com/x?y=1 and www.b.org", "see xurlx and xurlx"),
        ("visit murdev.com today", "visit xurlx today"),
        ("mail joe.doe+x@example.com now", "mail xemailx now"),
        ("@USER Go home URL", "xuserx go home xurlx"),
        ("RT @someone: hello", "xuserx : hello"),
        ("  many \n\t spaces  ", "many spaces"),
        ("mp3 2nd covid19", "mp3 2nd covid19"),
        ("FR33 v1agra!!", "free viagra!!"),
        ("win10 abc13 fr33.", "win10 abcie free."),
    ],
)
def test_normalize_folds_obfuscation(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["Buy v1agra at http://x.example.com !!!", "f.u.c.k &amp; <i>ｆｒｅｅ</i>", "FR33 gift", ""],
)
def test_offset_path_gives_the_same_text(raw: str) -> None:
    assert normalize_with_offsets(raw).text == normalize(raw)


def test_offsets_point_at_the_original_word() -> None:
    raw = "well, ｆｒｅｅ v1agra here"
    normalized = normalize_with_offsets(raw)
    start = normalized.text.index("viagra")
    begin, end = normalized.original_span(start, start + len("viagra"))
    assert raw[begin:end] == "v1agra"
    start = normalized.text.index("free")
    begin, end = normalized.original_span(start, start + 4)
    assert raw[begin:end] == "ｆｒｅｅ"


@given(st.text(max_size=200))
def test_every_normalized_character_maps_into_the_original(raw: str) -> None:
    normalized = normalize_with_offsets(raw)
    assert normalized.text == normalize(raw)
    assert len(normalized.starts) == len(normalized.text) == len(normalized.ends)
    for start, end in zip(normalized.starts, normalized.ends, strict=True):
        assert 0 <= start < end <= len(raw)


def test_find_urls_counts_links_of_every_form() -> None:
    text = 'go to http://a.example.com, www.b.org and c.net <a href="https://d.io/x">d</a>'
    assert len(find_urls(text)) == 4
    assert find_urls("no links here. none at all") == []


_URLISH = st.text(
    alphabet=st.sampled_from(list("aAbBcCeEhHmMoOpPsStTwWxX019-./:_<>\"' ?=&\n")), max_size=60
)
_PIECES = st.sampled_from(
    ["http://", "HTTPS://", "www.", "WWW.", ".com", ".COM", ".org", ".Net", ".io", "example",
     "Example", " ", "/", ".", "-", "<a href=", "\"", "tEsT", "a.b.c"]
)  # fmt: skip


@given(st.lists(st.one_of(_PIECES, _URLISH), max_size=12).map("".join))
def test_find_urls_on_ascii_text_matches_the_case_blind_patterns(text: str) -> None:
    # The ASCII path searches the lowered text case-sensitively; the general one searches
    # the original with IGNORECASE. Same links, same order, same characters.
    expected = _find_urls_any_case(text) if "." in text else []
    assert find_urls(text) == expected


def _reference_offsets(raw: str) -> tuple[str, list[int], list[int]]:
    """normalize_with_offsets the plain way: every step, every match, no shortcuts."""
    from classifier import text as module

    def sub(pattern, replace, text, starts, ends):  # type: ignore[no-untyped-def]
        out, new_starts, new_ends, last = [], [], [], 0
        for match in pattern.finditer(text):
            begin, finish = match.span()
            out.append(text[last:begin])
            new_starts += starts[last:begin]
            new_ends += ends[last:begin]
            replacement = replace(match)
            origin = (starts[begin], max(ends[begin:finish]))
            out.append(replacement)
            new_starts += [origin[0]] * len(replacement)
            new_ends += [origin[1]] * len(replacement)
            last = finish
        out.append(text[last:])
        return "".join(out), new_starts + starts[last:], new_ends + ends[last:]

    text, starts, ends = raw, list(range(len(raw))), list(range(1, len(raw) + 1))
    for step in module._STEPS_HTML:
        text, starts, ends = sub(step.pattern, step.replace, text, starts, ends)
    folded, f_starts, f_ends = [], [], []
    for char, start, end in zip(text, starts, ends, strict=True):
        out = module._CHAR_TABLE[ord(char)]
        folded.append(out)
        f_starts += [start] * len(out)
        f_ends += [end] * len(out)
    text, starts, ends = "".join(folded), f_starts, f_ends
    steps = [*module._STEPS_TOKENS, *module._STEPS_OBFUSCATION]
    plain = {  # the shipped steps skip lone spaces, and squeeze with (.)\1\1+
        len(steps) - 2: re.compile(r"\s+"),
        len(steps) - 3: re.compile(r"(.)\1{2,}", re.DOTALL),
    }
    for index, step in enumerate(steps):
        pattern = plain.get(index, step.pattern)
        text, starts, ends = sub(pattern, step.replace, text, starts, ends)
    return text, starts, ends


_TRICKY = st.lists(
    st.sampled_from(
        [
            *"abfkuc .*-_\n\t$@!|013457",
            *("&amp;", "<a href='http://x.com'>", "www.", "http://", ".com", "@user", "url"),
            *(".org/x", "fr33", "HTTPS://", "ﬀ", "а", "\u200b", "é", "\u0301", "rt ", "   ", "ooo"),
        ]
    ),
    max_size=50,
).map("".join)


@given(_TRICKY | st.text(max_size=150))
def test_offsets_match_the_plain_step_by_step_reference(raw: str) -> None:
    normalized = normalize_with_offsets(raw)
    text, starts, ends = _reference_offsets(raw)
    assert (normalized.text, list(normalized.starts), list(normalized.ends)) == (
        text,
        starts,
        ends,
    )


_compiled_only = pytest.mark.skipif(
    not features.hashing_is_compiled(), reason="classifier/_hashing.c was not built"
)
_HINTED = st.text(alphabet=st.sampled_from(list("ab z.*_-013457289$|!@aa\n\0é€😀")), max_size=40)
# obfuscation_hints' bits and the searches they stand for (text.py's step guards)
_HINT_SEARCHES = {
    1: r"[.*_-][a-z][.*_-][a-z]",
    2: r" [a-z] [a-z] ",
    4: r"[0-9$|!@][a-z]",
    8: r"[a-z][013457]{2}",
    16: r"(.)\1\1",
}


@_compiled_only
@given(_HINTED)
def test_the_compiled_hints_agree_with_the_guards_regexes(text: str) -> None:
    # Each bit must be set exactly when its search would match (one-, two- and
    # four-byte strings alike); a bit missing would skip a step that had work to do.
    from classifier import _hashing

    hints = _hashing.obfuscation_hints(text)
    for bit, search in _HINT_SEARCHES.items():
        assert bool(hints & bit) == (re.search(search, text, re.DOTALL) is not None), bit


@_compiled_only
def test_the_compiled_hints_refuse_what_is_not_a_str() -> None:
    from classifier import _hashing

    with pytest.raises(TypeError, match="must be a str"):
        _hashing.obfuscation_hints(b"aaa")  # type: ignore[arg-type]


@given(st.text(alphabet=st.sampled_from(list("ab z013457289$!")), max_size=30))
def test_the_leet_tail_search_finds_a_letter_before_two_leet_digits(text: str) -> None:
    from classifier.text import _LEET_TAIL

    expected = re.search(r"[a-z][013457]{2}", text) is not None
    assert (_LEET_TAIL.search(text) is not None) == expected


@given(st.lists(st.sampled_from(["f.u.c.k", "s h i t", "v1agra", "fr33", "$hit", "sooo", " ", "a",
                                 ".", "-", "b", "!", "@", "3", "x y z w", "mp3"]), max_size=12)
       .map("".join))  # fmt: skip
def test_the_guarded_steps_give_what_every_step_unguarded_gives(text: str) -> None:
    # Guards only skip steps that have nothing to do: with or without them (and with the
    # compiled hints recomputed after each change) the text comes out the same.
    from classifier.text import _STEPS_OBFUSCATION, _undo_obfuscation

    expected = text
    for step in _STEPS_OBFUSCATION[:-2]:
        expected = step.pattern.sub(step.replace, expected)
    assert _undo_obfuscation(text) == expected
