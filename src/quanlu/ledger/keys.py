"""Private signing keys: files in QUANLU_KEY_DIR, never in the database, never logged.

One file per key, in Go's ``PRIVATE+KEY+name+id+base64`` text, mode 0600 in a 0700
folder: ``log-<slug>.key`` (Ed25519), ``log-<slug>.sm2.key`` (optional SM2) and
``witness-<slug>.key`` (Ed25519 cosignature), where slug is the agency's public id or
``system``. A key is generated once, when its log or witness is first needed; after
that a missing or different file is an error, never a silent new key (that would
orphan every checkpoint signed before). Only the public half (vkey) enters the
database, in ``ledger_key``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from django.conf import settings

from quanlu.ledger import note, sm2


class KeyFileError(Exception):
    """A key file is missing, unreadable or does not match the database."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def key_dir() -> Path:
    path = Path(settings.QUANLU_KEY_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _path(filename: str) -> Path:
    return key_dir() / filename


def _write_new(path: Path, secret: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secret + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def load(filename: str) -> note.Signer:
    path = _path(filename)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise KeyFileError(
            f"签名私钥文件缺失：{path}（QUANLU_KEY_DIR）。不会自动生成新密钥，请从备份恢复。"
        ) from exc
    except OSError as exc:
        raise KeyFileError(f"无法读取签名私钥文件：{path}。") from exc
    try:
        return note.parse_skey(text)
    except note.NoteError as exc:
        raise KeyFileError(f"签名私钥文件格式不正确：{path}。") from exc


def create_or_load(filename: str, name: str, algorithm: str) -> note.Signer:
    """The key in ``filename``; generated (0600) if the file does not exist yet."""
    path = _path(filename)
    if not path.exists():
        signer: note.Signer
        if algorithm == "ed25519":
            signer = note.generate_ed25519(name)
        elif algorithm == "cosignature":
            signer = note.generate_cosigner(name)
        elif algorithm == "sm2":
            signer = sm2.generate(name)
        else:  # pragma: no cover - programming error
            raise ValueError(algorithm)
        # Another process may have generated it first: then use theirs.
        with contextlib.suppress(FileExistsError):
            _write_new(path, signer.skey)
    signer = load(filename)
    if signer.name != name:
        raise KeyFileError(f"签名私钥文件 {path} 的密钥名称是「{signer.name}」，而不是「{name}」。")
    return signer


def vkey_of(signer: note.Signer) -> str:
    return signer.vkey


def log_key_file(slug: str) -> str:
    return f"log-{slug}.key"


def log_sm2_key_file(slug: str) -> str:
    return f"log-{slug}.sm2.key"


def witness_key_file(slug: str) -> str:
    return f"witness-{slug}.key"
