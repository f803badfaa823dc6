"""The other on-site documents offline: the forms the regulation names, refusals to sign
with witnesses, exemptions and interruption statements, each made at receipt by the
service that makes it online, so the regulation's checks apply with their articles."""

import hashlib

import pytest
from django.utils import timezone

from quanlu.core.canonical import canonical_bytes
from quanlu.field.models import ReceiptStatus
from quanlu.field.selectors import case_pack
from quanlu.field.tests.helpers import send, setup
from quanlu.media import samples
from quanlu.media.models import Exemption, Interruption
from quanlu.media.tests.helpers import ingest
from quanlu.records.models import Document, Refusal
from quanlu.testing import factories as f

pytestmark = pytest.mark.django_db


def codes(case):
    return [t["code"] for t in case_pack(case)["document_types"]]


def test_the_pack_offers_the_on_site_forms_the_case_regulation_names(world):
    device = setup(world)
    got = codes(device.case)
    assert got[0] == "inspection_transcript"
    assert {
        "inquiry_transcript",
        "onsite_record",
        "investigation_refusal_record",
        "av_exemption_reason",
    } <= set(got)
    assert "enforcement_decision" not in got, "made in the office, not on site"
    assert "av_interruption_statement" not in got, "only 001 第二十二条 names the written statement"
    other = f.world(f.R001)
    got001 = codes(other.open_case())
    assert "av_interruption_statement" in got001
    assert "onsite_record" not in got001, "only 004 第十三条 names the 现场笔录"
    pack = case_pack(device.case)
    assert pack["interruption"]["signers"] >= 1
    fields = {t["code"]: [x["key"] for x in t["fields"]] for t in pack["document_types"]}
    assert "turns" in fields["inquiry_transcript"], "the catalogue's form goes with the case"


def test_an_inquiry_transcript_offline_becomes_the_usual_document(world):
    device = setup(world)
    doc = device.document("inquiry_transcript")
    receipt = send(device, doc)
    assert receipt.status == ReceiptStatus.ACCEPTED, receipt.flags
    made = Document.objects.get(public_id=receipt.target_uid)
    assert made.type_code == "inquiry_transcript"
    assert made.client_token == receipt.public_id
    signed = send(device, device.officer_signs(doc, world.officer))
    assert signed.status == ReceiptStatus.ACCEPTED, signed.flags


def test_a_form_not_made_on_site_is_kept_as_received(world):
    device = setup(world)
    record = device.record("document", {"type_code": "enforcement_decision", "fields": {}})
    receipt = send(device, record)
    assert receipt.status == ReceiptStatus.HELD
    assert "不是本案适用规定中的现场文书" in receipt.flags[-1]["message"]
    assert not Document.objects.filter(case=device.case).exists()


def refusal_of(device, doc, *officers):
    statement = {
        "document": doc["uid"],
        "slot": "party",
        "person_name": "刘建国",
        "reason": "拒绝签字，称需请示总公司。",
    }
    return device.statement("refusal", statement, *officers)


def test_a_refusal_to_sign_attested_by_two_officers_and_a_witness_completes_the_transcript(world):
    device = setup(world)
    doc = device.transcript()
    send(device, doc)
    for officer in (world.officer, world.officer2):
        send(device, device.officer_signs(doc, officer))
    receipt = send(device, refusal_of(device, doc, world.officer, world.officer2))
    assert receipt.status == ReceiptStatus.ACCEPTED, receipt.flags
    refusal = Refusal.objects.get(public_id=receipt.target_uid)
    assert refusal.person_name == "刘建国"
    assert {(a.officer, a.method) for a in refusal.attestations.all()} == {
        (world.officer, "device_key"),
        (world.officer2, "device_key"),
    }
    witness = send(device, device.party_signs(doc, name="张见证", slot="witness"))
    assert witness.status == ReceiptStatus.ACCEPTED, witness.flags
    made = Document.objects.get(public_id=refusal.document.public_id)
    assert made.versions.get().completed_at is not None, "refusal attested and witnessed"


def test_a_refusal_signed_with_another_key_is_held(world):
    device = setup(world)
    doc = device.transcript()
    send(device, doc)
    forged = refusal_of(device, doc, world.officer2)
    forged["body"]["signatures"][0]["officer"] = str(world.officer.public_id)
    forged["sha256"] = hashlib.sha256(canonical_bytes(forged["body"])).hexdigest()
    receipt = send(device, forged)
    assert receipt.status == ReceiptStatus.HELD
    assert [x["code"] for x in receipt.flags] == ["signature_invalid"]
    assert not Refusal.objects.exists()


def test_an_exemption_offline_is_judged_by_the_regulation_at_receipt(world):
    # 004 第十四条: a step that goes without recording has its reason in writing.
    device = setup(world)
    doc = device.transcript()
    send(device, doc)
    bare = {
        "document": doc["uid"],
        "activity": "onsite_inspection",
        "kind": "unsuitable",
        "reason": "涉及商业秘密",
    }
    held = send(device, device.record("exemption", bare))
    assert held.status == ReceiptStatus.HELD
    assert held.flags[-1]["code"] == "service_refused"
    assert "第十四条" in held.flags[-1]["message"], "the finding's article is on the receipt"
    assert not Exemption.objects.exists()
    written = device.document(
        "av_exemption_reason", activity="inspection", reason="检查涉及商业秘密的生产工艺区域。"
    )
    send(device, written)
    for officer in (world.officer, world.officer2):
        assert send(device, device.officer_signs(written, officer)).status == ReceiptStatus.ACCEPTED
    ok = send(device, device.record("exemption", {**bare, "written_reason": written["uid"]}))
    assert ok.status == ReceiptStatus.ACCEPTED, ok.flags
    exemption = Exemption.objects.get(public_id=ok.target_uid)
    assert exemption.written_reason_uid is not None
    assert exemption.client_token == ok.public_id


def test_an_interruption_statement_needs_the_regulation_number_of_officers():
    # 001 第二十二条: a recording that could not resume is explained in writing by two officers.
    w = f.world(f.R001)
    device = setup(w)
    data = samples.photo(taken=timezone.now())
    media, _ = ingest(w, data, case=device.case, filename="现场照片1.jpg")
    body = {
        "filename": "现场照片1.jpg",
        "type": "image/jpeg",
        "size": len(data),
        "media_record": str(media.public_id),
    }
    clip = device.record("media", body, sha256=hashlib.sha256(data).hexdigest())
    assert send(device, clip).status == ReceiptStatus.ACCEPTED
    statement = {
        "last_record": clip["uid"],
        "reason": "equipment_failure",
        "detail": "执法记录仪电池耗尽，备用电池无法开机。",
        "statement": "现场检查至10时20分，执法记录仪电池耗尽，无法继续记录，其后检查以笔录记载。",
    }
    one = send(device, device.statement("interruption", statement, w.officer))
    assert one.status == ReceiptStatus.HELD
    assert "2名以上" in one.flags[-1]["message"]
    assert "第二十二条" in one.flags[-1]["message"]
    two = send(device, device.statement("interruption", statement, w.officer, w.officer2))
    assert two.status == ReceiptStatus.ACCEPTED, two.flags
    made = Interruption.objects.get(public_id=two.target_uid)
    assert made.last_record == media
    assert {(s.officer, s.method) for s in made.signatures.all()} == {
        (w.officer, "device_key"),
        (w.officer2, "device_key"),
    }
