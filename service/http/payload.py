"""Reading a request body: size first, then content type, then parsing.

413 comes before any parsing (Content-Length is checked, and Flask caps the
stream at ``MAX_CONTENT_LENGTH`` for bodies sent without one); 415 for a
content type other than JSON or a URL-encoded form; 400 for a body that
does not parse, for JSON nested deeper than ``MAX_JSON_DEPTH`` (checked before
the parser, whose recursion a deep enough body would exhaust) and for a form
of more than ``MAX_FORM_FIELDS`` fields.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from flask import Request

from service.http.errors import (
    MalformedJSONError,
    NestingTooDeepError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
# Every request model is at most 3 levels deep ({"comments": [{...}]}); 32 leaves room
# for extensions while staying far below the parser's and the validators' recursion.
MAX_JSON_DEPTH = 32
# A comment form has about a dozen fields.
MAX_FORM_FIELDS = 100
# A string (with its escapes) or one bracket: brackets inside strings do not nest.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def read_payload(request: Request, max_bytes: int, *, form: bool = True) -> dict[str, Any]:
    """The body as a dict: a JSON object, or a form's fields (first value of each)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLargeError(f"The request body is larger than {max_bytes} bytes.")
    mimetype = request.mimetype
    if mimetype != JSON_TYPE and not (form and mimetype == FORM_TYPE):
        raise UnsupportedMediaTypeError(
            "Send application/json or application/x-www-form-urlencoded."
            if form
            else "Send application/json."
        )
    # Raises RequestEntityTooLarge (413) past MAX_CONTENT_LENGTH, chunked bodies included.
    raw = request.get_data(cache=False)
    if len(raw) > max_bytes:
        raise PayloadTooLargeError(f"The request body is larger than {max_bytes} bytes.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedJSONError("The request body is not valid UTF-8.") from None
    if mimetype == FORM_TYPE:
        try:
            pairs = parse_qsl(
                text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FORM_FIELDS
            )
        except ValueError:
            raise MalformedJSONError("The form body could not be parsed.") from None
        fields: dict[str, Any] = {}
        for key, value in pairs:
            fields.setdefault(key, value)
        return fields
    check_json_depth(text)
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedJSONError() from None
    if not isinstance(body, dict):
        raise MalformedJSONError("The request body must be a JSON object.")
    return body


def check_json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> None:
    """400 if the JSON text nests arrays and objects deeper than ``limit``.

    A body with at most ``limit`` opening brackets cannot be deeper, and counting
    them runs in C: an ordinary comment costs two ``str.count`` calls. Only a body
    with more is tokenised, so that brackets inside strings are not counted.
    """
    if text.count("[") + text.count("{") <= limit:
        return
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > limit:
                raise NestingTooDeepError(
                    f"The JSON body nests arrays and objects deeper than {limit} levels."
                )
        elif bracket in ("]", "}"):
            depth -= 1


def client_ip(
    request: Request,
    trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> str | None:
    """The client's address: the peer, or X-Forwarded-For's nearest untrusted hop.

    X-Forwarded-For is only believed when the peer is a trusted proxy; then the
    chain is read from the right, skipping trusted proxies.
    """
    peer = request.remote_addr
    if not peer or not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return hops[0] if hops else peer


def _is_trusted(
    address: str, trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)
