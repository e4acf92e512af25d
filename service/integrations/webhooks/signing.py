"""Standard Webhooks signatures: secrets ``whsec_<base64>`` and ``v1,<base64 HMAC-SHA256>``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key inside a ``whsec_`` secret."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(message_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """One signature, ``v1,<base64>``, over ``<id>.<timestamp>.<body>``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(
    message_id: str, timestamp: int, body: bytes, secret_list: Sequence[str]
) -> str:
    """The ``webhook-signature`` value: one signature per live secret, space-separated
    (while a secret rotates, receivers holding either one can verify)."""
    return " ".join(sign(message_id, timestamp, body, secret) for secret in secret_list)


def headers(
    message_id: str, timestamp: int, body: bytes, secret_list: Sequence[str]
) -> dict[str, str]:
    """Every header of one delivery attempt."""
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(message_id, timestamp, body, secret_list),
        "user-agent": "modq-webhooks/1",
    }
