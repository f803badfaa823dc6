"""Django system checks: a misconfigured site refuses to start, with a stable id."""

from __future__ import annotations

import hashlib
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
    if settings.QUANLU_STORAGE not in ("local",):
        problems.append(
            Error(
                f"QUANLU_STORAGE={settings.QUANLU_STORAGE!r} is not a known storage backend.",
                hint="Use 'local'.",
                id="quanlu.E003",
            )
        )
    for name in settings.QUANLU_EXTRA_DIGESTS:
        if name not in hashlib.algorithms_available:
            problems.append(
                Error(
                    f"QUANLU_EXTRA_DIGESTS names {name!r}, which this OpenSSL does not provide.",
                    id="quanlu.E004",
                )
            )
    if settings.DEBUG:
        problems.append(
            Warning("QUANLU_DEBUG is on: never run a real agency's site like this.", id="quanlu.W001")
        )
    return problems
