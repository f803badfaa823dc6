"""Django system checks: a misconfigured site refuses to start, with a stable id."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=False)
def check_settings(app_configs: Any, **kwargs: Any) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    if len(settings.SECRET_KEY) < 32:
        problems.append(
            Error(
                "QUANLU_SECRET_KEY is shorter than 32 characters.",
                hint="Unset it to have one generated under QUANLU_DATA_DIR, or give a long random value.",
                id="quanlu.E001",
            )
        )
    if not settings.ALLOWED_HOSTS:
        problems.append(Error("QUANLU_ALLOWED_HOSTS is empty.", id="quanlu.E002"))
    if settings.DEBUG:
        problems.append(
            Warning("QUANLU_DEBUG is on: never run a real agency's site like this.", id="quanlu.W001")
        )
    return problems
