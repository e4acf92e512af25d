"""OpenAPI 3.1 from the routes and the pydantic models that validate them.

A view declares what it takes and answers with ``@documented(...)``; the
document is built from the app's URL map, so every route appears, declared or
not, and the schemas are the very models that validate requests. Other
blueprints (the queue, decisions) use the same decorator::

    @bp.post("/v1/queue/claim")
    @documented("Lease pending comments", request=ClaimRequest,
                responses={200: ClaimResponse}, auth=True, tag="queue")
    def claim() -> Response: ...
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from service.domain import COMMENT_ID_PATTERN
from service.http.schemas import ErrorResponse

F = TypeVar("F", bound=Callable[..., Any])

ATTRIBUTE = "__openapi__"
QueryParam = str | tuple[str, dict[str, Any]]
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_ERROR_TEXT = {
    400: "Malformed request body",
    401: "Missing or wrong token (a moderator's, or a site's key)",
    403: "The form's CSRF token is missing or stale",
    404: "Not found",
    409: "Conflict with the resource's state",
    413: "Request body too large",
    408: "The request body did not arrive in time (MODQ_BODY_TIMEOUT_S)",
    415: "Unsupported content type",
    422: "Invalid fields, each named in error.fields",
    429: "Over a rate limit; retry after Retry-After seconds",
    503: "A dependency (Redis) is unavailable; retry after Retry-After seconds",
}


@dataclass(frozen=True)
class Operation:
    """What one view takes and answers, for the document."""

    summary: str
    request: type[BaseModel] | None = None
    request_types: tuple[str, ...] = (JSON,)
    request_required: bool = True
    responses: dict[int, type[BaseModel] | None] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    auth: bool = False
    tag: str | None = None
    # name -> description, or (description, JSON schema) for a value that is not any string
    query: dict[str, QueryParam] = field(default_factory=dict)
    response_type: str = JSON
    # Errors answered as an HTML page (the moderator page's), not the JSON error shape
    html_errors: tuple[int, ...] = ()
    site_auth: bool = False  # a site's key (needed once any site exists)


def documented(
    summary: str,
    *,
    request: type[BaseModel] | None = None,
    form: bool = False,
    request_required: bool = True,
    responses: dict[int, type[BaseModel] | None] | None = None,
    errors: tuple[int, ...] = (),
    auth: bool = False,
    tag: str | None = None,
    query: dict[str, QueryParam] | None = None,
    response_type: str = JSON,
    html_errors: tuple[int, ...] = (),
    site_auth: bool = False,
) -> Callable[[F], F]:
    """Attach an Operation to a view function (apply below the route decorator)."""
    operation = Operation(
        summary=summary,
        request=request,
        request_types=(JSON, FORM) if form else (JSON,),
        request_required=request_required,
        responses=responses or {200: None},
        # A bad token is 401; too many bad moderator tokens from one address 429 (the
        # website endpoints that count requests list their 429 themselves).
        errors=tuple(errors)
        + ((401,) if (auth or site_auth) and 401 not in errors else ())
        + ((429,) if auth and 429 not in errors else ()),
        auth=auth,
        tag=tag,
        query=query or {},
        response_type=response_type,
        html_errors=html_errors,
        site_auth=site_auth,
    )

    def mark(view: F) -> F:
        setattr(view, ATTRIBUTE, operation)
        return view

    return mark


_CONVERTER = re.compile(r"<(?:[a-z_]+:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


def openapi_path(rule: str) -> str:
    """Flask's ``/v1/comments/<id>`` as OpenAPI's ``/v1/comments/{id}``."""
    return _CONVERTER.sub(r"{\1}", rule)


def build_openapi(app: Flask, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route of ``app``."""
    operations: list[tuple[str, str, Operation, str]] = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        view = app.view_functions[rule.endpoint]
        declared: Operation | None = getattr(view, ATTRIBUTE, None)
        if declared is None:
            doc = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
            declared = Operation(summary=doc, responses={200: None})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operations.append((rule.rule, method.lower(), declared, rule.endpoint))

    models: set[type[BaseModel]] = {ErrorResponse}
    for _, _, op, _ in operations:
        if op.request is not None:
            models.add(op.request)
        models.update(m for m in op.responses.values() if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    refs, top = models_json_schema(
        [(m, "validation") for m in ordered], ref_template="#/components/schemas/{model}"
    )
    schemas: dict[str, Any] = dict(top.get("$defs", {}))

    paths: dict[str, dict[str, Any]] = {}
    for rule_text, method, op, endpoint in operations:
        path = openapi_path(rule_text)
        entry: dict[str, Any] = {
            "operationId": f"{endpoint.replace('.', '_')}_{method}",
            "summary": op.summary,
            "responses": {},
        }
        if op.tag:
            entry["tags"] = [op.tag]
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": _path_schema(name)}
            for name in _CONVERTER.findall(rule_text)
        ]
        parameters += [
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": {"type": "string"} if isinstance(spec, str) else spec[1],
                "description": spec if isinstance(spec, str) else spec[0],
            }
            for name, spec in op.query.items()
        ]
        if parameters:
            entry["parameters"] = parameters
        if op.request is not None:
            ref = refs[(op.request, "validation")]
            entry["requestBody"] = {
                "required": op.request_required,
                "content": {kind: {"schema": ref} for kind in op.request_types},
            }
        for status, model in op.responses.items():
            response: dict[str, Any] = {"description": _describe(status)}
            if model is not None:
                response["content"] = {op.response_type: {"schema": refs[(model, "validation")]}}
            elif op.response_type != JSON:
                response["content"] = {op.response_type: {"schema": {"type": "string"}}}
            entry["responses"][str(status)] = response
        for status in op.errors:
            entry["responses"][str(status)] = {
                "description": _ERROR_TEXT.get(status, "Error"),
                "content": {JSON: {"schema": refs[(ErrorResponse, "validation")]}},
            }
        for status in op.html_errors:
            entry["responses"][str(status)] = {
                "description": _ERROR_TEXT.get(status, "Error"),
                "content": {"text/html": {"schema": {"type": "string"}}},
            }
        if op.auth:
            entry["security"] = [{"bearer": []}]
        if op.site_auth:
            # Optional while no site exists (the {} alternative): modq is open then.
            entry["security"] = [{"siteKey": []}, {}]
        paths.setdefault(path, {})[method] = entry

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "modq",
            "version": version,
            "description": "Self-hosted comment moderation: spam and toxicity scores, "
            "a review queue, and a model that learns from its moderators.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "siteKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A site's key (`modq sites add`); required once any site exists",
                },
            },
        },
    }


def _path_schema(name: str) -> dict[str, Any]:
    if name == "comment_id":  # routed only when it has an id's shape (service/domain.py)
        return {"type": "string", "pattern": COMMENT_ID_PATTERN}
    return {"type": "string"}


def _describe(status: int) -> str:
    names: dict[int, Literal["OK", "Created", "No content", "Redirect", "See other"]] = {
        200: "OK",
        201: "Created",
        204: "No content",
        302: "Redirect",
        303: "See other",
    }
    return names.get(status, "Answer")
