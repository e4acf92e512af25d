"""The domain's errors: what went wrong, in the rules' own words, with no HTTP in them.

The queue, the store and the other domain packages raise these; ``service.http.errors``
is the one place that turns them into status codes and the API's error shape. Each
carries a human message and, for ``InvalidError``, the fields at fault.
"""

from __future__ import annotations


class ModqError(Exception):
    """Base of the domain's errors: a human message and, optionally, the fields at fault."""

    message = "The request could not be handled."

    def __init__(self, message: str | None = None, *, fields: dict[str, str] | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.fields = fields


class InvalidError(ModqError):
    """An argument breaks a rule (a bad cursor, a reason where none belongs)."""

    message = "Some fields are invalid."


class NotFoundError(ModqError):
    """The thing asked for does not exist (or is not visible to the asker)."""

    message = "No such resource."


class ConflictError(ModqError):
    """The thing exists but its state does not allow this (decided, leased by another)."""

    message = "The resource is not in a state that allows this."


class UnauthorizedError(ModqError):
    """No valid credential was given."""

    message = "A valid credential is required."


class ForbiddenError(ModqError):
    """The credential is valid but does not allow this."""

    message = "This action is not allowed."


class RateLimitedError(ModqError):
    """Too many requests; ``retry_after_s`` says when to try again."""

    message = "Too many requests; slow down."

    def __init__(self, message: str | None = None, *, retry_after_s: int = 1):
        super().__init__(message)
        self.retry_after_s = retry_after_s
