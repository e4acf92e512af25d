"""orjson behind jsonify, the stored records and the logs: the same JSON as Flask's."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum

import pytest
from flask import Flask, jsonify
from flask.json.provider import DefaultJSONProvider

from service.http.json_provider import FastJSONProvider
from service.store.json_codec import dumps


class Status(str, Enum):
    PENDING = "pending"


@dataclass
class Point:
    x: int
    y: int


VALUES = {
    "text": "café “quoted” 😀 <b>&",
    "scores": {"spam": 0.1 + 0.2, "toxicity": 1e-05},
    "status": Status.PENDING,
    "when": datetime(2026, 11, 28, 8, 0, tzinfo=UTC),
    "amount": Decimal("1.50"),
    "point": Point(1, 2),
    "nested": [None, True, 3, [{"k": "v"}]],
    7: "an int key",
}


def _apps() -> tuple[Flask, Flask]:
    fast, plain = Flask("fast"), Flask("plain")
    fast.json = FastJSONProvider(fast)
    for app in (fast, plain):
        app.json.sort_keys = False
    return fast, plain


def test_the_same_json_as_flasks_own_provider() -> None:
    fast, plain = _apps()
    with fast.app_context():
        ours = fast.json.loads(fast.json.dumps(VALUES))
        answer = jsonify(VALUES)
    with plain.app_context():
        theirs = plain.json.loads(plain.json.dumps(VALUES))
    assert ours == theirs
    assert answer.mimetype == "application/json"
    assert json.loads(answer.get_data()) == theirs
    assert "café “quoted” 😀" in answer.get_data(as_text=True)  # UTF-8, not \\u escapes


def test_floats_round_trip_exactly_and_nan_is_null() -> None:
    values = [0.1 + 0.2, 1e-05, 123456.789, 5e-324, 1.7976931348623157e308]
    assert json.loads(dumps(values)) == values
    assert dumps([math.nan, math.inf]) == "[null,null]"


def test_integers_past_64_bits_fall_back_to_the_json_module() -> None:
    assert json.loads(dumps({"big": 2**70})) == {"big": 2**70}


def test_what_neither_can_write_raises_type_error() -> None:
    with pytest.raises(TypeError):
        dumps({"x": object()})
    assert dumps({"x": object()}, default=lambda _: "?") == '{"x":"?"}'


@pytest.mark.parametrize("setting", ["debug", "sort_keys", "compact"])
def test_flasks_own_code_writes_indented_or_sorted_answers(setting: str) -> None:
    fast, _plain = _apps()
    if setting == "debug":
        fast.debug = True
    elif setting == "sort_keys":
        fast.json.sort_keys = True
    else:
        assert isinstance(fast.json, DefaultJSONProvider)
        fast.json.compact = False
    with fast.app_context():
        body = jsonify({"b": 1, "a": 2}).get_data(as_text=True)
    assert json.loads(body) == {"b": 1, "a": 2}
    if setting == "sort_keys":
        assert body.index('"a"') < body.index('"b"')
    else:
        assert "\n  " in body
