"""Assembly, what is missing (by citation), sealing with the 四性检测, the 30-day deadline and
the close gate. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import re
import subprocess
import xml.etree.ElementTree as ET

import pikepdf
import pikepdf.pdfa
import pytest
from django.utils import timezone

from quanlu.archive import eep, sealing, services
from quanlu.archive.dossier import missing, plan
from quanlu.archive.models import ArchiveNumberSequence, Dossier, DossierStatus, ItemKind
from quanlu.archive.tests import helpers as h
from quanlu.blobs.store import get_store
from quanlu.cases import services as cases
from quanlu.cases.models import Stage
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.ledger import note
from quanlu.ledger.models import Event
from quanlu.records import services as records
from quanlu.records.catalogue import catalogue
from quanlu.records.sample import make_document, sample_fields, sign_all
from quanlu.supervision.models import Deadline


def blob(sha: str) -> bytes:
    with get_store().open(sha) as fh:
        return fh.read()


def test_assembly_lists_documents_then_media_in_order_with_pages_and_av_facts(world):
    case = h.to_archiving(world, h.case_with_records(world, documents=2))
    dossier = services.dossier_assemble(actor=world.archivist, case=case)
    items = list(dossier.items.order_by("position"))
    docs = [i for i in items if i.kind == ItemKind.DOCUMENT]
    media = [i for i in items if i.kind == ItemKind.MEDIA]
    assert [i.index_no for i in items] == list(range(1, len(items) + 1))
    assert items[-1].kind == ItemKind.MEDIA
    assert len(media) == 1
    # Pages counted from the PDFs themselves, numbered on without gaps.
    page = 1
    for item in docs:
        data = blob(item.sha256)
        if item.media_type == "application/pdf":
            with pikepdf.open(io.BytesIO(data)) as pdf:
                assert item.pages == len(pdf.pages)
        assert (item.page_from, item.page_to) == (page, page + item.pages - 1)
        page += item.pages
    assert dossier.pages == page - 1
    av = media[0].av
    assert av["matter"] == "现场检查"
    assert world.officer.full_name in av["officers"]
    assert world.officer.certificate_no in av["officers"]
    assert av["device_no"]
    assert "执法记录仪" in av["method"]
    assert "录像" in av["method"]
    assert av["time"]
    assert media[0].bag_path.startswith("音像/")
    assert media[0].bag_path.endswith(".mp4")
    event = Event.objects.get(type="archive:dossier:assembled")
    assert event.actor == world.archivist
    assert {i["sha256"] for i in event.payload["items"]} == {i.sha256 for i in items}


@pytest.mark.parametrize(
    "who", ["officer", "approver", "superior_supervisor", "justice_supervisor", "outsider"]
)
def test_only_the_cases_own_archivists_assemble(world, who):
    case = h.to_archiving(world, h.case_with_records(world, documents=0, media=False))
    with pytest.raises(PermissionDenied):
        services.dossier_assemble(actor=getattr(world, who), case=case)
    assert not Dossier.objects.exists()


def test_assembly_waits_for_the_archiving_stage(world):
    case = h.case_with_records(world, documents=0, media=False)
    with pytest.raises(Conflict) as exc:
        services.dossier_assemble(actor=world.archivist, case=case)
    assert exc.value.code == "not_archiving"
    assert "归档阶段" in exc.value.message


def test_retention_follows_the_agency_settings_and_an_override_needs_a_reason(world):
    services.archive_settings_set(
        actor=world.archivist, fonds_code="X001", fonds_name="测试全宗", retention_terminated="y30"
    )
    case = h.to_archiving(world, h.case_with_records(world, documents=0, media=False))
    assert services.dossier_assemble(actor=world.archivist, case=case).retention == "y30"
    with pytest.raises(InvalidInput, match="「保管期限说明」为必填项"):
        services.dossier_assemble(actor=world.archivist, case=case, retention="permanent")
    with pytest.raises(InvalidInput, match="「保管期限」的取值无效"):
        services.dossier_assemble(actor=world.archivist, case=case, retention="forever", retention_reason="x")
    again = services.dossier_assemble(
        actor=world.archivist, case=case, retention="permanent", retention_reason="涉及重大公共利益"
    )
    assert (again.retention, again.version, again.fonds_code) == ("permanent", 2, "X001")
    assert Dossier.objects.get(version=1).status == DossierStatus.SUPERSEDED
    assert again.supersedes.version == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"fonds_code": "X-001", "fonds_name": "某全宗"}, "只能由字母和数字组成"),
        ({"fonds_code": "X001", "fonds_name": ""}, "「全宗名称」为必填项"),
        ({"fonds_code": "X001", "fonds_name": "某", "unit_code": "执法"}, "大写字母和数字"),
        ({"fonds_code": "X001", "fonds_name": "某", "retention_major": "y5"}, "取值无效"),
    ],
)
def test_settings_refuse_bad_codes_in_chinese(world, fields, message):
    with pytest.raises(InvalidInput, match=message):
        services.archive_settings_set(actor=world.archivist, **fields)


def test_settings_are_the_archivists_or_the_heads(world):
    with pytest.raises(PermissionDenied):
        services.archive_settings_set(actor=world.officer, fonds_code="X1", fonds_name="某")
    with pytest.raises(PermissionDenied):
        services.archive_settings_set(actor=world.justice_supervisor, fonds_code="X1", fonds_name="某")
    services.archive_settings_set(actor=world.approver, fonds_code="X1", fonds_name="某")


def test_missing_records_are_listed_by_citation_and_block_the_seal(world):
    case = h.to_archiving(world, h.case_with_records(world, documents=0, media=False))
    unsigned = make_document(case, "inquiry_transcript", h.staff(world))
    found = [m for m in missing(case) if m.blocking]
    mine = [m for m in found if m.subject == str(unsigned.public_id)]
    assert mine, found
    assert "尚不完整" in mine[0].message or "签" in mine[0].message
    assert all(m.finding.article for m in found)
    dossier = services.dossier_assemble(actor=world.archivist, case=case)
    before = Event.objects.count()
    with pytest.raises(Refused) as exc:
        services.dossier_seal(actor=world.archivist, dossier=dossier)
    assert exc.value.code == "dossier_incomplete"
    assert "不能封卷" in exc.value.message
    assert all(d["article"] for d in exc.value.details)
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.ASSEMBLED
    assert dossier.archive_number == ""
    assert not ArchiveNumberSequence.objects.exists()
    assert not Event.objects.filter(type="archive:dossier:sealed").exists()
    assert Event.objects.filter(seq__gt=0).count() == before


def test_sealing_numbers_renders_checks_and_ledgers_the_dossier(world, tmp_path):
    case = h.to_archiving(world, h.case_with_records(world, documents=2))
    dossier = h.seal(world, case)
    year = timezone.localtime(dossier.sealed_at).year
    fonds = case.agency.region.code
    assert dossier.status == DossierStatus.SEALED
    assert dossier.archive_number == f"{fonds}-ZF·{year}-D10-AJ-0001"
    kinds = {i.kind: i for i in dossier.items.all()}
    assert {"cover", "index", "note", "metadata", "report", "report_json", "document", "media"} <= set(kinds)
    # Every PDF of the dossier, generated or signed, passes PDF/A-2b.
    for item in dossier.items.filter(media_type="application/pdf"):
        assert pikepdf.pdfa.validate_written(io.BytesIO(blob(item.sha256)), "2b").passed, item.bag_path
    # The 四性检测: every item passes or is not applicable, and the report says so.
    results = {c.code: c.result for c in dossier.checks.all()}
    assert len(results) >= 30
    assert "fail" not in results.values()
    assert results["GD-1-1"] == results["GD-2-9"] == results["GD-3-4"] == "pass"
    report = json.loads(blob(kinds["report_json"].sha256))
    assert report["passed"]
    assert [c["code"] for c in report["checks"]] == list(results)
    # The metadata XML is well-formed and names every file by path and digest.
    xml = blob(kinds["metadata"].sha256)
    root = ET.fromstring(xml)  # noqa: S314 - our own document
    assert root.tag == f"{{{eep.NAMESPACE}}}电子文件封装包"
    recorded = eep.parse_files(xml)
    for item in dossier.items.exclude(kind__in=["metadata", "report", "report_json"]):
        assert recorded["data/" + item.bag_path]["sha256"] == item.sha256
    media_entity = next(e for e in root.iter(f"{{{eep.NAMESPACE}}}音像记录描述"))
    assert media_entity.findtext(f"{{{eep.NAMESPACE}}}设备编号")
    # The checkpoint it was sealed against verifies with the agency's key, and the 备考表
    # prints it.
    from quanlu.ledger.models import Key

    keys = [
        note.parse_vkey(k)
        for k in Key.objects.filter(log__agency=case.agency, algorithm="ed25519").values_list(
            "vkey", flat=True
        )
    ]
    opened = note.open_note(dossier.checkpoint_note, keys)
    assert note.parse_checkpoint(opened.note.text).size == dossier.checkpoint_size
    pdf = tmp_path / "note.pdf"
    pdf.write_bytes(blob(kinds["note"].sha256))
    text = re.sub(
        r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    )
    assert dossier.checkpoint_root in text
    assert dossier.checkpoint_key.split("+")[0] in text
    event = Event.objects.get(type="archive:dossier:sealed")
    assert event.payload["archive_number"] == dossier.archive_number
    assert event.payload["checkpoint"]["size"] == dossier.checkpoint_size
    assert {i["path"] for i in event.payload["items"]} == set(
        dossier.items.values_list("bag_path", flat=True)
    )


def test_the_archive_deadline_is_met_when_the_dossier_is_sealed(world):
    case = h.to_archiving(world, h.case_with_records(world, documents=0, media=False))
    deadline = Deadline.objects.get(case=case, kind="archive")
    assert deadline.met_at is None
    dossier = h.seal(world, case)
    deadline.refresh_from_db()
    assert deadline.met_at == dossier.sealed_at
    case.refresh_from_db()
    assert case.stage == Stage.ARCHIVING  # met by archiving, before (and without) closing


def test_a_case_closes_only_once_its_dossier_is_sealed(world):
    case = h.to_archiving(world, h.case_with_records(world, documents=0, media=False))
    with pytest.raises(Refused) as exc:
        cases.case_advance(actor=world.officer, case=case, to_stage=Stage.CLOSED)
    assert "尚未组卷" in exc.value.message
    assert "封卷" in exc.value.message
    finding = next(d for d in exc.value.details if d["rule"] == "archive.dossier_sealed")
    assert finding["article"].startswith(case.rulebook_id)
    dossier = services.dossier_assemble(actor=world.archivist, case=case)
    with pytest.raises(Refused, match="已组卷但尚未封卷"):
        cases.case_advance(actor=world.officer, case=case, to_stage=Stage.CLOSED)
    services.dossier_seal(actor=world.archivist, dossier=dossier)
    h.close(world, case)
    assert case.stage == Stage.CLOSED


def test_records_changed_after_assembly_must_be_assembled_again(world):
    case = h.to_archiving(world, h.case_with_records(world, documents=0, media=False))
    dossier = services.dossier_assemble(actor=world.archivist, case=case)
    sign_all(make_document(case, "inquiry_transcript", h.staff(world)), h.staff(world))
    with pytest.raises(Conflict) as exc:
        services.dossier_seal(actor=world.archivist, dossier=dossier)
    assert exc.value.code == "dossier_stale"
    assert len(plan(case)) == dossier.items.count() + 1


def test_sealing_twice_or_reassembling_a_sealed_dossier_is_refused(world):
    case = h.to_archiving(world, h.case_with_records(world, documents=0, media=False))
    dossier = h.seal(world, case)
    with pytest.raises(Conflict) as exc:
        services.dossier_seal(actor=world.archivist, dossier=dossier)
    assert exc.value.code == "not_assembled"
    with pytest.raises(Conflict) as exc:
        services.dossier_assemble(actor=world.archivist, case=case)
    assert exc.value.code == "dossier_sealed"
    assert Event.objects.filter(type="archive:dossier:sealed").count() == 1


def _upload(world, case, data: bytes):
    code = "expert_opinion"
    fields = sample_fields(catalogue().get(code), case, h.staff(world))
    return records.document_upload(
        actor=world.officer, case=case, type_code=code, chunks=[data], file_name="外部.pdf", fields=fields
    )


def _plain_pdf(*, text: bool) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    if text:
        page = pdf.pages[0]
        page.obj["/Resources"] = pikepdf.Dictionary(
            Font=pikepdf.Dictionary(
                F1=pikepdf.Dictionary(
                    Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
                )
            )
        )
        page.obj["/Contents"] = pdf.make_stream(b"BT /F1 12 Tf 72 720 Td (Lab report) Tj ET")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_an_uploaded_pdf_that_is_not_pdfa_is_kept_as_a_pdfa_rendition(world):
    case = h.to_archiving(world, h.case_with_records(world, documents=0, media=False))
    doc = _upload(world, case, _plain_pdf(text=False))
    original = doc.versions.get().file_sha256
    assert not pikepdf.pdfa.validate_written(io.BytesIO(blob(original)), "2b").passed
    dossier = h.seal(world, case)
    item = dossier.items.get(source_uid=doc.public_id)
    assert item.sha256 != original
    assert item.source_sha256 == original
    assert "PDF/A-2b" in item.note
    assert pikepdf.pdfa.validate_written(io.BytesIO(blob(item.sha256)), "2b").passed
    sealed = Event.objects.get(type="archive:dossier:sealed")
    entry = next(i for i in sealed.payload["items"] if i["path"] == item.bag_path)
    assert entry["source_sha256"] == original


def test_an_uploaded_pdf_that_cannot_become_pdfa_is_refused_at_assembly(world):
    case = h.to_archiving(world, h.case_with_records(world, documents=0, media=False))
    _upload(world, case, _plain_pdf(text=True))  # Helvetica, not embedded
    with pytest.raises(Refused) as exc:
        services.dossier_assemble(actor=world.archivist, case=case)
    assert exc.value.code == "not_pdfa"
    assert "PDF/A" in exc.value.message
    assert not Dossier.objects.exists()


def test_a_voided_draft_is_no_content_of_the_dossier_but_is_named_as_voided(world, client):
    case = h.case_with_records(world, documents=1, media=False)
    draft = make_document(case, "inquiry_transcript", h.staff(world))
    records.document_void(actor=world.officer, document=draft, reason="误选文书类型，已重新制作")
    case = h.to_archiving(world, case)
    uid = str(draft.public_id)
    assert uid not in {i.source_uid for i in plan(case)}
    assert uid not in {m.subject for m in missing(case)}  # an unsigned voided draft blocks nothing
    dossier = services.dossier_assemble(actor=world.archivist, case=case)
    listed = {str(i.source_uid) for i in dossier.items.all()}
    assert uid not in listed
    kept = case.documents.filter(voiding__isnull=True)
    assert listed >= {str(d.public_id) for d in kept}
    (remark,) = [r for r in sealing.remarks(case, list(dossier.items.all())) if "已作废" in r]
    assert "「询问笔录」" in remark
    assert world.officer.full_name in remark
    assert "误选文书类型，已重新制作" in remark
    client.force_login(world.archivist)
    page = client.get(f"/archive/cases/{case.public_id}/").content.decode()
    section = page[page.index('id="voided"') :][:1500]
    assert "已作废（不归入卷内，1）" in section
    assert "误选文书类型，已重新制作" in section
    index = page[page.index('id="index"') : page.index('id="voided"')]
    assert f"/documents/{uid}/" not in index
