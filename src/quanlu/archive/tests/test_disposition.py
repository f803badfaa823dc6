"""Retention and disposition: nothing open, held or permanent is disposed of; at the end of
retention two different approvers must agree; execution leaves tombstones, keeps the hashes and
events, removes the bytes, and ``quanlu ledger verify`` calls them disposed, not tampered."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from quanlu.archive import services
from quanlu.archive.models import DispositionRequest, DispositionStatus, DossierStatus
from quanlu.archive.tests import helpers as h
from quanlu.blobs.models import Blob, Tombstone
from quanlu.blobs.services import blob_dispose
from quanlu.blobs.store import BlobError, get_store
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.ledger.models import Event
from quanlu.ledger.services import ledger_integrate
from quanlu.ledger.verify import verify


@pytest.fixture
def expired(world, monkeypatch):
    case, dossier = h.archived(world)  # terminated before a decision: 10 years
    h.age(monkeypatch, 12)
    dossier.refresh_from_db()
    return case, dossier


def approve(world, request, who="approver"):
    return services.disposition_approve(
        actor=getattr(world, who), request=request, opinion="同意销毁。", signature_method="password"
    )


def test_retention_runs_whole_years_from_the_year_after_closing(world):
    case, dossier = h.archived(world)
    closed = timezone.localtime(case.closed_at).year
    assert dossier.retention == "y10"
    assert dossier.retention_until() == dt.date(closed + 11, 1, 1)


def test_nothing_is_disposed_of_before_the_end_of_retention(world):
    _case, dossier = h.archived(world)
    with pytest.raises(Refused) as exc:
        services.disposition_request(actor=world.archivist, dossier=dossier, reason="期满")
    assert exc.value.code == "disposal_refused"
    assert "保管期限未满" in exc.value.message
    assert exc.value.details[0]["article"]
    assert not DispositionRequest.objects.exists()


def test_permanent_dossiers_are_never_disposed_of(world, monkeypatch):
    case = h.to_archiving(world, h.case_with_records(world, documents=0, media=False))
    dossier = h.seal(world, case, retention="permanent", retention_reason="重要")
    h.close(world, case)
    h.age(monkeypatch, 80)
    with pytest.raises(Refused, match="永久"):
        services.disposition_request(actor=world.archivist, dossier=dossier, reason="期满")


def test_an_open_case_is_never_disposed_of(world):
    case = h.to_archiving(world, h.case_with_records(world, documents=0, media=False))
    dossier = h.seal(world, case)
    with pytest.raises(Refused, match="尚未结案"):
        services.disposition_request(actor=world.archivist, dossier=dossier, reason="期满")


def test_a_legal_hold_blocks_disposal_until_released(world, expired):
    case, dossier = expired
    hold = services.legal_hold_place(actor=world.archivist, case=case, reason="行政诉讼中")
    with pytest.raises(Refused, match="保全"):
        services.disposition_request(actor=world.archivist, dossier=dossier, reason="期满")
    request = None
    services.legal_hold_release(actor=world.approver, hold=hold, reason="诉讼终结")
    request = services.disposition_request(
        actor=world.archivist, dossier=dossier, reason="期满，经鉴定无保存价值"
    )
    # A hold placed after the request stops the approvals and the execution too.
    services.legal_hold_place(actor=world.archivist, case=case, reason="审计")
    with pytest.raises(Refused, match="保全"):
        approve(world, request)
    assert {e.type for e in Event.objects.filter(case_uid=case.public_id)} >= {
        "archive:hold:placed",
        "archive:hold:released",
        "archive:disposition:requested",
    }


def test_holds_are_the_agencys_archivists_or_heads(world, expired):
    case, _dossier = expired
    for who in ("officer", "superior_supervisor", "outsider"):
        with pytest.raises(PermissionDenied):
            services.legal_hold_place(actor=getattr(world, who), case=case, reason="x")
    with pytest.raises(InvalidInput, match="「保全事由」为必填项"):
        services.legal_hold_place(actor=world.archivist, case=case, reason="  ")
    hold = services.legal_hold_place(actor=world.approver, case=case, reason="复议")
    services.legal_hold_release(actor=world.archivist, hold=hold, reason="复议结束")
    with pytest.raises(Conflict, match="已经解除"):
        services.legal_hold_release(actor=world.archivist, hold=hold, reason="again")


def test_a_disposal_approved_twice_by_the_same_person_is_refused(world, expired):
    _case, dossier = expired
    request = services.disposition_request(actor=world.archivist, dossier=dossier, reason="期满")
    approve(world, request)
    with pytest.raises(Refused) as exc:
        approve(world, request)
    assert exc.value.code == "same_approver"
    assert "同一人不能两次审批" in exc.value.message
    request.refresh_from_db()
    assert request.status == DispositionStatus.PENDING
    assert request.approvals.count() == 1
    with pytest.raises(Conflict, match="两名不同的批准人"):
        services.disposition_execute(actor=world.archivist, request=request)
    assert not Tombstone.objects.exists()


def test_the_requester_and_non_approvers_cannot_approve(world, expired):
    _case, dossier = expired
    request = services.disposition_request(actor=world.archivist, dossier=dossier, reason="期满")
    for who in ("archivist", "officer", "superior_supervisor", "outsider"):
        with pytest.raises(PermissionDenied):
            approve(world, request, who)
    assert request.approvals.count() == 0


def test_one_rejection_closes_the_request(world, expired):
    _case, dossier = expired
    request = services.disposition_request(actor=world.archivist, dossier=dossier, reason="期满")
    services.disposition_reject(
        actor=world.approver, request=request, opinion="仍有利用价值", signature_method="password"
    )
    request.refresh_from_db()
    assert request.status == DispositionStatus.REJECTED
    with pytest.raises(Conflict):
        approve(world, request, "approver2")
    # A new request may be made later.
    services.disposition_request(actor=world.archivist, dossier=dossier, reason="再次鉴定")


def test_a_second_open_request_is_refused(world, expired):
    _case, dossier = expired
    services.disposition_request(actor=world.archivist, dossier=dossier, reason="期满")
    with pytest.raises(Conflict) as exc:
        services.disposition_request(actor=world.archivist, dossier=dossier, reason="期满")
    assert exc.value.code == "disposition_open"


def test_disposal_after_two_approvals_leaves_tombstones_hashes_and_events(world, expired, tmp_path):
    _case, dossier = expired
    contents = list(dossier.items.values_list("sha256", flat=True))
    request = services.disposition_request(
        actor=world.archivist, dossier=dossier, reason="期满，经鉴定无保存价值"
    )
    approve(world, request)
    with pytest.raises(Conflict):
        services.disposition_execute(actor=world.archivist, request=request)  # one approval is not enough
    approve(world, request, "approver2")
    request.refresh_from_db()
    assert request.status == DispositionStatus.APPROVED
    with pytest.raises(PermissionDenied):
        services.disposition_execute(actor=world.approver, request=request)
    services.disposition_execute(actor=world.archivist, request=request)
    request.refresh_from_db()
    dossier.refresh_from_db()
    assert request.status == DispositionStatus.EXECUTED
    assert dossier.status == DossierStatus.DISPOSED
    store = get_store()
    for sha in contents:
        assert not store.exists(sha)
        tomb = Tombstone.objects.get(blob_id=sha)
        blob = Blob.objects.get(sha256=sha)  # the registry row and its digests stay
        assert (tomb.size, tomb.sm3, tomb.sha512) == (blob.size, blob.sm3, blob.sha512)
        assert tomb.authority["disposition"] == str(request.public_id)
        assert len(set(tomb.authority["approvals"])) == 2
    # The 销毁清册 is kept (it is not the case's content).
    assert store.exists(request.register_sha256)
    executed = Event.objects.get(type="archive:disposition:executed")
    assert {d["sha256"] for d in executed.payload["disposed"]} >= set(contents)
    assert Event.objects.filter(type="blob:blob:disposed").count() == len(executed.payload["disposed"])
    # The items and their hashes stay listed; a disposed dossier is not exported.
    assert dossier.items.count() == len(contents)
    with pytest.raises(Conflict, match="已按期销毁"):
        services.dossier_export(actor=world.archivist, dossier=dossier, target_dir=tmp_path / "never-written")
    # quanlu ledger verify: disposed, not tampered.
    ledger_integrate()
    report = verify()
    assert report.ok, [p.message for p in report.problems]
    assert report.disposed >= len(contents)


def test_ledger_verify_still_names_bytes_deleted_without_a_disposal(world, expired):
    _case, dossier = expired
    sha = dossier.items.filter(kind="document").values_list("sha256", flat=True).first()
    path = get_store().local_path(sha)
    path.unlink()
    ledger_integrate()
    report = verify()
    assert any(p.kind == "blob_missing" and p.item["blob"] == sha for p in report.problems)


def test_contents_another_case_still_uses_are_kept(world, expired):
    case, dossier = expired
    media = dossier.items.get(kind="media")
    # The same recording filed under a second case of the agency.
    from quanlu.media.models import MediaRecord
    from quanlu.media.tests.helpers import ingest

    other = world.open_case()
    record = MediaRecord.objects.get(case=case)
    ingest(world, get_store().local_path(record.sha256).read_bytes(), case=other)
    request = services.disposition_request(actor=world.archivist, dossier=dossier, reason="期满")
    approve(world, request)
    approve(world, request, "approver2")
    services.disposition_execute(actor=world.archivist, request=request)
    assert get_store().exists(media.sha256)
    assert not Tombstone.objects.filter(blob_id=media.sha256).exists()
    executed = Event.objects.get(type="archive:disposition:executed")
    assert media.sha256 in executed.payload["kept"]


def test_blob_disposal_needs_two_distinct_approvers_and_a_tombstone(world):
    from django.db import transaction

    from quanlu.blobs.services import blob_store_bytes

    blob, _ = blob_store_bytes(actor=world.officer, agency=world.agency, data=b"x" * 100)
    with transaction.atomic(), pytest.raises(InvalidInput, match="两名不同人员"):
        blob_dispose(actor=world.archivist, agency=world.agency, sha256=blob.sha256, reason="r", authority={})
    with transaction.atomic(), pytest.raises(InvalidInput, match="两名不同人员"):
        blob_dispose(
            actor=world.archivist,
            agency=world.agency,
            sha256=blob.sha256,
            reason="r",
            authority={"disposition": "d", "approvals": ["a", "a"]},
        )
    with pytest.raises(BlobError):
        get_store().dispose(blob.sha256, tombstone=None)  # no tombstone, no deletion
    assert get_store().exists(blob.sha256)


def test_concurrent_approvals_by_the_same_person_record_one(transactional_db, monkeypatch):
    from quanlu.testing import factories

    world = factories.world()
    _case, dossier = h.archived(world)
    h.age(monkeypatch, 12)
    request = services.disposition_request(actor=world.archivist, dossier=dossier, reason="期满")
    results: list[object] = []

    def attempt() -> None:
        try:
            approve(world, request)
            results.append("ok")
        except (Refused, Conflict) as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, results)) == ["ok", "same_approver"]
    assert request.approvals.count() == 1
