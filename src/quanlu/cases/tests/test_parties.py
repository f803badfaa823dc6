"""Parties, complaints and applications."""

import uuid

import pytest

from quanlu.cases import services
from quanlu.cases.models import (
    ApplicationEvent,
    Complaint,
    Party,
)
from quanlu.cases.tests.helpers import events_of
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.ledger.models import Event
from quanlu.testing import factories as f

# ---------------------------------------------------------------- parties


def test_party_add_validates_id_numbers(world):
    case = world.open_case()
    person = services.party_add(
        actor=world.officer,
        case=case,
        kind="person",
        name="王某",
        id_type="resident_id",
        id_number=f.resident_id().lower(),
    )
    assert person.id_number == f.resident_id()
    (event,) = events_of(case, "case:party:added")
    assert event.payload["id_number"] == person.id_number
    with pytest.raises(InvalidInput, match="校验位"):
        services.party_add(
            actor=world.officer,
            case=case,
            kind="person",
            name="李某",
            id_type="resident_id",
            id_number="110105194912310021",
        )
    with pytest.raises(InvalidInput, match="法定代表人"):
        services.party_add(
            actor=world.officer,
            case=case,
            kind="organisation",
            name="某公司",
            id_type="uscc",
            id_number=f.uscc(),
        )
    with pytest.raises(InvalidInput, match="自然人不能"):
        services.party_add(
            actor=world.officer, case=case, kind="person", name="赵某", id_type="uscc", id_number=f.uscc()
        )


def test_the_same_party_twice_is_refused_and_a_replayed_form_is_idempotent(world):
    case = world.open_case()
    token = uuid.uuid4()
    fields = {
        "kind": "organisation",
        "name": "某公司",
        "id_type": "uscc",
        "id_number": f.uscc(),
        "legal_representative": "张某",
    }
    a = services.party_add(actor=world.officer, case=case, client_token=token, **fields)
    assert services.party_add(actor=world.officer, case=case, client_token=token, **fields).pk == a.pk
    with pytest.raises(Conflict, match="已在本案登记"):
        services.party_add(actor=world.officer, case=case, **fields)
    assert Party.objects.filter(case=case).count() == 1


def test_outsider_cannot_add_a_party(world):
    with pytest.raises(PermissionDenied):
        services.party_add(
            actor=world.outsider,
            case=world.open_case(),
            kind="person",
            name="王某",
            id_type="resident_id",
            id_number=f.resident_id(),
        )


# ---------------------------------------------------------------- complaints


def test_a_named_complaint_not_taken_up_records_how_the_complainant_was_told(world):
    c = services.complaint_register(
        actor=world.officer, named=True, complainant_name="马某", channel="电话", content="反映某厂排污。"
    )
    with pytest.raises(Refused, match="告知方式") as exc:
        services.complaint_decline(actor=world.officer, complaint=c, reason="未发现违法行为。")
    assert exc.value.findings[0].article == "004_b4c2f06b7eb1ab1e.txt 第十条"
    services.complaint_decline(
        actor=world.officer,
        complaint=c,
        reason="未发现违法行为。",
        notify_method="电话",
        notify_content="已告知核查结果。",
    )
    c.refresh_from_db()
    assert c.status == "declined"
    assert c.notified_at is not None
    event = Event.objects.filter(type="case:complaint:declined").get()
    assert event.payload["notify_method"] == "电话"


def test_an_anonymous_complaint_may_be_declined_without_notice(world):
    c = services.complaint_register(actor=world.officer, named=False, channel="信件", content="举报偷排。")
    services.complaint_decline(actor=world.officer, complaint=c, reason="线索不具体。")
    c.refresh_from_db()
    assert c.notified_at is None


def test_a_complaint_taken_up_opens_a_linked_case_once(world):
    c = services.complaint_register(
        actor=world.officer, named=True, complainant_name="马某", channel="12345", content="反映某厂排污。"
    )
    case = services.complaint_initiate(
        actor=world.officer,
        complaint=c,
        kind="penalty",
        procedure="general",
        cause="某厂排污案",
        reason="投诉属实。",
    )
    assert case.initiation_mode == "complaint"
    assert case.source == "complaint"
    c.refresh_from_db()
    assert c.case == case
    with pytest.raises(Conflict, match="已处理"):
        services.complaint_decline(
            actor=world.officer, complaint=c, reason="x", notify_method="电话", notify_content="x"
        )
    assert Complaint.objects.get().status == "initiated"


def test_named_complaints_need_a_name(world):
    with pytest.raises(InvalidInput, match="投诉人、举报人"):
        services.complaint_register(actor=world.officer, named=True, channel="电话", content="内容")


# ---------------------------------------------------------------- applications


def test_application_intake_events_are_recorded_in_order(world):
    case = world.open_case(kind="licensing", initiation_mode="on_application", source="application")
    services.application_event_record(actor=world.officer, case=case, kind="registered", detail="窗口登记。")
    with pytest.raises(Refused, match="一次性告知"):  # 004 第八条 (see below)
        services.application_event_record(actor=world.officer, case=case, kind="supplement_notice")
    services.application_event_record(
        actor=world.officer, case=case, kind="supplement_notice", items=["身份证明", "总平面图"]
    )
    services.application_event_record(actor=world.officer, case=case, kind="accepted")
    with pytest.raises(Conflict, match="已作出受理"):
        services.application_event_record(actor=world.officer, case=case, kind="rejected")
    kinds = list(ApplicationEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["registered", "supplement_notice", "accepted"]
    assert len(events_of(case, "case:application:recorded")) == 3


@pytest.mark.parametrize("rulebook", [f.R004, f.R002, f.R000])
def test_a_supplement_notice_listing_nothing_cites_the_one_time_notice_where_the_text_asks_it(db, rulebook):
    # 004 第八条 and 002 第五条 ask the 一次性告知 recorded with everything to supplement;
    # 000 says nothing of it, and an empty notice is the form's own error there.
    w = f.world(rulebook)
    case = w.open_case(kind="licensing", initiation_mode="on_application", source="application")
    with pytest.raises((InvalidInput, Refused)) as exc:
        services.application_event_record(actor=w.officer, case=case, kind="supplement_notice")
    assert exc.value.message == "一次性告知应列明需补正的全部内容。"
    assert exc.value.status == 422
    assert not case.application_events.exists()
    if rulebook == f.R000:
        assert not isinstance(exc.value, Refused)
        assert exc.value.details == [{"field": "items", "message": "一次性告知应列明需补正的全部内容。"}]
        return
    assert isinstance(exc.value, Refused)
    assert exc.value.code == "items_required"
    (finding,) = exc.value.findings
    article = {f.R004: "第八条", f.R002: "第五条"}[rulebook]
    assert (finding.rule, finding.article, finding.field) == (
        "init.one_time_notice",
        f"{rulebook}.txt {article}",
        "items",
    )
    assert finding.quote == "一次性告知申请人需补正的全部内容"
    assert finding.satisfy == "在「补正事项」中逐项列明需补正的全部内容。"


def test_application_events_only_for_application_cases(world):
    with pytest.raises(Conflict, match="依申请"):
        services.application_event_record(actor=world.officer, case=world.open_case(), kind="registered")


@pytest.mark.parametrize(
    ("rulebook", "required"),
    [(f.R000, False), (f.R001, False), (f.R002, True), (f.R003, True), (f.R004, True)],
)
def test_only_some_regulations_require_telling_a_named_complainant(db, rulebook, required):
    w = f.world(rulebook)
    c = services.complaint_register(
        actor=w.officer, named=True, complainant_name="马某", channel="电话", content="反映某厂排污。"
    )
    if required:
        with pytest.raises(Refused) as exc:
            services.complaint_decline(actor=w.officer, complaint=c, reason="未发现违法行为。")
        assert exc.value.findings[0].rulebook == rulebook
    else:
        services.complaint_decline(actor=w.officer, complaint=c, reason="未发现违法行为。")
        c.refresh_from_db()
        assert c.status == "declined"
