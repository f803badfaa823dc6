"""The package folder as one tar stream: the planned length is the streamed length, the
stream is what tarfile reads (Chinese names included), the same folder gives the same
bytes, and a folder changed under it or holding a link is refused."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile

import pytest

from quanlu.archive import tarstream


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "遵环档〔2026〕1号"
    (root / "data" / "音像").mkdir(parents=True)
    (root / "bagit.txt").write_text("BagIt-Version: 1.0\n")
    (root / "data" / "音像" / "现场检查.mp4").write_bytes(os.urandom(tarstream.CHUNK + 1234))
    (root / "data" / "empty.txt").write_bytes(b"")
    (root / "data" / "exact.bin").write_bytes(b"x" * tarstream.BLOCK)
    return root


def test_the_stream_has_the_planned_length_and_tarfile_reads_every_file(folder):
    tar = tarstream.plan(folder, top=folder.name, mtime=1_780_000_000)
    data = b"".join(tarstream.stream(tar))
    assert len(data) == tar.size
    assert len(data) % tarfile.RECORDSIZE == 0
    assert tarstream.digest(tar) == hashlib.sha256(data).hexdigest()
    with tarfile.open(fileobj=io.BytesIO(data)) as read:
        names = read.getnames()
        assert names == sorted(names)
        assert f"{folder.name}/data/音像/现场检查.mp4" in names
        for member in read.getmembers():
            assert member.mtime == 1_780_000_000
            assert member.uid == 0
            extracted = read.extractfile(member)
            assert extracted is not None
            original = folder / member.name.split("/", 1)[1]
            assert extracted.read() == original.read_bytes()


def test_the_same_folder_streams_the_same_bytes(folder, tmp_path):
    first = tarstream.digest(tarstream.plan(folder, top="p", mtime=1))
    copy = tmp_path / "copy"
    os.rename(folder, copy)  # another folder name on disk: the tar names only `top`
    assert tarstream.digest(tarstream.plan(copy, top="p", mtime=1)) == first
    assert tarstream.digest(tarstream.plan(copy, top="p", mtime=2)) != first


def test_a_file_changed_after_planning_stops_the_stream(folder):
    tar = tarstream.plan(folder, top="p", mtime=1)
    with (folder / "data" / "empty.txt").open("ab") as f:
        f.write(b"!")
    with pytest.raises(tarstream.TarStreamError, match="变长"):
        b"".join(tarstream.stream(tar))
    tar = tarstream.plan(folder, top="p", mtime=1)
    (folder / "data" / "exact.bin").write_bytes(b"x")
    with pytest.raises(tarstream.TarStreamError, match="变短"):
        b"".join(tarstream.stream(tar))


def test_links_are_refused(folder):
    (folder / "data" / "link").symlink_to(folder / "bagit.txt")
    with pytest.raises(tarstream.TarStreamError, match="不是普通文件"):
        tarstream.plan(folder, top="p", mtime=1)
