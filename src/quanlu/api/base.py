"""What every domain's API router shares: authentication, the caller, references."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from quanlu.api import schemas as s
from quanlu.cases.models import SignatureMethod
from quanlu.org.models import Officer
from quanlu.org.selectors import officer_for_token


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


ERRORS: dict[int, type[s.ErrorOut]] = {
    401: s.ErrorOut,
    403: s.ErrorOut,
    404: s.ErrorOut,
    409: s.ErrorOut,
    422: s.ErrorOut,
}
