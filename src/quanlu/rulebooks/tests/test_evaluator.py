import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from quanlu.cases import services
from quanlu.cases.models import Stage
from quanlu.core.errors import Refused
from quanlu.ledger.models import Event
from quanlu.org.services import api_token_create
from quanlu.rulebooks.coverage import all_coverage
from quanlu.rulebooks.evaluator import Status, evaluate, gate
from quanlu.rulebooks.providers import gather
from quanlu.testing import factories as f


def by_rule(results):
    return {r.rule.id: r for r in results}


def test_every_result_explains_itself(world):
    results = evaluate(gather(world.open_case()))
    assert results
    for r in results:
        d = r.as_dict()
        assert d["rulebook"] == f.R004
        assert d["article"].startswith("第")
        assert d["quote"]
        assert d["status"] in ("met", "unmet", "not_applicable")
        assert d["message"]


def test_an_unreached_gate_is_not_a_breach_but_says_what_it_needs(world):
    r = by_rule(evaluate(gather(world.open_case())))["dec.head_approval"]
    assert r.status == Status.NOT_APPLICABLE
    assert "进入前须满足" in r.outcome.message


def test_gate_judges_the_rules_of_entered_stages_and_the_target(world):
    case = world.open_case()
    ids = {r.rule.id for r in gate(gather(case), Stage.INVESTIGATION)}
    assert "init.approval" in ids
    assert "dec.head_approval" not in ids


def test_warnings_do_not_block_but_are_recorded_on_the_transition(db, tmp_path):
    book = tmp_path / "warn.yaml"
    book.write_text(
        (f.PACKAGE_RULEBOOK_DIR / "004_b4c2f06b7eb1ab1e.yaml")
        .read_text(encoding="utf-8")
        .replace('id: "004_b4c2f06b7eb1ab1e"', "id: test_warn")
        .replace(
            "id: dec.head_approval\n    kind: approval_required\n"
            "    params: {stage: service, gate: decision, when: {procedure: [general]}}\n    severity: block",
            "id: dec.head_approval\n    kind: approval_required\n"
            "    params: {stage: service, gate: decision, when: {procedure: [general]}}\n    severity: warn",
        ),
        encoding="utf-8",
    )
    from quanlu.rulebooks import loader

    loader.add_directory(tmp_path)
    try:
        w = f.world("test_warn")
        case = w.open_case()
        w.grant_gate(case, "initiation")
        w.advance(case, Stage.INVESTIGATION, Stage.DECISION, Stage.SERVICE)
        moved = Event.objects.filter(case_uid=case.public_id, type="case:stage:advanced").last()
        assert moved.payload["to"] == "service"
        assert "dec.head_approval" in [x["rule"] for x in moved.payload["warnings"]]
    finally:
        loader._extra_dirs.remove(tmp_path)
        loader.all_rulebooks.cache_clear()


def test_a_sixth_rulebook_adds_a_regime_without_code(db, tmp_path):
    (tmp_path / "sixth.yaml").write_text(
        """id: test_sixth
version: 1
title: 测试第六规则集
issuer: 测试机关
source: 002_4fd6fddfbbebbad6.txt
effective_from: 2020-01-01
action_types: [inspection]
rules:
  - id: dec.head_approval
    kind: approval_required
    params: {stage: decision, gate: initiation}
    requirements: [DEC-07]
    citation: {article: 第十八条, quote: 负责人审批记录包括负责人签署意见、负责人签名。}
""",
        encoding="utf-8",
    )
    from quanlu.rulebooks import loader

    loader.add_directory(tmp_path)
    try:
        w = f.world("test_sixth")
        with pytest.raises(Exception, match="未规定「行政处罚」"):
            w.open_case()
        case = w.open_case(kind="inspection")
        w.advance(case, Stage.INVESTIGATION)  # this regime asks nothing before investigation
        with pytest.raises(Refused) as exc:
            w.advance(case, Stage.DECISION)
        assert exc.value.findings[0].rulebook == "test_sixth"
    finally:
        loader._extra_dirs.remove(tmp_path)
        loader.all_rulebooks.cache_clear()


def test_check_command_text_and_json_and_exit_status(world):
    case = world.open_case()
    out = StringIO()
    call_command("check", case.number, stdout=out)  # nothing breached yet: exit 0
    assert "– [不适用·阻断] init.approval 第九条：尚未进入「调查取证」阶段；进入前须满足" in out.getvalue()
    late = services._case_open(
        actor=world.officer,
        at=timezone.now() - dt.timedelta(hours=30),
        emergency=True,
        emergency_reason="证据可能灭失",
        **f.CASE_DEFAULTS,
    )
    out = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("check", late.number, stdout=out)
    assert exc.value.code == 1  # in investigation without the 补报 approval: a blocking breach
    text = out.getvalue()
    assert "✗ [不符合·阻断] init.approval 第九条" in text
    assert "✗ [不符合·提示] init.supplementary_deadline 第九条" in text
    assert "依据：「行政机关依职权启动一般程序行政执法的" in text
    world.grant_gate(case, "initiation")
    out = StringIO()
    call_command("check", str(case.public_id), "--format", "json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["number"] == case.number
    assert {r["rule"]: r["status"] for r in body["results"]}["init.approval"] == "met"
    form = {r["rule"]: r for r in body["results"]}["init.approval_form"]
    assert (form["rulebook"], form["rulebook_version"]) == (f.R004, 1)
    assert form["article"] == "第九条"
    assert form["quote"].startswith("行政机关依职权启动")
    assert (form["severity"], form["severity_label"]) == ("block", "阻断")
    assert form["subjects"] == ["type:initiation_approval"]
    assert "立案审批表" in form["message"]
    assert form["satisfy"]


def test_check_via_api_and_outsider_404(world):
    case = world.open_case()
    client = Client()
    _, raw = api_token_create(actor=world.officer, officer=world.officer, label="t")
    body = client.get(f"/api/v1/cases/{case.public_id}/check", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert body["blocking"] == []
    steps = {s["to_stage"]: s for s in body["next_steps"]}
    assert [b["rule"] for b in steps["investigation"]["blocking"]] == ["init.approval", "init.approval_form"]
    assert steps["archiving"]["blocking"] == []
    _, other = api_token_create(actor=world.outsider, officer=world.outsider, label="t")
    assert (
        client.get(f"/api/v1/cases/{case.public_id}/check", HTTP_AUTHORIZATION=f"Bearer {other}").status_code
        == 404
    )


def test_case_page_shows_compliance_with_citations(world):
    case = world.open_case()
    client = Client()
    client.force_login(world.officer)
    text = client.get(f"/cases/{case.public_id}/").content.decode()
    assert "合规检查" in text
    assert "尚不能启动调查取证，还需完成以下 2 项" in text  # the blocked move, with its reasons
    assert "第九条" in text
    assert "第1版" in text  # rulebook and version
    assert 'title="规则 init.approval_form' in text  # the rule id, for whoever hovers, not in the text
    assert ">不适用</span>" in text  # status


def test_rulebooks_list_and_coverage_commands(db):
    out = StringIO()
    call_command("rulebooks", "list", "--format", "json", stdout=out)
    assert len(json.loads(out.getvalue())) == 5
    out = StringIO()
    call_command("rulebooks", "coverage", "--format", "json", stdout=out)
    report = json.loads(out.getvalue())
    by_book = {c["rulebook"]: c for c in report}
    assert "INIT-09" in by_book[f.R002]["encoded"]
    assert "INIT-09" not in by_book[f.R001]["encoded"]  # 001 has no emergency clause
    assert by_book[f.R001]["mechanism"]["ARC-08"]
    for c in report:  # anything still missing says why
        assert set(c["missing"]) == set(c["missing_reasons"]), c["rulebook"]
    out = StringIO()
    call_command("rulebooks", "coverage", "--verbose", stdout=out)
    text = out.getvalue()
    assert "[已编码] INV-01：inv.two_officers" in text
    assert "[已编码] ACC-01：acc.copy_approval" in text


def test_coverage_only_counts_rows_the_regulation_has():
    for cov in all_coverage():
        seed = cov.rulebook.id[:3]
        from quanlu.rulebooks.coverage import requirement_rows

        have = {r.id for r in requirement_rows() if seed in r.seeds}
        listed = set(cov.encoded) | set(cov.mechanism) | set(cov.not_checkable) | set(cov.missing)
        assert listed == have


@pytest.mark.parametrize("rulebook", [f.R002, f.R003, f.R004])
def test_the_supplementary_deadline_rule_is_met_unmet_or_pending(db, rulebook):
    w = f.world(rulebook)
    fresh = services._case_open(
        actor=w.officer, emergency=True, emergency_reason="证据可能灭失", **f.CASE_DEFAULTS
    )
    assert by_rule(evaluate(gather(fresh)))["init.supplementary_deadline"].status == Status.NOT_APPLICABLE
    late = services._case_open(
        actor=w.officer,
        at=timezone.now() - dt.timedelta(hours=25),
        emergency=True,
        emergency_reason="证据可能灭失",
        **f.CASE_DEFAULTS,
    )
    r = by_rule(evaluate(gather(late)))["init.supplementary_deadline"]
    assert r.status == Status.UNMET
    assert "已逾期" in r.outcome.message
    w.grant_gate(fresh, "initiation")
    assert by_rule(evaluate(gather(fresh)))["init.supplementary_deadline"].status == Status.MET
