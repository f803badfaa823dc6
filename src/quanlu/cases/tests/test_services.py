import uuid

import pytest
from django.utils import timezone

from quanlu.cases import services
from quanlu.cases.models import (
    Case,
    Stage,
    StageTransition,
)
from quanlu.cases.tests.helpers import case_at, events_of
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.ledger.models import Event
from quanlu.testing import factories as f

# ---------------------------------------------------------------- case_open


def test_case_open_numbers_cases_per_agency_and_year(world):
    first = world.open_case()
    second = world.open_case()
    year = timezone.localdate().year
    prefix = world.agency.case_prefix
    assert first.number == f"{prefix}〔{year}〕1号"
    assert second.number == f"{prefix}〔{year}〕2号"
    other = world.open_case(actor=world.outsider)
    assert other.number == f"{world.other.case_prefix}〔{year}〕1号"


def test_case_open_records_everything_in_one_event(world):
    case = world.open_case(summary="基本案情。")
    assert case.stage == Stage.INITIATION
    assert case.rulebook_id == world.rulebook
    (opened,) = events_of(case, "case:case:opened")
    assert opened.actor == world.officer
    assert opened.agency == world.agency
    assert opened.payload["number"] == case.number
    assert opened.payload["cause"] == case.cause
    assert opened.payload["summary"] == "基本案情。"
    assert StageTransition.objects.filter(case=case, to_stage=Stage.INITIATION).count() == 1


def test_case_open_with_the_same_token_twice_opens_one_case(world):
    token = uuid.uuid4()
    a = world.open_case(client_token=token)
    b = world.open_case(client_token=token)
    assert a.pk == b.pk
    assert Case.objects.count() == 1
    assert len(events_of(a, "case:case:opened")) == 1


def test_a_token_used_by_someone_else_is_refused(world):
    token = uuid.uuid4()
    world.open_case(client_token=token)
    with pytest.raises(Conflict, match="提交标识"):
        world.open_case(actor=world.officer2, client_token=token)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cause", "", "「案由」为必填项"),
        ("cause", "案" * 201, "「案由」不能超过200个字"),
        ("reason", "   ", "「启动原因」为必填项"),
        ("kind", "parking", "「执法类别」的取值无效"),
        ("procedure", None, "「程序」的取值无效"),
        ("cause", 42, "「案由」应为文字"),
        ("cause", "排污\x00案", "控制字符"),
    ],
)
def test_case_open_validates_with_chinese_messages(world, field, value, message):
    with pytest.raises(InvalidInput, match=message):
        world.open_case(**{field: value})
    assert Case.objects.count() == 0
    assert not Event.objects.filter(type="case:case:opened").exists()


def test_case_open_refuses_a_kind_the_rulebook_does_not_cover(db):
    # 004 (Liaoning) lists no 行政收费; 002 does (GEN-01).
    w004 = f.world(f.R004)
    with pytest.raises(InvalidInput, match="未规定「行政收费」"):
        w004.open_case(kind="fee")
    w002 = f.world(f.R002)
    assert w002.open_case(kind="fee").kind == "fee"


def test_000_does_not_close_the_list_of_action_types(db):
    w = f.world(f.R000)
    assert w.open_case(kind="fee").kind == "fee"


@pytest.mark.parametrize("persona", ["archivist", "keeper", "approver", "justice_supervisor"])
def test_only_case_workers_of_an_enforcement_agency_open_cases(world, persona):
    with pytest.raises(PermissionDenied):
        world.open_case(actor=getattr(world, persona))


def test_emergency_needs_a_reason_and_not_simplified(world):
    with pytest.raises(InvalidInput, match="紧急情况说明"):
        world.open_case(emergency=True)
    with pytest.raises(InvalidInput, match="简易程序"):
        world.open_case(emergency=True, emergency_reason="证据可能灭失", procedure="simplified")


# ---------------------------------------------------------------- transitions


ALLOWED = [
    (Stage.INITIATION, Stage.INVESTIGATION),
    (Stage.INITIATION, Stage.ARCHIVING),
    (Stage.INVESTIGATION, Stage.DECISION),
    (Stage.INVESTIGATION, Stage.ARCHIVING),
    (Stage.DECISION, Stage.SERVICE),
    (Stage.SERVICE, Stage.EXECUTION),
    (Stage.SERVICE, Stage.ARCHIVING),
    (Stage.EXECUTION, Stage.ARCHIVING),
    (Stage.ARCHIVING, Stage.CLOSED),
]


def test_the_transitions_table_is_exactly_the_allowed_list():
    assert sorted(services.TRANSITIONS) == sorted(ALLOWED)


@pytest.mark.parametrize(("frm", "to"), ALLOWED)
def test_every_allowed_transition(world, frm, to):
    case = case_at(world, frm)
    if (frm, to) == (Stage.DECISION, Stage.SERVICE):
        world.grant_gate(case, "decision")
    if (frm, to) == (Stage.INITIATION, Stage.INVESTIGATION):
        world.grant_gate(case, "initiation")
    reason = "不予立案的理由" if services.TRANSITIONS[(frm, to)].reason_required else ""
    world.prepare(case, to)  # the records the rulebook asks for this move
    transition = services.case_advance(
        actor=world.officer, case=case, to_stage=to, from_stage=frm, reason=reason
    )
    case.refresh_from_db()
    assert case.stage == to
    assert transition.from_stage == frm
    (event,) = [e for e in events_of(case, "case:stage:advanced") if e.payload["to"] == to]
    payload = dict(event.payload)
    # The event commits the case's row (its new stage) and the transition it wrote.
    assert sorted(payload.pop("rows")) == [
        f"cases.case/{case.public_id}",
        f"cases.stagetransition/{transition.public_id}",
    ]
    assert payload == {"from": frm, "to": to, "reason": reason}
    if to == Stage.CLOSED:
        assert case.closed_at is not None


REFUSED = [(a, b) for a in Stage.values for b in Stage.values if (a, b) not in ALLOWED and a != Stage.CLOSED]


@pytest.mark.parametrize(("frm", "to"), REFUSED)
def test_every_other_transition_is_refused(world, frm, to):
    case = case_at(world, frm)
    before = Event.objects.count()
    with pytest.raises(Refused) as exc:
        services.case_advance(actor=world.officer, case=case, to_stage=to)
    assert exc.value.code == "transition_not_allowed"
    case.refresh_from_db()
    assert case.stage == frm
    assert Event.objects.count() == before


@pytest.mark.parametrize("to", Stage.values)
def test_a_closed_case_moves_nowhere(world, to):
    case = case_at(world, Stage.CLOSED)
    with pytest.raises(Conflict, match="已结案"):
        services.case_advance(actor=world.officer, case=case, to_stage=to)


def test_a_termination_needs_a_reason(world):
    case = world.open_case()
    with pytest.raises(InvalidInput, match="「理由」为必填项"):
        services.case_advance(actor=world.officer, case=case, to_stage=Stage.ARCHIVING)


def test_a_stale_page_cannot_advance_twice(world):
    case = world.open_case()
    world.grant_gate(case, "initiation")
    world.prepare(case, Stage.INVESTIGATION)
    services.case_advance(
        actor=world.officer, case=case, to_stage=Stage.INVESTIGATION, from_stage=Stage.INITIATION
    )
    with pytest.raises(Conflict, match="已处于「调查取证」"):
        services.case_advance(
            actor=world.officer, case=case, to_stage=Stage.INVESTIGATION, from_stage=Stage.INITIATION
        )


def test_an_unknown_stage_is_invalid(world):
    with pytest.raises(InvalidInput, match="目标阶段"):
        services.case_advance(actor=world.officer, case=world.open_case(), to_stage="limbo")


@pytest.mark.parametrize("persona", ["outsider", "superior_supervisor", "justice_supervisor", "archivist"])
def test_others_may_not_advance(world, persona):
    case = world.open_case()
    with pytest.raises(PermissionDenied):
        services.case_advance(actor=getattr(world, persona), case=case, to_stage=Stage.ARCHIVING, reason="x")
