"""The request body under gunicorn, read in this process from a real loopback
connection: the splice path (socket -> pipe -> file, the boundary found in the
file) must store exactly the bytes the portable path would."""

import errno
import hashlib
import os
import socket
import threading
import time

import pytest
from django.http import HttpRequest
from gunicorn.http.body import Body as GunicornBody
from gunicorn.http.body import LengthReader
from gunicorn.http.unreader import SocketUnreader

from quanlu.blobs.pump import PIPE_SIZE
from quanlu.blobs.store import BlobWriter, LocalBlobStore
from quanlu.media import multipart
from quanlu.media.wire import Body

pytestmark = pytest.mark.skipif(not hasattr(os, "splice"), reason="os.splice is Linux-only")

BOUNDARY = "qlwire7d2c"
DELIMITER = f"\r\n--{BOUNDARY}".encode()


def _connection(pieces: list[bytes], *, pause: float = 0.05, hang_up: bool = True):
    """(server socket, sender thread): the client sends ``pieces`` with pauses
    between them, so each arrives on its own and splice sees its edges."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()

    def run() -> None:
        with client:
            for piece in pieces:
                client.sendall(piece)
                time.sleep(pause)
            if hang_up:
                client.shutdown(socket.SHUT_WR)

    sender = threading.Thread(target=run)
    sender.start()
    return server, sender


def _body(sock: socket.socket, length: int, read_ahead: bytes = b"") -> Body:
    """A request body as gunicorn hands it over: some of it perhaps already read
    ahead with the headers."""
    unreader = SocketUnreader(sock)
    if read_ahead:
        unreader.unread(read_ahead)
    request = HttpRequest()
    request.META = {"gunicorn.socket": sock, "wsgi.input": GunicornBody(LengthReader(unreader, length))}
    return Body(request, length)


def _form(content: bytes, *, after: bytes = b"") -> tuple[bytes, bytes, bytes]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="step_label"\r\n\r\n现场\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n'
    ).encode()
    tail = DELIMITER + after + b"--\r\n"
    return head, content, tail


def _parse(body: Body, store: LocalBlobStore) -> tuple[dict[str, str], BlobWriter, list[bool]]:
    writers: list[BlobWriter] = []
    spliced: list[bool] = []

    def on_file(fields, filename):
        writer = store.writer()
        writers.append(writer)

        def consume(part: multipart.FilePart) -> None:
            spliced.append(part.splicer() is not None)
            writer.fill(part.readinto, part.upper_bound(), splice=part.splicer())

        return consume

    try:
        fields = multipart.parse(body, BOUNDARY.encode(), on_file=on_file)
    except Exception:
        for writer in writers:
            writer.abort()
        raise
    return fields, writers[0], spliced


@pytest.mark.parametrize("span", [1, None])
def test_a_spliced_file_part_ends_exactly_at_its_boundary(tmp_path, monkeypatch, span):
    if span is not None:  # look for the boundary after every splice, not every few MB
        monkeypatch.setattr("quanlu.blobs.pump.HASH_SPAN", span)
    store = LocalBlobStore(tmp_path, extra_digests=("sm3",))
    # Bytes that look like the start of the delimiter, and a delimiter cut in two
    # by the pieces the client sends (so by the splices): the file ends only at the
    # whole delimiter.
    content = os.urandom(PIPE_SIZE + 5000) + DELIMITER[:-1] + b"x" + os.urandom(3 * PIPE_SIZE)
    after = f'\r\nContent-Disposition: form-data; name="note"\r\n\r\n文件之后的字段\r\n--{BOUNDARY}'.encode()
    head, content, tail = _form(content, after=after)
    body_bytes = head + content + tail
    # gunicorn had read the form's start and the first file bytes with the headers.
    ahead = body_bytes[: len(head) + 700]
    rest = body_bytes[len(ahead) :]
    cut = len(head) + len(content) - len(ahead) + 5  # inside the closing delimiter
    server, sender = _connection([rest[:cut], rest[cut:]])
    with server:
        fields, writer, spliced = _parse(_body(server, len(body_bytes), ahead), store)
        sender.join()
    assert spliced == [True]
    assert fields == {"step_label": "现场", "note": "文件之后的字段"}
    with writer:
        digests = writer.seal(expected_sha256=hashlib.sha256(content).hexdigest())
        assert digests["sm3"] == hashlib.new("sm3", content).hexdigest()
        assert writer.path.read_bytes() == content
        writer.commit()


def test_a_spliced_file_part_that_is_cut_off_is_truncated_and_leaves_nothing(tmp_path):
    store = LocalBlobStore(tmp_path)
    head, content, tail = _form(os.urandom(2 * PIPE_SIZE))
    body_bytes = head + content + tail
    server, sender = _connection([body_bytes[: len(head) + PIPE_SIZE]])  # then the client hangs up
    with server, pytest.raises(multipart.Truncated):
        _parse(_body(server, len(body_bytes)), store)
    sender.join()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_body_whose_file_part_has_no_closing_boundary_is_truncated(tmp_path):
    store = LocalBlobStore(tmp_path)
    head, content, _ = _form(os.urandom(PIPE_SIZE // 2))
    body_bytes = head + content + DELIMITER[:-3]  # all the declared bytes came, but no boundary
    server, sender = _connection([body_bytes])
    with server, pytest.raises(multipart.Truncated):
        _parse(_body(server, len(body_bytes)), store)
    sender.join()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_tus_body_is_spliced_and_a_dropped_connection_keeps_what_arrived(tmp_path):
    store = LocalBlobStore(tmp_path)
    data = os.urandom(3 * PIPE_SIZE)
    part = store.partial("d" * 32)
    part.create()
    ahead = data[:1000]
    server, sender = _connection([data[1000 : 2 * PIPE_SIZE]])  # and then nothing
    with server:
        body = _body(server, len(data), ahead)
        assert body.splicer() is body
        with pytest.raises(ConnectionError):
            part.append(
                offset=0, length=len(data), readinto=body.readinto, count=len(data), splice=body.splicer()
            )
        sender.join()
    assert part.offset() == 2 * PIPE_SIZE
    rest = data[2 * PIPE_SIZE :]
    server, sender = _connection([rest])
    with server:
        body = _body(server, len(rest))
        part.append(
            offset=2 * PIPE_SIZE, length=len(data), readinto=body.readinto, count=len(rest), splice=body
        )
        sender.join()
    writer = part.seal(expected_sha256=hashlib.sha256(data).hexdigest())
    assert writer.path.read_bytes() == data
    writer.abort()


def test_a_socket_with_a_timeout_is_spliced_once_its_bytes_come(tmp_path):
    store = LocalBlobStore(tmp_path)
    data = os.urandom(PIPE_SIZE + 1)
    server, sender = _connection([data[:10], data[10:]], pause=0.3)
    server.settimeout(5)  # non-blocking underneath: splice must wait, not fail
    with server, store.writer() as writer:
        body = _body(server, len(data))
        assert writer.fill(body.readinto, len(data), splice=body.splicer()) == len(data)
        sender.join()
        assert writer.seal()["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_kernel_that_cannot_splice_from_the_socket_falls_back_to_copying(tmp_path, monkeypatch):
    store = LocalBlobStore(tmp_path)
    data = os.urandom(2 * PIPE_SIZE + 3)
    server, sender = _connection([data])
    real_splice = os.splice

    def picky(src, dst, count, *args, **kwargs):
        if src == server.fileno():
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_splice(src, dst, count, *args, **kwargs)

    monkeypatch.setattr(os, "splice", picky)
    with server, store.writer() as writer:
        body = _body(server, len(data))
        assert writer.fill(body.readinto, len(data), splice=body.splicer()) == len(data)
        sender.join()
        assert writer.seal()["sha256"] == hashlib.sha256(data).hexdigest()
        assert writer.path.read_bytes() == data
