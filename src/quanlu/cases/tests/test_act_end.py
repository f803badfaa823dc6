"""The end of the enforcement act (执法行为终结): recorded once as a dated, ledgered
fact, corrected only by a new row with its reason, never in the future; the archive
deadline runs from it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from quanlu.cases import events
from quanlu.cases.models import ActEnd
from quanlu.cases.services import case_act_end
from quanlu.cases.tests.helpers import events_of
from quanlu.core.errors import InvalidInput, PermissionDenied
from quanlu.rulebooks.providers import gather
from quanlu.supervision.models import Deadline
from quanlu.testing import factories as f


def test_recorded_once_then_corrected_by_a_new_row_with_its_reason(db):
    world = f.world(f.R003)
    case = world.open_case()
    today = timezone.localdate()
    first = case_act_end(actor=world.officer, case=case, ended_on=today, kind="executed")
    assert gather(case).case.act_ended_on == today
    [event] = events_of(case, events.ACT_ENDED)
    assert event.payload["ended_on"] == today.isoformat()
    # The archive deadline opens with it: the end of the 30th day after.
    deadline = Deadline.objects.get(case=case, kind="archive")
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    assert deadline.due_at == midnight + dt.timedelta(days=31)
    assert deadline.article.endswith("第二十八条")

    with pytest.raises(InvalidInput) as exc:
        case_act_end(actor=world.officer, case=case, ended_on=today, kind="concluded")
    assert exc.value.details[0]["field"] == "reason"
    second = case_act_end(
        actor=world.officer, case=case, ended_on=today, kind="concluded", reason="误选终结情形。"
    )
    assert second.replaces == first
    assert second.correction_reason == "误选终结情形。"
    first.refresh_from_db()
    assert first.kind == "executed"  # the first record stands as it was
    assert ActEnd.objects.filter(case=case).count() == 2
    [corrected] = events_of(case, events.ACT_END_CORRECTED)
    assert corrected.payload["reason"] == "误选终结情形。"


def test_the_end_cannot_be_in_the_future_nor_before_the_start(db):
    world = f.world(f.R001)
    case = world.open_case()
    today = timezone.localdate()
    for day in (today + dt.timedelta(days=1), today - dt.timedelta(days=1)):
        with pytest.raises(InvalidInput) as exc:
            case_act_end(actor=world.officer, case=case, ended_on=day, kind="executed")
        assert exc.value.details[0]["field"] == "ended_on"
    assert not ActEnd.objects.filter(case=case).exists()


def test_only_the_agencys_case_workers_record_it(db):
    world = f.world(f.R001)
    case = world.open_case()
    for actor in (world.outsider, world.archivist):
        with pytest.raises(PermissionDenied):
            case_act_end(actor=actor, case=case, ended_on=timezone.localdate(), kind="executed")


def test_over_the_api_a_correction_without_its_reason_is_422_and_outsiders_404(db):
    from django.test import Client

    from quanlu.api.tests.test_api import bearer, post

    world = f.world(f.R004)
    case = world.open_case()
    client = Client()
    url = f"/api/v1/cases/{case.public_id}/act-end"
    today = timezone.localdate().isoformat()
    body = {"ended_on": today, "kind": "executed"}
    assert post(client, url, body, bearer(world.outsider)).status_code == 404
    first = post(client, url, body, bearer(world.officer))
    assert first.status_code == 201
    assert first.json()["kind_label"] == "执行完毕"
    again = post(client, url, body, bearer(world.officer))
    assert again.status_code == 422
    assert again.json()["details"][0]["field"] == "reason"
    fixed = post(client, url, {**body, "reason": "重复登记前核对。"}, bearer(world.officer))
    assert fixed.status_code == 201
    assert fixed.json()["replaces"] == first.json()["id"]


def test_recorded_after_the_move_into_archiving_the_running_deadline_is_counted_again(db):
    from quanlu.cases.models import Stage
    from quanlu.ledger.models import Event
    from quanlu.supervision import events as supervision_events

    world = f.world(f.R002)
    case = world.open_case()
    world.advance(case, Stage.ARCHIVING, reason="不予立案。")
    opened = Deadline.objects.get(case=case, kind="archive")
    assert opened.starts_at == case.transitions.last().at  # no end recorded: the move stands for it
    today = timezone.localdate()
    case_act_end(actor=world.officer, case=case, ended_on=today, kind="terminated")
    moved = Deadline.objects.get(case=case, kind="archive")
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    assert (moved.starts_at, moved.due_at) == (midnight, midnight + dt.timedelta(days=31))
    [event] = Event.objects.filter(case_uid=case.public_id, type=supervision_events.DEADLINE_MOVED.name)
    assert event.payload["anchor"] == f"执法行为终结之日（{today:%Y-%m-%d}）"
    assert event.payload["was"]["due_at"]  # what it ran from before stays in the record


def test_a_deadline_met_on_time_from_a_wrong_act_end_is_late_once_the_end_is_corrected(db):
    # Archived on day 40 of the act: on time from an end wrongly recorded 5 days ago,
    # late from the corrected end 40 days ago (30 days, 004 第二十五条). The correction and
    # the recount are both events; the first judgement stays in the record.
    from quanlu.cases.models import Case, Stage
    from quanlu.ledger.models import Event
    from quanlu.supervision import events as supervision_events
    from quanlu.supervision.services import deadline_meet

    world = f.world(f.R004)
    case = world.open_case()
    Case.objects.filter(pk=case.pk).update(started_at=timezone.now() - dt.timedelta(days=60))
    world.advance(case, Stage.ARCHIVING, reason="不予立案。")
    today = timezone.localdate()
    case_act_end(actor=world.officer, case=case, ended_on=today - dt.timedelta(days=5), kind="terminated")
    deadline = deadline_meet(
        actor=world.archivist, deadline=Deadline.objects.get(case=case, kind="archive"), at=timezone.now()
    )
    assert deadline.status_label(timezone.now()) == "按期完成"
    [met] = Event.objects.filter(case_uid=case.public_id, type=supervision_events.DEADLINE_MET.name)
    assert met.payload["late"] is False

    case_act_end(
        actor=world.officer,
        case=case,
        ended_on=today - dt.timedelta(days=40),
        kind="terminated",
        reason="终结日期误录，应为送达后执行完毕之日。",
    )
    deadline.refresh_from_db()
    assert deadline.met_at is not None  # met when it was met: only the count changed
    assert deadline.status_label(timezone.now()) == "逾期完成"
    midnight = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=40), dt.time()))
    assert deadline.due_at == midnight + dt.timedelta(days=31)
    [corrected] = events_of(case, events.ACT_END_CORRECTED)
    assert corrected.payload["was"] == (today - dt.timedelta(days=5)).isoformat()
    moved = Event.objects.filter(case_uid=case.public_id, type=supervision_events.DEADLINE_MOVED.name)
    recount = moved.order_by("pk").last()
    assert recount is not None
    assert recount.pk > corrected.pk
    assert (recount.payload["was"]["late"], recount.payload["late"]) == (False, True)
    assert recount.payload["anchor"] == f"执法行为终结之日（{today - dt.timedelta(days=40):%Y-%m-%d}）"
    met.refresh_from_db()
    assert met.payload["late"] is False  # what was judged then stays as it was
