"""``quanlu archive export``: a demo-like case runs to closing, is archived and exported; the bag
validates with bagit-python, ``quanlu archive verify`` and the standalone verifier; tampering of
every kind is caught and named; bad inputs are refused with nothing half-written."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import bagit as bagit_python
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from quanlu.archive import bagwriter, services
from quanlu.archive.models import PackageExport
from quanlu.archive.package import verify_package
from quanlu.archive.tests import helpers as h
from quanlu.cases.models import Stage
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.ledger.models import Event
from quanlu.records.sample import make_document


@pytest.fixture
def package(exported):
    return exported


def errors(path: Path, **kw) -> set[tuple[str, str]]:
    report = verify_package(str(path), **kw)
    return {(i.code, i.file) for i in report.errors}


def standalone(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", "-S", str(path / "verify_package.py"), str(path), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def out(tmp_path):
    """Where packages are written (tmp_path itself also holds the test's blob store)."""
    path = tmp_path / "out"
    path.mkdir()
    return path


def payload_files(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in (path / "data").rglob("*") if p.is_file())


# --- a valid package, three ways -----------------------------------------------------------


def test_the_exported_package_is_valid_for_bagit_python_quanlu_and_the_standalone_verifier(package, pristine):
    bagit_python.Bag(str(package)).validate()
    report = verify_package(str(package), trusted_keys=(pristine[1],))
    assert report.valid, [i.as_dict() for i in report.errors]
    assert report.extra["ledger"]["key_source"] == "trusted"
    assert report.extra["ledger"]["proven"] == report.extra["ledger"]["events"] > 10
    done = standalone(package, "--key", pristine[1])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ 有效" in done.stdout
    assert "包含证明通过" in done.stdout


def test_the_package_has_the_layout_and_labels_issue_7_names(package):
    info = dict(
        line.split(": ", 1) for line in (package / "bag-info.txt").read_text(encoding="utf-8").splitlines()
    )
    assert info["External-Identifier"].count("-") == 4
    assert "·" in info["External-Identifier"]
    assert info["Bag-Group-Identifier"].endswith("号")
    assert info["Retention-Period"] == "10年"
    assert info["Case-Closed-Date"]
    assert info["Bagging-Date"]
    assert info["Payload-Oxum"].endswith(f".{len(payload_files(package))}")
    for name in (
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "tagmanifest-sha256.txt",
        "tagmanifest-sha512.txt",
        "sm3sums.txt",
        "verify_package.py",
    ):
        assert (package / name).is_file()
    files = payload_files(package)
    assert "data/00-案卷封面.pdf" in files
    assert "data/01-卷内目录.pdf" in files
    assert "data/99-卷内备考表.pdf" in files
    assert "data/元数据/eep.xml" in files
    assert "data/检测/四性检测报告.pdf" in files
    assert "data/检测/四性检测报告.json" in files
    assert any(f.startswith("data/文书/") for f in files)
    assert any(f.startswith("data/音像/") for f in files)
    ledger = [f for f in files if f.startswith("data/账本/")]
    lines = (package / "data/账本/events.jsonl").read_bytes().splitlines()
    assert len(lines) == len([f for f in ledger if f.startswith("data/账本/proofs/")])
    assert {"data/账本/checkpoint.txt", "data/账本/sealed-checkpoint.txt", "data/账本/log.vkey"} <= set(
        ledger
    )
    # Canonical JSON per event (RFC 8785), one of them the seal naming every other payload file.
    import rfc8785

    documents = [json.loads(line) for line in lines]
    assert [rfc8785.dumps(d) for d in documents] == lines
    sealed = [d for d in documents if d["type"] == "archive:dossier:sealed"]
    assert len(sealed) == 1
    named = {"data/" + i["path"] for i in sealed[0]["payload"]["items"]}
    assert named == {f for f in files if not f.startswith("data/账本/")}


def test_the_quanlu_command_verifies_it(package, pristine, capsys):
    call_command("archive", "verify", str(package), "--key", pristine[1])
    out = capsys.readouterr().out
    assert "✓ 有效" in out
    assert "可信公钥" in out


# --- tampering ------------------------------------------------------------------------------


def _flip(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    at = len(data) // 2 if offset is None else offset
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def _payload_kinds(package: Path) -> list[str]:
    files = payload_files(package)
    return [
        "data/00-案卷封面.pdf",
        "data/99-卷内备考表.pdf",
        "data/元数据/eep.xml",
        "data/检测/四性检测报告.json",
        next(f for f in files if f.startswith("data/文书/")),
        next(f for f in files if f.startswith("data/音像/")),
        "data/账本/events.jsonl",
        next(f for f in files if f.startswith("data/账本/proofs/")),
        "data/账本/checkpoint.txt",
    ]


def test_a_flipped_byte_in_any_payload_file_is_named(pristine, db, tmp_path):
    probe = tmp_path / "probe"
    shutil.copytree(pristine[0], probe)
    for rel in _payload_kinds(probe):
        copy = tmp_path / rel.replace("/", "_")
        shutil.copytree(pristine[0], copy)
        _flip(copy / rel)
        found = errors(copy)
        assert ("manifest.checksum_mismatch", rel) in found, (rel, found)
        done = standalone(copy, "--format", "json")
        assert done.returncode == 1, rel
        named = {(i["code"], i["file"]) for i in json.loads(done.stdout)["issues"] if i["level"] == "error"}
        assert ("manifest.checksum_mismatch", rel) in named
        shutil.rmtree(copy)


def test_a_flipped_byte_with_the_manifests_rewritten_is_still_caught_by_the_ledger(package):
    """A forger who also recomputes every manifest and tag manifest: the bag is then valid,
    but the file no longer matches the seal event its proof commits to."""
    rel = next(f for f in payload_files(package) if f.startswith("data/文书/"))
    _flip(package / rel)
    bag = bagit_python.Bag(str(package))
    bag.save(manifests=True)
    bagit_python.Bag(str(package)).validate()  # bagit-python is satisfied ...
    found = errors(package)
    assert ("ledger.sealed_digest_mismatch", rel) in found  # ... the ledger is not
    assert ("ledger.not_covered", rel) in found


def test_a_removed_payload_file_is_named(package):
    rel = next(f for f in payload_files(package) if f.startswith("data/音像/"))
    (package / rel).unlink()
    found = errors(package)
    assert ("manifest.file_missing", rel) in found or any(
        code.endswith("missing") and f == rel for code, f in found
    ), found
    done = standalone(package, "--format", "json")
    assert done.returncode == 1
    assert rel in {i["file"] for i in json.loads(done.stdout)["issues"]}


def test_a_removed_file_with_rewritten_manifests_is_caught_by_the_seal_event(package):
    rel = next(f for f in payload_files(package) if f.startswith("data/文书/"))
    (package / rel).unlink()
    bagit_python.Bag(str(package)).save(manifests=True)
    found = errors(package)
    assert ("ledger.sealed_file_missing", rel) in found


def test_an_edited_bag_info_is_named(package):
    info = package / "bag-info.txt"
    info.write_text(info.read_text(encoding="utf-8").replace("10年", "永久"), encoding="utf-8")
    found = errors(package)
    assert ("manifest.checksum_mismatch", "bag-info.txt") in found
    done = standalone(package, "--format", "json")
    assert done.returncode == 1
    assert "bag-info.txt" in {i["file"] for i in json.loads(done.stdout)["issues"]}


def test_an_edited_bag_info_with_rewritten_tag_manifests_is_caught_against_the_seal(package):
    info = package / "bag-info.txt"
    info.write_text(info.read_text(encoding="utf-8").replace("10年", "永久"), encoding="utf-8")
    bagit_python.Bag(str(package)).save()  # rewrites the tag manifests
    found = errors(package)
    assert ("ledger.bag_info_mismatch", "bag-info.txt") in found


def test_a_swapped_checkpoint_is_named(package, pristine, tmp_path):
    """Another validly signed checkpoint of the same log (the sealed one) in place of the one
    the proofs were made against."""
    ledger = package / "data" / "账本"
    (ledger / "checkpoint.txt").write_bytes((ledger / "sealed-checkpoint.txt").read_bytes())
    bagit_python.Bag(str(package)).save(manifests=True)  # even with every manifest redone
    found = errors(package)
    assert any(code == "ledger.proof_checkpoint" for code, _ in found), found
    assert ("ledger.consistency_mismatch", "data/账本/consistency.json") in found
    done = standalone(package)
    assert done.returncode == 1
    assert "ledger.proof_checkpoint" in done.stdout


def test_a_checkpoint_signed_by_another_key_fails_against_the_printed_key(package, pristine):
    """A forger re-signs everything with their own key and puts it in log.vkey: the package is
    self-consistent, but not against the key printed on the 备考表."""
    from quanlu.ledger import note

    ledger = package / "data" / "账本"
    forger = note.generate_ed25519(pristine[1].split("+")[0])
    text = (ledger / "checkpoint.txt").read_text(encoding="utf-8")
    body = note.parse_note(text).text
    forged = note.sign_note(body, [forger]).render()
    (ledger / "checkpoint.txt").write_text(forged, encoding="utf-8")
    (ledger / "log.vkey").write_text(forger.vkey + "\n", encoding="utf-8")
    bagit_python.Bag(str(package)).save(manifests=True)
    found = errors(package, trusted_keys=(pristine[1],))
    assert ("ledger.key_not_trusted", "data/账本/log.vkey") in found
    assert ("ledger.checkpoint_invalid", "data/账本/checkpoint.txt") in found
    assert standalone(package, "--key", pristine[1]).returncode == 1


def test_an_edited_event_breaks_its_proof(package):
    rel = "data/账本/events.jsonl"
    path = package / rel
    path.write_bytes(path.read_bytes().replace(b'"type":"', b'"type":"x', 1))
    bagit_python.Bag(str(package)).save(manifests=True)
    report = verify_package(str(package))
    assert [(i.code, i.file, i.line) for i in report.errors if i.code == "ledger.proof_invalid"] == [
        ("ledger.proof_invalid", rel, 1)
    ]


def test_a_removed_event_is_named(package):
    path = package / "data/账本/events.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:3] + lines[4:]))
    bagit_python.Bag(str(package)).save(manifests=True)
    found = errors(package)
    assert ("ledger.proof_count", "data/账本/events.jsonl") in found
    assert ("ledger.proof_invalid", "data/账本/events.jsonl") in found


def test_a_package_without_its_ledger_is_refused(package):
    shutil.rmtree(package / "data" / "账本")
    bagit_python.Bag(str(package)).save(manifests=True)
    found = errors(package)
    assert ("ledger.missing", "data/账本") in found


# --- the export service: refusals, nothing half-written ------------------------------------


def test_an_open_case_is_not_exported(world, out):
    case = h.to_archiving(world, h.case_with_records(world, documents=0, media=False))
    dossier = h.seal(world, case)
    with pytest.raises(Conflict) as exc:
        h.export(world, dossier, out / "pkg")
    assert exc.value.code == "case_open"
    assert "尚未结案" in exc.value.message
    assert list(out.iterdir()) == []


def test_a_case_with_missing_records_is_not_exported(world, out):
    case = h.to_archiving(world, h.case_with_records(world, documents=0, media=False))
    make_document(case, "inquiry_transcript", h.staff(world))  # never signed
    with pytest.raises(CommandError) as exc:
        call_command("archive", "export", case.number, str(out / "pkg"))
    assert "案件记录不全" in str(exc.value)
    assert "依据" in str(exc.value)
    dossier = services.dossier_assemble(actor=world.archivist, case=case)
    with pytest.raises(Refused) as refused:
        h.export(world, dossier, out / "pkg")
    assert refused.value.code == "dossier_incomplete"
    assert all(d["article"] for d in refused.value.details)
    assert list(out.iterdir()) == []


def test_an_existing_target_is_never_touched(world, out):
    _case, dossier = h.archived(world, documents=0, media=False)
    target = out / "pkg"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(Conflict) as exc:
        h.export(world, dossier, target)
    assert exc.value.code == "archive_target_exists"
    assert "已存在" in exc.value.message
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in out.iterdir()) == ["pkg"]
    assert not PackageExport.objects.exists()


def test_a_full_disk_leaves_nothing(world, out, monkeypatch):
    _case, dossier = h.archived(world, documents=1)

    def failing(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(bagwriter.os, "copy_file_range", failing)
    before = Event.objects.count()
    with pytest.raises(InvalidInput) as exc:
        h.export(world, dossier, out / "pkg")
    assert exc.value.code == "archive_no_space"
    assert "空间" in exc.value.message
    assert list(out.iterdir()) == []
    assert not PackageExport.objects.exists()
    assert not Event.objects.filter(seq__gt=before, type="archive:package:exported").exists()


def test_a_disk_too_small_is_refused_before_writing(world, out):
    mount = out / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); the injected ENOSPC test still runs")
    try:
        _case, dossier = h.archived(world, documents=1)
        with pytest.raises(InvalidInput) as exc:
            h.export(world, dossier, mount / "pkg")
        assert exc.value.code == "archive_no_space"
        assert list(mount.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mount)], check=True)


@pytest.mark.parametrize("who", ["officer", "approver", "superior_supervisor", "outsider"])
def test_only_the_cases_archivists_export(world, out, who):
    _case, dossier = h.archived(world, documents=0, media=False)
    with pytest.raises(PermissionDenied):
        services.dossier_export(actor=getattr(world, who), dossier=dossier, target_dir=out / "pkg")
    assert list(out.iterdir()) == []


def test_the_cli_exports_and_the_export_is_ledgered(world, out, capsys):
    case, _dossier = h.archived(world, documents=1)
    call_command("archive", "export", case.number, str(out / "pkg"))
    assert "已导出档案包" in capsys.readouterr().out
    export = PackageExport.objects.get()
    event = Event.objects.get(type="archive:package:exported")
    assert event.actor is None
    assert event.payload["via"] == "cli"
    assert event.payload["seal"] == export.seal
    assert export.seal["tagmanifest-sha256.txt"]
    # The package sealed by the event is the one on disk.
    import hashlib

    assert (
        hashlib.sha256((out / "pkg" / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
        == export.seal["tagmanifest-sha256.txt"]
    )
    # The site's own ledger database is used as the trusted key when it knows the log.
    call_command("archive", "verify", str(out / "pkg"))
    assert "可信公钥" in capsys.readouterr().out
    status = Event.objects.filter(type="archive:package:exported").count()
    assert status == 1
    assert case.stage == Stage.CLOSED
