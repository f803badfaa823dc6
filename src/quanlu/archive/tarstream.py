"""An exported package folder as one tar stream, for the archivist's browser.

The tar is made on the fly, chunk by chunk, from the folder on disk: nothing is built in
memory or in a temporary file, so a package with a multi-gigabyte video streams as it is
read, and a request that is cut off or only asks for the headers leaves nothing behind.

The stream is deterministic (members sorted by path, one fixed modification time, owner
root, modes 0644, POSIX pax format for Chinese names), so its length is known before the
first byte (the download's Content-Length) and its SHA-256, taken once when the package is
exported, is the digest of every later download of the unchanged folder.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BLOCK = tarfile.BLOCKSIZE
RECORD = tarfile.RECORDSIZE
CHUNK = 1 << 20


class TarStreamError(Exception):
    """The folder cannot be streamed as it was planned (a member changed or is not a file)."""


@dataclass(frozen=True)
class Member:
    name: str  # the path inside the tar: <top>/<path in the folder>
    path: Path
    size: int


@dataclass(frozen=True)
class TarPlan:
    members: tuple[Member, ...]
    mtime: int
    size: int  # bytes of the whole stream


def _header(member: Member, mtime: int) -> bytes:
    info = tarfile.TarInfo(member.name)
    info.size = member.size
    info.mtime = mtime
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="strict")


def _padding(size: int) -> int:
    return -size % BLOCK


def _end(offset: int) -> int:
    """The two zero blocks that end an archive, then zeros to a whole record, as tarfile."""
    offset += 2 * BLOCK
    return 2 * BLOCK + (-offset % RECORD)


def plan(folder: Path, *, top: str, mtime: int) -> TarPlan:
    """Every regular file under ``folder``, sorted, as members under ``top``/. Anything
    else (a link, a device) is refused: a package holds files only."""
    members = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            st = path.lstat()
            if not stat.S_ISREG(st.st_mode):
                raise TarStreamError(f"{path.relative_to(folder)} 不是普通文件")
            rel = path.relative_to(folder).as_posix()
            members.append(Member(f"{top}/{rel}", path, st.st_size))
        for name in dirs:
            if (Path(root) / name).is_symlink():
                raise TarStreamError(f"{(Path(root) / name).relative_to(folder)} 是符号链接")
    size = sum(len(_header(m, mtime)) + m.size + _padding(m.size) for m in members)
    return TarPlan(tuple(members), mtime, size + _end(size))


def stream(tar: TarPlan) -> Iterator[bytes]:
    """The tar, in chunks of at most 1 MiB. A member whose size changed since ``plan``
    stops the stream (the download then ends short and fails, rather than differ)."""
    offset = 0
    for member in tar.members:
        header = _header(member, tar.mtime)
        yield header
        left = member.size
        with member.path.open("rb") as f:
            while left:
                chunk = f.read(min(CHUNK, left))
                if not chunk:
                    raise TarStreamError(f"{member.name} 在下载中变短了")
                left -= len(chunk)
                yield chunk
            if f.read(1):
                raise TarStreamError(f"{member.name} 在下载中变长了")
        pad = _padding(member.size)
        if pad:
            yield b"\0" * pad
        offset += len(header) + member.size + pad
    yield b"\0" * _end(offset)


def digest(tar: TarPlan) -> str:
    """SHA-256 of the whole stream (one read of every file)."""
    h = hashlib.sha256()
    for chunk in stream(tar):
        h.update(chunk)
    return h.hexdigest()
