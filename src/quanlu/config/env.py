"""Typed readers for QUANLU_* environment settings.

Every setting is read once, here or in settings.py, and documented in README.md.
A malformed value stops the process with a message that names the variable.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# Every file and folder the project's processes create is theirs alone (0600, 0700):
# the database, blobs, staging files, exports and keys are an agency's records and secrets.
UMASK = 0o077


def private_umask() -> None:
    """Set UMASK for this process (and the processes it starts): called first thing by
    the `quanlu` command and the WSGI module."""
    os.umask(UMASK)


class SettingError(ValueError):
    pass


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingError(f"{name}={raw!r}: expected true/false")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingError(f"{name}={raw!r}: expected an integer") from exc
    if minimum is not None and value < minimum:
        raise SettingError(f"{name}={raw!r}: must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, *, fallback_file: Path) -> str:
    """Read a secret from NAME, or from the file named by NAME_FILE.

    With neither set, a random secret is generated once into ``fallback_file``
    (mode 0600) so that a fresh `make run` works and sessions survive restarts,
    while the secret never appears in the repository or the environment.
    """
    value = os.environ.get(name)
    if value:
        return value
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    if fallback_file.exists():
        return fallback_file.read_text(encoding="utf-8").strip()
    fallback_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    generated = secrets.token_urlsafe(50)
    try:
        fd = os.open(fallback_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return fallback_file.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(generated)
    return generated
