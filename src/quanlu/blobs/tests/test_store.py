import hashlib
import os
import socket
import stat
import threading

import pytest

from quanlu.blobs.models import Blob
from quanlu.blobs.services import blob_store, blob_store_bytes
from quanlu.blobs.store import BlobError, LocalBlobStore, get_store
from quanlu.blobs.tests.conftest import read
from quanlu.ledger.models import Event


def SHA1(data: bytes) -> bytes:
    # tus clients checksum chunks with SHA-1 (integrity, not security).
    return hashlib.new("sha1", data, usedforsecurity=False).digest()


def test_put_streams_hashes_in_one_pass_and_is_write_once(tmp_path, make_store, backend):
    store = make_store(tmp_path, extra_digests=("sm3",))
    chunks = [b"a" * 1000, b"b" * 5000, b""]
    data = b"".join(chunks)
    result = store.put_stream(iter(chunks))
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.digests["sm3"] == hashlib.new("sm3", data).hexdigest()
    assert result.size == len(data)
    assert result.created
    assert read(store, result.sha256) == data
    if backend == "local":
        path = store.local_path(result.sha256)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o400  # write-once, and the owner's alone
    again = store.put_stream([data])
    assert not again.created
    assert list((tmp_path / "tmp").iterdir()) == []


def test_sm3_matches_the_gbt_32905_example(tmp_path, make_store):
    # GB/T 32905-2016 example 1: SM3("abc").
    result = make_store(tmp_path, extra_digests=("sm3",)).put_stream([b"abc"])
    assert result.digests["sm3"] == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_a_wrong_declared_digest_stores_nothing(tmp_path, make_store):
    store = make_store(tmp_path)
    with pytest.raises(BlobError) as exc:
        store.put_stream([b"hello"], expected_sha256="0" * 64)
    assert exc.value.code == "digest_mismatch"
    assert not store.exists(hashlib.sha256(b"hello").hexdigest())
    assert not store.exists("0" * 64)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_too_large_stops_early_and_leaves_nothing(tmp_path, make_store):
    store = make_store(tmp_path)

    def endless():
        while True:
            yield b"x" * 1024

    with pytest.raises(BlobError, match="超过允许的大小"):
        store.put_stream(endless(), max_size=10_000)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_an_interrupted_stream_leaves_nothing(tmp_path, make_store):
    store = make_store(tmp_path)

    def broken():
        yield b"first half"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.put_stream(broken())
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not store.exists(hashlib.sha256(b"first half").hexdigest())


def test_bad_digest_names_are_refused(tmp_path, make_store):
    store = make_store(tmp_path)
    for bad in ("../../etc/passwd", "ABC", "g" * 64):
        with pytest.raises(BlobError, match="格式不正确"):
            store.exists(bad)


def test_concurrent_writers_of_the_same_bytes_store_one_copy(tmp_path, make_store):
    store = make_store(tmp_path)
    data = os.urandom(200_000)
    results = []
    threads = [threading.Thread(target=lambda: results.append(store.put_stream([data]))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.sha256 for r in results}) == 1
    assert sum(r.created for r in results) == 1


def test_blob_store_registers_once_and_ledgers_once(world, backend):
    blob, created = blob_store_bytes(actor=world.officer, agency=world.agency, data=b"%PDF-1.7 test")
    assert created
    again, created_again = blob_store(
        actor=world.officer, agency=world.agency, chunks=[b"%PDF-1.7 ", b"test"]
    )
    assert (again.pk, created_again) == (blob.pk, False)
    assert Blob.objects.count() == 1
    (event,) = Event.objects.filter(type="blob:blob:stored")
    payload = dict(event.payload)
    assert list(payload.pop("rows")) == [f"blobs.blob/{blob.sha256}"]  # the row it registered
    assert payload == {"sha256": blob.sha256, "size": 13, "sm3": blob.sm3, "sha512": blob.sha512}
    assert blob.sha512 == hashlib.sha512(b"%PDF-1.7 test").hexdigest()
    with get_store().open(blob.sha256) as fh:
        assert fh.read() == b"%PDF-1.7 test"


def test_a_writer_can_be_inspected_before_commit_and_aborted(tmp_path, make_store):
    store = make_store(tmp_path, extra_digests=("sm3",))
    with store.writer() as writer:
        writer.write(b"not ")
        writer.write(b"wanted")
        digests = writer.seal()
        assert writer.path.read_bytes() == b"not wanted"
        assert digests["sha256"] == hashlib.sha256(b"not wanted").hexdigest()
        writer.abort()
    assert not store.exists(digests["sha256"])
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_writer_commits_once_and_refuses_writes_after_sealing(tmp_path, make_store):
    store = make_store(tmp_path)
    with store.writer(max_size=100) as writer:
        writer.write(b"abc")
        writer.seal(expected_sha256=hashlib.sha256(b"abc").hexdigest())
        with pytest.raises(BlobError):
            writer.write(b"more")
        result = writer.commit()
    assert result.created
    assert read(store, result.sha256) == b"abc"
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_partial_upload_resumes_across_processes_and_hashes_the_whole(tmp_path, make_store):
    import quanlu.blobs.store as store_module

    store = make_store(tmp_path, extra_digests=("sm3",))
    data = os.urandom(300_000)
    part = store.partial("a" * 32)
    part.create()
    assert part.offset() == 0
    assert part.append([data[:100_000]], offset=0, length=len(data)) == 100_000
    # Another process takes the next request: it has no hash state and rebuilds it.
    store_module._PARTIAL_HASHERS.clear()
    with pytest.raises(BlobError) as exc:
        part.append([data[100_000:]], offset=50, length=len(data))
    assert exc.value.code == "offset_mismatch"
    assert part.append([data[100_000:]], offset=100_000, length=len(data)) == len(data)
    writer = part.seal(expected_sha256=hashlib.sha256(data).hexdigest())
    assert writer.digests["sm3"] == hashlib.new("sm3", data).hexdigest()
    result = writer.commit()
    assert read(store, result.sha256) == data
    assert not part.exists()


def test_a_partial_keeps_what_arrived_before_a_break_but_not_a_bad_checksum(tmp_path, make_store):
    store = make_store(tmp_path)
    part = store.partial("b" * 32)
    part.create()

    def broken():
        yield b"x" * 1000
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        part.append(broken(), offset=0, length=5000)
    assert part.offset() == 1000  # kept: the client resumes after it
    good = b"y" * 1000
    with pytest.raises(BlobError) as exc:
        part.append([good], offset=1000, length=5000, checksum=("sha1", SHA1(b"other")))
    assert exc.value.code == "checksum_mismatch"
    assert part.offset() == 1000
    with pytest.raises(ConnectionResetError):
        part.append(broken(), offset=1000, length=5000, checksum=("sha1", SHA1(good)))
    assert part.offset() == 1000  # a checksummed body that did not arrive whole is dropped
    assert part.append([good], offset=1000, length=5000, checksum=("sha1", SHA1(good))) == 2000
    with pytest.raises(BlobError, match="超过声明的长度"):
        part.append([b"z" * 4000], offset=2000, length=5000)
    part.discard()
    assert not part.exists()


def test_partial_keys_are_checked(tmp_path):
    with pytest.raises(BlobError):
        LocalBlobStore(tmp_path).partial("../../etc/passwd")


# ---------------------------------------------------------------- the splice path (Linux)

needs_splice = pytest.mark.skipif(not hasattr(os, "splice"), reason="os.splice is Linux-only")


def _tcp_pair():
    """Both ends of a loopback TCP connection, as a request body arrives under gunicorn."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    return client, server


def _send(client: socket.socket, data: bytes, *, hang_up: bool = True) -> threading.Thread:
    def run() -> None:
        client.sendall(data)
        if hang_up:
            client.shutdown(socket.SHUT_WR)

    sender = threading.Thread(target=run)
    sender.start()
    return sender


class _SocketBody:
    """The least a Splice is: the bytes of a socket, none of them read into Python."""

    def __init__(self, sock: socket.socket, length: int) -> None:
        self.sock, self.remaining = sock, length

    def readinto(self, view: memoryview) -> int:
        raise AssertionError("the splice path must not read the body into user space")

    def take(self, view: memoryview) -> int:
        return 0

    def splice(self, pipe: int, count: int) -> int:
        n = os.splice(self.sock.fileno(), pipe, min(count, self.remaining))
        if n == 0:
            raise ConnectionResetError("client went away")
        self.remaining -= n
        return n

    def settle(self, data, start: int, end: int) -> tuple[int, bool]:
        return end - start, False


@needs_splice
def test_a_body_spliced_from_a_socket_is_written_and_hashed_exactly(tmp_path, make_store):
    from quanlu.blobs.pump import HASH_SPAN

    store = make_store(tmp_path, extra_digests=("sm3",))
    data = os.urandom(2 * HASH_SPAN + 12_345)  # several spans, the last one short
    client, server = _tcp_pair()
    with client, server, store.writer() as writer:
        sender = _send(client, data)
        body = _SocketBody(server, len(data))
        assert writer.fill(body.readinto, len(data), splice=body) == len(data)
        sender.join()
        writer.seal(expected_sha256=hashlib.sha256(data).hexdigest())
        assert writer.digests is not None
        assert writer.digests["sm3"] == hashlib.new("sm3", data).hexdigest()
        result = writer.commit()
    assert read(store, result.sha256) == data
    assert list((tmp_path / "tmp").iterdir()) == []


@needs_splice
def test_a_spliced_partial_keeps_what_arrived_resumes_and_refuses_a_bad_checksum(tmp_path, make_store):
    import quanlu.blobs.store as store_module

    store = make_store(tmp_path, extra_digests=("sm3",))
    data = os.urandom(3_000_000)
    part = store.partial("c" * 32)
    part.create()
    # The client declares the whole file but hangs up after a third of it.
    client, server = _tcp_pair()
    with client, server:
        sender = _send(client, data[:1_000_000])
        body = _SocketBody(server, len(data))
        with pytest.raises(ConnectionResetError):
            part.append(offset=0, length=len(data), readinto=body.readinto, count=len(data), splice=body)
        sender.join()
    assert part.offset() == 1_000_000  # kept: the client resumes after it
    kept = store_module._PARTIAL_HASHERS[part.key]  # the hash state of exactly those bytes
    assert kept.size == 1_000_000
    assert kept.copy().hexdigests()["sha256"] == hashlib.sha256(data[:1_000_000]).hexdigest()
    # A chunk whose checksum does not match is cut off again, hash state included.
    chunk = data[1_000_000:2_000_000]
    client, server = _tcp_pair()
    with client, server:
        sender = _send(client, chunk)
        body = _SocketBody(server, len(chunk))
        with pytest.raises(BlobError) as exc:
            part.append(
                offset=1_000_000,
                length=len(data),
                readinto=body.readinto,
                count=len(chunk),
                splice=body,
                checksum=("sha1", SHA1(b"other")),
            )
        sender.join()
    assert exc.value.code == "checksum_mismatch"
    assert part.offset() == 1_000_000
    assert store_module._PARTIAL_HASHERS[part.key].size == 1_000_000
    client, server = _tcp_pair()
    with client, server:
        sender = _send(client, data[1_000_000:])
        body = _SocketBody(server, len(data) - 1_000_000)
        new = part.append(
            offset=1_000_000,
            length=len(data),
            readinto=body.readinto,
            count=len(data) - 1_000_000,
            splice=body,
            checksum=("sha1", SHA1(data[1_000_000:])),
        )
        sender.join()
    assert new == len(data)
    writer = part.seal(expected_sha256=hashlib.sha256(data).hexdigest())
    assert writer.digests is not None
    assert writer.digests["sm3"] == hashlib.new("sm3", data).hexdigest()
    assert read(store, writer.commit().sha256) == data
