import hashlib
import os
import stat
import threading

import pytest

from quanlu.blobs.models import Blob
from quanlu.blobs.services import blob_store, blob_store_bytes
from quanlu.blobs.store import BlobError, LocalBlobStore, get_store
from quanlu.ledger.models import Event


def test_put_streams_hashes_in_one_pass_and_is_write_once(tmp_path):
    store = LocalBlobStore(tmp_path, extra_digests=("sm3",))
    chunks = [b"a" * 1000, b"b" * 5000, b""]
    data = b"".join(chunks)
    result = store.put_stream(iter(chunks))
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.digests["sm3"] == hashlib.new("sm3", data).hexdigest()
    assert result.size == len(data)
    assert result.created
    path = store.local_path(result.sha256)
    assert path.read_bytes() == data
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
    again = store.put_stream([data])
    assert not again.created
    assert list((tmp_path / "tmp").iterdir()) == []


def test_sm3_matches_the_gbt_32905_example(tmp_path):
    # GB/T 32905-2016 example 1: SM3("abc").
    result = LocalBlobStore(tmp_path, extra_digests=("sm3",)).put_stream([b"abc"])
    assert result.digests["sm3"] == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_a_wrong_declared_digest_stores_nothing(tmp_path):
    store = LocalBlobStore(tmp_path)
    with pytest.raises(BlobError) as exc:
        store.put_stream([b"hello"], expected_sha256="0" * 64)
    assert exc.value.code == "digest_mismatch"
    assert not (tmp_path / "sha256").exists() or not any((tmp_path / "sha256").rglob("*0*"))
    assert list((tmp_path / "tmp").iterdir()) == []


def test_too_large_stops_early_and_leaves_nothing(tmp_path):
    store = LocalBlobStore(tmp_path)

    def endless():
        while True:
            yield b"x" * 1024

    with pytest.raises(BlobError, match="超过允许的大小"):
        store.put_stream(endless(), max_size=10_000)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_an_interrupted_stream_leaves_nothing(tmp_path):
    store = LocalBlobStore(tmp_path)

    def broken():
        yield b"first half"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.put_stream(broken())
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not (tmp_path / "sha256").exists()


def test_bad_digest_names_are_refused(tmp_path):
    store = LocalBlobStore(tmp_path)
    for bad in ("../../etc/passwd", "ABC", "g" * 64):
        with pytest.raises(BlobError, match="格式不正确"):
            store.exists(bad)


def test_concurrent_writers_of_the_same_bytes_store_one_copy(tmp_path):
    store = LocalBlobStore(tmp_path)
    data = os.urandom(200_000)
    results = []
    threads = [threading.Thread(target=lambda: results.append(store.put_stream([data]))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.sha256 for r in results}) == 1
    assert sum(r.created for r in results) == 1


def test_blob_store_registers_once_and_ledgers_once(world):
    blob, created = blob_store_bytes(actor=world.officer, agency=world.agency, data=b"%PDF-1.7 test")
    assert created
    again, created_again = blob_store(
        actor=world.officer, agency=world.agency, chunks=[b"%PDF-1.7 ", b"test"]
    )
    assert (again.pk, created_again) == (blob.pk, False)
    assert Blob.objects.count() == 1
    (event,) = Event.objects.filter(type="blob:blob:stored")
    assert event.payload == {"sha256": blob.sha256, "size": 13, "sm3": blob.sm3}
    with get_store().open(blob.sha256) as fh:
        assert fh.read() == b"%PDF-1.7 test"
