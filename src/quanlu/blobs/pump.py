"""Writing and hashing in one pass: the copy loop behind ``BlobWriter.fill`` and
``PartialBlob.append``.

Bytes from a request body are written to a staging file on this thread and hashed
on another (hashlib releases the GIL), so a multi-GB upload is read once and never
held in memory. On Linux a body on a plain socket is spliced socket -> pipe -> file
in the kernel and hashed from the page cache (``_pump_spliced``).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import mmap
import os
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, Protocol

CHUNK = 1024 * 1024
# Ask the kernel to start writing back every this many bytes (sync_file_range), so
# the final fsync waits for the tail only, as `cp` followed by `sync` effectively does.
WRITEBACK = 32 * 1024 * 1024
# The splice path (Linux): bytes go socket -> pipe -> file inside the kernel, and are
# hashed from the page cache through a read-only mapping in spans of HASH_SPAN.
# 1 MiB pipe, 4 MiB spans: the fastest measured (a 4 MiB pipe, 1 or 16 MiB spans were slower).
PIPE_SIZE = 1024 * 1024  # also the unprivileged maximum (/proc/sys/fs/pipe-max-size)
HASH_SPAN = 4 * 1024 * 1024
HASH_AHEAD = 3  # spans queued for hashing at most: the hasher reads them while still in cache
ReadInto = Callable[[memoryview], int]


class Hasher:
    """SHA-256 plus the configured extra digests, updated together."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self._hashes = {"sha256": hashlib.sha256()}
        for name in extra:
            self._hashes[name] = hashlib.new(name)
        self.size = 0

    def update(self, chunk: bytes | memoryview) -> None:
        self.size += len(chunk)
        for h in self._hashes.values():
            h.update(chunk)

    def objects(self) -> list[Any]:
        """The hash objects, for a caller that updates each on its own thread; it
        must then add the bytes to ``size`` once all have seen them."""
        return list(self._hashes.values())

    def hexdigests(self) -> dict[str, str]:
        return {name: h.hexdigest() for name, h in self._hashes.items()}

    def copy(self) -> Hasher:
        twin = Hasher.__new__(Hasher)
        twin._hashes = {name: h.copy() for name, h in self._hashes.items()}
        twin.size = self.size
        return twin


class Splice(Protocol):
    """A request body whose bytes can move from its socket into a file without
    passing through this process (os.splice), for ``pump``."""

    def take(self, view: memoryview) -> int:
        """Copy bytes already read ahead into user space; 0 when there are none."""
        ...

    def splice(self, pipe: int, count: int) -> int:
        """Move between 1 and ``count`` next bytes into ``pipe`` (empty, at least
        ``count`` bytes big); raises when the body ends before its length."""
        ...

    def settle(self, data: mmap.mmap, start: int, end: int) -> tuple[int, bool]:
        """``data[start:end]`` (a read-only mapping of the file) was taken: how many
        of these bytes are certainly this body's, and whether it has ended there.
        Bytes not yet certain are offered again, with the next ones, next time."""
        ...


def pump(
    readinto: ReadInto,
    length: int,
    *,
    fd: int,
    hasher: Hasher,
    body_hash: Any = None,
    splice: Splice | None = None,
) -> int:
    """Copy ``length`` bytes from ``readinto`` to the file descriptor ``fd`` (at its
    position), updating ``hasher`` (and ``body_hash``) on a second thread: hashlib
    releases the GIL, so receiving and writing overlap with hashing. Buffers are
    reused in rotation; a buffer is refilled only after its hashing is done, and
    on any exit every submitted chunk has been hashed and written, so the digests
    always describe exactly the bytes in the file. Returns the bytes copied (fewer
    only if ``readinto`` returned 0 early).

    With ``splice`` (Linux, a plain socket) the bytes never enter user space; see
    ``_pump_spliced``."""
    if splice is not None:
        return _pump_spliced(splice, length, fd=fd, hasher=hasher, body_hash=body_hash)
    slots = [bytearray(CHUNK) for _ in range(3)]
    pending: list[Future[None] | None] = [None] * len(slots)
    done = kicked = 0
    turn = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="quanlu-hash") as pool:
        try:
            while done < length:
                slot = turn % len(slots)
                waiting = pending[slot]
                if waiting is not None:
                    waiting.result()
                view = memoryview(slots[slot])[: min(CHUNK, length - done)]
                n = readinto(view)
                if n <= 0:
                    break
                chunk = view[:n]
                pending[slot] = pool.submit(_digest, hasher, body_hash, chunk)
                _write_all(fd, chunk)
                done += n
                turn += 1
                if done - kicked >= WRITEBACK:
                    _start_writeback(fd, kicked, done - kicked)
                    kicked = done
        finally:
            for waiting in pending:
                if waiting is not None:
                    waiting.result()
    return done


def _pump_spliced(splice: Splice, length: int, *, fd: int, hasher: Hasher, body_hash: Any) -> int:
    """``pump`` for a body on a socket: socket -> pipe -> file with os.splice, so
    the receiving and writing copy each byte once, in the kernel, instead of twice
    through a Python buffer.

    Every HASH_SPAN bytes the new part of the file is mapped read-only (from the
    page cache, no copy) and ``settle``d by the body (a form's file part looks for
    its end in it); each digest then reads the settled bytes on its own thread
    (hashlib releases the GIL: SM3, four times slower than SHA-256, no longer holds
    the others up) while the next spans are spliced. Hashing lags at most
    HASH_AHEAD spans behind, so it finds them still in the CPU cache.

    On any exit the file is cut back to the settled bytes and every one of them
    has been hashed, so the digests describe exactly the bytes in the file.
    Returns how many that is."""
    start = os.lseek(fd, 0, os.SEEK_CUR)
    lanes = [*hasher.objects(), *([body_hash] if body_hash is not None else [])]
    staging: memoryview | None = None
    taken = settled = kicked = 0
    ended = False
    spans: deque[tuple[int, mmap.mmap, list[Future[None]]]] = deque()

    def settle() -> None:
        """Offer [settled, taken) to the body and hand what it keeps to the lanes."""
        nonlocal settled, ended
        base = (start + settled) - (start + settled) % mmap.ALLOCATIONGRANULARITY
        region = mmap.mmap(fd, start + taken - base, mmap.MAP_SHARED, mmap.PROT_READ, offset=base)
        at = start + settled - base
        try:
            mine, ended = splice.settle(region, at, at + taken - settled)
        except BaseException:
            region.close()
            raise
        if not mine:
            region.close()
            return
        futures = [
            pool.submit(_digest_region, region, at, at + mine, h)
            for pool, h in zip(pools, lanes, strict=True)
        ]
        spans.append((mine, region, futures))
        settled += mine

    def finish_oldest() -> None:
        size, region, futures = spans.popleft()
        wait(futures)
        region.close()
        for future in futures:
            future.result()
        hasher.size += size

    with contextlib.ExitStack() as stack:
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        stack.callback(os.close, read_end)
        stack.callback(os.close, write_end)
        try:
            capacity = fcntl.fcntl(write_end, F_SETPIPE_SZ, PIPE_SIZE)
        except OSError:  # a lower pipe-max-size: the default pipe works, in more calls
            capacity = fcntl.fcntl(write_end, F_GETPIPE_SZ)
        pools = [
            stack.enter_context(ThreadPoolExecutor(max_workers=1, thread_name_prefix="quanlu-hash"))
            for _ in lanes
        ]
        try:
            try:
                while taken < length and not ended:
                    want = min(capacity, length - taken)
                    if staging is None:
                        staging = memoryview(bytearray(min(CHUNK, capacity)))
                    n = splice.take(staging[: min(want, len(staging))])
                    if n:
                        _write_all(fd, staging[:n])
                    else:
                        n = splice.splice(write_end, want)
                        _drain(read_end, fd, n)
                    taken += n
                    if taken - settled >= HASH_SPAN or taken == length:
                        settle()
                        while len(spans) > HASH_AHEAD:
                            finish_oldest()
                        if settled - kicked >= WRITEBACK:
                            _start_writeback(fd, start + kicked, settled - kicked)
                            kicked = settled
            finally:
                if taken > settled and not ended:  # what came before a break is kept (tus)
                    settle()
        finally:
            while spans:
                finish_oldest()
            if taken > settled:  # past the end of a form's file part: not ours
                os.ftruncate(fd, start + settled)
                os.lseek(fd, start + settled, os.SEEK_SET)
    return settled


F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", 1032)


def _drain(pipe: int, fd: int, count: int) -> None:
    """Move ``count`` bytes from ``pipe`` to the file ``fd`` (at its position)."""
    while count:
        moved = os.splice(pipe, fd, count)
        if moved <= 0:
            raise OSError("splice moved nothing from a pipe that holds data")
        count -= moved


def _digest_region(region: mmap.mmap, start: int, end: int, digest: Any) -> None:
    with memoryview(region) as whole, whole[start:end] as span:
        digest.update(span)


def _digest(hasher: Hasher, body_hash: Any, chunk: memoryview) -> None:
    hasher.update(chunk)
    if body_hash is not None:
        body_hash.update(chunk)


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _load_sync_file_range() -> Any:
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):  # not Linux: the final fsync does it all
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    return function


_SYNC_FILE_RANGE = _load_sync_file_range()


def _start_writeback(fd: int, offset: int, count: int) -> None:
    if _SYNC_FILE_RANGE is not None:
        _SYNC_FILE_RANGE(fd, offset, count, 2)  # SYNC_FILE_RANGE_WRITE: start, do not wait
