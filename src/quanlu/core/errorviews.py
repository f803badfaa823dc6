"""Django's error views (ROOT_URLCONF's handler400/403/404/500): under /api/ every
error is JSON ``{"code", "message"}`` with a Chinese message, like the API's own;
elsewhere the HTML pages (templates 404.html, 500.html)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def _api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return _json(
            "too_large",
            f"请求内容过大（超过 {limit} 字节）。上传文件请使用文件上传接口（multipart 或 tus）。",
            413,
        )
    if isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
        return _json("too_many_fields", "请求中的表单项或文件过多。", 400)
    return _json("bad_request", "请求无法处理（格式不正确）。", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _api(request):
        return defaults.permission_denied(request, exception)
    return _json("permission_denied", "您无权执行此操作。", 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _api(request):
        return defaults.page_not_found(request, exception)
    return _json("not_found", "未找到该对象，或您无权查看。", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if not _api(request):
        return defaults.server_error(request)
    return _json(
        "server_error", "服务器内部错误，请求未能完成。请稍后重试；如仍出错，请联系系统管理员。", 500
    )
