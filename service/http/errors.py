"""The API's error tree and the one place that turns errors, the domain's too, into JSON answers.

Every error answer has one shape:
``{"error": {"code": "snake_case_code", "message": "human sentence", "fields": {...}?}}``.
HTTP code raises an ``APIError`` subclass; domain code raises ``service.errors``, mapped
here by ``from_domain``; nothing returns a failure by hand.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from service import errors as domain

log = logging.getLogger(__name__)

REDIS_RETRY_AFTER_S = 5


class APIError(Exception):
    """An error with an HTTP status, a stable code and a human message."""

    status = 400
    code = "bad_request"
    message = "The request could not be handled."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.fields = fields
        self.headers = headers or {}

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of this error."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


class MalformedJSONError(APIError):
    status, code, message = 400, "malformed_json", "The request body is not valid JSON."


class NestingTooDeepError(MalformedJSONError):
    code, message = "json_too_deep", "The JSON body is nested too deeply."


class BadRequestError(APIError):
    status, code, message = 400, "bad_request", "The request could not be understood."


class UnauthorizedError(APIError):
    status, code, message = 401, "unauthorized", "A valid moderator token is required."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="modq"'})


class ForbiddenError(APIError):
    status, code, message = 403, "forbidden", "This action is not allowed."


class NotFoundError(APIError):
    status, code, message = 404, "not_found", "No such resource."


class MethodNotAllowedError(APIError):
    status, code, message = 405, "method_not_allowed", "This method is not allowed here."


class ConflictError(APIError):
    status, code, message = 409, "conflict", "The resource is not in a state that allows this."


class PayloadTooLargeError(APIError):
    status, code, message = 413, "payload_too_large", "The request body is too large."


class UnsupportedMediaTypeError(APIError):
    status, code = 415, "unsupported_media_type"
    message = "Send application/json or application/x-www-form-urlencoded."


class ValidationError(APIError):
    status, code, message = 422, "invalid_request", "Some fields are invalid."


class RateLimitedError(APIError):
    status, code, message = 429, "rate_limited", "Too many requests; slow down."


class UnavailableError(APIError):
    status, code, message = 503, "unavailable", "A dependency is unavailable; try again shortly."

    def __init__(self, message: str | None = None, retry_after_s: int = REDIS_RETRY_AFTER_S):
        super().__init__(message, headers={"Retry-After": str(retry_after_s)})


# The domain's errors and the API errors they become (the most specific class first).
_DOMAIN_MAP: tuple[tuple[type[domain.ModqError], type[APIError]], ...] = (
    (domain.InvalidError, ValidationError),
    (domain.NotFoundError, NotFoundError),
    (domain.ConflictError, ConflictError),
    (domain.UnauthorizedError, UnauthorizedError),
    (domain.ForbiddenError, ForbiddenError),
    (domain.RateLimitedError, RateLimitedError),
)


def from_domain(error: domain.ModqError) -> APIError:
    """The API error a domain error becomes (400 for one this table does not know)."""
    if isinstance(error, domain.RateLimitedError):
        return RateLimitedError(
            error.message, headers={"Retry-After": str(max(1, error.retry_after_s))}
        )
    for kind, api_kind in _DOMAIN_MAP:
        if isinstance(error, kind):
            if api_kind is UnauthorizedError:
                return UnauthorizedError(error.message)
            return api_kind(error.message, fields=error.fields)
    return BadRequestError(error.message, fields=error.fields)


_HTTP_EXCEPTION_MAP: dict[int, type[APIError]] = {
    400: BadRequestError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
}


def error_response(error: APIError) -> Response:
    """The JSON response for an APIError, with its headers."""
    response = jsonify(error.to_dict())
    response.status_code = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    """Route every error, expected or not, to one JSON shape; never leak a traceback."""

    @app.errorhandler(APIError)
    def _api_error(error: APIError) -> Response:
        return error_response(error)

    @app.errorhandler(domain.ModqError)
    def _domain_error(error: domain.ModqError) -> Response:
        return error_response(from_domain(error))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        kind = _HTTP_EXCEPTION_MAP.get(error.code or 500)
        if kind is not None:
            api_error = kind()
            # RFC 9110: a 405 names the methods the resource does allow.
            if isinstance(error, MethodNotAllowed) and error.valid_methods:
                api_error.headers["Allow"] = ", ".join(sorted(error.valid_methods))
            return error_response(api_error)
        api_error = APIError(error.description or "HTTP error")
        api_error.status = error.code or 500
        api_error.code = (error.name or "error").lower().replace(" ", "_")
        return error_response(api_error)

    @app.errorhandler(redis.RedisError)
    def _redis_error(error: redis.RedisError) -> Response:
        # Connection trouble, a read-only replica, a server still loading: all transient.
        log.warning("redis unavailable: %s", type(error).__name__)
        return error_response(UnavailableError("The comment store is unavailable; try again."))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        api_error = APIError("An unexpected error occurred; it has been logged.")
        api_error.status, api_error.code = 500, "internal_error"
        return error_response(api_error)
