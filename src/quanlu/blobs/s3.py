"""The S3 backend (QUANLU_STORAGE=s3): blobs in an S3-compatible object store with Object Lock.

Bytes arrive as with the local folder: staged in ``QUANLU_BLOB_DIR/tmp`` (or ``partial``),
hashed in the pass that writes them (SHA-256, SM3, SHA-512), fsynced and sealed; the sealed
file is then uploaded under its content address ``<prefix>sha256/ab/cd/<hex>``, in parts
sent in parallel, each with its Content-MD5 (the server refuses a part that arrived
damaged). After the upload, HeadObject must report the size and the ETag the parts make
(the MD5 of their MD5s): a server-side check of what was stored, not of what was sent.

Write-once is the server's job here: the bucket is created with versioning and Object Lock,
a default COMPLIANCE retention (QUANLU_S3_RETAIN_DAYS) and, after every upload, an explicit
PutObjectRetention — Ceph RGW 16 ignores lock headers on multipart uploads
(docs/notes/object-storage.md), so the explicit call is what binds. The archive lengthens
retention to the dossier's period when it is sealed (``retain``) and maps legal holds to S3
legal holds (``hold``). ``dispose`` deletes every version of a key, which the server allows
only once retention is over and no hold is on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings

from quanlu.blobs.pump import CHUNK
from quanlu.blobs.store import BlobError, StagingStore, _create, check_sha256, check_tombstone

PART = 16 << 20  # upload part size; a blob up to this size is one PutObject
PARALLEL = 4  # parts in flight: enough to fill a loopback or LAN link, little memory
# "永久": COMPLIANCE retention needs a date. Ceph RGW 16 keeps it in 32-bit seconds: a date
# after 2106-02-07 wraps round to the past (measured: 2126 came back as 1990, unprotected).
# So permanent means this date, and every retention set is read back and checked.
PERMANENT_UNTIL = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class S3Config:
    bucket: str
    endpoint_url: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    region: str = "us-east-1"
    addressing_style: str = "path"
    prefix: str = ""
    retain_days: int = 3653

    @classmethod
    def from_settings(cls) -> S3Config:
        return cls(
            bucket=settings.QUANLU_S3_BUCKET,
            endpoint_url=settings.QUANLU_S3_ENDPOINT_URL or None,
            access_key=settings.QUANLU_S3_ACCESS_KEY or None,
            secret_key=settings.QUANLU_S3_SECRET_KEY or None,
            region=settings.QUANLU_S3_REGION,
            addressing_style=settings.QUANLU_S3_ADDRESSING_STYLE,
            prefix=settings.QUANLU_S3_PREFIX,
            retain_days=settings.QUANLU_S3_RETAIN_DAYS,
        )

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(
                s3={"addressing_style": self.addressing_style},
                # Content-MD5 is computed here and checked by the server; the newer
                # flexible checksums are accepted but not stored by RGW 16.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                retries={"max_attempts": 5, "mode": "standard"},
                max_pool_connections=PARALLEL * 4,
            ),
        )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _md5(data: bytes | memoryview) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()


class S3BlobStore(StagingStore):
    def __init__(self, root: Path, extra_digests: tuple[str, ...] = (), *, config: S3Config) -> None:
        super().__init__(root, extra_digests)
        self.config = config
        self.bucket = config.bucket
        self.client = config.client()
        self._ready = False
        self._ready_lock = threading.Lock()
        # Writers of the same bytes in this process upload once; across processes the
        # second upload only adds an identical version (content addressing makes it harmless).
        self._placing: dict[str, threading.Lock] = {}
        self._placing_lock = threading.Lock()

    # ------------------------------------------------------------------ the bucket

    def ensure_bucket(self) -> None:
        """Create the bucket with versioning, Object Lock and a default COMPLIANCE retention
        when missing; refuse a bucket that exists without Object Lock."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if _status(exc) != 404:
                    raise
                kwargs: dict[str, Any] = {"Bucket": self.bucket, "ObjectLockEnabledForBucket": True}
                if self.config.region != "us-east-1":
                    kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.config.region}
                try:
                    self.client.create_bucket(**kwargs)
                except ClientError as exc2:
                    if _code(exc2) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
                self.client.put_bucket_versioning(
                    Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"}
                )
                self.client.put_object_lock_configuration(
                    Bucket=self.bucket,
                    ObjectLockConfiguration={
                        "ObjectLockEnabled": "Enabled",
                        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": self.config.retain_days}},
                    },
                )
            try:
                lock = self.client.get_object_lock_configuration(Bucket=self.bucket)
                enabled = lock["ObjectLockConfiguration"].get("ObjectLockEnabled") == "Enabled"
            except ClientError:
                enabled = False
            if not enabled:
                raise BlobError(
                    f"对象存储桶 {self.bucket} 未启用对象锁定（Object Lock），不能用于保存执法记录。",
                    "bucket_unlocked",
                )
            self._ready = True

    def key(self, sha256: str) -> str:
        sha256 = check_sha256(sha256)
        return f"{self.config.prefix}sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def _head(self, sha256: str) -> dict[str, Any] | None:
        self.ensure_bucket()
        try:
            return cast(dict[str, Any], self.client.head_object(Bucket=self.bucket, Key=self.key(sha256)))
        except ClientError as exc:
            if _status(exc) == 404:
                return None
            raise

    # ------------------------------------------------------------------ reading

    def local_path(self, sha256: str) -> Path | None:
        check_sha256(sha256)
        return None  # the bytes are not on this machine: use local_file or open

    def exists(self, sha256: str) -> bool:
        return self._head(sha256) is not None

    def size(self, sha256: str) -> int:
        head = self._head(sha256)
        if head is None:
            raise BlobError("存储的内容缺失。", "blob_missing")
        return int(head["ContentLength"])

    def open(self, sha256: str) -> BinaryIO:
        """A seekable reader that streams: a read fetches from the current position on
        (one ranged GET), a seek drops the stream and the next read starts a new one."""
        size = self.size(sha256)
        raw = _ObjectReader(self.client, self.bucket, self.key(sha256), size)
        return cast(BinaryIO, io.BufferedReader(raw, buffer_size=CHUNK))

    @contextmanager
    def local_file(self, sha256: str) -> Iterator[Path]:
        """The blob copied to a private temp file for tools that need a path (ffprobe,
        bagit, WeasyPrint); removed when the block ends."""
        path = self.root / "tmp" / f"{os.urandom(16).hex()}.part"
        if not self.exists(sha256):
            raise BlobError("存储的内容缺失。", "blob_missing")
        try:
            with _create(path) as out, self.open(sha256) as fh:
                while chunk := fh.read(CHUNK):
                    out.write(chunk)
            yield path
        finally:
            path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ writing

    def _place(self, staged: Path, sha256: str, digests: dict[str, str]) -> bool:
        with self._placing_lock:
            lock = self._placing.setdefault(sha256, threading.Lock())
        with lock:
            try:
                if self._head(sha256) is not None:
                    return False
                size = staged.stat().st_size
                etag = self._upload(staged, self.key(sha256), size, digests)
                head = self._head(sha256)
                if head is None or int(head["ContentLength"]) != size or head.get("ETag") != etag:
                    raise BlobError("对象存储保存的内容与上传的不一致，请重新上传。", "stored_mismatch")
                self._retain_until(sha256, _now() + dt.timedelta(days=self.config.retain_days))
                return True
            finally:
                with self._placing_lock:
                    self._placing.pop(sha256, None)

    def _upload(self, staged: Path, key: str, size: int, digests: dict[str, str]) -> str:
        """Upload the file and return the ETag the server must report for it."""
        meta = {name: value for name, value in digests.items() if name in ("sha256", "sm3", "sha512")}
        if size <= PART:
            data = staged.read_bytes()
            md5 = _md5(data)
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentMD5=_b64(md5), Metadata=meta
            )
            return f'"{md5.hex()}"'
        upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, Metadata=meta)[
            "UploadId"
        ]
        try:
            fd = os.open(staged, os.O_RDONLY | os.O_CLOEXEC)
            try:

                def send(number: int) -> tuple[int, bytes, str]:
                    offset = (number - 1) * PART
                    data = os.pread(fd, min(PART, size - offset), offset)
                    md5 = _md5(data)
                    answer = self.client.upload_part(
                        Bucket=self.bucket,
                        Key=key,
                        UploadId=upload_id,
                        PartNumber=number,
                        Body=data,
                        ContentMD5=_b64(md5),
                    )
                    return number, md5, answer["ETag"]

                count = -(-size // PART)
                with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
                    parts = list(pool.map(send, range(1, count + 1)))
            finally:
                os.close(fd)
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag} for n, _, etag in parts]},
            )
        except BaseException:
            with contextlib.suppress(ClientError):  # the original error is the one to report
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise
        # Not the CompleteMultipartUpload answer: RGW 16 returns an empty ETag there.
        return f'"{_md5(b"".join(md5 for _, md5, _ in parts)).hex()}-{len(parts)}"'

    # ------------------------------------------------------------------ retention, holds, disposal

    def _retain_until(self, sha256: str, until: dt.datetime) -> None:
        until = min(until, PERMANENT_UNTIL)
        try:
            self.client.put_object_retention(
                Bucket=self.bucket,
                Key=self.key(sha256),
                Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until},
            )
        except ClientError as exc:
            # COMPLIANCE retention cannot be shortened: a later date already set stands.
            if _code(exc) != "AccessDenied":
                raise
        current = self.retention(sha256)
        if current is None or current < until - dt.timedelta(seconds=1):
            raise BlobError(
                f"对象存储未按要求锁定内容（保留至 {until:%Y-%m-%d}，实际 {current or '无'}）。",
                "retention_not_set",
            )

    def retention(self, sha256: str) -> dt.datetime | None:
        """The COMPLIANCE retain-until date of the current version (None if none)."""
        try:
            answer = self.client.get_object_retention(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as exc:
            if _code(exc) in ("NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError"):
                return None
            raise
        return cast(dt.datetime, answer["Retention"]["RetainUntilDate"])

    def retain(self, sha256: str, until: dt.date | None) -> None:
        """Keep the bytes undeletable until ``until`` (the first day after the retention
        period), or until PERMANENT_UNTIL when None (永久). Never shortens."""
        stamp = PERMANENT_UNTIL if until is None else dt.datetime.combine(until, dt.time(), tzinfo=dt.UTC)
        self._retain_until(sha256, stamp)

    def hold(self, sha256: str, *, on: bool) -> None:
        self.client.put_object_legal_hold(
            Bucket=self.bucket, Key=self.key(sha256), LegalHold={"Status": "ON" if on else "OFF"}
        )

    def dispose(self, sha256: str, *, tombstone: Any) -> bool:
        """Delete every version of the blob: only with its committed tombstone, and only
        where the server agrees (retention over, no legal hold)."""
        key = self.key(check_tombstone(sha256, tombstone))
        listed = self.client.list_object_versions(Bucket=self.bucket, Prefix=key)
        versions = [
            v["VersionId"]
            for v in listed.get("Versions", []) + listed.get("DeleteMarkers", [])
            if v["Key"] == key
        ]
        for version in versions:
            try:
                self.client.delete_object(Bucket=self.bucket, Key=key, VersionId=version)
            except ClientError as exc:
                if _code(exc) == "AccessDenied":
                    raise BlobError("对象存储拒绝删除：保留期未满或有保全。", "retained") from exc
                raise
        return bool(versions)


class _ObjectReader(io.RawIOBase):
    def __init__(self, client: Any, bucket: str, key: str, size: int) -> None:
        self._client, self._bucket, self._key, self._size = client, bucket, key, size
        self._pos = 0
        self._body: Any = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        target = max(0, base + offset)
        if target != self._pos:
            self._drop()
            self._pos = target
        return self._pos

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._size or len(buffer) == 0:
            return 0
        if self._body is None:
            answer = self._client.get_object(Bucket=self._bucket, Key=self._key, Range=f"bytes={self._pos}-")
            self._body = answer["Body"]
        data = self._body.read(len(buffer))
        if not data:
            raise BlobError("对象存储的内容提前结束。", "short_read")
        n = len(data)
        memoryview(buffer)[:n] = data
        self._pos += n
        return n

    def _drop(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop()
        super().close()


def _b64(digest: bytes) -> str:
    import base64

    return base64.b64encode(digest).decode()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
