"""A site asks modq to erase one of its commenters (their right to erasure)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.http.api.queue import parse
from service.http.context import services
from service.http.openapi import documented
from service.http.payload import read_payload
from service.http.site_auth import current_namespace, require_site
from service.privacy import Person, erase_person

bp = Blueprint("privacy", __name__)


class ErasureRequest(BaseModel):
    """Whom to erase: exactly one of e-mail, IP address or the site's author id."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str | None = Field(None, min_length=1, max_length=254)
    ip: str | None = Field(None, min_length=1, max_length=45)
    external_author: str | None = Field(None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _exactly_one(self) -> ErasureRequest:
        given = [v for v in (self.email, self.ip, self.external_author) if v is not None]
        if len(given) != 1:
            raise ValueError("name exactly one of email, ip, external_author")
        return self


class ErasureResponse(BaseModel):
    """What the erasure changed in this site's data."""

    comments: int
    texts_erased: int
    labels_scrubbed: int
    labels_deleted: int
    ids: list[str]


@bp.post("/v1/privacy/erase")
@documented(
    "Erase a commenter's personal fields from this site's comments and labels",
    request=ErasureRequest,
    responses={200: ErasureResponse},
    errors=(400, 408, 413, 415, 422, 503),
    tag="privacy",
    site_auth=True,
)
@require_site
def erase() -> Response:
    """Erase one person in the calling site's namespace; answer what changed."""
    body = parse(
        ErasureRequest, read_payload(request, services().settings.max_body_bytes, form=False)
    )
    try:
        person = Person(
            email=body.email,
            ip=body.ip,
            external_author=body.external_author,
            site=current_namespace(),
        )
    except ValueError as error:
        from service.http.errors import ValidationError

        raise ValidationError(fields={"ip": str(error)}) from None
    report = erase_person(services().redis, person)
    return jsonify(report.to_dict())
