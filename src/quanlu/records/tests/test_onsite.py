"""The on-site flow on a phone: voiding a mistaken draft, times in the future, values
kept after an error, defaults, and several officers signing on one device."""

import base64
import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from quanlu.cases import services as cases
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied
from quanlu.ledger.models import Event
from quanlu.org import events as org_events
from quanlu.org import services as org
from quanlu.org.models import Role
from quanlu.org.services import api_token_create
from quanlu.records import events, services
from quanlu.records.catalogue import catalogue
from quanlu.records.forms import defaults, from_approval, from_case
from quanlu.records.models import Signature, Voiding
from quanlu.records.sample import handwriting_png, make_document, sample_fields
from quanlu.rulebooks.evaluator import evaluate
from quanlu.rulebooks.providers import gather
from quanlu.rulebooks.sample import Builder
from quanlu.testing.factories import PASSWORD

CODE = "inspection_transcript"


def login(officer):
    client = Client()
    assert client.login(username=officer.username, password=PASSWORD)
    return client


@pytest.fixture
def draft(world, staff, case):
    return make_document(case, CODE, staff)


def _unmet_about(case, doc):
    # The findings naming the draft, whether unmet now or at the next stage's gate.
    return [r for r in evaluate(gather(case)) if str(doc.public_id) in r.outcome.subjects]


def test_void_an_unsigned_draft_keeps_it_and_unblocks_the_checks(world, case, draft):
    assert _unmet_about(case, draft), "the unsigned draft is a finding before it is voided"
    voiding = services.document_void(actor=world.officer, document=draft, reason="误选当事人，已重新制作")
    assert voiding.document_id == draft.pk
    assert Event.objects.filter(type=events.DOCUMENT_VOIDED).count() == 1
    assert str(draft.public_id) not in {d.uid for d in gather(case).documents}
    assert not _unmet_about(case, draft)
    page = login(world.officer).get(f"/documents/{draft.public_id}/").content.decode()
    assert "已作废" in page
    assert "误选当事人" in page
    case_page = login(world.officer).get(f"/cases/{case.public_id}/").content.decode()
    row = case_page[case_page.index(f"/documents/{draft.public_id}/") :][:600]
    assert "已作废" in row
    assert "待签署" not in row
    with pytest.raises(Conflict, match="已作废"):
        services.document_void(actor=world.officer, document=draft, reason="再次")
    with pytest.raises(Conflict, match="已作废"):
        services.signature_sign(
            actor=world.officer, document=draft, slot="officers", signature_method="password"
        )


def test_void_refused_once_signed_without_reason_or_by_others(world, case, draft):
    with pytest.raises(InvalidInput, match="作废理由"):
        services.document_void(actor=world.officer, document=draft, reason=" ")
    for who in (world.outsider, world.superior_supervisor):
        with pytest.raises(PermissionDenied):
            services.document_void(actor=who, document=draft, reason="想作废")
    # Through the pages: the outsider does not see the case, the supervisor may not write.
    assert (
        login(world.outsider).post(f"/documents/{draft.public_id}/void/", {"reason": "x"}).status_code == 404
    )
    supervisor = login(world.superior_supervisor).post(f"/documents/{draft.public_id}/void/", {"reason": "x"})
    assert supervisor.status_code in (403, 404)
    services.signature_sign(actor=world.officer, document=draft, slot="officers", signature_method="password")
    with pytest.raises(Conflict, match=r"已有1处签名，不能作废.*更正"):
        services.document_void(actor=world.officer, document=draft, reason="写错了")
    assert not Voiding.objects.exists()


def test_void_through_the_page(world, case, draft):
    client = login(world.officer)
    assert "作废此文书" in client.get(f"/documents/{draft.public_id}/").content.decode()
    response = client.post(f"/documents/{draft.public_id}/void/", {"reason": "重复制作"}, follow=True)
    assert "已作废" in response.content.decode()
    assert Voiding.objects.get().voided_by == world.officer


@pytest.mark.parametrize("key", ["started_at", "ended_at"])
def test_future_times_refused_for_what_happened(world, staff, case, key):
    fields = sample_fields(catalogue().get(CODE), case, staff)
    later = timezone.now() + dt.timedelta(days=90)
    fields["started_at"] = fields["ended_at"] = (
        later.isoformat() if key == "ended_at" else fields["started_at"]
    )
    fields[key] = later.isoformat()
    with pytest.raises(InvalidInput, match=r"晚于现在.*不能填将来") as exc:
        services.document_create(actor=world.officer, case=case, type_code=CODE, fields=fields)
    assert exc.value.details[0]["field"] in ("started_at", "ended_at")
    # A phone's clock a minute ahead is not the future.
    fields["started_at"] = fields["ended_at"] = (timezone.now() + dt.timedelta(minutes=1)).isoformat()
    assert services.document_create(actor=world.officer, case=case, type_code=CODE, fields=fields)


def test_a_deadline_may_be_in_the_future(world, staff, case):
    due = [t for t in catalogue().types.values() if any(f.future for f in t.fields)]
    assert due, "the deadline field is marked future"
    t = due[0]
    fields = sample_fields(t, case, staff)
    key = next(f.key for f in t.fields if f.future)
    fields[key] = (timezone.now() + dt.timedelta(days=10)).isoformat()
    assert services.document_create(actor=world.officer, case=case, type_code=t.code, fields=fields)


def _form_post(case, **changes):
    data = {
        "type": CODE,
        "f_started_at": "2026-11-03T09:30",
        "f_ended_at": "2026-11-03T10:10",
        "f_place": "化工路8号厂区",
        "f_findings": "脱硫塔循环泵停运。",
    }
    data.update(changes)
    return data


def test_values_kept_after_an_error_and_message_on_the_field(world, case):
    client = login(world.officer)
    url = f"/cases/{case.public_id}/documents/new/?type={CODE}"
    future = (timezone.localtime() + dt.timedelta(days=90)).strftime("%Y-%m-%dT%H:%M")
    page = client.post(url, _form_post(case, f_ended_at=future)).content.decode()
    assert 'value="2026-11-03T09:30"' in page  # both date-times come back as typed
    assert f'value="{future}"' in page
    assert "化工路8号厂区" in page
    assert "脱硫塔循环泵停运" in page
    assert 'class="field-error"' in page
    assert "不能填将来" in page
    # The message sits in the ended_at field's block.
    block = page.split('name="f_ended_at"', 1)[1].split("doc-field", 1)[0]
    assert "不能填将来" in block


def test_new_form_defaults_now_me_my_co_officer_and_the_party(world, staff, case):
    make_document(case, CODE, staff)  # world.officer went out with world.officer2 before
    page = login(world.officer).get(f"/cases/{case.public_id}/documents/new/?type={CODE}").content.decode()
    now = timezone.localtime().strftime("%Y-%m-%dT%H:")
    assert f'name="f_started_at" value="{now}' in page
    for o in (world.officer, world.officer2):
        assert f'value="{o.public_id}" checked' in page
    party = case.parties.get()
    assert f'value="{party.public_id}" selected' in page
    assert f'<option value="{world.officer.public_id}" selected' in page  # recorder: me


# ---------------------------------------------------------------- several officers, one device


def _sign(client, doc, signer, password=PASSWORD):
    return client.post(
        f"/documents/{doc.public_id}/sign/",
        {"slot": "officers", "signer": str(signer.public_id), "password": password},
        follow=True,
    ).content.decode()


def test_second_officer_signs_on_the_same_device_as_themselves(world, case, draft):
    client = login(world.officer)
    page = client.get(f"/documents/{draft.public_id}/").content.decode()
    assert world.officer2.full_name in page
    assert 'name="signer"' in page
    _sign(client, draft, world.officer)
    page = _sign(client, draft, world.officer2)
    sig = Signature.objects.get(officer=world.officer2)
    assert sig.recorded_by == world.officer
    assert sig.signer_name == world.officer2.full_name
    event = Event.objects.filter(type=events.SIGNATURE_ADDED).order_by("seq").last()
    assert event.payload["signer"] == str(world.officer2.public_id)
    # The session is still the first officer's.
    assert client.get("/").wsgi_request.user == world.officer


def test_wrong_password_deactivated_or_expired_officer_records_nothing(world, case, draft):
    client = login(world.officer)
    page = _sign(client, draft, world.officer2, password="wrong")
    assert "用户名或密码不正确" in page
    assert not Signature.objects.exists()
    org.officer_deactivate(actor=None, officer=world.officer2, reason="调离")
    page = _sign(client, draft, world.officer2)
    assert "账号已停用" in page
    assert not Signature.objects.exists()


def test_guessing_a_colleagues_password_locks_their_account(world, case, draft, settings):
    # Each wrong password counts as a failed sign-in of that colleague: at the limit
    # their account locks (an event) and even the right password is then refused.
    settings.QUANLU_LOGIN_MAX_FAILURES = 3
    client = login(world.officer)
    for _ in range(3):
        assert "用户名或密码不正确" in _sign(client, draft, world.officer2, password="guess")
    assert Event.objects.filter(type=org_events.ACCOUNT_LOCKED).count() == 1
    page = _sign(client, draft, world.officer2)
    assert "已锁定" in page
    assert not Signature.objects.exists()
    # The same for one's own password when signing as oneself.
    for _ in range(3):
        assert "密码不正确" in _sign(client, draft, world.officer, password="guess")
    assert "已锁定" in _sign(client, draft, world.officer)
    assert not Signature.objects.exists()


def test_expired_certificate_refused_by_the_service(world, staff, case):
    today = timezone.localdate()
    expired = org.officer_create(
        actor=None,
        agency=world.agency,
        username="expired1",
        full_name="证件过期者",
        password=PASSWORD,
        roles=[Role.OFFICER],
        certificate_no="C99990001",
        certificate_valid_from=today - dt.timedelta(days=800),
        certificate_valid_until=today - dt.timedelta(days=1),
    )
    doc = make_document(case, CODE, staff)
    with pytest.raises(PermissionDenied, match="证件过期者没有有效的行政执法证件"):
        services.signature_sign(
            actor=expired,
            document=doc,
            slot="officers",
            signature_method="password",
            recorded_by=world.officer,
        )
    with pytest.raises(PermissionDenied):
        services.signature_sign(
            actor=world.officer,
            document=doc,
            slot="officers",
            signature_method="password",
            recorded_by=world.outsider,
        )
    assert not Signature.objects.exists()


def test_party_signature_still_a_png(world, case, draft):
    image = "data:image/png;base64," + base64.b64encode(handwriting_png("刘建国")).decode()
    login(world.officer).post(
        f"/documents/{draft.public_id}/capture/", {"slot": "party", "signer_name": "刘建国", "image": image}
    )
    assert Signature.objects.get(slot="party").image_type == "image/png"


# ---------------------------------------------------------------- forms fill themselves


def test_approval_form_fills_itself_from_the_signed_chain(world, case):
    approval = world.approve_all(world.request(case, "initiation", opinion="建议立案调查。"))
    steps = {s.role: s for s in approval.steps.select_related("actor")}
    doc_type = catalogue().get("initiation_approval")
    values = from_approval(doc_type, case)
    assert values["handler_opinion"] == "建议立案调查。"
    assert values["start_reason"] == case.reason
    review = steps["review"]
    assert values["unit_opinion"] == (
        f"{review.opinion}（{review.actor.full_name}，{timezone.localtime(review.signed_at).date().isoformat()}）"
    )
    assert values["decided_on"] == timezone.localtime(approval.decided_at).date().isoformat()
    page = login(world.officer).get(f"/cases/{case.public_id}/documents/new/?type=initiation_approval")
    text = page.content.decode()
    assert "和电子审批记录预填" in text
    assert "以电子审批记录为准" in text
    assert "建议立案调查。" in text
    assert review.actor.full_name in text
    # The signed chain of the internal approval form: opinions and dates in their own boxes.
    assert from_approval(catalogue().get("internal_approval_form"), case) == {}  # no decision approval yet


def test_person_blocks_fill_from_the_party(world, case):
    party = case.parties.get()
    site = from_case(catalogue().get(CODE), case)["site_person"]
    assert site == {
        "name": "刘建国",
        "position": "某化工有限公司法定代表人（负责人）",
        "address": party.address,
    }
    inquiry = from_case(catalogue().get("inquiry_transcript"), case)
    assert inquiry["interviewee"] == site
    assert inquiry["relation"] == "legal_representative"
    person_case = world.open_case(cause="张某违法占地案")
    cases.party_add(
        actor=world.officer,
        case=person_case,
        kind="person",
        name="张某",
        id_type="resident_id",
        id_number="130281198001010011",
        address="遵化市某村",
        phone="13800000000",
    )
    alone = from_case(catalogue().get("inquiry_transcript"), person_case)
    assert alone["interviewee"] == {
        "name": "张某",
        "id_number": "130281198001010011",
        "phone": "13800000000",
        "address": "遵化市某村",
    }
    assert alone["relation"] == "party"
    client = login(world.officer)
    url = f"/cases/{case.public_id}/documents/new/?type={CODE}"
    page = client.get(url).content.decode()
    assert 'name="f_site_person__name" value="刘建国"' in page
    assert "现场负责人已按本案已登记的当事人、已有文书预填" in page
    assert party.id_number in page.split('class="muted party-detail"', 1)[1].split("</div>", 1)[0]
    # The officer confirms or changes it: the typed value is what is kept.
    values = defaults(catalogue().get(CODE), case, world.officer)
    rights = next(f for f in catalogue().get(CODE).fields if f.key == "rights").rights_for(case.rulebook_id)
    data = _form_post(
        case,
        f_officers=[o["officer"] for o in values["officers"]],
        f_recorder=str(world.officer.public_id),
        f_party=str(party.public_id),
        f_site_person__name="王五",
        f_site_person__position="车间主任",
        **{f"f_rights__{r}__notified": "on" for r in rights},
        **{f"f_rights__{r}__method": "oral" for r in rights},
    )
    for o in values["officers"]:
        data[f"f_officers__shown_{o['officer']}"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302
    doc = case.documents.get(type_code=CODE)
    kept = {k: v for k, v in doc.versions.get().fields["site_person"].items() if v}
    assert kept == {"name": "王五", "position": "车间主任"}


def test_approval_forms_take_facts_and_proposal_from_the_case_documents(world, staff, case):
    final = make_document(case, "investigation_final_report", staff)
    notice = make_document(case, "rights_notice", staff)
    told, found = notice.versions.get().fields, final.versions.get().fields
    form = catalogue().get("internal_approval_form")
    values = from_case(form, case)
    assert values == {
        "facts": found["facts"],
        "legal_basis": found["legal_basis"],
        "discretion": found["factors"],
        "proposed": told["proposed"],
    }
    services.document_void(actor=world.officer, document=notice, reason="告知书当事人写错")
    assert from_case(form, case)["proposed"] == found["proposal"]  # a voided draft says nothing
    decision = make_document(case, "enforcement_decision", staff)
    closing = from_case(catalogue().get("closing_approval"), case)
    assert closing["decision_number"] == decision.number
    assert closing["decision_summary"] == decision.versions.get().fields["decision"]
    # Prefilled, still the officer's to change.
    client = login(world.officer)
    url = f"/cases/{case.public_id}/documents/new/?type=internal_approval_form"
    page = client.get(url).content.decode()
    assert found["legal_basis"] in page
    assert "违法事实及证据、处理依据、自由裁量权适用情况、承办机构拟作出决定已按本案" in page
    data = {
        "type": "internal_approval_form",
        "f_party": str(case.parties.get().public_id),
        **{f"f_{k}": v for k, v in from_case(form, case).items()},
        "f_facts": "经查，当事人超标排放（已核对）。",
        "f_handler_opinion": "建议处罚。",
        "f_handler_date": "2026-11-20",
        "f_reviewer_opinion": "同意。",
        "f_reviewer_date": "2026-11-21",
        "f_approver_opinion": "同意。",
        "f_approver_date": "2026-11-22",
    }
    assert client.post(url, data).status_code == 302
    kept = case.documents.get(type_code="internal_approval_form").versions.get().fields
    assert kept["facts"] == "经查，当事人超标排放（已核对）。"
    assert kept["legal_basis"] == found["legal_basis"]


def test_a_rejected_approval_fills_nothing(world, case):
    approval = world.request(case, "initiation", opinion="建议立案。")
    cases.approval_reject(
        actor=world.reviewer,
        approval=approval,
        opinion="证据不足。",
        signature_method="password",
        step_index=0,
    )
    values = from_approval(catalogue().get("initiation_approval"), case)
    assert "unit_opinion" not in values


def bearer(officer):
    _, raw = api_token_create(actor=officer, officer=officer, label="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_void_through_the_api(world, case, draft):
    url = f"/api/v1/documents/{draft.public_id}/void"
    client = Client()
    denied = client.post(url, {"reason": "x"}, content_type="application/json", **bearer(world.outsider))
    assert denied.status_code == 404
    empty = client.post(url, {"reason": ""}, content_type="application/json", **bearer(world.officer))
    assert empty.status_code == 422
    assert "作废理由" in empty.json()["message"]
    done = client.post(url, {"reason": "重复制作"}, content_type="application/json", **bearer(world.officer))
    assert done.status_code == 201, done.content
    assert done.json()["voided"]["reason"] == "重复制作"
    listed = client.get(f"/api/v1/documents/{draft.public_id}", **bearer(world.officer)).json()
    assert listed["voided"]["voided_by"] == world.officer.full_name


def test_the_transcripts_media_list_is_fetched_again_after_an_upload(world, staff, case, draft):
    url = f"/media/documents/{draft.public_id}/"
    client = login(world.officer)
    page = client.get(f"/documents/{draft.public_id}/").content.decode()
    assert f'data-refresh="{url}"' in page
    assert '照片和音像（<span class="doc-media-count">0</span>）' in client.get(url).content.decode()
    record = Builder(case=case, staff=staff, keeper=world.keeper).film(draft)
    fragment = client.get(url).content.decode()
    assert '照片和音像（<span class="doc-media-count">1</span>）' in fragment
    assert f"/media/{record.public_id}/" in fragment
    assert login(world.outsider).get(url).status_code == 404
