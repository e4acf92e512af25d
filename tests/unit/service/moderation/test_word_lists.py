"""Site word lists: whole words, as written and after normalization, with spans."""

from __future__ import annotations

import pytest

from service.moderation.word_lists import WordList

WORDS = WordList(["viagra", "free money", "cheap-pills.example", "idiot"])


@pytest.mark.parametrize(
    ("text", "word", "span_text"),
    [
        ("Buy viagra here", "viagra", "viagra"),
        ("Buy VIAGRA here", "viagra", "VIAGRA"),
        ("Buy V1AGRA!! now", "viagra", "V1AGRA"),  # leetspeak
        ("Buy ｖｉａｇｒａ now", "viagra", "ｖｉａｇｒａ"),  # full-width letters
        ("Buy v-i-a-g-r-a now", "viagra", "v-i-a-g-r-a"),  # spelled out
        ("Get FR33 m0ney today", "free money", "FR33 m0ney"),  # a phrase, obfuscated
        ("see cheap-pills.example now", "cheap-pills.example", "cheap-pills.example"),
        ("you are an i.d.i.o.t", "idiot", "i.d.i.o.t"),  # spelled out
    ],
)
def test_entries_match_however_they_are_written(text: str, word: str, span_text: str) -> None:
    match = WORDS.find(text)
    assert match is not None
    assert match.words == (word,)
    assert [span["text"] for span in match.spans] == [span_text]
    for span in match.spans:  # spans index the original text
        assert text[span["start"] : span["end"]] == span["text"]


@pytest.mark.parametrize("text", ["an idiotic plan", "Niagra Falls", "free of money", ""])
def test_only_whole_words_match(text: str) -> None:
    assert WORDS.find(text) is None


def test_a_match_in_the_name_has_no_span() -> None:
    match = WORDS.find("A fine comment.", name="V1agra Shop")
    assert match is not None
    assert match.in_name and match.words == ("viagra",) and match.spans == []


def test_every_entry_found_once_in_order_of_appearance() -> None:
    match = WORDS.find("idiot, buy viagra, you idiot")
    assert match is not None
    assert match.words == ("idiot", "viagra")
    assert len(match.spans) == 3


def test_an_empty_list_finds_nothing() -> None:
    empty = WordList([])
    assert not empty
    assert empty.find("viagra") is None
