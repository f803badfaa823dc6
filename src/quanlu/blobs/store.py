"""Content-addressed, write-once blob storage behind one interface.

Every stored byte string is named by its SHA-256. Writing streams: the digests
(SHA-256, and SM3 where configured) are computed in the same pass that writes the
bytes, so a multi-GB video never sits in memory and is read once. A blob, once
stored, is never overwritten, and is deleted only by ``dispose``: the one path by which bytes
leave the store, taken by ``blobs.services.blob_dispose`` once a tombstone is written (an
approved, ledgered disposition at the end of the retention period).

The backend is chosen in settings (QUANLU_STORAGE): the local folder is the
embedded default; ``s3`` keeps the bytes in an S3-compatible object store with Object Lock
(quanlu.blobs.s3). Both stage incoming bytes in the local folder (hashing them in one pass)
and differ only in where sealed bytes are placed and read from.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import re
import threading
import time
import uuid
from collections.abc import Collection, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from django.conf import settings

from quanlu.blobs.pump import CHUNK, WRITEBACK, Hasher, ReadInto, Splice, _start_writeback, pump
from quanlu.core.errors import is_disk_full

DIR_MODE = 0o700  # the store's folders
FILE_MODE = 0o600  # staging files, while written
BLOB_MODE = 0o400  # a stored blob: read-only, and the owner's alone
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


def check_tombstone(sha256: str, tombstone: Any) -> str:
    """``sha256``, if ``tombstone`` is a committed tombstone naming it (no other code path
    may delete bytes by accident)."""
    sha256 = check_sha256(sha256)
    if getattr(tombstone, "blob_id", None) != sha256 or getattr(tombstone, "disposed_at", None) is None:
        raise BlobError("没有该内容的销毁记录，拒绝删除。", "no_tombstone")
    return sha256


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

    def local_file(self, sha256: str) -> AbstractContextManager[Path]: ...

    def retain(self, sha256: str, until: dt.date | None) -> None: ...

    def hold(self, sha256: str, *, on: bool) -> None: ...

    def writer(self, *, max_size: int | None = None) -> BlobWriter: ...

    def partial(self, key: str) -> PartialBlob: ...

    def dispose(self, sha256: str, *, tombstone: Any) -> bool: ...

    def sweep_staging(self, *, keep: Collection[str], older_than: float) -> list[Path]: ...


def iter_file(fh: BinaryIO, chunk_size: int = CHUNK) -> Iterator[bytes]:
    while True:
        chunk = fh.read(chunk_size)
        if not chunk:
            return
        yield chunk


class StagingStore:
    """What every backend shares: bytes on their way in are staged in a local folder
    (``root/tmp`` for writes, ``root/partial`` for resumable uploads), hashed in the pass
    that writes them, fsynced and sealed; ``_place`` then makes them the content of their
    SHA-256 (a hard link here, an upload to the object store for S3).

    Staging files are private whatever the umask: folders 0700, files 0600.
    """

    def __init__(self, root: Path, extra_digests: Iterable[str] = ()) -> None:
        self.root = Path(root)
        self.extra_digests = tuple(extra_digests)
        self.root.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        for name in ("tmp", "partial"):
            (self.root / name).mkdir(exist_ok=True, mode=DIR_MODE)

    def _place(self, staged: Path, sha256: str, digests: dict[str, str]) -> bool:
        """Make the sealed bytes at ``staged`` the content of ``sha256``; False if it was already."""
        raise NotImplementedError

    def writer(self, *, max_size: int | None = None) -> BlobWriter:
        """A push-style writer (for upload handlers that are handed chunks)."""
        return BlobWriter(self, max_size=max_size)

    def partial(self, key: str) -> PartialBlob:
        """The resumable upload named ``key`` (32 hex digits)."""
        return PartialBlob(self, key)

    def put_stream(
        self,
        chunks: Iterable[bytes],
        *,
        expected_sha256: str | None = None,
        max_size: int | None = None,
    ) -> PutResult:
        if expected_sha256 is not None:
            expected_sha256 = check_sha256(expected_sha256)
        with self.writer(max_size=max_size) as writer:
            for chunk in chunks:
                writer.write(chunk)
            writer.seal(expected_sha256=expected_sha256)
            return writer.commit()

    def sweep_staging(self, *, keep: Collection[str], older_than: float) -> list[Path]:
        """Remove the staging files of uploads that will never finish, and return them:
        temp files (``tmp/``) of writes whose process died before commit or abort (a
        form upload of a killed server), and resumable uploads' bytes (``partial/``)
        whose key is not in ``keep`` (the open uploads; expiry removes theirs).

        Only files untouched for ``older_than`` seconds: a write in progress keeps
        touching its file, and a resumable upload just created may not be committed
        to the database yet. A partial file locked by an append is never removed."""
        cutoff = time.time() - older_than
        removed: list[Path] = []
        for folder in ("tmp", "partial"):
            for path in sorted((self.root / folder).glob("*.part")):
                if folder == "partial" and path.stem in keep:
                    continue
                try:
                    if path.lstat().st_mtime > cutoff or not path.is_file():
                        continue
                    with open(path, "rb") as fh:
                        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # not while appended to
                        path.unlink()
                except (FileNotFoundError, BlockingIOError):
                    continue
                removed.append(path)
        if removed:
            for folder in ("tmp", "partial"):
                _fsync_dir(self.root / folder)
        return removed


class LocalBlobStore(StagingStore):
    """Blobs under ``root/sha256/ab/cd/<hex>``; temp files under ``root/tmp``;
    resumable uploads' bytes so far under ``root/partial``.

    A write goes to a temp file in the same filesystem, is fsynced, and is then
    hard-linked into place: the name appears only for complete, verified bytes,
    and a concurrent writer of the same bytes simply finds it there. Blobs are 0400.

    A local folder has no retention lock of its own: ``retain`` and ``hold`` are no-ops
    (the database's holds and the two-person disposal are what keep the bytes).
    """

    def _path(self, sha256: str) -> Path:
        sha256 = check_sha256(sha256)
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def local_path(self, sha256: str) -> Path | None:
        return self._path(sha256)

    @contextmanager
    def local_file(self, sha256: str) -> Iterator[Path]:
        """The blob as a file on this machine, for tools that want a path (ffprobe, bagit)."""
        path = self._path(sha256)
        if not path.is_file():
            raise BlobError("存储的内容缺失。", "blob_missing")
        yield path

    def retain(self, sha256: str, until: dt.date | None) -> None:
        check_sha256(sha256)

    def hold(self, sha256: str, *, on: bool) -> None:
        check_sha256(sha256)

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def size(self, sha256: str) -> int:
        return self._path(sha256).stat().st_size

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self._path(sha256).open("rb")
        except FileNotFoundError as exc:
            raise BlobError("存储的内容缺失。", "blob_missing") from exc

    def dispose(self, sha256: str, *, tombstone: Any) -> bool:
        """Remove the bytes of ``sha256``; True if they were there. Only for a blob whose
        tombstone (``blobs.models.Tombstone``) is already committed: the caller passes it, and
        it must name these bytes, so no other code path deletes by accident."""
        sha256 = check_tombstone(sha256, tombstone)
        path = self._path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(path.parent)
        return True

    def _place(self, staged: Path, sha256: str, digests: dict[str, str]) -> bool:
        final = self._path(sha256)
        for folder in (final.parents[2], final.parents[1], final.parent):  # sha256/ab/cd
            folder.mkdir(exist_ok=True, mode=DIR_MODE)
        try:
            os.link(staged, final)
        except FileExistsError:
            return False
        os.chmod(final, BLOB_MODE)  # write-once
        _fsync_dir(final.parent)
        return True


class BlobWriter:
    """Bytes on their way into the store: written and hashed in one pass to a temp
    file, then ``seal``ed (fsynced, digests fixed, the declared digest checked) and
    ``commit``ted (hard-linked into place) — or ``abort``ed, leaving nothing.

    Between seal and commit the caller may inspect the bytes at ``path`` (media
    ingest probes them) and still refuse them. Used as a context manager, anything
    not committed is removed on the way out.
    """

    def __init__(
        self,
        store: StagingStore,
        *,
        max_size: int | None = None,
        path: Path | None = None,
        hasher: Hasher | None = None,
    ) -> None:
        self._store = store
        self.max_size = max_size
        self.path = path or store.root / "tmp" / f"{uuid.uuid4().hex}.part"
        self._hasher = hasher or Hasher(store.extra_digests)
        # Readable too: the splice path hashes what it wrote through a mapping of it.
        self._fh: BinaryIO | None = None if path else _create(self.path)
        self.digests: dict[str, str] | None = None
        self._finished = False
        self._written = self._kicked = 0

    @property
    def size(self) -> int:
        return self._hasher.size

    def write(self, chunk: bytes) -> None:
        if self._fh is None:
            raise BlobError("内容已封存，不能再写入。", "sealed")
        if self.max_size is not None and self._hasher.size + len(chunk) > self.max_size:
            raise BlobError(f"内容超过允许的大小（{self.max_size} 字节）。", "too_large")
        self._hasher.update(chunk)
        self._fh.write(chunk)
        self._written += len(chunk)
        if self._written - self._kicked >= WRITEBACK:
            self._fh.flush()
            _start_writeback(self._fh.fileno(), self._kicked, self._written - self._kicked)
            self._kicked = self._written

    def fill(self, readinto: ReadInto, length: int, *, splice: Splice | None = None) -> int:
        """Take ``length`` bytes from ``readinto`` (a request body), or at most that
        many through ``splice``, hashing them on a second thread while this one
        writes: the fast path for large uploads."""
        if self._fh is None:
            raise BlobError("内容已封存，不能再写入。", "sealed")
        if self.max_size is not None and self._hasher.size + length > self.max_size:
            raise BlobError(f"内容超过允许的大小（{self.max_size} 字节）。", "too_large")
        self._fh.flush()
        return pump(readinto, length, fd=self._fh.fileno(), hasher=self._hasher, splice=splice)

    def seal(self, *, expected_sha256: str | None = None) -> dict[str, str]:
        if self.digests is None:
            if self._fh is not None:
                self._fh.flush()
                os.fsync(self._fh.fileno())
                self._fh.close()
                self._fh = None
            self.digests = self._hasher.hexdigests()
        if expected_sha256 is not None and check_sha256(expected_sha256) != self.digests["sha256"]:
            raise BlobError("内容摘要与声明的不一致，传输可能出错，请重新上传。", "digest_mismatch")
        return self.digests

    def commit(self) -> PutResult:
        digests = self.seal()
        sha256 = digests["sha256"]
        created = self._store._place(self.path, sha256, digests)
        self._cleanup()
        return PutResult(sha256=sha256, size=self._hasher.size, digests=digests, created=created)

    def abort(self) -> None:
        self._cleanup()

    def _cleanup(self) -> None:
        if self._finished:
            return
        self._finished = True
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._cleanup()


_KEY = re.compile(r"^[0-9a-f]{32}$")
# Hash states of resumable uploads between their requests, by key. A state is
# valid only while it has seen exactly the bytes in the file; otherwise (another
# process took the previous request, or the server restarted) the bytes so far
# are re-read once to rebuild it.
_PARTIAL_HASHERS: dict[str, Hasher] = {}
_PARTIAL_LOCK = threading.Lock()
_PARTIAL_CACHE_SIZE = 256


class PartialBlob:
    """A resumable upload's bytes so far (tus): appended to by successive requests,
    possibly in different processes, until complete; then sealed into a BlobWriter.

    Appends are serialised by an exclusive lock on the file, so two requests for
    the same upload cannot interleave; the second is refused at once.
    """

    def __init__(self, store: StagingStore, key: str) -> None:
        if not _KEY.match(key):
            raise BlobError("上传标识格式不正确。", "bad_key")
        self._store = store
        self.key = key
        self.path = store.root / "partial" / f"{key}.part"

    def create(self) -> None:
        with _create(self.path):
            pass
        _fsync_dir(self.path.parent)

    def exists(self) -> bool:
        return self.path.is_file()

    def offset(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError as exc:
            raise BlobError("上传不存在或已被清除。", "partial_missing") from exc

    def append(
        self,
        chunks: Iterable[bytes] = (),
        *,
        offset: int,
        length: int,
        checksum: tuple[str, bytes] | None = None,
        readinto: ReadInto | None = None,
        count: int = 0,
        splice: Splice | None = None,
    ) -> int:
        """Append at ``offset`` (which must be the current size) without passing
        ``length``: the ``chunks``, or ``count`` bytes from ``readinto`` (a request
        body, the fast path; through ``splice`` where it can); returns the new offset.

        Bytes received before a broken connection are kept (the client resumes
        after them), unless the request carried a ``checksum`` (algorithm, raw
        digest) of its body: then only a body that arrived whole and matches is
        kept, anything else is cut off again.
        """
        try:
            fh = self.path.open("r+b")
        except FileNotFoundError as exc:
            raise BlobError("上传不存在或已被清除。", "partial_missing") from exc
        with fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise BlobError("该上传正在由另一个请求写入，请稍后重试。", "busy") from exc
            current = os.fstat(fh.fileno()).st_size
            if offset != current:
                raise BlobError(
                    f"上传偏移量不一致（服务器已收到 {current} 字节，请求从 {offset} 字节续传）。",
                    "offset_mismatch",
                )
            if readinto is not None and current + count > length:
                raise BlobError("上传内容超过声明的长度。", "too_long")
            hasher = self._hasher(fh, current)
            before = hasher.copy()
            body = hashlib.new(checksum[0]) if checksum else None
            fh.seek(current)
            complete = disk_full = False
            try:
                if readinto is not None:
                    taken = pump(
                        readinto, count, fd=fh.fileno(), hasher=hasher, body_hash=body, splice=splice
                    )
                    complete = taken == count
                else:
                    for chunk in chunks:
                        if hasher.size + len(chunk) > length:
                            raise BlobError("上传内容超过声明的长度。", "too_long")
                        fh.write(chunk)
                        hasher.update(chunk)
                        if body is not None:
                            body.update(chunk)
                    complete = True
            except OSError as exc:
                disk_full = is_disk_full(exc)
                raise
            finally:
                verified = complete and (body is None or checksum is None or body.digest() == checksum[1])
                if (checksum is not None and not verified) or disk_full:
                    # A full disk keeps nothing of this request either: no half-written
                    # block, and the space it took is given back.
                    fh.truncate(current)
                    hasher = before
                fh.flush()
                os.fsync(fh.fileno())
                size = os.fstat(fh.fileno()).st_size
                self._remember(hasher if hasher.size == size else None)
            if not verified:
                raise BlobError("本次上传的数据块校验值不一致，已丢弃，请重传该数据块。", "checksum_mismatch")
            return size

    def seal(self, *, expected_sha256: str | None = None, max_size: int | None = None) -> BlobWriter:
        """Hand the complete bytes over as a sealed writer (commit or abort it)."""
        with self.path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            hasher = self._hasher(fh, size)
        _forget(self.key)
        writer = BlobWriter(self._store, max_size=max_size, path=self.path, hasher=hasher)
        writer.seal(expected_sha256=expected_sha256)
        return writer

    def discard(self) -> None:
        _forget(self.key)
        self.path.unlink(missing_ok=True)

    def _hasher(self, fh: BinaryIO, size: int) -> Hasher:
        with _PARTIAL_LOCK:
            cached = _PARTIAL_HASHERS.get(self.key)
        if cached is not None and cached.size == size:
            return cached
        hasher = Hasher(self._store.extra_digests)
        fh.seek(0)
        remaining = size
        while remaining:
            chunk = fh.read(min(CHUNK, remaining))
            if not chunk:
                break
            hasher.update(chunk)
            remaining -= len(chunk)
        return hasher

    def _remember(self, hasher: Hasher | None) -> None:
        with _PARTIAL_LOCK:
            _PARTIAL_HASHERS.pop(self.key, None)
            if hasher is None:
                return
            while len(_PARTIAL_HASHERS) >= _PARTIAL_CACHE_SIZE:
                _PARTIAL_HASHERS.pop(next(iter(_PARTIAL_HASHERS)))
            _PARTIAL_HASHERS[self.key] = hasher


def _forget(key: str) -> None:
    with _PARTIAL_LOCK:
        _PARTIAL_HASHERS.pop(key, None)


def _create(path: Path) -> BinaryIO:
    """A new staging file, open for reading and writing, 0600 whatever the umask."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    return os.fdopen(fd, "r+b")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def local_files(shas: Iterable[str]) -> Iterator[dict[str, Path]]:
    """sha256 → a local file of each stored content among ``shas`` (missing ones are left
    out), for code that hands paths to tools (bag writing, PDF/A checks, ffprobe): the blob
    itself in the local folder, a private temp copy (removed afterwards) from S3."""
    store = get_store()
    with ExitStack() as stack:
        found: dict[str, Path] = {}
        for sha in dict.fromkeys(shas):
            try:
                found[sha] = stack.enter_context(store.local_file(sha))
            except BlobError as exc:
                if exc.code != "blob_missing":
                    raise
        yield found


@cache
def _store_for(backend: str, root: str, extra: tuple[str, ...], s3: Any) -> BlobStore:
    if backend == "local":
        return LocalBlobStore(Path(root), extra)
    if backend == "s3":
        from quanlu.blobs.s3 import S3BlobStore  # boto3 is imported only by sites that use S3

        return S3BlobStore(Path(root), extra, config=s3)
    raise NotImplementedError(f"QUANLU_STORAGE={backend} is not available in this build")


def get_store() -> BlobStore:
    """The configured store (cached per configuration, so tests can switch roots)."""
    s3 = None
    if settings.QUANLU_STORAGE == "s3":
        from quanlu.blobs.s3 import S3Config

        s3 = S3Config.from_settings()
    return _store_for(
        settings.QUANLU_STORAGE, str(settings.QUANLU_BLOB_DIR), tuple(settings.QUANLU_EXTRA_DIGESTS), s3
    )
