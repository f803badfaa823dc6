"""整改通知 (SUP-04): who may order an agency to rectify under each regulation,
the time limit, the response, acceptance or return, and the deadline's alerts."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from quanlu.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied, Refused
from quanlu.ledger.models import Event
from quanlu.org.models import Role
from quanlu.org.services import api_token_create
from quanlu.rulebooks.coverage import coverage
from quanlu.rulebooks.loader import get_rulebook
from quanlu.supervision import services as sv
from quanlu.supervision.models import Alert, Deadline, RectificationStatus
from quanlu.supervision.selectors import orderable_agencies
from quanlu.supervision.services import deadlines_sweep
from quanlu.testing import factories as f

FINDINGS = "抽查案卷发现现场检查未进行音像记录。"
ASK = "补齐音像记录制度，组织执法人员培训。"


def issue(w, actor=None, agency=None, **kw):
    kw.setdefault("due_at", timezone.now() + dt.timedelta(days=30))
    return sv.rectification_order_issue(
        actor=actor or w.superior_supervisor,
        agency=agency or w.agency,
        findings=FINDINGS,
        requirements=ASK,
        **kw,
    )


@pytest.mark.parametrize("rulebook", [f.R001, f.R002, f.R003, f.R004])
def test_the_superior_agencys_supervisor_may_order_rectification(db, rulebook):
    w = f.world(rulebook)
    order = issue(w)
    assert order.status == RectificationStatus.ISSUED
    assert order.issuer_basis == ("parent_agency" if rulebook == f.R001 else "superior_agency")
    article = {f.R001: "第三十三条", f.R002: "第三十四条", f.R003: "第三十八条", f.R004: "第三十条"}[rulebook]
    assert order.article.endswith(article)
    assert order.quote in get_rulebook(rulebook).rule("sup.rectification").citation.quote
    event = Event.objects.get(type="supervision:rectification:issued")
    assert event.agency == w.agency
    assert event.payload["order"] == str(order.public_id)
    assert Deadline.objects.get(kind="rectification", subject=order.public_id.hex).case is None


def test_000_has_no_article_to_order_rectification(db):
    w = f.world(f.R000)
    with pytest.raises(DomainError) as exc:
        issue(w)
    assert exc.value.code == "no_rectification_article"
    assert "没有责令整改的条款" in exc.value.message
    assert get_rulebook(f.R000).title in exc.value.message
    assert not Event.objects.filter(type="supervision:rectification:issued").exists()


def test_justice_bureau_may_not_order_under_001(db):
    w = f.world(f.R001)
    with pytest.raises(Refused) as exc:
        issue(w, actor=w.justice_supervisor, agency=w.superior)
    assert "第三十三条" in exc.value.message
    assert "上一级行政机关或有关部门" in exc.value.message
    assert exc.value.findings[0].article.endswith("第三十三条")


def test_same_level_justice_bureau_may_order_under_004_but_not_a_lower_levels_agency(db):
    w = f.world(f.R004)
    # The city's justice bureau is the 本级政府司法行政部门 of the city agency…
    order = issue(w, actor=w.justice_supervisor, agency=w.superior)
    assert order.issuer_basis == "same_level_justice"
    # …not of the county agency below it, whose own county bureau is.
    with pytest.raises(Refused, match="本级政府司法行政部门"):
        issue(w, actor=w.justice_supervisor)
    county_justice = f.agency(reg=w.agency.region, kind="justice")
    county = f.officer(county_justice, Role.SUPERVISOR, certificate=False)
    assert issue(w, actor=county).issuer_basis == "same_level_justice"


def test_justice_bureau_may_not_order_under_002_or_003(db):
    for rulebook in (f.R002, f.R003):
        w = f.world(rulebook)
        with pytest.raises(Refused):
            issue(w, actor=w.justice_supervisor, agency=w.superior)


def test_outsider_gets_404_and_non_supervisors_403(db):
    w = f.world(f.R002)
    with pytest.raises(NotFound):
        issue(w, actor=w.outsider)
    with pytest.raises(PermissionDenied):
        issue(w, actor=w.approver, agency=w.agency)
    order = issue(w)
    with pytest.raises(NotFound):
        sv.rectification_order_respond(actor=w.outsider, order=order, measures="无")


def test_due_date_required_under_002_but_not_001(db):
    w2 = f.world(f.R002)
    with pytest.raises(Refused) as exc:
        issue(w2, due_at=None)
    assert "限期" in exc.value.message
    (finding,) = exc.value.findings
    assert (finding.rule, finding.article, finding.field) == (
        "sup.rectification",
        f"{f.R002}.txt 第三十四条",
        "due_at",
    )
    assert finding.satisfy == "确定整改期限。"
    assert exc.value.details[0]["field"] == "due_at"
    w1 = f.world(f.R001)
    order = issue(w1, due_at=None)
    assert order.due_at is None
    assert not Deadline.objects.filter(kind="rectification").exists()


def test_order_names_cases_and_their_rule_findings_with_citations(db):
    w = f.world(f.R002)
    case = w.open_case()
    other = w.open_case()
    order = issue(w, cases=[case])
    assert order.cases == [{"id": str(case.public_id), "number": case.number}]
    assert order.rule_findings is not None
    for finding in order.rule_findings:
        assert finding["case"] == case.number
        assert finding["article"].startswith("第")
    with pytest.raises(InvalidInput):
        issue(w, cases=[f.world(f.R002).open_case()])
    assert other.number not in str(order.cases)


def test_overdue_order_raises_a_red_alert_in_the_sweep(db, monkeypatch):
    w = f.world(f.R003)
    order = issue(w, due_at=timezone.now() + dt.timedelta(hours=4))
    assert deadlines_sweep() == []
    later = timezone.now() + dt.timedelta(hours=5)
    raised = deadlines_sweep(now=later)
    assert {(a.deadline.subject, a.level) for a in raised} == {
        (order.public_id.hex, "yellow"),
        (order.public_id.hex, "red"),
    }
    assert deadlines_sweep(now=later) == []
    # The agency's head sees it on the dashboard; the supervisors on the overview.
    monkeypatch.setattr(timezone, "now", lambda: later)
    client = Client()
    client.force_login(w.approver)
    page = client.get("/").content.decode()
    assert "红牌逾期" in page
    assert "整改通知" in page
    client.force_login(w.superior_supervisor)
    overview = client.get("/supervision/").content.decode()
    assert 'class="tag red"' in overview
    assert "未结整改通知" in overview


def test_respond_return_respond_again_accept_and_no_second_acceptance(db):
    w = f.world(f.R004)
    order = issue(w)
    with pytest.raises(Conflict, match="尚未报告"):
        sv.rectification_order_accept(actor=w.superior_supervisor, order=order)
    with pytest.raises(PermissionDenied):
        sv.rectification_order_respond(actor=w.officer, order=order, measures="已整改")
    sv.rectification_order_respond(actor=w.approver, order=order, measures="已补录音像记录。")
    assert order.status == RectificationStatus.RESPONDED
    with pytest.raises(Conflict):
        sv.rectification_order_respond(actor=w.approver, order=order, measures="再报")
    with pytest.raises(PermissionDenied):  # only the issuing agency accepts
        sv.rectification_order_accept(actor=w.justice_supervisor, order=order)
    with pytest.raises(InvalidInput):
        sv.rectification_order_return(actor=w.superior_supervisor, order=order, opinion=" ")
    sv.rectification_order_return(actor=w.superior_supervisor, order=order, opinion="未见培训记录。")
    assert order.status == RectificationStatus.RETURNED
    second = sv.rectification_order_respond(actor=w.approver2, order=order, measures="已组织培训，附签到表。")
    sv.rectification_order_accept(actor=w.superior_supervisor, order=order, opinion="同意。")
    assert order.status == RectificationStatus.ACCEPTED
    with pytest.raises(Conflict, match="不能重复验收"):
        sv.rectification_order_accept(actor=w.superior_supervisor, order=order)
    with pytest.raises(Conflict):
        sv.rectification_order_respond(actor=w.approver, order=order, measures="又报")
    deadline = Deadline.objects.get(kind="rectification", subject=order.public_id.hex)
    assert deadline.met_at == second.responded_at
    types = list(
        Event.objects.filter(type__startswith="supervision:rectification:")
        .order_by("seq")
        .values_list("type", flat=True)
    )
    assert types == [
        "supervision:rectification:issued",
        "supervision:rectification:responded",
        "supervision:rectification:returned",
        "supervision:rectification:responded",
        "supervision:rectification:accepted",
    ]
    assert deadlines_sweep(now=timezone.now() + dt.timedelta(days=60)) == []
    assert not Alert.objects.exists()


def test_coverage_reports_sup_04_encoded_for_001_to_004():
    for rulebook in (f.R001, f.R002, f.R003, f.R004):
        cov = coverage(get_rulebook(rulebook))
        assert cov.encoded["SUP-04"] == ["sup.rectification"], rulebook
        assert "SUP-04" not in cov.missing
    assert "SUP-04" not in coverage(get_rulebook(f.R000)).encoded
    time_limit = {b: get_rulebook(b).rule("sup.rectification").params["time_limit"] for b in (f.R001, f.R002)}
    assert time_limit == {f.R001: False, f.R002: True}


def test_api_issue_list_respond_accept_and_outsider_404(db):
    w = f.world(f.R002)
    client = Client()

    def auth(officer):
        _, raw = api_token_create(actor=officer, officer=officer, label="t")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}", "content_type": "application/json"}

    sup, head, outsider, justice = (
        auth(w.superior_supervisor),
        auth(w.approver),
        auth(w.outsider),
        auth(w.justice_supervisor),
    )
    body = {"agency": str(w.agency.public_id), "findings": FINDINGS, "requirements": ASK}
    refused = client.post("/api/v1/rectification-orders", body, **sup)
    assert refused.status_code == 422
    assert "第三十四条" in refused.json()["message"]
    due = (timezone.now() + dt.timedelta(days=10)).isoformat()
    created = client.post("/api/v1/rectification-orders", {**body, "due_at": due}, **sup)
    assert created.status_code == 201, created.content
    oid = created.json()["id"]
    assert created.json()["status"] == "issued"
    assert client.post("/api/v1/rectification-orders", {**body, "due_at": due}, **outsider).status_code == 404
    assert client.post("/api/v1/rectification-orders", {**body, "due_at": due}, **justice).status_code == 409
    assert [o["id"] for o in client.get("/api/v1/rectification-orders", **head).json()] == [oid]
    assert client.get("/api/v1/rectification-orders", **outsider).json() == []
    assert client.get(f"/api/v1/rectification-orders/{oid}", **outsider).status_code == 404
    url = f"/api/v1/rectification-orders/{oid}"
    assert client.post(f"{url}/responses", {"measures": "x"}, **outsider).status_code == 404
    assert client.post(f"{url}/responses", {"measures": "已整改。"}, **head).json()["status"] == "responded"
    assert client.post(f"{url}/return", {"opinion": "不充分。"}, **sup).json()["status"] == "returned"
    assert client.post(f"{url}/responses", {"measures": "已再整改。"}, **head).status_code == 201
    assert client.post(f"{url}/accept", {}, **sup).json()["status"] == "accepted"
    again = client.post(f"{url}/accept", {}, **sup)
    assert again.status_code == 409
    assert again.json()["code"] == "already_accepted"


def test_web_form_issue_and_respond(db):
    w = f.world(f.R001)
    client = Client()
    client.force_login(w.superior_supervisor)
    page = client.get("/supervision/orders/").content.decode()
    assert "下达整改通知" in page
    assert w.agency.name in page
    resp = client.post(
        "/supervision/orders/",
        {
            "agency": str(w.agency.public_id),
            "findings": FINDINGS,
            "requirements": ASK,
            "with_rule_findings": "on",
        },
    )
    assert resp.status_code == 302, resp.content.decode()
    order_url = resp["Location"]
    client.force_login(w.approver)
    assert "报告整改情况" in client.get(order_url).content.decode()
    assert client.post(order_url, {"action": "respond", "measures": "已整改。"}).status_code == 302
    client.force_login(w.superior_supervisor)
    text = client.get(order_url).content.decode()
    assert "待验收" in text
    assert "验收通过" in text
    client.force_login(w.outsider)
    assert client.get(order_url).status_code == 404
    client.force_login(w.justice_supervisor)
    refused = client.post(
        "/supervision/orders/",
        {"agency": str(w.superior.public_id), "findings": FINDINGS, "requirements": ASK},
    ).content.decode()
    assert "第三十三条" in refused


def test_the_form_offers_only_the_agencies_the_regulation_lets_the_supervisor_order(db):
    # 004: the city's justice bureau may order the city agency (本级), not the county one.
    w = f.world(f.R004)
    assert [a for a, _ in orderable_agencies(w.justice_supervisor)] == [w.superior]
    client = Client()
    client.force_login(w.justice_supervisor)
    form = client.get("/supervision/orders/").context["form"]
    offered = dict(form.fields["agency"].choices)
    assert list(offered) == [str(w.superior.public_id)]
    assert offered[str(w.superior.public_id)] == f"{w.superior.name}（依第三十条）"
    # A posted agency outside the offer is a form error, and nothing is issued.
    resp = client.post(
        "/supervision/orders/",
        {"agency": str(w.agency.public_id), "findings": FINDINGS, "requirements": ASK},
    )
    assert resp.status_code == 200
    assert resp.context["form"].errors["agency"]
    assert not Event.objects.filter(type="supervision:rectification:issued").exists()
    # The superior agency's supervisor is offered its subordinate, citing the article.
    client.force_login(w.superior_supervisor)
    offered = dict(client.get("/supervision/orders/").context["form"].fields["agency"].choices)
    assert offered == {str(w.agency.public_id): f"{w.agency.name}（依第三十条）"}


@pytest.mark.parametrize(
    ("rulebook", "who"), [(f.R000, "superior_supervisor"), (f.R001, "justice_supervisor")]
)
def test_a_supervisor_who_may_order_nobody_is_told_so_instead_of_a_form(db, rulebook, who):
    # 000 has no article to order rectification; under 001 a justice bureau is not named.
    w = f.world(rulebook)
    actor = getattr(w, who)
    assert orderable_agencies(actor) == []
    client = Client()
    client.force_login(actor)
    resp = client.get("/supervision/orders/")
    assert resp.context["form"] is None
    assert "没有可下达整改通知的对象" in resp.content.decode()
    assert orderable_agencies(w.outsider) == []
