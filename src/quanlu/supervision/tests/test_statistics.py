"""Statistics per agency (/api/v1/statistics/agencies): grouped counts that agree with the
rows they count, within the reader's tree and period, and nothing of other trees."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from quanlu.cases.models import Case
from quanlu.org import services as org
from quanlu.org.services import api_token_create
from quanlu.supervision.models import Deadline
from quanlu.supervision.services import rectification_order_issue
from quanlu.supervision.statistics import statistics_for
from quanlu.testing import factories as f


def test_the_figures_agree_with_the_rows_and_stay_in_the_tree_and_the_period(db):
    w = f.world(f.R002)
    w.open_case()
    w.open_case(kind="inspection")
    w.open_case(procedure="simplified")
    w.open_case(actor=w.outsider)
    today = timezone.localdate()
    f.officer(w.agency, "officer", name="过期证人员")  # valid, for contrast
    org.officer_create(
        actor=None,
        agency=w.agency,
        username="expired1",
        full_name="证件过期",
        password=f.PASSWORD,
        roles=["officer"],
        certificate_no="E0000001",
        certificate_valid_from=today - dt.timedelta(days=400),
        certificate_valid_until=today - dt.timedelta(days=1),
    )
    org.officer_create(
        actor=None,
        agency=w.agency,
        username="soon1",
        full_name="证件将到期",
        password=f.PASSWORD,
        roles=["officer"],
        certificate_no="E0000002",
        certificate_valid_from=today - dt.timedelta(days=300),
        certificate_valid_until=today + dt.timedelta(days=10),
    )
    rectification_order_issue(
        actor=w.superior_supervisor,
        agency=w.agency,
        findings="未全程记录。",
        requirements="补齐。",
        due_at=timezone.now() + dt.timedelta(days=5),
    )

    rows = {r["agency"].pk: r for r in statistics_for(w.superior_supervisor)}
    assert w.other.pk not in rows
    home = rows[w.agency.pk]
    assert home["cases"] == Case.objects.filter(agency=w.agency).count() == 3
    assert home["by_kind"]["inspection"] == 1
    assert home["by_kind"]["penalty"] == 2
    assert home["by_procedure"] == {
        "general": 2,
        "simplified": 1,
        **{k: 0 for k in home["by_procedure"] if k not in ("general", "simplified")},
    }
    assert sum(home["by_stage"].values()) == 3
    open_deadlines = Deadline.objects.filter(agency=w.agency, met_at__isnull=True).count()
    assert home["deadlines"]["open"] == open_deadlines
    assert home["rectification"] == {"issued": 1, "open": 1, "overdue": 0}
    certs = home["certificates"]
    assert certs["expired"] == 1
    assert certs["expiring"] == 1
    assert certs["holders"] == w.agency.officers.exclude(certificate_no="").filter(is_active=True).count()
    assert rows[w.superior.pk]["cases"] == 0

    # A period that ends before the cases started counts none of them.
    before = statistics_for(w.superior_supervisor, until=timezone.now() - dt.timedelta(days=1))
    assert all(r["cases"] == 0 for r in before)


def test_the_api_filters_by_tree_and_period_and_refuses_what_it_may_not_show(db):
    w = f.world(f.R001)
    w.open_case()
    client = Client()

    def auth(officer):
        _, raw = api_token_create(actor=officer, officer=officer, label="t")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    sup = auth(w.superior_supervisor)
    rows = client.get("/api/v1/statistics/agencies", **sup).json()
    assert {r["agency"]["name"] for r in rows} == {w.agency.name, w.superior.name}
    home = client.get("/api/v1/statistics/agencies", {"agency": str(w.agency.public_id)}, **sup).json()
    assert [r["agency"]["name"] for r in home] == [w.agency.name]
    assert home[0]["cases"] == 1
    assert home[0]["by_stage"]["initiation"] == 1
    later = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    assert client.get("/api/v1/statistics/agencies", {"since": later}, **sup).json()[0]["cases"] == 0
    bad = client.get("/api/v1/statistics/agencies", {"since": later, "until": later}, **sup)
    assert bad.status_code == 422
    other = client.get("/api/v1/statistics/agencies", {"agency": str(w.other.public_id)}, **sup)
    assert other.status_code == 404
    outsider_rows = client.get("/api/v1/statistics/agencies", **auth(w.outsider)).json()
    assert [r["agency"]["name"] for r in outsider_rows] == [w.other.name]
