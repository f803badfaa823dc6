"""``package_write``: blobs to a package, digests from ingest reused, ledgered, all or nothing.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import bagit as bagit_python
import pytest

from quanlu.archive.package import package_bag_info, verify_package
from quanlu.archive.services import package_write
from quanlu.blobs.services import blob_store_bytes
from quanlu.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from quanlu.ledger.models import Event

INFO = package_bag_info(
    source_organization="某县自然资源局",
    archive_number="X001-WS·2024-Y-ZF-0003",
    case_number="某自然资罚〔2024〕3号",
    retention="permanent",
    case_closed_date="2024-02-01",
)


@pytest.fixture
def blobs(world):
    stored = []
    for body in (b"%PDF-1.7 decision", os.urandom(200_000)):
        blob, _ = blob_store_bytes(actor=world.officer, agency=world.officer.agency, data=body)
        stored.append(blob)
    return stored


def items_for(blobs):
    return [(blobs[0].sha256, "文书/决定书.pdf"), (blobs[1].sha256, "音像/现场.mp4")]


def test_an_archivist_writes_a_valid_package_from_stored_blobs(world, blobs, tmp_path):
    written = package_write(
        actor=world.archivist, target_dir=tmp_path / "pkg", items=items_for(blobs), bag_info=INFO
    )
    assert verify_package(str(written.path), ledger=False).valid
    bagit_python.Bag(str(written.path)).validate()
    # SHA-256, SHA-512 and SM3 all came from the blob registry (computed at ingest): nothing
    # was hashed, the bytes were copied by the kernel.
    assert written.bytes_hashed == {"sha256": 0, "sha512": 0, "sm3": 0}
    event = Event.objects.get(type="archive:package:written")
    assert event.actor == world.archivist
    assert event.payload["external_identifier"] == "X001-WS·2024-Y-ZF-0003"
    assert event.payload["payload_oxum"] == written.payload_oxum
    assert event.payload["seal"] == written.seal
    assert {f["sha256"] for f in event.payload["files"]} == {b.sha256 for b in blobs}


@pytest.mark.parametrize("who", ["officer", "outsider", "superior_supervisor"])
def test_only_archivists_write_packages(world, blobs, tmp_path, who):
    with pytest.raises(PermissionDenied):
        package_write(
            actor=getattr(world, who), target_dir=tmp_path / "pkg", items=items_for(blobs), bag_info=INFO
        )
    assert not (tmp_path / "pkg").exists()
    assert not Event.objects.filter(type="archive:package:written").exists()


def test_unknown_content_is_refused_and_nothing_written(world, blobs, tmp_path):
    with pytest.raises(NotFound):
        package_write(
            actor=world.archivist, target_dir=tmp_path / "pkg", items=[("f" * 64, "x.pdf")], bag_info=INFO
        )
    for bad in ([], [("not-a-digest", "x.pdf")], [(blobs[0].sha256,)], "abc"):
        with pytest.raises(InvalidInput):
            package_write(actor=world.archivist, target_dir=tmp_path / "pkg", items=bad, bag_info=INFO)
    assert list(tmp_path.iterdir()) == [tmp_path / "blobs"]


def test_an_existing_target_is_a_conflict(world, blobs, tmp_path):
    (tmp_path / "pkg").mkdir()
    with pytest.raises(Conflict, match="已存在"):
        package_write(
            actor=world.archivist, target_dir=tmp_path / "pkg", items=items_for(blobs), bag_info=INFO
        )
    assert list((tmp_path / "pkg").iterdir()) == []


def test_a_bad_path_is_invalid_input(world, blobs, tmp_path):
    with pytest.raises(InvalidInput, match=r"\.\."):
        package_write(
            actor=world.archivist,
            target_dir=tmp_path / "pkg",
            items=[(blobs[0].sha256, "../x")],
            bag_info=INFO,
        )


def test_a_package_whose_event_cannot_be_recorded_is_removed(world, blobs, tmp_path, monkeypatch):
    def failing(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("quanlu.archive.services.packages.record_event", failing)
    with pytest.raises(RuntimeError):
        package_write(
            actor=world.archivist, target_dir=tmp_path / "pkg", items=items_for(blobs), bag_info=INFO
        )
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["blobs"]
