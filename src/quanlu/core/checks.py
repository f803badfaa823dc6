"""Django system checks: a misconfigured site refuses to start, with a stable id."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import connections


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
    if settings.QUANLU_STORAGE not in ("local", "s3"):
        problems.append(
            Error(
                f"QUANLU_STORAGE={settings.QUANLU_STORAGE!r} is not a known storage backend.",
                hint="Use 'local' or 's3'.",
                id="quanlu.E003",
            )
        )
    if settings.QUANLU_STORAGE == "s3":
        problems += _s3_problems()
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


def _s3_problems() -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    try:
        import boto3  # noqa: F401
    except ImportError:
        problems.append(
            Error(
                "QUANLU_STORAGE=s3 needs boto3, which is not installed.",
                hint="pip install 'quanlu[s3]'",
                id="quanlu.E005",
            )
        )
    if not settings.QUANLU_S3_BUCKET:
        problems.append(Error("QUANLU_STORAGE=s3 needs QUANLU_S3_BUCKET.", id="quanlu.E006"))
    if settings.QUANLU_S3_ADDRESSING_STYLE not in ("path", "virtual", "auto"):
        problems.append(
            Error(
                f"QUANLU_S3_ADDRESSING_STYLE={settings.QUANLU_S3_ADDRESSING_STYLE!r} is not one of "
                "path, virtual, auto.",
                id="quanlu.E007",
            )
        )
    return problems


def private_paths() -> list[tuple[str, Path]]:
    """(what, path) of everything that holds an agency's records or secrets on disk. The
    key folder itself is the ledger's check (quanlu.W101); its key files are here."""
    paths = [
        ("QUANLU_DATA_DIR", Path(settings.DATA_DIR)),
        ("QUANLU_BLOB_DIR", Path(settings.QUANLU_BLOB_DIR)),
        ("QUANLU_ARCHIVE_EXPORT_DIR", Path(settings.QUANLU_ARCHIVE_EXPORT_DIR)),
    ]
    db = connections["default"].settings_dict
    if db["ENGINE"].endswith("sqlite3") and str(db["NAME"]) != ":memory:":
        paths.append(("SQLite 数据库", Path(db["NAME"])))
    key_dir = Path(settings.QUANLU_KEY_DIR)
    if key_dir.is_dir():
        paths += [("QUANLU_KEY_DIR", key) for key in sorted(key_dir.iterdir()) if key.is_file()]
    return paths


@register(Tags.security, deploy=False)
def check_private_files(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Folders and files that group or other users may read or write (the project's
    processes create them 0700/0600; older installations, or a copy, may not be)."""
    problems: list[Warning] = []
    for what, path in private_paths():
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:  # not created yet: it will be, privately
            continue
        if mode & 0o077:
            wanted = "700" if path.is_dir() else "600"
            problems.append(
                Warning(
                    f"{what} {path} can be read or written by other users (mode {mode:o}).",
                    hint=f"chmod {wanted} {path} (and chmod -R go-rwx for a folder's contents).",
                    id="quanlu.W002",
                )
            )
    return problems
