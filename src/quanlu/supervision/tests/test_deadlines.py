import datetime as dt
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from quanlu.cases import services
from quanlu.cases.models import Stage
from quanlu.ledger.models import Event
from quanlu.supervision.compliance import compliance_rebuild
from quanlu.supervision.models import Alert, Deadline
from quanlu.supervision.services import deadlines_sweep, deadlines_sync
from quanlu.testing import factories as f


def emergency(w, hours_ago):
    return services._case_open(
        actor=w.officer,
        at=timezone.now() - dt.timedelta(hours=hours_ago),
        emergency=True,
        emergency_reason="证据可能灭失",
        **f.CASE_DEFAULTS,
    )


def test_sweep_raises_each_alert_once(db):
    w = f.world(f.R002)
    yellow = emergency(w, 20)
    red = emergency(w, 30)
    first = deadlines_sweep()
    assert sorted((a.deadline.case_id, a.level) for a in first) == sorted(
        [(yellow.pk, "yellow"), (red.pk, "yellow"), (red.pk, "red")]
    )
    assert deadlines_sweep() == []
    assert Alert.objects.count() == 3
    raised = Event.objects.filter(type="supervision:alert:raised")
    assert raised.count() == 3
    assert {e.payload["level"] for e in raised} == {"yellow", "red"}


def test_met_deadlines_raise_nothing(db):
    w = f.world(f.R004)
    case = emergency(w, 20)
    w.grant_gate(case, "initiation")
    assert deadlines_sweep() == []


def test_archiving_deadline_opens_on_entering_archiving_and_is_met_on_closing(world):
    case = world.open_case()
    world.advance(case, Stage.ARCHIVING, reason="不予立案")
    deadline = Deadline.objects.get(case=case, kind="archive")
    assert deadline.due_at - deadline.starts_at == dt.timedelta(days=30)
    assert deadline.article == "004_b4c2f06b7eb1ab1e.txt 第二十五条"
    world.advance(case, Stage.CLOSED)
    deadline.refresh_from_db()
    assert deadline.met_at is not None


def test_sync_is_idempotent(world):
    case = emergency(world, 1)
    deadlines_sync(actor=None, case=case)
    deadlines_sync(actor=None, case=case)
    assert Deadline.objects.filter(case=case).count() == 1
    assert Event.objects.filter(case_uid=case.public_id, type="supervision:deadline:opened").count() == 1


def test_sweep_command_prints_alerts(db):
    w = f.world(f.R003)
    emergency(w, 30)
    out = StringIO()
    call_command("deadlines", "sweep", stdout=out)
    assert "红牌逾期" in out.getvalue()


def test_alerts_on_dashboard_and_api_visible_to_supervisors_only_in_their_area(world):
    from django.test import Client

    from quanlu.org.services import api_token_create

    case = emergency(world, 30) if world.rulebook != f.R001 else None
    deadlines_sweep()
    client = Client()
    client.force_login(world.justice_supervisor)
    assert "红牌逾期" in client.get("/").content.decode()
    _, raw = api_token_create(actor=world.outsider, officer=world.outsider, label="t")
    assert client.get("/api/v1/alerts", HTTP_AUTHORIZATION=f"Bearer {raw}").json() == []
    _, mine = api_token_create(actor=world.officer, officer=world.officer, label="t")
    body = client.get("/api/v1/alerts?level=red", HTTP_AUTHORIZATION=f"Bearer {mine}").json()
    assert [a["case_number"] for a in body] == [case.number]


def test_supervision_overview_shows_agencies_in_the_area_and_their_breaches(db):
    from django.test import Client

    w = f.world(f.R002)
    late = emergency(w, 30)
    deadlines_sweep()
    compliance_rebuild()  # the test's writes never commit, so nothing refreshed after them
    client = Client()
    client.force_login(w.justice_supervisor)
    text = client.get("/supervision/").content.decode()
    assert w.agency.name in text
    assert w.superior.name in text
    assert w.other.name not in text
    assert late.number in text
    assert "补报立案（程序启动）审批已逾期" in text
    assert "最常不符合的条款" in text  # which obligations are broken most, where
    assert "》第" in text.split("最常不符合的条款")[1]
    client.force_login(w.outsider)
    outsider_view = client.get("/supervision/").content.decode()
    assert late.number not in outsider_view
