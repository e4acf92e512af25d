"""The plain-address shortcut agrees with email-validator, which stays the authority."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from service.http.email_syntax import is_plain_valid, is_valid_email


def _library_accepts(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


# Addresses from the shortcut's own grammar, with lengths around its limits, and
# near-misses: the same with characters that break it mixed in.
_GOOD_LOCAL, _GOOD_LABEL, _BREAKING = "aZ09_+-", "aZ09-", ".!#'\"é@ _"
_tlds = st.sampled_from(
    [
        "org",
        "com",
        "c0m",
        "1com",
        "com1",
        "test",
        "local",
        "localhost",
        "onion",
        "invalid",
        "arpa",
        "example",
        "x",
        "co-uk",
        "xn--p1ai",
        "a",
        "9",
        "a-",
        "-a",
    ]
)


def _runs(alphabet: str, max_size: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(alphabet), min_size=1, max_size=max_size)


@st.composite
def _addresses(draw: st.DrawFn) -> str:
    chars = _BREAKING if draw(st.booleans()) else ""
    local = ".".join(draw(st.lists(_runs(_GOOD_LOCAL + chars, 40), min_size=1, max_size=3)))
    labels = draw(st.lists(_runs(_GOOD_LABEL + chars, 70), min_size=1, max_size=5))
    return local + "@" + ".".join([*labels, draw(_tlds)])


@settings(max_examples=2000, deadline=None)
@given(_addresses())
def test_the_shortcut_never_accepts_what_email_validator_rejects(address: str) -> None:
    if is_plain_valid(address):
        assert _library_accepts(address), address
    assert is_valid_email(address) == _library_accepts(address)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_email_validators_verdict(address: str) -> None:
    assert is_valid_email(address) == _library_accepts(address)


@pytest.mark.parametrize(
    "address",
    [
        "ada@example.org",
        "grace.hopper+news@mail.navy.example.com",
        "sam_42@sub-domain.example.co",
        "x@a.bc",
        "UPPER@EXAMPLE.ORG",
    ],
)
def test_plain_addresses_take_the_shortcut(address: str) -> None:
    assert is_plain_valid(address)
    assert _library_accepts(address)


@pytest.mark.parametrize(
    "address",
    [
        "jürgen@bücher.example",  # internationalized: the library decides (valid)
        '"quoted"@example.org',  # quoted local part: the library decides (rejected)
        "ada@localhost",
        "ada@mail.test",  # special-use names
        "ada@ab--cd.example",  # an R-LDH label
        "ada@xn--bcher-kva.example",  # Punycode: the library checks it
        "a" * 65 + "@example.org",  # local part too long for the shortcut
        "ada@example.123",  # top-level label ending in a digit
        "ada..lovelace@example.org",
        ".ada@example.org",
        "ada@-example.org",
    ],
)
def test_others_go_to_email_validator(address: str) -> None:
    assert not is_plain_valid(address)
    assert is_valid_email(address) == _library_accepts(address)
