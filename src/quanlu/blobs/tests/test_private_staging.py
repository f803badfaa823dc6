"""The store keeps its files to the owner (folders 0700, staging 0600, blobs 0400) whatever
the umask; abandoned staging files are swept, live ones never; a full disk keeps nothing
of the request that met it."""

import errno
import fcntl
import os
import stat
import time
import uuid

import pytest

from quanlu.blobs import pump as pump_module
from quanlu.blobs.store import LocalBlobStore

HOUR = 3600


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def permissive_umask():
    old = os.umask(0o022)  # what a process that forgot to set one would have
    yield
    os.umask(old)


def test_folders_staging_files_and_blobs_are_the_owners_alone(tmp_path, permissive_umask):
    store = LocalBlobStore(tmp_path / "blobs")
    writer = store.writer()
    writer.write(b"a video, arriving")
    assert mode(writer.path) == 0o600
    partial = store.partial(uuid.uuid4().hex)
    partial.create()
    assert mode(partial.path) == 0o600
    writer.seal()
    result = writer.commit()
    blob = store.local_path(result.sha256)
    assert mode(blob) == 0o400  # read-only, as before, and no one else's
    folders = [tmp_path / "blobs", *(p for p in (tmp_path / "blobs").rglob("*") if p.is_dir())]
    assert {str(p.relative_to(tmp_path)): mode(p) for p in folders} == dict.fromkeys(
        (str(p.relative_to(tmp_path)) for p in folders), 0o700
    )
    assert blob.read_bytes() == b"a video, arriving"


def _age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_abandoned_staging_files_are_swept_and_live_ones_kept(tmp_path):
    store = LocalBlobStore(tmp_path)
    # A form upload cut off by a killed server: the process is gone, its temp file is not.
    killed = store.writer()
    killed.write(b"half a video")
    killed._fh.close()
    _age(killed.path, 7 * HOUR)
    # A form upload in progress right now.
    live = store.writer()
    live.write(b"still coming")
    # Resumable uploads: one still open (even if idle: expiry's business), one no longer
    # open, one so new its database row may not be committed yet, one being appended to.
    open_key, closed_key, new_key, busy_key = (uuid.uuid4().hex for _ in range(4))
    for key in (open_key, closed_key, new_key, busy_key):
        store.partial(key).create()
    _age(store.partial(open_key).path, 7 * HOUR)
    _age(store.partial(closed_key).path, 7 * HOUR)
    _age(store.partial(busy_key).path, 7 * HOUR)
    with open(store.partial(busy_key).path, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        removed = store.sweep_staging(keep={open_key}, older_than=6 * HOUR)
    assert sorted(removed) == sorted([killed.path, store.partial(closed_key).path])
    assert not killed.path.exists()
    assert live.path.exists()
    assert {p.stem for p in (tmp_path / "partial").iterdir()} == {open_key, new_key, busy_key}
    # The live upload is untouched and still completes.
    live.write(b", now whole")
    live.seal()
    assert store.local_path(live.commit().sha256).read_bytes() == b"still coming, now whole"


def test_a_full_disk_cuts_the_request_off_a_resumable_upload_which_resumes_later(tmp_path, monkeypatch):
    store = LocalBlobStore(tmp_path)
    partial = store.partial(uuid.uuid4().hex)
    partial.create()
    assert partial.append([b"x" * 100], offset=0, length=300) == 100
    real = pump_module._write_all
    calls = {"n": 0}

    def full(fd, data):
        calls["n"] += 1
        real(fd, data[: len(data) // 2])  # some bytes made it to the disk, then none would
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pump_module, "_write_all", full)
    chunk = b"y" * 100
    source = memoryview(chunk)
    taken = {"at": 0}

    def readinto(view):
        n = min(len(view), len(chunk) - taken["at"])
        view[:n] = source[taken["at"] : taken["at"] + n]
        taken["at"] += n
        return n

    with pytest.raises(OSError, match="No space") as exc:
        partial.append(offset=100, length=300, readinto=readinto, count=100)
    assert exc.value.errno == errno.ENOSPC
    assert calls["n"] == 1
    assert partial.offset() == 100  # nothing of the request is kept
    monkeypatch.setattr(pump_module, "_write_all", real)
    assert partial.append([chunk, b"z" * 100], offset=100, length=300) == 300
    writer = partial.seal()
    assert store.local_path(writer.commit().sha256).read_bytes() == b"x" * 100 + chunk + b"z" * 100
