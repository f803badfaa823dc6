"""``write_bag``: one pass per file, digests reused, all or nothing, bagit-python agrees."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import tracemalloc
import uuid
from pathlib import Path

import bagit as bagit_python
import pytest

from quanlu.archive import bagit, bagwriter
from quanlu.archive.bagwriter import BagWriteError, PayloadFile, write_bag
from quanlu.archive.package import SM3_LIST, package_bag_info, verify_package

INFO = package_bag_info(
    source_organization="某县自然资源局",
    archive_number="X001-WS·2024-D30-ZF-0001",
    case_number="某自然资罚〔2024〕7号",
    retention="y30",
    case_closed_date="2024-06-30",
)


def digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@pytest.fixture
def sources(tmp_path: Path) -> list[Path]:
    src = tmp_path / "src"
    src.mkdir()
    bodies = {
        "decision.pdf": b"%PDF-1.7 decision",
        "video.mp4": os.urandom(3 * 1024 * 1024 + 17),
        "empty.txt": b"",
    }
    paths = []
    for name, body in bodies.items():
        (src / name).write_bytes(body)
        paths.append(src / name)
    return paths


def ingest_view(paths: list[Path], known: tuple[str, ...] = ("sha256", "sm3")) -> list[PayloadFile]:
    """What the blob store knows about each file after ingest."""
    where = {
        "decision.pdf": "文书/01-行政处罚决定书.pdf",
        "video.mp4": "音像/现场检查.mp4",
        "empty.txt": "其他/空.txt",
    }
    return [
        PayloadFile(p, where[p.name], {a: digest(p, a) for a in known}, size=p.stat().st_size) for p in paths
    ]


def leftovers(parent: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name not in keep)


def test_a_written_bag_is_valid_for_us_and_for_bagit_python(tmp_path, sources):
    written = write_bag(tmp_path / "bag", ingest_view(sources), INFO)
    report = verify_package(str(written.path), ledger=False)
    assert report.valid, bagit.format_report(report)
    assert report.version == "1.0"
    theirs = bagit_python.Bag(str(written.path))
    theirs.validate()  # raises BagValidationError if bagit-python disagrees
    assert theirs.version_info == (1, 0)
    assert theirs.info["External-Identifier"] == "X001-WS·2024-D30-ZF-0001"
    assert theirs.info["Payload-Oxum"] == written.payload_oxum
    names = sorted(p.name for p in written.path.iterdir())
    assert names == sorted(
        [
            "bag-info.txt",
            "bagit.txt",
            "data",
            "manifest-sha256.txt",
            "manifest-sha512.txt",
            SM3_LIST,
            "tagmanifest-sha256.txt",
            "tagmanifest-sha512.txt",
        ]
    )
    assert (
        written.path / "bagit.txt"
    ).read_bytes() == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    info = (written.path / "bag-info.txt").read_text(encoding="utf-8")
    for label in (
        "Source-Organization",
        "External-Identifier",
        "Bag-Group-Identifier",
        "Bagging-Date",
        "Bag-Size",
    ):
        assert f"\n{label}: " in "\n" + info
    assert "Retention-Period: 30年" in info
    assert "Case-Closed-Date: 2024-06-30" in info


def test_known_digests_are_reused_and_the_rest_computed_in_the_copying_pass(tmp_path, sources):
    total = sum(p.stat().st_size for p in sources)
    written = write_bag(tmp_path / "bag", ingest_view(sources), INFO)
    assert written.bytes_hashed == {"sha256": 0, "sm3": 0, "sha512": total}
    for p, item in zip(sources, ingest_view(sources), strict=True):
        assert written.digests["data/" + item.path]["sha512"] == digest(p, "sha512")


def test_with_every_digest_known_nothing_is_hashed(tmp_path, sources):
    written = write_bag(tmp_path / "bag", ingest_view(sources, ("sha256", "sha512", "sm3")), INFO)
    assert set(written.bytes_hashed.values()) == {0}
    assert verify_package(str(written.path), ledger=False).valid


def test_a_blob_corrupted_since_ingest_gives_an_invalid_bag_not_a_laundered_one(tmp_path, sources):
    items = ingest_view(sources)
    sources[0].write_bytes(b"%PDF-1.7 decisioN")  # same size, one byte flipped after ingest
    written = write_bag(tmp_path / "bag", items, INFO)
    report = verify_package(str(written.path), ledger=False)
    assert not report.valid
    assert {i.file for i in report.errors} == {"data/文书/01-行政处罚决定书.pdf"}
    with pytest.raises(bagit_python.BagValidationError):
        bagit_python.Bag(str(written.path)).validate()


def test_an_existing_target_is_refused_and_left_alone(tmp_path, sources):
    target = tmp_path / "bag"
    target.mkdir()
    (target / "mine.txt").write_text("do not touch")
    with pytest.raises(BagWriteError) as exc:
        write_bag(target, ingest_view(sources), INFO)
    assert exc.value.code == "target_exists"
    assert "已存在" in exc.value.message
    assert sorted(p.name for p in target.iterdir()) == ["mine.txt"]
    assert leftovers(tmp_path, {"src", "bag"}) == []


def test_a_target_that_appears_meanwhile_is_not_replaced(tmp_path):
    # Plain rename(2) would silently replace an empty directory.
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    target = tmp_path / "bag"
    target.mkdir()
    with pytest.raises(FileExistsError):
        bagwriter._rename_noreplace(tmp, target)
    assert tmp.is_dir()
    assert target.is_dir()


@pytest.mark.parametrize(
    "path", ["../x.pdf", "a/../b.pdf", "a\\b.pdf", "100%.pdf", "a/./b", "", "con:x", "a\nb"]
)
def test_unsafe_payload_paths_are_refused(tmp_path, sources, path):
    with pytest.raises(BagWriteError) as exc:
        write_bag(tmp_path / "bag", [PayloadFile(sources[0], path)], INFO)
    assert exc.value.code == "bad_path"
    assert leftovers(tmp_path, {"src"}) == []


def test_duplicate_paths_even_by_case_are_refused(tmp_path, sources):
    items = [PayloadFile(sources[0], "文书/A.pdf"), PayloadFile(sources[1], "文书/a.pdf")]
    with pytest.raises(BagWriteError) as exc:
        write_bag(tmp_path / "bag", items, INFO)
    assert exc.value.code == "duplicate_path"


def test_bad_bag_info_and_digests_are_refused(tmp_path, sources):
    for info in ([("Payload-Oxum", "1.1")], [("Bad:Label", "x")], [(" Padded", "x")], [("A", "x\x00")]):
        with pytest.raises(BagWriteError) as exc:
            write_bag(tmp_path / "bag", [PayloadFile(sources[0], "a.pdf")], info)
        assert exc.value.code == "bad_label"
    with pytest.raises(BagWriteError) as exc:
        write_bag(tmp_path / "bag", [PayloadFile(sources[0], "a.pdf", {"sha256": "abc"})], INFO)
    assert exc.value.code == "bad_digest"
    with pytest.raises(BagWriteError) as exc:
        write_bag(tmp_path / "bag", [PayloadFile(sources[0], "a.pdf", size=1)], INFO)
    assert exc.value.code == "size_mismatch"
    assert leftovers(tmp_path, {"src"}) == []


def test_a_missing_source_is_refused_before_anything_is_written(tmp_path, sources):
    with pytest.raises(BagWriteError) as exc:
        write_bag(
            tmp_path / "bag", [*ingest_view(sources), PayloadFile(tmp_path / "gone.pdf", "x.pdf")], INFO
        )
    assert exc.value.code == "source_missing"
    assert leftovers(tmp_path, {"src"}) == []


def test_multi_line_bag_info_values_are_folded(tmp_path, sources):
    written = write_bag(
        tmp_path / "bag", ingest_view(sources), [*INFO, ("External-Description", "第一行\n第二行")]
    )
    report = verify_package(str(written.path), ledger=False)
    assert report.valid, bagit.format_report(report)
    assert report.info_values("External-Description") == ["第一行\n第二行"]


# --- a full disk -------------------------------------------------------------------------------
# Two ways: a real tiny tmpfs when we may mount one (root), and a write error injected at the
# edge (the write/copy system call) that always runs.


@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); the injected ENOSPC tests still run")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_disk_too_small_is_refused_before_writing(tiny_disk, sources):
    with pytest.raises(BagWriteError) as exc:
        write_bag(tiny_disk / "bag", ingest_view(sources), INFO)
    assert exc.value.code == "no_space"
    assert list(tiny_disk.iterdir()) == []


@pytest.mark.parametrize("known", [("sha256", "sm3"), ("sha256", "sha512", "sm3")])
def test_a_disk_that_fills_up_while_writing_leaves_nothing(tiny_disk, sources, known):
    with pytest.raises(BagWriteError) as exc:
        write_bag(tiny_disk / "bag", ingest_view(sources, known), INFO, check_space=False)
    assert exc.value.code == "no_space"
    assert "空间" in exc.value.message
    assert list(tiny_disk.iterdir()) == []


def test_an_injected_enospc_in_the_hashing_copy_leaves_nothing(tmp_path, sources, monkeypatch):
    real = bagwriter._write_all
    calls = {"n": 0}

    def failing(fd, data):
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd, data)

    monkeypatch.setattr(bagwriter, "_write_all", failing)
    with pytest.raises(BagWriteError) as exc:
        write_bag(tmp_path / "bag", ingest_view(sources), INFO, workers=1)
    assert exc.value.code == "no_space"
    assert leftovers(tmp_path, {"src"}) == []


def test_an_injected_enospc_in_the_kernel_copy_leaves_nothing(tmp_path, sources, monkeypatch):
    def failing(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(bagwriter.os, "copy_file_range", failing)
    with pytest.raises(BagWriteError) as exc:
        write_bag(tmp_path / "bag", ingest_view(sources, ("sha256", "sha512", "sm3")), INFO)
    assert exc.value.code == "no_space"
    assert leftovers(tmp_path, {"src"}) == []


def test_any_exception_while_writing_leaves_nothing(tmp_path, sources, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(bagwriter, "format_manifest", broken)
    with pytest.raises(RuntimeError):
        write_bag(tmp_path / "bag", ingest_view(sources), INFO)
    assert leftovers(tmp_path, {"src"}) == []


# --- memory ------------------------------------------------------------------------------------


def peak_memory_writing(tmp_path: Path, size: int) -> int:
    src = tmp_path / f"big-{size}"
    with open(src, "wb") as fh:
        fh.truncate(size)  # sparse: cheap to make, still read and hashed byte by byte
    item = PayloadFile(src, f"{uuid.uuid4().hex}.bin", {"sha256": "0" * 64, "sm3": "0" * 64})
    tracemalloc.start()
    try:
        write_bag(tmp_path / f"bag-{size}", [item], INFO, workers=1)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_file_size(tmp_path):
    small = peak_memory_writing(tmp_path, 8 * 1024 * 1024)
    large = peak_memory_writing(tmp_path, 96 * 1024 * 1024)
    assert large < small + 1024 * 1024
    assert large < 16 * 1024 * 1024
