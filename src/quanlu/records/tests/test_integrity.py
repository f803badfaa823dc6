"""Document rows are bound to the ledger: a row written by its service and then edited,
deleted or inserted in the database behind the services is named by verify."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.utils import timezone

from quanlu.ledger.verify import verify_records
from quanlu.records import services
from quanlu.records.models import Signature
from quanlu.records.sample import make_document
from quanlu.records.selectors import current_version
from quanlu.testing.tamper import assert_changed, tamper, the_problem

pytestmark = pytest.mark.tampers  # every test here edits rows behind the services


def refuse(world, doc):
    return services.refusal_record(
        actor=world.officer,
        document=doc,
        slot="interviewee",
        person_name="王某某",
        reason="拒绝签字，称不认可笔录。",
        signature_method="password",
    )


def sign(world, doc):
    return services.signature_sign(
        actor=world.officer, document=doc, slot="officers", signature_method="password"
    )


def test_document(world, staff, case):
    doc = make_document(case, "inquiry_transcript", staff)
    assert verify_records().ok
    tamper(doc, "title", "改过的文书名称")
    assert_changed(doc, "title")


def test_version(world, staff, case):
    version = current_version(make_document(case, "inquiry_transcript", staff))
    changed = {**version.fields, "place": "改过的地点"}
    tamper(version, "fields", json.dumps(changed, ensure_ascii=False))
    assert_changed(version, "fields")


def test_signature(world, staff, case):
    sig = sign(world, make_document(case, "inquiry_transcript", staff))
    tamper(sig, "signer_name", "他人")
    assert_changed(sig, "signer_name")


def test_refusal(world, staff, case):
    refusal = refuse(world, make_document(case, "inquiry_transcript", staff))
    tamper(refusal, "reason", "改过的理由")
    assert_changed(refusal, "reason")


def test_refusal_attestation(world, staff, case):
    refusal = refuse(world, make_document(case, "inquiry_transcript", staff))
    attestation = refusal.attestations.get()
    tamper(attestation, "officer_id", world.officer2.pk)
    assert_changed(attestation, "officer_id")


def test_a_deleted_row_is_reported(world, staff, case):
    sig = sign(world, make_document(case, "inquiry_transcript", staff))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM records_signature WHERE id = %s", [sig.pk])
    problem = the_problem()
    assert problem.kind == "row_deleted"
    assert problem.item["row"] == f"records.signature/{sig.public_id}"


def test_a_row_written_without_an_event_is_reported(world, staff, case):
    doc = make_document(case, "inquiry_transcript", staff)
    # A signature no officer gave, written straight into the table.
    sig = Signature.objects.create(
        document=doc,
        version=current_version(doc),
        slot="officers",
        role="officer",
        kind="signature",
        officer=world.officer2,
        signer_name=world.officer2.full_name,
        method="password",
        recorded_by=world.officer2,
        signed_at=timezone.now(),
    )
    problem = the_problem()
    assert problem.kind == "row_unrecorded"
    assert problem.item["row"] == f"records.signature/{sig.public_id}"
