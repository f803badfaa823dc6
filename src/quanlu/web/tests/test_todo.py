"""The 工作台 as a to-do list per role: each item appears for the persona it waits for,
its link opens (200) the page holding the form that resolves it, and nobody sees
another agency's work."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quanlu.cases import services
from quanlu.cases.models import Stage
from quanlu.org.models import Officer
from quanlu.org.services import api_token_create
from quanlu.records.sample import Staff, make_document
from quanlu.supervision.services import deadlines_sweep
from quanlu.testing import factories as f
from quanlu.web.todo import todo_for


def client_for(officer):
    client = Client()
    client.force_login(officer)
    return client


def items(officer, group):
    return [i for g in todo_for(officer) if g.code == group for i in g.items]


def opens(officer, item, *needles):
    """The item's link answers 200 for ``officer`` and shows what resolves it."""
    path, _, anchor = item.url.partition("#")
    response = client_for(officer).get(path)
    assert response.status_code == 200, item
    text = response.content.decode()
    if anchor:
        assert f'id="{anchor}"' in text, (item, anchor)
    for needle in needles:
        assert needle in text, (item, needle)
    return text


def test_the_handler_sees_what_to_supplement_each_leading_to_its_form(world):
    case = world.open_case(cause="某厂排污案")
    found = items(world.officer, "supplement")
    assert found
    assert all(i.case_number == case.number for i in found)
    for item in found:
        assert item.detail.startswith("《")  # the article in words, no rule id
        assert not re.search(r"[A-Z]+-\d+|\b[a-z]+\.[a-z_]+\b", item.title + item.detail)
        opens(world.officer, item)
    made = [i for i in found if "/documents/new/?type=" in i.url]
    assert made, found
    opens(world.officer, made[0], 'name="client_token"')  # the document's own form
    # Not the handler of that case: nothing to supplement.
    assert items(world.officer2, "supplement") == []


def test_the_reviewer_sees_the_approval_step_and_not_the_handlers_blocks(world):
    case = world.open_case()
    approval = world.request(case, "initiation")
    (item,) = items(world.reviewer, "approve")
    assert item.case_number == case.number
    assert "待审核" in item.title
    opens(world.reviewer, item, f"/approvals/{approval.public_id}/decide/")
    page = client_for(world.reviewer).get("/").content.decode()
    assert "待我审批（1）" in page
    assert "登记新案件" not in page
    assert "我承办的案件" not in page
    # The approver's turn comes after the review.
    assert items(world.approver, "approve") == []
    world.approve_all(approval)
    assert items(world.reviewer, "approve") == []


def test_the_handler_page_keeps_my_cases_and_the_new_case_button(world):
    world.open_case(cause="某厂排污案")
    page = client_for(world.officer).get("/").content.decode()
    assert "我承办的案件" in page
    assert "登记新案件" in page
    assert "某厂排污案" in page


@pytest.mark.parametrize("persona", ["legal", "archivist", "approver"])
def test_other_roles_see_no_handler_sections(world, persona):
    world.open_case()
    client = client_for(getattr(world, persona))
    page = client.get("/").content.decode()
    assert "登记新案件" not in page
    assert "我承办的案件" not in page
    assert "登记新案件" not in client.get("/cases/").content.decode()


def test_a_co_officer_listed_in_a_transcript_sees_it_waiting_for_their_signature(world):
    case = world.open_case()
    staff = Staff(world.officer, world.officer2, world.reviewer, world.legal, world.approver)
    doc = make_document(case, "inquiry_transcript", staff)
    (item,) = [i for i in items(world.officer2, "sign") if str(doc.public_id) in i.url]
    assert "待您签名" in item.title
    opens(world.officer2, item, f"/documents/{doc.public_id}/sign/")
    assert list(items(world.outsider, "sign")) == []


def test_the_archivist_sees_a_case_waiting_for_its_dossier(world):
    case = world.open_case()
    world.advance(case, Stage.ARCHIVING, reason="终止调查：违法事实不能成立")
    (item,) = items(world.archivist, "archive")
    assert item.case_number == case.number
    assert "待归档" in item.title
    opens(world.archivist, item, "组卷")
    assert items(world.officer, "archive") == []


def test_red_deadlines_for_the_handler_and_totals_for_the_supervisor(db):
    w = f.world(f.R002)
    case = services._case_open(
        actor=w.officer,
        at=timezone.now() - dt.timedelta(hours=30),
        emergency=True,
        emergency_reason="证据可能灭失",
        **f.CASE_DEFAULTS,
    )
    deadlines_sweep()
    (late,) = [i for i in items(w.officer, "deadline") if i.case_number == case.number]
    assert late.level == "red"
    opens(w.officer, late)
    (total,) = items(w.superior_supervisor, "subordinate")
    assert w.agency.name in total.title
    assert "红牌 1 项" in total.title
    opens(w.superior_supervisor, total)
    assert items(w.outsider, "subordinate") == []
    assert items(w.outsider, "deadline") == []


def test_the_outsider_sees_nothing_and_cannot_open_the_links(world):
    case = world.open_case()
    world.request(case, "initiation")
    assert todo_for(world.outsider) == []
    for item in items(world.officer, "supplement") + items(world.reviewer, "approve"):
        assert client_for(world.outsider).get(item.url.partition("#")[0]).status_code == 404


def test_the_api_gives_the_same_list(world):
    case = world.open_case()
    world.request(case, "initiation")
    _, raw = api_token_create(actor=world.reviewer, officer=world.reviewer, label="t")
    body = Client().get("/api/v1/todo", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert [g["code"] for g in body] == ["approve"]
    (item,) = body[0]["items"]
    assert item["case_number"] == case.number
    assert item["url"].startswith(f"/cases/{case.public_id}/#approval-")
    _, other = api_token_create(actor=world.outsider, officer=world.outsider, label="t")
    assert Client().get("/api/v1/todo", HTTP_AUTHORIZATION=f"Bearer {other}").json() == []
    assert Client().get("/api/v1/todo").status_code == 401


def _busy_case(world, staff):
    """A case with a transcript waiting for two officers' signatures, an approval
    waiting for review and the findings of a case just opened."""
    case = world.open_case()
    make_document(case, "inquiry_transcript", staff)
    world.request(case, "initiation")
    return case


def _queries(officer):
    fresh = Officer.objects.get(pk=officer.pk)  # no roles cached from an earlier call
    with CaptureQueriesContext(connection) as ctx:
        todo_for(fresh)
    return len(ctx)


def test_the_todo_list_costs_as_many_queries_for_four_cases_as_for_one(world, django_assert_max_num_queries):
    staff = Staff(world.officer, world.officer2, world.reviewer, world.legal, world.approver)
    _busy_case(world, staff)
    personas = (world.officer, world.officer2, world.reviewer, world.archivist, world.approver)
    once = {p.pk: _queries(p) for p in personas}
    for _ in range(3):
        _busy_case(world, staff)
    for persona in personas:
        fresh = Officer.objects.get(pk=persona.pk)
        with django_assert_max_num_queries(once[persona.pk]):
            todo_for(fresh)
    # The list did grow with the cases: the count stayed put for the same work times four.
    assert len(items(world.officer, "sign")) == 4
    assert len(items(world.officer2, "sign")) == 4
    assert len(items(world.reviewer, "approve")) == 4
    assert {i.case_number for i in items(world.officer, "supplement")} == set(
        world.officer.lead_cases.values_list("number", flat=True)
    )
