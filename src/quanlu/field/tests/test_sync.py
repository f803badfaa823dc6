"""Receiving what a device captured offline: hashes re-checked, officers' signatures
re-verified, records made through the usual services, repeats recognised, and
everything else kept as received and flagged."""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from quanlu.cases.models import Stage
from quanlu.core.canonical import canonical_bytes
from quanlu.core.errors import Conflict, PermissionDenied
from quanlu.field import services
from quanlu.field.models import Receipt, ReceiptStatus, Takeout
from quanlu.field.selectors import case_pack
from quanlu.field.tests.helpers import send, setup
from quanlu.ledger.models import Event
from quanlu.media.models import MediaLink
from quanlu.media.tests.helpers import ingest
from quanlu.org.models import Role
from quanlu.org.services.certificates import certificate_set_status
from quanlu.records.models import CaptureMethod, Document, Signature
from quanlu.testing import factories as f

pytestmark = pytest.mark.django_db


def test_a_transcript_two_officers_and_the_party_become_the_usual_records(world):
    device = setup(world)
    doc = device.transcript()
    records = [doc, device.officer_signs(doc, world.officer), device.officer_signs(doc, world.officer2)]
    records.append(device.party_signs(doc))
    receipts = [send(device, r) for r in records]
    assert [r.status for r in receipts] == [ReceiptStatus.ACCEPTED] * 4, [r.flags for r in receipts]
    assert all(r.server_sha256 == r.device_sha256 for r in receipts)
    made = Document.objects.get(public_id=receipts[0].target_uid)
    assert made.client_token == receipts[0].public_id
    sigs = Signature.objects.filter(document=made)
    assert {s.officer for s in sigs if s.officer} == {world.officer, world.officer2}
    assert {s.method for s in sigs if s.officer} == {CaptureMethod.DEVICE_KEY}
    assert sigs.get(slot="party").signer_name == "刘建国"
    assert made.versions.get().completed_at is not None, "the signature set is complete"
    events = Event.objects.filter(type="field:record:received").count()
    assert events == 4


def test_a_repeated_sync_creates_nothing_twice(world):
    device = setup(world)
    doc = device.transcript()
    first = send(device, doc)
    again, created = services.field_record_receive(actor=world.officer, device=device.model, record=doc)
    assert not created
    assert again.pk == first.pk
    assert Document.objects.filter(case=device.case).count() == 1
    assert Receipt.objects.count() == 1


def test_a_record_changed_after_capture_is_kept_as_received_and_flagged(world):
    device = setup(world)
    doc = device.transcript()
    doc["body"]["fields"]["findings"] = "现场未发现问题。"  # changed on the device after it was hashed
    receipt = send(device, doc)
    assert receipt.status == ReceiptStatus.HELD
    assert receipt.server_sha256 == hashlib.sha256(canonical_bytes(doc["body"])).hexdigest()
    assert receipt.server_sha256 != receipt.device_sha256
    assert [f["code"] for f in receipt.flags] == ["hash_mismatch"]
    assert "摘要不一致" in receipt.flags[0]["message"]
    assert receipt.body["fields"]["findings"] == "现场未发现问题。", "kept as received"
    assert not Document.objects.filter(case=device.case).exists(), "nothing silently accepted"


def test_a_signature_over_other_content_or_by_another_key_is_refused(world):
    device = setup(world)
    doc = device.transcript()
    send(device, doc)
    # Officer 2's key signs, but the record claims officer 1 signed.
    forged = device.officer_signs(doc, world.officer2)
    forged["body"]["officer"] = str(world.officer.public_id)
    forged["sha256"] = hashlib.sha256(canonical_bytes(forged["body"])).hexdigest()
    receipt = send(device, forged)
    assert receipt.status == ReceiptStatus.HELD
    assert [f["code"] for f in receipt.flags] == ["signature_invalid"]
    # A valid signature over a digest that is not the transcript's as captured.
    other = device.officer_signs(doc, world.officer, signed="0" * 64)
    assert [f["code"] for f in send(device, other).flags] == ["signed_other_content"]
    assert not Signature.objects.filter(officer__isnull=False).exists()


def test_a_device_clock_hours_off_is_recorded_and_corrected(world):
    device = setup(world)
    device.offset_ms = 3 * 3600 * 1000 + 120_000  # the device runs 3 h 2 min slow
    doc = device.transcript()
    receipt = send(device, doc)
    assert receipt.status == ReceiptStatus.ACCEPTED
    assert receipt.clock_offset_ms == device.offset_ms
    assert receipt.captured_at_server - receipt.captured_at == dt.timedelta(milliseconds=device.offset_ms)
    assert abs(receipt.captured_at_server - timezone.now()) < dt.timedelta(minutes=5)
    assert [f["code"] for f in receipt.flags] == ["clock_offset"]
    assert "3.0小时" in receipt.flags[0]["message"]


def test_a_revoked_device_is_refused_and_its_records_listed(world):
    device = setup(world)
    with pytest.raises(PermissionDenied):
        services.device_revoke(actor=world.officer, device=device.model, reason="手机遗失")
    admin = f.officer(world.agency, Role.ADMINISTRATOR, certificate=False, name="管理员")
    services.device_revoke(actor=admin, device=device.model, reason="手机遗失")
    receipt = send(device, device.transcript())
    assert receipt.status == ReceiptStatus.REFUSED
    assert "吊销" in receipt.flags[0]["message"]
    assert "手机遗失" in receipt.flags[0]["message"]
    assert not Document.objects.filter(case=device.case).exists()
    from quanlu.field.selectors import receipts_refused

    assert list(receipts_refused(device.model)) == [receipt]
    with pytest.raises(Conflict):
        services.case_take_offline(actor=world.officer, case=device.case, device=device.model)


def test_a_case_that_moved_on_and_a_certificate_expired_meanwhile_keep_the_record(world):
    device = setup(world)
    assert Takeout.objects.get(case=device.case).stage == Stage.INITIATION
    world.grant_gate(device.case, "initiation")
    world.advance(device.case, Stage.INVESTIGATION)  # while the device was out
    doc = device.transcript()
    receipt = send(device, doc)
    assert receipt.status == ReceiptStatus.FLAGGED, receipt.flags
    assert "case_moved_on" in [f["code"] for f in receipt.flags]
    certificate_set_status(actor=None, officer=world.officer2, status="suspended", reason="暂扣")
    late = send(device, device.officer_signs(doc, world.officer2))
    assert late.status == ReceiptStatus.HELD
    assert [f["code"] for f in late.flags] == ["case_moved_on", "service_refused"]
    assert "执法证件" in late.flags[-1]["message"]


def test_a_photo_is_compared_with_the_device_hash_and_linked(world):
    device = setup(world)
    doc = device.transcript()
    made = send(device, doc)
    from quanlu.media import samples

    data = samples.photo(taken=timezone.now())
    record, _ = ingest(world, data, case=device.case, filename="现场照片1.jpg")
    sha = hashlib.sha256(data).hexdigest()
    body = {
        "document": doc["uid"],
        "filename": "现场照片1.jpg",
        "type": "image/jpeg",
        "size": len(data),
        "media_record": str(record.public_id),
    }
    good = send(device, device.record("media", body, sha256=sha))
    assert good.status == ReceiptStatus.ACCEPTED
    assert good.server_sha256 == sha
    assert MediaLink.objects.get(record=record).document_uid == made.target_uid
    bad = send(device, device.record("media", body, sha256="f" * 64))
    assert bad.status == ReceiptStatus.FLAGGED
    assert "摘要" in bad.flags[0]["message"]
    assert "未关联" in bad.flags[0]["message"]
    assert MediaLink.objects.filter(record=record).count() == 1


def test_the_pack_holds_only_what_the_case_needs(world):
    device = setup(world)
    pack = case_pack(device.case)
    assert pack["case"]["number"] == device.case.number
    assert [p["name"] for p in pack["parties"]] == ["某化工有限公司"]
    names = {o["name"]: o["certificate_no"] for o in pack["officers"]}
    assert names[world.officer.full_name] == world.officer.certificate_no
    assert world.outsider.full_name not in names
    assert world.archivist.full_name not in names
    assert {c["kind"] for c in pack["checks"]} == {"officers_present", "documents_signed"}
    assert pack["document_types"][0]["code"] == "inspection_transcript"


def test_only_an_enrolled_officer_of_the_agency_syncs(world):
    device = setup(world)
    with pytest.raises(PermissionDenied):
        services.field_record_receive(actor=world.outsider, device=device.model, record=device.transcript())
    with pytest.raises(PermissionDenied):
        services.field_record_receive(actor=world.reviewer, device=device.model, record=device.transcript())
