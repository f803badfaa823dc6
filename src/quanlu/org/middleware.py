"""After an administrator's password reset, the officer must choose a new password
before doing anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

# The change page itself, signing out, static files and the API (token-authenticated,
# so the session's flag does not apply).
_ALLOWED_PREFIXES = ("/static/", "/api/", "/logout/", "/account/password/")


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(_ALLOWED_PREFIXES)
        ):
            return HttpResponseRedirect(reverse("org:password_change"))
        return self.get_response(request)
