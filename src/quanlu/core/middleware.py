"""Security headers Django 5.2 does not set itself: a Content-Security-Policy on every
response, and HSTS (QUANLU_HSTS_SECONDS) behind a TLS-terminating proxy too."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Every page's scripts and styles are static files of our own: no inline script, no
# inline style, no eval. Images may be data: URLs (signature pads, Swagger UI's icons)
# and blob: URLs (a preview of a file chosen for upload).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        # Django's SecurityMiddleware sends HSTS only when the request itself came over
        # HTTPS, which behind a TLS-terminating proxy it never does. Browsers ignore the
        # header on plain HTTP (RFC 6797 8.1), so sending it always is safe.
        seconds = settings.SECURE_HSTS_SECONDS
        if seconds and "Strict-Transport-Security" not in response.headers:
            response.headers["Strict-Transport-Security"] = f"max-age={seconds}"
        return response
