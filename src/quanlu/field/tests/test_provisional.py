"""A case opened on site without a network, under a provisional number (临时编号):
numbered on sync by the usual numbering, the records captured under it attached to
the real case, and one case however often the device sends it."""

import uuid

import pytest

from quanlu.cases.models import Case, Party
from quanlu.field import services
from quanlu.field.models import Receipt, ReceiptStatus, Takeout
from quanlu.field.selectors import new_case_pack
from quanlu.field.tests.helpers import send, setup
from quanlu.records.models import Document
from quanlu.testing import factories as f

pytestmark = pytest.mark.django_db


def opened_offline(device, **case_fields):
    party = str(uuid.uuid4())
    body = {
        "provisional_no": "临-20261207-001",
        "case": {**f.CASE_DEFAULTS, "cause": "某矿业有限公司涉嫌无证开采案", **case_fields},
        "parties": [
            {
                "uid": party,
                "kind": "organisation",
                "name": "某矿业有限公司",
                "id_type": "uscc",
                "id_number": f.uscc(),
                "legal_representative": "王某",
            }
        ],
    }
    record = device.record("case", body)
    record["case"] = record["uid"]  # the provisional case is named by the record that opens it
    return record, party


def under(record, provisional):
    record["case"] = provisional["uid"]
    return record


def test_a_case_opened_offline_is_numbered_on_sync_and_its_records_attach_to_it(world):
    device = setup(world)
    before = Case.objects.count()
    opening, party = opened_offline(device)
    receipt = send(device, opening)
    assert receipt.status == ReceiptStatus.ACCEPTED, receipt.flags
    case = Case.objects.get(public_id=receipt.target_uid)
    assert receipt.case == case
    assert Case.objects.count() == before + 1
    assert case.number
    assert case.number != "临-20261207-001"
    assert case.number[:-3] == device.case.number[:-3], "numbered by the agency's own sequence"
    assert case.client_token == receipt.public_id
    assert case.opened_by == world.officer
    assert Takeout.objects.filter(case=case, device=device.model).exists()
    real_party = Party.objects.get(case=case)
    assert str(real_party.client_token) == party

    doc = under(device.transcript(party=party), opening)
    made = send(device, doc)
    assert made.status == ReceiptStatus.ACCEPTED, made.flags
    assert made.case == case
    document = Document.objects.get(public_id=made.target_uid)
    assert document.case == case
    assert document.versions.get().fields["party"]["party"] == str(real_party.public_id)
    assert made.body["fields"]["party"] == party, "the receipt keeps the form as captured"
    signed = send(device, under(device.officer_signs(doc, world.officer), opening))
    assert signed.status == ReceiptStatus.ACCEPTED, signed.flags


def test_syncing_the_same_provisional_case_again_opens_one_case(world):
    device = setup(world)
    opening, _ = opened_offline(device)
    first = send(device, opening)
    again, created = services.field_record_receive(actor=world.officer, device=device.model, record=opening)
    assert not created
    assert again.pk == first.pk
    assert Case.objects.filter(client_token=first.public_id).count() == 1
    assert Receipt.objects.filter(kind="case").count() == 1


def test_a_case_the_numbering_service_refuses_is_kept_and_its_records_wait(world):
    device = setup(world)
    opening, _ = opened_offline(device, cause="")
    receipt = send(device, opening)
    assert receipt.status == ReceiptStatus.HELD
    assert receipt.flags[-1]["code"] == "service_refused"
    assert "立案" in receipt.flags[-1]["message"]
    assert not Case.objects.filter(client_token=receipt.public_id).exists()
    orphan = send(device, under(device.transcript(), opening))
    assert orphan.status == ReceiptStatus.HELD
    assert orphan.flags[-1]["code"] == "not_taken_out"


def test_the_new_case_pack_gives_the_form_choices_and_the_agency_part_only(world):
    pack = new_case_pack(world.officer)
    assert ["penalty", "行政处罚"] in pack["choices"]["kind"]
    assert pack["document_types"][0]["code"] == "inspection_transcript"
    names = {o["name"] for o in pack["officers"]}
    assert world.officer.full_name in names
    assert world.outsider.full_name not in names
    assert "case" not in pack
