"""What every domain's API router shares: authentication, the caller, references."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from quanlu.api import schemas as s
from quanlu.cases.models import SignatureMethod
from quanlu.org.models import Officer
from quanlu.org.selectors import officer_for_token

# The largest paging offset a list takes: no list is a billion rows long, and past
# 64 bits a database answers an overflow (a 500), not an empty page.
MAX_OFFSET = 1_000_000_000


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Officer | None:
        officer = officer_for_token(token)
        if officer is not None:
            request.signature_method = SignatureMethod.TOKEN  # type: ignore[attr-defined]
        return officer


def officer_of(request: HttpRequest) -> Officer:
    officer = request.auth  # type: ignore[attr-defined]
    assert isinstance(officer, Officer)
    return officer


def signature_method(request: HttpRequest) -> str:
    """How the caller signed: a bearer token, or the web session's password check."""
    return getattr(request, "signature_method", SignatureMethod.PASSWORD)


def ref(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"id": obj.public_id, "name": getattr(obj, "full_name", None) or obj.name}


# The error answers every operation documents (all ``{"code", "message"[, "details"]}``):
# not signed in, not allowed, not found (or not visible), refused by a rule, invalid
# input, and a server error (JSON too, under /api/).
ERRORS: dict[int, type[s.ErrorOut]] = {
    401: s.ErrorOut,
    403: s.ErrorOut,
    404: s.ErrorOut,
    409: s.ErrorOut,
    422: s.ErrorOut,
    500: s.ErrorOut,
}
# An operation that reads a request body also answers 400 (not valid JSON) and 413
# (larger than the limit).
BODY_ERRORS: dict[int, type[s.ErrorOut]] = {**ERRORS, 400: s.ErrorOut, 413: s.ErrorOut}


# A list answers one page; the X-Total-Count header says how many rows match in all.
TOTAL_NOTE = "响应头 X-Total-Count 为符合条件的总条数（不受 limit、offset 影响）。"
TOTAL_HEADER: dict[str, Any] = {
    "responses": {
        200: {
            "description": "OK",
            "headers": {"X-Total-Count": {"description": "符合条件的总条数", "schema": {"type": "integer"}}},
        }
    }
}


def file_content(description: str, *media_types: str, text: bool = False) -> dict[str, Any]:
    """``openapi_extra`` for an operation answering a file rather than JSON (declare it
    with ``response={200: None, ...}``): its media types and that the body is the bytes."""
    schema = {"type": "string"} if text else {"type": "string", "format": "binary"}
    content = {media_type: {"schema": schema} for media_type in media_types}
    return {"responses": {200: {"description": description, "content": content}}}
