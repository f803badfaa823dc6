"""ACC-01 and ACC-02: copy requests, their approval by the approver the rulebook
names, and the withholding of confidential records where the regulation says so."""

import json

import pytest
from django.test import Client

from quanlu.access import services
from quanlu.access.models import ReleaseLine
from quanlu.access.tests.conftest import bearer, scan
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.ledger.models import Event
from quanlu.rulebooks.coverage import all_coverage
from quanlu.rulebooks.evaluator import evaluate
from quanlu.rulebooks.loader import get_rulebook
from quanlu.rulebooks.providers import gather
from quanlu.testing import factories as f

# Regulations with the confidentiality exclusion (依法应保密的除外), and the article cited.
EXCLUDES = {f.R000: "第二十八条", f.R002: "第三十一条", f.R003: "第三十条"}


def _register(w, case, items, actor=None, **kw):
    fields = {"requester_name": "某化工有限公司", "purpose": "申请行政复议。", **kw}
    return services.copy_request_register(actor=actor or w.officer, case=case, items=items, **fields)


@pytest.mark.parametrize("rulebook", f.ALL_RULEBOOKS)
def test_a_marked_record_is_withheld_only_where_the_regulation_excludes_it(db, rulebook):
    w = f.world(rulebook)
    case = w.open_case()
    secret, plain = scan(w, case), scan(w, case, "inspection_transcript")
    services.mark_add(actor=w.officer, item=secret, category="trade_secret", reason="载有工艺配方。")
    request = _register(w, case, [secret, plain])
    basis = "" if rulebook in (f.R000, f.R002, f.R003) else "《中华人民共和国政府信息公开条例》第二十七条"
    decision = services.copy_request_decide(actor=w.approver, request=request, approve=True, basis=basis)
    services.copy_request_fulfil(actor=w.archivist, request=request)
    lines = {line.document: line for line in ReleaseLine.objects.filter(fulfilment__request=request)}
    assert lines[plain].released
    assert len(lines[plain].sha256) == 64
    if rulebook in EXCLUDES:
        assert EXCLUDES[rulebook] in decision.basis
        withheld = lines[secret]
        assert not withheld.released
        assert withheld.sha256 == ""
        assert withheld.rule == "acc.confidential_exclusion"
        assert withheld.article.endswith(EXCLUDES[rulebook])
        assert "依法应保密的除外" in withheld.quote
        assert "商业秘密" in withheld.withheld_reason
    else:  # 001 is silent and 004 refers elsewhere (勘误 K5): no exclusion to apply
        assert lines[secret].released
        assert lines[secret].sha256
    event = Event.objects.get(type="access:copy_request:fulfilled", case_uid=case.public_id)
    assert len(event.payload["lines"]) == 2
    results = {r.rule.id: r for r in evaluate(gather(case))}
    assert results["acc.copy_approval" if rulebook != f.R001 else "acc.confidentiality"].status == "met"
    if rulebook in EXCLUDES:
        assert results["acc.confidential_exclusion"].status == "met"


def test_approval_is_by_the_head_once_and_never_by_the_registrar(db):
    w = f.world(f.R002)
    case = w.open_case()
    doc = scan(w, case)
    request = _register(w, case, [doc], actor=w.approver)
    with pytest.raises(PermissionDenied) as self_approval:
        services.copy_request_decide(actor=w.approver, request=request, approve=True)
    assert self_approval.value.code == "self_decision"
    for who in (w.reviewer, w.archivist, w.superior_supervisor, w.outsider):
        with pytest.raises(PermissionDenied):
            services.copy_request_decide(actor=who, request=request, approve=True)
    with pytest.raises(Refused) as unapproved:
        services.copy_request_fulfil(actor=w.archivist, request=request)
    assert unapproved.value.findings[0].article.endswith("第三十一条")
    services.copy_request_decide(actor=w.approver2, request=request, approve=True)
    with pytest.raises(Conflict):
        services.copy_request_decide(actor=w.approver2, request=request, approve=False, reason="重复。")
    services.copy_request_fulfil(actor=w.archivist, request=request)
    with pytest.raises(Conflict):
        services.copy_request_fulfil(actor=w.archivist, request=request)
    assert Event.objects.filter(type="access:copy_request:approved").count() == 1


def test_a_refused_request_is_never_fulfilled_and_a_refusal_needs_a_reason(db):
    w = f.world(f.R003)
    case = w.open_case()
    request = _register(w, case, [scan(w, case)])
    with pytest.raises(InvalidInput):
        services.copy_request_decide(actor=w.approver, request=request, approve=False)
    services.copy_request_decide(
        actor=w.approver, request=request, approve=False, reason="申请人不是当事人。"
    )
    with pytest.raises(Refused):
        services.copy_request_fulfil(actor=w.archivist, request=request)
    assert Event.objects.filter(type="access:copy_request:refused").count() == 1


def test_inspection_only_where_the_regulation_has_it_and_a_basis_where_it_names_no_approver(db):
    w4, w2 = f.world(f.R004), f.world(f.R002)
    case4, case2 = w4.open_case(), w2.open_case()
    request = _register(w4, case4, [scan(w4, case4)], mode="inspect")
    with pytest.raises(Refused) as no_basis:
        services.copy_request_decide(actor=w4.approver, request=request, approve=True)
    assert "政府信息公开条例" in no_basis.value.message
    (finding,) = no_basis.value.findings
    assert (finding.rule, finding.field, finding.source) == ("acc.copy_approval", "basis", f"{f.R004}.txt")
    with pytest.raises(Refused) as no_inspection:
        _register(w2, case2, [scan(w2, case2)], mode="inspect")
    assert no_inspection.value.findings[0].article.endswith("第三十一条")
    assert no_inspection.value.findings[0].satisfy == "按规定申请复制。"
    with pytest.raises(InvalidInput):  # records of another case
        _register(w2, case2, [scan(w4, case4)])


def test_coverage_reports_access_rows_encoded_where_the_regulation_has_them():
    by_book = {c.rulebook.id: c for c in all_coverage()}
    for book, cov in by_book.items():
        assert cov.encoded["ACC-03"] == ["acc.confidentiality"], book
        assert ("ACC-01" in cov.encoded) == (book != f.R001), book
        assert ("ACC-02" in cov.encoded) == (book in EXCLUDES), book
        assert not {"ACC-01", "ACC-02", "ACC-03"} & set(cov.missing)


def test_the_copy_request_api_checks_personas(world):
    case = world.open_case()
    doc = scan(world, case)
    url = f"/api/v1/cases/{case.public_id}/copy-requests"
    body = json.dumps(
        {
            "requester_name": "张三",
            "purpose": "诉讼。",
            "mode": "copy",
            "items": [{"kind": "document", "id": str(doc.public_id)}],
        }
    )

    def post(path, who, data="{}"):
        return Client().post(path, data, content_type="application/json", **bearer(who))

    assert post(url, world.outsider, body).status_code == 404
    assert post(url, world.superior_supervisor, body).status_code == 403
    created = post(url, world.officer, body)
    assert created.status_code == 201
    assert created.json()["status"] == "pending"
    rid = created.json()["id"]
    assert Client().get(url, **bearer(world.outsider)).status_code == 404
    assert Client().get(f"/api/v1/copy-requests/{rid}", **bearer(world.outsider)).status_code == 404
    assert Client().get(url, **bearer(world.superior_supervisor)).status_code == 200
    approve = f"/api/v1/copy-requests/{rid}/approve"
    basis = json.dumps({"basis": "《中华人民共和国政府信息公开条例》"})  # the world's 004 names no approver
    assert post(approve, world.outsider, basis).status_code == 404
    assert post(f"/api/v1/copy-requests/{rid}/fulfil", world.archivist).status_code == 409
    assert post(approve, world.approver, basis).status_code == 201
    assert post(approve, world.approver2, basis).status_code == 409
    fulfilled = post(f"/api/v1/copy-requests/{rid}/fulfil", world.archivist)
    assert fulfilled.status_code == 201
    release = fulfilled.json()["release"]["lines"]
    assert fulfilled.json()["status"] == "fulfilled"
    assert release[0]["released"]
    assert len(release[0]["sha256"]) == 64


def test_the_case_page_shows_marks_and_what_was_withheld(db):
    from quanlu.access.tests.conftest import logged_in

    w = f.world(f.R000)
    case = w.open_case()
    secret = scan(w, case)
    services.mark_add(actor=w.officer, item=secret, category="personal_privacy", reason="载有身份证号码。")
    request = _register(w, case, [secret])
    services.copy_request_decide(actor=w.approver, request=request, approve=True)
    services.copy_request_fulfil(actor=w.archivist, request=request)
    page = logged_in(w.superior_supervisor).get(f"/cases/{case.public_id}/").content.decode()
    assert "个人隐私" in page
    assert "不予提供" in page
    # The article as people read it: the regulation's title, not its file name.
    assert f"《{get_rulebook(f.R000).title}》第二十八条" in page
