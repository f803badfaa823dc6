"""Every response carries the Content-Security-Policy; HSTS only when QUANLU_HSTS_SECONDS
is set, and then also on requests a TLS-terminating proxy forwarded as plain HTTP."""

from django.test import Client

from quanlu.core.middleware import CONTENT_SECURITY_POLICY


def test_pages_api_and_static_files_carry_the_policy_and_no_hsts_by_default(db):
    client = Client()
    for url in ("/login/", "/api/v1/openapi.json", "/static/web/quanlu.css", "/no-such-page/"):
        response = client.get(url)
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        assert "Strict-Transport-Security" not in response, url
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY


def test_hsts_is_sent_once_when_configured(db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    plain = Client().get("/login/")  # behind a proxy: the request itself is plain HTTP
    assert plain["Strict-Transport-Security"] == "max-age=31536000"
    secure = Client().get("/login/", secure=True)  # Django's SecurityMiddleware sets it here
    assert secure["Strict-Transport-Security"] == "max-age=31536000"
