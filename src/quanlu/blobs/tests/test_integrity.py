"""Blob rows are bound to the ledger: a blob (or tombstone) registered by its service
and then edited, deleted or inserted in the database behind the services is named."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection, transaction

from quanlu.blobs.models import Blob
from quanlu.blobs.services import blob_dispose, blob_store_bytes
from quanlu.ledger.verify import verify_records

pytestmark = pytest.mark.tampers  # every test here edits rows behind the services


def test_blob(world):
    blob, _ = blob_store_bytes(actor=world.officer, agency=world.agency, data=b"%PDF-1.7 blob")
    assert verify_records().ok
    with connection.cursor() as cursor:
        cursor.execute("UPDATE blobs_blob SET size = %s WHERE sha256 = %s", [1, blob.sha256])
    [problem] = verify_records().problems
    assert problem.kind == "row_changed"
    assert problem.item["row"] == f"blobs.blob/{blob.sha256}"
    assert problem.item["fields"] == "size"


def test_tombstone(world):
    blob, _ = blob_store_bytes(actor=world.officer, agency=world.agency, data=b"%PDF-1.7 disposed")
    authority = {
        "disposition": "d-1",
        "approvals": [str(world.approver.public_id), str(world.approver2.public_id)],
    }
    with transaction.atomic():
        tombstone = blob_dispose(
            actor=world.archivist,
            agency=world.agency,
            sha256=blob.sha256,
            reason="保管期满",
            authority=authority,
        )
    assert verify_records().ok
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE blobs_tombstone SET reason = %s WHERE blob_id = %s", ["改过的依据", blob.sha256]
        )
    [problem] = verify_records().problems
    assert problem.kind == "row_changed"
    assert problem.item["row"] == f"blobs.tombstone/{tombstone.blob_id}"
    assert problem.item["fields"] == "reason"


def test_a_deleted_blob_row_is_reported(world):
    blob, _ = blob_store_bytes(actor=world.officer, agency=world.agency, data=b"%PDF-1.7 gone")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM blobs_blob WHERE sha256 = %s", [blob.sha256])
    [problem] = verify_records().problems
    assert problem.kind == "row_deleted"
    assert problem.item["row"] == f"blobs.blob/{blob.sha256}"


def test_a_blob_row_written_without_an_event_is_reported(world):
    data = b"%PDF-1.7 unregistered"
    sha = hashlib.sha256(data).hexdigest()
    Blob.objects.create(sha256=sha, size=len(data))  # registered behind blob_register
    [problem] = verify_records().problems
    assert problem.kind == "row_unrecorded"
    assert problem.item["row"] == f"blobs.blob/{sha}"
