"""Filling in, signatures, refusals, corrections and the ledger, with bad input."""

import io

import pytest
from PIL import Image

from quanlu.blobs.models import Blob
from quanlu.cases import services as cases
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied
from quanlu.ledger.models import Event
from quanlu.records import events, services
from quanlu.records.catalogue import catalogue
from quanlu.records.models import Document, Signature, Version
from quanlu.records.sample import handwriting_png, make_document, mark_png, sample_fields, sign_all
from quanlu.records.selectors import (
    current_version,
    document_is_complete,
    document_missing,
    documents_by_type,
    signature_status,
)
from quanlu.records.services import content_sha256
from quanlu.testing import factories as f


def create(world, case, code, staff, **changes):
    fields = sample_fields(catalogue().get(code), case, staff)
    fields.update(changes)
    return services.document_create(actor=world.officer, case=case, type_code=code, fields=fields)


def test_required_fields_are_enforced_in_chinese(world, staff, case):
    fields = sample_fields(catalogue().get("inquiry_transcript"), case, staff)
    del fields["place"]
    with pytest.raises(InvalidInput, match="「地点」为必填项"):
        services.document_create(
            actor=world.officer, case=case, type_code="inquiry_transcript", fields=fields
        )
    assert Document.objects.count() == 0
    assert not Event.objects.filter(type__startswith="records:").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("started_at", "昨天下午", "应为日期和时间"),
        ("started_at", 20261103, "应为日期和时间"),
        ("av_recorded", "也许", "应为“是”或“否”"),
        ("relation", "boss", "取值无效"),
        ("officers", "张三", "应为列表"),
        ("turns", [{"speaker": "judge", "text": "x"}], "发言人身份"),
        (
            "rights",
            [{"right": "statement", "notified": True, "method": "oral"}],
            "应记录已告知当事人申辩的权利",
        ),
        ("rights", [{"right": "statement", "notified": True, "method": "telepathy"}], "告知陈述权利的方式"),
        ("place", ["a"], "应为文字"),
        ("place", "地点\x00", "不允许的换行或控制字符"),
    ],
)
def test_wrong_field_types_are_refused(world, staff, case, field, value, message):
    with pytest.raises(InvalidInput, match=message):
        create(world, case, "inquiry_transcript", staff, **{field: value})
    assert Document.objects.count() == 0


def test_money_integer_and_unknown_fields(world, staff, case):
    with pytest.raises(InvalidInput, match="最多两位小数"):
        create(world, case, "enforcement_decision", staff, fine="1000.123")
    with pytest.raises(InvalidInput, match="应为金额"):
        create(world, case, "enforcement_decision", staff, fine=1000.5)
    with pytest.raises(InvalidInput, match="不能大于30"):
        create(world, case, "rights_notice", staff, statement_days=99)
    with pytest.raises(InvalidInput, match="没有这些栏目：colour"):
        create(world, case, "rights_notice", staff, colour="red")
    with pytest.raises(InvalidInput, match="未知的文书类型"):
        services.document_create(actor=world.officer, case=case, type_code="nope", fields={})


def test_officers_need_two_with_valid_certificates_from_the_registry(world, staff, case):
    # How many officers must be on site is the regulation's to say (000 第七条: 2 人以上;
    # the rulebooks count them); the form needs at least one, from the registry.
    with pytest.raises(InvalidInput, match="为必填项"):
        create(world, case, "inquiry_transcript", staff, officers=[])
    with pytest.raises(InvalidInput, match="没有有效的行政执法证件"):
        create(
            world,
            case,
            "inquiry_transcript",
            staff,
            officers=[str(world.officer.public_id), str(world.archivist.public_id)],
        )
    with pytest.raises(InvalidInput, match="不是本机关在职人员"):
        create(
            world,
            case,
            "inquiry_transcript",
            staff,
            officers=[str(world.officer.public_id), str(world.outsider.public_id)],
        )
    doc = create(world, case, "inquiry_transcript", staff)
    officers = current_version(doc).fields["officers"]
    assert officers[0]["certificate_no"] == world.officer.certificate_no
    assert officers[0]["certificate_shown"] is True


def test_rights_for_004_include_reconsideration_and_litigation(world, staff, case):
    doc = create(world, case, "inquiry_transcript", staff)
    rights = [r["right"] for r in current_version(doc).fields["rights"]]
    assert rights == ["statement", "defense", "recusal", "hearing", "reconsideration", "litigation"]
    other = f.world(f.R000)
    c = other.open_case()
    cases.party_add(
        actor=other.officer,
        case=c,
        kind="person",
        name="王某",
        id_type="resident_id",
        id_number=f.resident_id(),
    )
    from quanlu.records.sample import Staff

    s = Staff(other.officer, other.officer2, other.reviewer, other.legal, other.approver)
    doc = make_document(c, "inquiry_transcript", s)
    assert [r["right"] for r in current_version(doc).fields["rights"]] == [
        "statement",
        "defense",
        "recusal",
        "hearing",
    ]


def test_conditional_fields_and_signatures_follow_the_service_method(world, staff, case):
    with pytest.raises(InvalidInput, match="「拒收事由」为必填项"):
        create(world, case, "service_receipt", staff, method="lodged", refusal_reason="")
    doc = create(world, case, "service_receipt", staff, method="lodged")
    slots = {st.key for st in signature_status(doc)}
    assert slots == {"servers", "witness"}  # lodged: 送达人 + 见证人, no recipient
    direct = create(world, case, "service_receipt", staff, method="direct")
    assert {st.key for st in signature_status(direct)} == {"servers", "recipient"}
    assert "carrier" not in current_version(direct).fields


def test_a_document_is_complete_only_with_its_signature_set(world, staff, case):
    doc = create(world, case, "inquiry_transcript", staff)
    assert document_missing(doc) == [
        "「被询问人」尚未签名或捺手印或盖章",
        f"「询问人」{world.officer.full_name}尚未签名",
        f"「询问人」{world.officer2.full_name}尚未签名",
        "「记录人」尚未签名",
    ]
    services.signature_sign(actor=world.officer, document=doc, slot="officers", signature_method="password")
    with pytest.raises(PermissionDenied, match="不在本文书「询问人」名单中"):
        services.signature_sign(
            actor=world.reviewer, document=doc, slot="officers", signature_method="password"
        )
    with pytest.raises(Conflict, match="已在「询问人」签名"):
        services.signature_sign(
            actor=world.officer, document=doc, slot="officers", signature_method="password"
        )
    with pytest.raises(PermissionDenied, match="应由文书中记载的人员本人签署"):
        services.signature_sign(
            actor=world.officer, document=doc, slot="recorder", signature_method="password"
        )
    with pytest.raises(InvalidInput, match="应由执法人员本人登录后签署"):
        services.signature_capture(
            actor=world.officer, document=doc, slot="officers", signer_name="x", image=handwriting_png("x")
        )
    assert not document_is_complete(doc)
    sign_all(doc, staff)
    assert document_is_complete(doc)
    assert documents_by_type(case, "inquiry_transcript") == [doc]


def test_the_internal_chain_is_signed_by_different_people(world, staff, case):
    doc = create(world, case, "internal_approval_form", staff)
    services.signature_sign(actor=world.officer, document=doc, slot="handler", signature_method="password")
    with pytest.raises(PermissionDenied, match="需要以下角色之一：审核人"):
        services.signature_sign(
            actor=world.officer, document=doc, slot="reviewer", signature_method="password"
        )
    with pytest.raises(PermissionDenied, match="批准人"):
        services.signature_sign(
            actor=world.reviewer, document=doc, slot="approver", signature_method="password"
        )


def png(size=(300, 120), ink=True):
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    if ink:
        from PIL import ImageDraw

        ImageDraw.Draw(img).line([(10, 60), (290, 40)], fill=(0, 0, 0, 255), width=5)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (b"", "签名图像为空"),
        (b"GIF89a not really", "应为PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "不是有效的图像"),
        (png()[:200], "不是有效的图像"),
        (png(ink=False), "空白"),
        (png(size=(5, 5)), "尺寸不正常"),
        (b"%PDF-1.7\n" + b"x" * 100, "应为PNG"),
    ],
)
def test_a_signature_image_that_is_not_an_image_is_refused(world, staff, case, image, message):
    doc = create(world, case, "inquiry_transcript", staff)
    blobs = Blob.objects.count()
    with pytest.raises(InvalidInput, match=message):
        services.signature_capture(
            actor=world.officer, document=doc, slot="interviewee", signer_name="王某某", image=image
        )
    assert Signature.objects.count() == 0
    assert Blob.objects.count() == blobs


def test_a_touch_signature_is_stored_as_a_png_blob_and_ledgered(world, staff, case):
    doc = create(world, case, "inquiry_transcript", staff)
    sig = services.signature_capture(
        actor=world.officer,
        document=doc,
        slot="interviewee",
        signer_name="王某某",
        image=png(),
        kind="fingerprint",
    )
    assert Blob.objects.filter(sha256=sig.image_sha256).exists()
    ev = Event.objects.get(type=events.SIGNATURE_ADDED.name, payload__signature=str(sig.public_id))
    assert ev.payload["image_sha256"] == sig.image_sha256
    assert ev.payload["kind"] == "fingerprint"
    assert ev.payload["content_sha256"] == current_version(doc).content_sha256


def test_refusal_needs_two_officers_under_001(staff):
    world = f.world(f.R001)
    case = world.open_case()
    cases.party_add(
        actor=world.officer,
        case=case,
        kind="person",
        name="赵某",
        id_type="resident_id",
        id_number=f.resident_id(),
    )
    from quanlu.records.sample import Staff

    s = Staff(world.officer, world.officer2, world.reviewer, world.legal, world.approver)
    doc = make_document(case, "inquiry_transcript", s)
    refusal = services.refusal_record(
        actor=world.officer,
        document=doc,
        slot="interviewee",
        person_name="王某某",
        reason="拒绝签字，称不认可笔录。",
        signature_method="password",
    )
    st = next(x for x in signature_status(doc) if x.key == "interviewee")
    assert st.refusal_min_officers == 2
    assert st.citation.article == "第十四条"
    assert not st.satisfied  # one officer is not enough under 001 第十四条
    with pytest.raises(Conflict, match="已签字确认"):
        services.refusal_attest(actor=world.officer, refusal=refusal, signature_method="password")
    with pytest.raises(PermissionDenied):
        services.refusal_attest(actor=world.outsider, refusal=refusal, signature_method="password")
    services.refusal_attest(actor=world.officer2, refusal=refusal, signature_method="password")
    st = next(x for x in signature_status(doc) if x.key == "interviewee")
    assert st.satisfied
    ev = Event.objects.get(type=events.REFUSAL_RECORDED.name)
    assert ev.payload["officers_needed"] == 2
    assert "001_985a08834cda7543.txt 第十四条" in ev.payload["rule"]


def test_refusal_needs_one_officer_under_004(world, staff, case):
    doc = create(world, case, "inquiry_transcript", staff)
    services.refusal_record(
        actor=world.officer,
        document=doc,
        slot="interviewee",
        person_name="王某某",
        reason="拒签",
        signature_method="password",
    )
    assert next(x for x in signature_status(doc) if x.key == "interviewee").satisfied
    with pytest.raises(InvalidInput, match="不适用拒绝签字"):
        services.refusal_record(
            actor=world.officer,
            document=doc,
            slot="recorder",
            person_name="x",
            reason="y",
            signature_method="password",
        )


def test_an_amendment_is_a_new_version_and_the_old_one_stays_readable(world, staff, case):
    doc = create(world, case, "inquiry_transcript", staff)
    sign_all(doc, staff)
    v1 = current_version(doc)
    v2 = services.document_amend(
        actor=world.officer,
        document=doc,
        changes={"place": "更正后的地点"},
        reason="地点笔误",
        signature_method="password",
        base_version=1,
    )
    assert (v2.number, v2.replaces_id, v2.changed_fields, v2.reason) == (2, v1.pk, ["place"], "地点笔误")
    old = Version.objects.get(pk=v1.pk)
    assert old.fields["place"] != "更正后的地点"
    assert old.content_sha256 == content_sha256(old.fields)
    assert old.signed_pdf_sha256  # the signed rendering of version 1 is still stored
    ev = Event.objects.get(type=events.VERSION_AMENDED.name)
    assert ev.payload["replaces"] == str(v1.public_id)
    assert ev.payload["content_sha256"] == v2.content_sha256
    assert ev.payload["pdf_sha256"] == v2.pdf_sha256
    assert ev.payload["changed_fields"] == ["place"]
    with pytest.raises(Conflict, match="已更新为第2版"):
        services.document_amend(
            actor=world.officer,
            document=doc,
            changes={"place": "x"},
            reason="r",
            signature_method="password",
            base_version=1,
        )
    with pytest.raises(InvalidInput, match="未作任何更正"):
        services.document_amend(
            actor=world.officer,
            document=doc,
            changes={"place": "更正后的地点"},
            reason="r",
            signature_method="password",
        )
    with pytest.raises(InvalidInput, match="更正理由"):
        services.document_amend(
            actor=world.officer, document=doc, changes={"place": "y"}, reason="", signature_method="password"
        )
    assert document_is_complete(doc)  # 004 asks no party confirmation of corrections


def test_under_001_the_party_confirms_each_correction_with_a_fingerprint(db):
    world = f.world(f.R001)
    case = world.open_case()
    cases.party_add(
        actor=world.officer,
        case=case,
        kind="person",
        name="赵某",
        id_type="resident_id",
        id_number=f.resident_id(),
    )
    from quanlu.records.sample import Staff

    s = Staff(world.officer, world.officer2, world.reviewer, world.legal, world.approver)
    doc = make_document(case, "investigation_transcript", s)
    sign_all(doc, s)
    assert document_is_complete(doc)
    services.document_amend(
        actor=world.officer,
        document=doc,
        changes={"method": "调阅台账"},
        reason="笔误",
        signature_method="password",
    )
    assert not document_is_complete(doc)
    assert "「当事人确认第2版更正（更改处捺手印或者盖章）」尚未捺手印或盖章" in document_missing(doc)
    with pytest.raises(InvalidInput, match="应捺手印或盖章"):
        services.signature_capture(
            actor=world.officer,
            document=doc,
            slot="amendment_2",
            signer_name="赵某",
            image=png(),
            kind="signature",
        )
    services.signature_capture(
        actor=world.officer,
        document=doc,
        slot="amendment_2",
        signer_name="赵某",
        image=mark_png("fingerprint", "赵某"),
        kind="fingerprint",
    )
    assert document_is_complete(doc)
    assert Event.objects.filter(type=events.DOCUMENT_COMPLETED.name, payload__version_number=2).exists()


def test_every_version_event_carries_the_content_and_rendering_hashes(world, staff, case):
    doc = create(world, case, "enforcement_decision", staff)
    v = current_version(doc)
    ev = Event.objects.get(type=events.DOCUMENT_CREATED.name)
    assert ev.payload["content_sha256"] == v.content_sha256 == content_sha256(v.fields)
    assert ev.payload["pdf_sha256"] == v.pdf_sha256
    assert Blob.objects.filter(sha256=v.pdf_sha256).exists()
    assert doc.number.endswith("〔" + str(doc.created_at.year) + "〕1号")
    sign_all(doc, staff)
    done = Event.objects.get(type=events.DOCUMENT_COMPLETED.name)
    v.refresh_from_db()
    assert done.payload["pdf_sha256"] == v.signed_pdf_sha256 != v.pdf_sha256


def test_outsiders_and_supervisors_cannot_write(world, staff, case):
    for who in (world.outsider, world.superior_supervisor, world.justice_supervisor):
        with pytest.raises(PermissionDenied):
            services.document_create(actor=who, case=case, type_code="inquiry_transcript", fields={})
    doc = create(world, case, "inquiry_transcript", staff)
    with pytest.raises(PermissionDenied):
        services.signature_sign(
            actor=world.superior_supervisor, document=doc, slot="officers", signature_method="password"
        )
    with pytest.raises(PermissionDenied):
        services.document_amend(
            actor=world.outsider,
            document=doc,
            changes={"place": "x"},
            reason="r",
            signature_method="password",
        )


def test_a_repeated_submission_makes_one_document(world, staff, case):
    import uuid

    token = uuid.uuid4()
    fields = sample_fields(catalogue().get("item_list"), case, staff)
    a = services.document_create(
        actor=world.officer, case=case, type_code="item_list", fields=fields, client_token=token
    )
    b = services.document_create(
        actor=world.officer, case=case, type_code="item_list", fields=fields, client_token=token
    )
    assert a.pk == b.pk
    with pytest.raises(Conflict):
        services.document_create(
            actor=world.officer2, case=case, type_code="item_list", fields=fields, client_token=token
        )
