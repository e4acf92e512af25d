"""Reading an Akismet request: its fields, its key's site, its comment by the native rules.

The views are in ``service/api/akismet.py``; the protocol's vocabulary (where the
key is, which field maps onto which) in ``service.integrations.akismet``.
"""

from __future__ import annotations

from typing import Any

from flask import request

from service.http.context import services
from service.http.errors import ValidationError
from service.http.intake import validate_comment
from service.http.payload import read_payload
from service.http.schemas import RelayedCommentIn
from service.http.site_auth import cached_registry
from service.integrations import akismet
from service.sites import Site
from service.store import keys

# Native field -> the Akismet field a client sent it as, to name bad fields its way.
_THEIR_NAMES = {ours: theirs for theirs, ours in akismet.NATIVE_FIELDS.items()} | {
    "thread": "permalink"
}


class InvalidAkismetCommentError(ValidationError):
    code, message = "invalid_comment", "Some fields of the comment are invalid."


class InvalidKeyError(Exception):
    """No key, or one that is no site's: Akismet's ``invalid`` answer."""

    def __init__(self, help_text: str) -> None:
        super().__init__(help_text)
        self.help_text = help_text


class Caller:
    """Who calls: a site, or nobody in particular while no site exists (open mode)."""

    def __init__(self, site: Site | None) -> None:
        self.site = site
        self.name = site.name if site else keys.DEFAULT_NAMESPACE
        self.namespace = site.namespace if site else keys.DEFAULT_NAMESPACE


def read_form() -> dict[str, str]:
    """The request's fields: the form body of a POST, the query of a GET."""
    if request.method == "GET":
        return {name: value for name, value in request.args.items()}
    body: dict[str, Any] = read_payload(request, services().settings.max_body_bytes)
    return {name: value if isinstance(value, str) else str(value) for name, value in body.items()}


def authenticate(form: dict[str, str]) -> Caller:
    """The key's site; any key while no site exists; else Akismet's ``invalid``."""
    key = akismet.request_key(form, request.host)
    if key is None:
        raise InvalidKeyError(akismet.MISSING_KEY_HELP)
    # The worker's short memory of the registry (service.sites.cache), as for the native
    # endpoints: a site's key, and whether any site exists, rarely wait on Redis.
    registry = cached_registry()
    if not registry.any():
        return Caller(None)
    site = registry.authenticate(key)
    if site is None:
        raise InvalidKeyError(akismet.WRONG_KEY_HELP)
    return Caller(site)


def validated_fields(comment: akismet.AkismetComment) -> dict[str, Any]:
    """The comment's fields checked by the native rules (bad ones named Akismet's way)."""
    if "ip" not in comment.native:
        raise InvalidAkismetCommentError(fields={"user_ip": "Missing required field."})
    try:
        valid = validate_comment(services().settings, comment.native, RelayedCommentIn)
    except ValidationError as error:
        named = {_THEIR_NAMES.get(k, k): v for k, v in (error.fields or {}).items()}
        raise InvalidAkismetCommentError(fields=named) from None
    return valid.model_dump() | comment.kept
