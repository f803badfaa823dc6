"""The S3 backend against a real server (Ceph RADOS Gateway): what it stores is checked on
the server, and what it stores cannot be deleted or overwritten through S3 itself."""

from __future__ import annotations

import datetime as dt
import hashlib
import os

import pytest
from botocore.exceptions import ClientError

from quanlu.blobs import s3 as s3_module
from quanlu.blobs.s3 import PERMANENT_UNTIL, S3BlobStore, S3Config
from quanlu.blobs.store import BlobError, get_store
from quanlu.blobs.tests.conftest import read
from quanlu.testing.rgw import use_s3

pytestmark = pytest.mark.s3


@pytest.fixture
def store(tmp_path, s3_config):
    return S3BlobStore(tmp_path, ("sm3", "sha512"), config=s3_config)


def _versions(store, sha256):
    key = store.key(sha256)
    listed = store.client.list_object_versions(Bucket=store.bucket, Prefix=key)
    return [v for v in listed.get("Versions", []) if v["Key"] == key]


def test_a_locked_object_cannot_be_deleted_or_overwritten_through_s3(store):
    data = b"%PDF-1.7 a record"
    result = store.put_stream([data])
    key = store.key(result.sha256)
    raw = store.client  # boto3, as anyone holding the bucket's keys would use it
    [version] = _versions(store, result.sha256)
    assert store.retention(result.sha256) > dt.datetime.now(dt.UTC)
    with pytest.raises(ClientError) as exc:
        raw.delete_object(Bucket=store.bucket, Key=key, VersionId=version["VersionId"])
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        raw.delete_object(
            Bucket=store.bucket, Key=key, VersionId=version["VersionId"], BypassGovernanceRetention=True
        )
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    answer = raw.delete_objects(
        Bucket=store.bucket, Delete={"Objects": [{"Key": key, "VersionId": version["VersionId"]}]}
    )
    assert [e["Code"] for e in answer.get("Errors", [])] == ["AccessDenied"]
    # Shortening COMPLIANCE retention is refused too.
    with pytest.raises(ClientError):
        raw.put_object_retention(
            Bucket=store.bucket,
            Key=key,
            VersionId=version["VersionId"],
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": dt.datetime.now(dt.UTC)},
        )
    # An overwrite only adds a version, and a plain DELETE only a delete marker: the locked
    # version keeps its bytes.
    raw.put_object(Bucket=store.bucket, Key=key, Body=b"forged")
    raw.delete_object(Bucket=store.bucket, Key=key)
    kept = raw.get_object(Bucket=store.bucket, Key=key, VersionId=version["VersionId"])
    assert kept["Body"].read() == data


def test_a_legal_hold_keeps_bytes_that_retention_no_longer_would(store, tmp_path):
    result = store.put_stream([os.urandom(1000)])
    store.hold(result.sha256, on=True)
    status = store.client.get_object_legal_hold(Bucket=store.bucket, Key=store.key(result.sha256))
    assert status["LegalHold"]["Status"] == "ON"
    store.hold(result.sha256, on=False)
    status = store.client.get_object_legal_hold(Bucket=store.bucket, Key=store.key(result.sha256))
    assert status["LegalHold"]["Status"] == "OFF"


def test_retention_is_lengthened_never_shortened_and_permanent_does_not_wrap(store):
    result = store.put_stream([os.urandom(1000)])
    first = store.retention(result.sha256)
    store.retain(result.sha256, dt.date.today() + dt.timedelta(days=3650))
    later = store.retention(result.sha256)
    assert later > first + dt.timedelta(days=3000)
    store.retain(result.sha256, dt.date.today() + dt.timedelta(days=30))  # shorter: kept as is
    assert store.retention(result.sha256) == later
    store.retain(result.sha256, None)  # 永久; a date after 2106 would wrap to the past on RGW 16
    assert store.retention(result.sha256) == PERMANENT_UNTIL


def test_disposal_before_the_end_of_retention_is_refused_by_the_server(store):
    result = store.put_stream([os.urandom(1000)])

    class Tombstone:
        blob_id = result.sha256
        disposed_at = dt.datetime.now(dt.UTC)

    with pytest.raises(BlobError) as exc:
        store.dispose(result.sha256, tombstone=Tombstone())
    assert exc.value.code == "retained"
    assert store.exists(result.sha256)
    with pytest.raises(BlobError) as exc:
        store.dispose(result.sha256, tombstone=object())
    assert exc.value.code == "no_tombstone"


def test_a_multipart_upload_is_checked_on_the_server_and_read_in_ranges(store, monkeypatch):
    monkeypatch.setattr(s3_module, "PART", 5 << 20)  # the smallest part S3 allows
    data = os.urandom((11 << 20) + 123)  # three parts, the last one short
    result = store.put_stream([data[i : i + 1_000_000] for i in range(0, len(data), 1_000_000)])
    assert result.digests["sha256"] == hashlib.sha256(data).hexdigest()
    assert result.digests["sm3"] == hashlib.new("sm3", data).hexdigest()
    assert result.digests["sha512"] == hashlib.sha512(data).hexdigest()
    head = store.client.head_object(Bucket=store.bucket, Key=store.key(result.sha256))
    assert head["ETag"].endswith('-3"')
    assert head["Metadata"]["sm3"] == result.digests["sm3"]
    assert store.size(result.sha256) == len(data)
    with store.open(result.sha256) as fh:
        fh.seek(7_000_000)
        assert fh.read(100) == data[7_000_000:7_000_100]
        fh.seek(-10, os.SEEK_END)
        assert fh.read() == data[-10:]
    with store.local_file(result.sha256) as path:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == result.sha256
    assert not path.exists()


def test_bytes_the_server_did_not_store_as_sent_are_refused(store, monkeypatch):
    monkeypatch.setattr(S3BlobStore, "_upload", lambda self, staged, key, size, digests: '"0"')
    with pytest.raises(BlobError) as exc:
        store.put_stream([b"anything"])
    assert exc.value.code == "stored_mismatch"


def test_a_bucket_without_object_lock_is_refused(tmp_path, s3_config):
    config = S3Config(**{**s3_config.__dict__, "bucket": "quanlu-unlocked"})
    store = S3BlobStore(tmp_path, config=config)
    store.client.create_bucket(Bucket="quanlu-unlocked")
    with pytest.raises(BlobError) as exc:
        store.put_stream([b"x"])
    assert exc.value.code == "bucket_unlocked"


def test_get_store_answers_the_s3_backend(s3_config, settings):
    use_s3(settings, s3_config)
    data = b"through the settings"
    sha = get_store().put_stream([data]).sha256
    assert isinstance(get_store(), S3BlobStore)
    assert read(get_store(), sha) == data
