"""The REST API under /api/v1: one NinjaAPI, one router per domain.

Errors are JSON ``{"code", "message"[, "details"]}`` with a Chinese message.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import SessionAuth

from quanlu.access.api import router as access_router
from quanlu.api.base import TokenAuth
from quanlu.api.errors import validation_body
from quanlu.api.ledger import router as ledger_router
from quanlu.archive.api import router as archive_router
from quanlu.cases.api import router as cases_router
from quanlu.core.errors import DomainError
from quanlu.devices.api import router as devices_router
from quanlu.file_review.api import router as file_review_router
from quanlu.media.api import router as media_router
from quanlu.org.api import router as org_router
from quanlu.records.api import router as records_router
from quanlu.rulebooks.api import router as rulebooks_router
from quanlu.supervision.api import router as supervision_router
from quanlu.web.api import router as web_router

api = NinjaAPI(
    title="全录 quanlu API",
    version="1",
    description="行政执法全过程记录系统接口。认证：`Authorization: Bearer <令牌>`。错误均为 "
    '`{"code": ..., "message": ...}`，message 为中文说明。',
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)
api.add_router("", access_router)
api.add_router("", archive_router)
api.add_router("", cases_router)
api.add_router("", devices_router)
api.add_router("", file_review_router)
api.add_router("", ledger_router)
api.add_router("", media_router)
api.add_router("", org_router)
api.add_router("", records_router)
api.add_router("", rulebooks_router)
api.add_router("", supervision_router)
api.add_router("", web_router)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, validation_body(list(exc.errors)), status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = {"code": "unauthenticated", "message": "未登录或令牌无效，请提供有效的接口令牌。"}
    return api.create_response(request, body, status=401)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    body = {"code": "not_found", "message": "未找到该对象，或您无权查看。"}
    return api.create_response(request, body, status=404)


_HTTP_MESSAGES = {
    400: ("bad_request", "请求内容无法解析（应为有效的 JSON）。"),
    403: ("permission_denied", "您无权执行此操作。"),
    405: ("method_not_allowed", "不支持该请求方法。"),
    429: ("throttled", "请求过于频繁，请稍后再试。"),
}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code, message = _HTTP_MESSAGES.get(exc.status_code, ("http_error", "请求无法处理。"))
    return api.create_response(request, {"code": code, "message": message}, status=exc.status_code)
