"""The request body as the server received it, read with as little copying as the
server allows.

Under gunicorn (`quanlu serve`, the production path) the body is read straight
from the client socket into a reused buffer (``recv_into``): gunicorn's own body
reader copies each byte several times through BytesIO buffers, which capped a
1 GB upload at about a quarter of the disk's speed. Anything gunicorn had
already read ahead is taken first, and gunicorn is told the body is consumed.
Any other server (the test client, runserver, a live-server thread) gets the
portable path through ``request.read``.

On Linux, under gunicorn without TLS, the body can go further: ``splicer()`` offers
it to the blob store's splice path, which moves it from the socket into the file
inside the kernel (os.splice) without it ever entering this process.
"""

from __future__ import annotations

import errno
import mmap
import os
import select
import socket
from typing import Any

from django.http import HttpRequest


class BodyEnded(ConnectionError):
    """The client stopped sending before the declared length."""


class Body:
    """``readinto(view) -> n``: fills ``view`` with the next body bytes; 0 only at
    the declared end; raises BodyEnded when the client goes away before it."""

    def __init__(self, request: HttpRequest, length: int) -> None:
        self.remaining = length
        self._request = request
        self._sock: Any = None
        self._gunicorn_body: Any = None
        self._pending = b""
        self._splice = False
        self._take_over(request.META)

    def _take_over(self, environ: dict[str, Any]) -> None:
        sock = environ.get("gunicorn.socket")
        body: Any = environ.get("wsgi.input")
        reader: Any = getattr(body, "reader", None)
        unreader: Any = getattr(reader, "unreader", None)
        if sock is None or type(reader).__name__ != "LengthReader" or not hasattr(unreader, "take_buffered"):
            return
        if getattr(reader, "length", None) != self.remaining or body.buf.tell():
            return  # someone has read part of it already: stay on the portable path
        ahead = unreader.take_buffered()
        if len(ahead) > self.remaining:  # the next pipelined request: give it back
            unreader.unread(ahead[self.remaining :])
            ahead = ahead[: self.remaining]
        self._pending = ahead
        reader.length = 0  # from now on the body is ours; gunicorn must not drain it
        self._sock = sock
        self._gunicorn_body = body
        # Only a plain socket: an ssl.SSLSocket's descriptor carries TLS records.
        self._splice = (
            hasattr(os, "splice") and type(sock) is socket.socket and sock.type == socket.SOCK_STREAM
        )

    def readinto(self, view: memoryview) -> int:
        if self.remaining <= 0:
            return 0
        want = min(len(view), self.remaining)
        if self._pending:
            n = min(want, len(self._pending))
            view[:n] = self._pending[:n]
            self._pending = self._pending[n:]
        elif self._sock is not None:
            n = self._sock.recv_into(view, want)
        else:
            data = self._request.read(want)
            n = len(data)
            view[:n] = data
        if n == 0:
            if self._gunicorn_body is not None:
                self._gunicorn_body.failed = True  # the connection cannot be reused
            raise BodyEnded("request body ended early")
        self.remaining -= n
        return n

    def splicer(self) -> Body | None:
        """This body, if its bytes can be spliced from the socket (see ``splice``)."""
        return self if self._splice else None

    def take(self, view: memoryview) -> int:
        """Bytes gunicorn had read ahead, copied into ``view``; 0 once there are none."""
        n = min(len(view), len(self._pending), self.remaining)
        if n:
            view[:n] = self._pending[:n]
            self._pending = self._pending[n:]
            self.remaining -= n
        return n

    def splice(self, pipe: int, count: int) -> int:
        """Move the next 1..``count`` body bytes from the socket into ``pipe`` (which
        must have room for them) without copying them into this process."""
        want = min(count, self.remaining)
        if want <= 0 or self._pending:
            raise ValueError("splice: nothing to splice, or read-ahead bytes come first")
        n = -1
        while self._splice:
            try:
                n = os.splice(self._sock.fileno(), pipe, want)
                break
            except BlockingIOError:  # a socket timeout makes the descriptor non-blocking
                self._wait()
            except OSError as exc:
                if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                    raise
                self._splice = False  # this kernel cannot splice from this socket
        if n < 0:  # copy instead, as readinto does
            data = self._sock.recv(want)
            n = len(data)
            if n and os.write(pipe, data) != n:
                raise OSError("short write into an empty pipe")
        if n == 0:
            if self._gunicorn_body is not None:
                self._gunicorn_body.failed = True
            raise BodyEnded("request body ended early")
        self.remaining -= n
        return n

    def settle(self, data: mmap.mmap, start: int, end: int) -> tuple[int, bool]:
        """Every byte of the body is the body's: nothing to look for."""
        return end - start, False

    def _wait(self) -> None:
        timeout = self._sock.gettimeout()
        poller = select.poll()
        poller.register(self._sock.fileno(), select.POLLIN)
        if not poller.poll(None if timeout is None else timeout * 1000):
            raise TimeoutError("timed out")

    def close(self) -> None:
        """Call when done: a body left unread must not be taken for the next request."""
        if self.remaining > 0 and self._gunicorn_body is not None:
            self._gunicorn_body.failed = True

    def read(self, size: int) -> bytes:
        buf = bytearray(min(size, self.remaining))
        if not buf:
            return b""
        n = self.readinto(memoryview(buf))
        return bytes(buf[:n])
