"""Content-addressed, write-once blob storage behind one interface.

Every stored byte string is named by its SHA-256. Writing streams: the digests
(SHA-256, and SM3 where configured) are computed in the same pass that writes the
bytes, so a multi-GB video never sits in memory and is read once. A blob, once
stored, is never overwritten or deleted through this interface.

The backend is chosen in settings (QUANLU_STORAGE); the local folder is the
embedded default. An S3-compatible backend implements the same class.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import BinaryIO, Protocol

from django.conf import settings

CHUNK = 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class BlobError(Exception):
    """A blob could not be stored or read; ``message`` is Chinese for the user."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class PutResult:
    sha256: str
    size: int
    digests: dict[str, str] = field(default_factory=dict)  # algorithm -> hex, incl. sha256
    created: bool = True  # False when identical bytes were already stored


def check_sha256(value: str) -> str:
    value = value.lower()
    if not _HEX64.match(value):
        raise BlobError("内容摘要格式不正确（应为64位十六进制SHA-256）。", "bad_digest")
    return value


class Hasher:
    """SHA-256 plus the configured extra digests, updated together."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self._hashes = {"sha256": hashlib.sha256()}
        for name in extra:
            self._hashes[name] = hashlib.new(name)
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        for h in self._hashes.values():
            h.update(chunk)

    def hexdigests(self) -> dict[str, str]:
        return {name: h.hexdigest() for name, h in self._hashes.items()}


class BlobStore(Protocol):
    def put_stream(
        self,
        chunks: Iterable[bytes],
        *,
        expected_sha256: str | None = None,
        max_size: int | None = None,
    ) -> PutResult: ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int: ...

    def open(self, sha256: str) -> BinaryIO: ...

    def local_path(self, sha256: str) -> Path | None: ...


def iter_file(fh: BinaryIO, chunk_size: int = CHUNK) -> Iterator[bytes]:
    while True:
        chunk = fh.read(chunk_size)
        if not chunk:
            return
        yield chunk


class LocalBlobStore:
    """Blobs under ``root/sha256/ab/cd/<hex>``; temp files under ``root/tmp``.

    A write goes to a temp file in the same filesystem, is fsynced, and is then
    hard-linked into place: the name appears only for complete, verified bytes,
    and a concurrent writer of the same bytes simply finds it there.
    """

    def __init__(self, root: Path, extra_digests: Iterable[str] = ()) -> None:
        self.root = Path(root)
        self.extra_digests = tuple(extra_digests)
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)

    def _path(self, sha256: str) -> Path:
        sha256 = check_sha256(sha256)
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def local_path(self, sha256: str) -> Path | None:
        return self._path(sha256)

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def size(self, sha256: str) -> int:
        return self._path(sha256).stat().st_size

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self._path(sha256).open("rb")
        except FileNotFoundError as exc:
            raise BlobError("存储的内容缺失。", "blob_missing") from exc

    def put_stream(
        self,
        chunks: Iterable[bytes],
        *,
        expected_sha256: str | None = None,
        max_size: int | None = None,
    ) -> PutResult:
        if expected_sha256 is not None:
            expected_sha256 = check_sha256(expected_sha256)
        hasher = Hasher(self.extra_digests)
        tmp = self.root / "tmp" / f"{uuid.uuid4().hex}.part"
        try:
            with tmp.open("xb") as out:
                for chunk in chunks:
                    if max_size is not None and hasher.size + len(chunk) > max_size:
                        raise BlobError(f"内容超过允许的大小（{max_size} 字节）。", "too_large")
                    hasher.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            digests = hasher.hexdigests()
            sha256 = digests["sha256"]
            if expected_sha256 is not None and expected_sha256 != sha256:
                raise BlobError("内容摘要与声明的不一致，传输可能出错，请重新上传。", "digest_mismatch")
            final = self._path(sha256)
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(tmp, final)
                created = True
            except FileExistsError:
                created = False
            if created:
                os.chmod(final, 0o444)  # write-once
                _fsync_dir(final.parent)
            return PutResult(sha256=sha256, size=hasher.size, digests=digests, created=created)
        finally:
            tmp.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@cache
def _store_for(backend: str, root: str, extra: tuple[str, ...]) -> BlobStore:
    if backend == "local":
        return LocalBlobStore(Path(root), extra)
    raise NotImplementedError(f"QUANLU_STORAGE={backend} is not available in this build")


def get_store() -> BlobStore:
    """The configured store (cached per configuration, so tests can switch roots)."""
    return _store_for(
        settings.QUANLU_STORAGE, str(settings.QUANLU_BLOB_DIR), tuple(settings.QUANLU_EXTRA_DIGESTS)
    )
