"""Every rule kind, judged on plain fact values: no database, no domain app.

Each kind is a pure function of (rule, facts, now). Each test builds the few facts the
kind reads and checks met, unmet (with its message and the subjects it names) and not
applicable — directly, or through the rule's ``when`` for kinds that only say "not
applicable" when their conditions are not met. None of these tests asks for ``db``:
pytest-django would refuse a query.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pytest

from quanlu.rulebooks import evaluator
from quanlu.rulebooks.facts import Approval, Clip, Complaint, Refusal
from quanlu.rulebooks.judgement import DEADLINE_MAKERS, Outcome, Status
from quanlu.rulebooks.params import known_kinds
from quanlu.rulebooks.tests import test_kinds_pure_av, test_recorded_facts
from quanlu.rulebooks.tests.purefacts import NOW, ago, case, doc, facts, judge, officer, rule

# ---------------------------------------------------------------- the evaluator on facts


def test_the_engine_imports_no_app():
    # The engine's modules (all but the app's transport: pages, API, forms, commands,
    # template tags, demo and sample loaders) import only quanlu.core and the engine.
    transport = {"api", "views", "forms", "urls", "demo", "sample"}
    engine = Path(evaluator.__file__).parent
    for path in sorted(engine.glob("*.py")):
        if path.stem in transport:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("quanlu."):
                    assert name.startswith(("quanlu.core", "quanlu.rulebooks")), (path.name, name)


def test_a_rule_whose_conditions_do_not_hold_is_not_applicable():
    r = rule("case_fields_required", fields=["source"], when={"procedure": ["general"]})
    simplified = facts(case=case(procedure="simplified"))
    assert evaluator.judge(r, simplified, NOW).status == Status.NOT_APPLICABLE
    entered = rule("case_fields_required", fields=["source"], when={"entered": ["decision"]})
    assert evaluator.judge(entered, facts(), NOW).status == Status.NOT_APPLICABLE
    # The stage a move is judged into counts as entered.
    assert evaluator.judge(entered, facts(moving_to="decision"), NOW).status == Status.UNMET


# ---------------------------------------------------------------- cases and approvals


def test_approval_required_met_unmet_and_not_applicable():
    r = rule("approval_required", stage="service", gate="decision", when={"procedure": ["general"]})
    granted = facts(approvals=(Approval(gate="decision", status="granted"),))
    assert judge(r, granted) == Outcome.met("处理决定审批已批准。")
    pending = judge(r, facts(approvals=(Approval(gate="decision", status="pending"),)))
    assert pending.status == Status.UNMET
    assert pending.message == "尚未取得处理决定审批的批准。（审批中）"
    assert "「送达」" in pending.satisfy
    assert pending.subjects == ()
    simplified = facts(case=case(procedure="simplified"))
    assert evaluator.judge(r, simplified, NOW).status == Status.NOT_APPLICABLE


def test_approval_chain_met_by_a_granted_approval_else_checked_at_signing():
    r = rule("approval_chain", gate="decision")
    granted = facts(approvals=(Approval(gate="decision", status="granted"),))
    assert judge(r, granted) == Outcome.met("处理决定审批已依次经承办人、审核人、批准人签署。")
    pending = facts(approvals=(Approval(gate="decision", status="pending"),))
    assert judge(r, pending).status == Status.NOT_APPLICABLE
    other = facts(approvals=(Approval(gate="initiation", status="granted"),))
    assert judge(r, other).status == Status.NOT_APPLICABLE


def test_approval_required_defers_the_approval_of_an_emergency_start():
    r = rule("approval_required", stage="investigation", gate="initiation")
    emergency = facts(case=case(emergency=True))
    assert (
        judge(r, replace(emergency, moving_to="investigation")).message
        == "情况紧急，先行启动；审批须事后补报。"
    )
    later = judge(r, replace(emergency, moving_to="decision"))
    assert later.status == Status.UNMET
    assert later.message == "情况紧急先行启动，立案（程序启动）审批尚未补报批准。"


def test_legal_review_required_met_unmet_and_not_applicable():
    r = rule("legal_review_required", gate="decision")
    assert judge(r, facts()).status == Status.NOT_APPLICABLE
    rejected = facts(approvals=(Approval(gate="decision", status="rejected", chain=("review", "approve")),))
    assert judge(r, rejected).status == Status.NOT_APPLICABLE
    short = judge(
        r, facts(approvals=(Approval(gate="decision", status="pending", chain=("review", "approve")),))
    )
    assert (short.status, short.message) == (Status.UNMET, "处理决定审批未经法制审核。")
    full = facts(
        approvals=(Approval(gate="decision", status="granted", chain=("review", "legal_review", "approve")),)
    )
    assert judge(r, full).status == Status.MET


def test_supplementary_approval_deadline_met_unmet_and_not_applicable():
    r = rule("supplementary_approval_deadline", within="24h")
    assert judge(r, facts()).message == "本案未先行启动。"
    fresh = facts(case=replace(case(emergency=True), started_at=ago(hours=2)))
    assert judge(r, fresh).status == Status.NOT_APPLICABLE  # still within its 24 hours
    late = facts(case=replace(case(emergency=True), started_at=ago(hours=30)))
    outcome = judge(r, late)
    assert outcome.status == Status.UNMET
    assert outcome.message.startswith("补报立案（程序启动）审批已逾期（期限 ")
    done = replace(fresh, approvals=(Approval(gate="initiation", status="granted", decided_at=ago(hours=1)),))
    assert judge(r, done).status == Status.MET
    [spec] = DEADLINE_MAKERS[r.kind](r, late, NOW)
    assert (spec.kind, spec.due_at, spec.met_at) == ("supplementary_approval", ago(hours=6), None)


def test_archive_deadline_met_unmet_and_not_applicable():
    r = rule("archive_deadline", within="30d")
    assert judge(r, facts()).message == "执法行为尚未终结（未记录终结日期）。"
    overdue = facts(case=case(archiving_entered_at=ago(days=31)))
    outcome = judge(r, overdue)
    assert outcome.status == Status.UNMET
    assert outcome.message.startswith("自转入归档管理（未记录执法行为终结日期）起算：立卷归档已逾期")
    assert judge(r, replace(overdue, archived_at=ago(days=2))).status == Status.MET
    sealed_late = judge(r, replace(overdue, archived_at=ago(hours=1)))
    assert sealed_late.status == Status.UNMET
    assert "已超过期限" in sealed_late.message
    [spec] = DEADLINE_MAKERS[r.kind](r, overdue, NOW)
    assert (spec.kind, spec.starts_at) == ("archive", ago(days=31))


def test_case_fields_required_met_unmet_and_not_applicable():
    r = rule("case_fields_required", fields=["source", "reason"], when={"initiation_mode": ["complaint"]})
    empty = facts(case=case(initiation_mode="complaint", fields={"source": "complaint", "reason": " "}))
    outcome = judge(r, empty)
    assert (outcome.status, outcome.message) == (Status.UNMET, "案件未记录：启动原因。")
    filled = facts(case=case(fields={"source": "complaint", "reason": "群众举报"}))
    assert judge(r, filled).status == Status.MET
    assert evaluator.judge(r, filled, NOW).status == Status.NOT_APPLICABLE  # not started on a complaint


def test_complaint_decline_notice_is_judged_when_a_complaint_is_declined():
    outcome = judge(rule("complaint_decline_notice"), facts())
    assert outcome.status == Status.NOT_APPLICABLE
    assert "在作出该决定时检查" in outcome.message


def test_complaint_recorded_met_unmet_and_not_applicable():
    r = rule("complaint_recorded", stage="investigation", when={"initiation_mode": ["complaint"]})
    outcome = judge(r, facts())
    assert (outcome.status, outcome.message) == (
        Status.UNMET,
        "本案由投诉、举报启动，但没有关联的投诉举报记录。",
    )
    complaint = Complaint(
        named=True,
        complainant_name="",
        content="夜间排污",
        channel="12345热线",
        received_at=ago(days=3),
        recorder_name="王明",
        status_label="已启动执法程序",
    )
    nameless = judge(r, facts(complaint=complaint))
    assert nameless.message == "投诉举报记录缺少：投诉人、举报人基本情况。"
    met = judge(r, facts(complaint=replace(complaint, complainant_name="李某")))
    assert met.status == Status.MET
    assert "记录人王明" in met.message
    assert evaluator.judge(r, facts(), NOW).status == Status.NOT_APPLICABLE  # an ex officio case


def test_application_recorded_met_unmet_and_not_applicable():
    r = rule(
        "application_recorded",
        events=[["registered", "oral"], ["accepted", "rejected"]],
        single_supplement_notice=True,
        stage="investigation",
        when={"initiation_mode": ["on_application"]},
    )
    missing = judge(r, facts(application_events=("registered",)))
    assert (missing.status, missing.message) == (Status.UNMET, "申请办理情况未记录：受理或不予受理。")
    twice = judge(r, facts(application_events=("oral", "supplement_notice", "supplement_notice", "accepted")))
    assert twice.message == "需补正的内容分2次告知，未一次性告知。"
    assert judge(r, facts(application_events=("oral", "accepted"))).status == Status.MET
    assert evaluator.judge(r, facts(), NOW).status == Status.NOT_APPLICABLE


def test_rectification_order_is_not_judged_case_by_case():
    outcome = judge(rule("rectification_order", issuers=["parent_agency"], time_limit=True), facts())
    assert outcome.status == Status.NOT_APPLICABLE


def test_liability_is_not_judged_case_by_case_and_its_grounds_are_known():
    outcome = judge(
        rule("liability", grounds=[{"code": "leaked", "item": "（五）", "text": "泄露"}]), facts()
    )
    assert outcome.status == Status.NOT_APPLICABLE
    from quanlu.rulebooks import kinds  # noqa: F401  (registers the validators)
    from quanlu.rulebooks.params import KINDS

    with pytest.raises(ValueError, match="unknown liability ground"):
        KINDS["liability"]({"grounds": [{"code": "rude", "item": "（一）", "text": "x"}]})
    with pytest.raises(ValueError, match="code, item and text"):
        KINDS["liability"]({"grounds": [{"code": "leaked"}]})


def test_rules_filing_is_not_judged_case_by_case_and_names_only_a_known_body():
    outcome = judge(rule("rules_filing", filed_with="same_level_justice"), facts())
    assert outcome.status == Status.NOT_APPLICABLE
    assert "备案" in outcome.message
    from quanlu.rulebooks import kinds  # noqa: F401  (registers the validators)
    from quanlu.rulebooks.params import KINDS

    KINDS["rules_filing"]({"filed_with": "same_level_justice"})
    with pytest.raises(ValueError, match="filed_with"):
        KINDS["rules_filing"]({"filed_with": "superior_agency"})


# ---------------------------------------------------------------- text records


def test_documents_required_met_unmet_and_not_applicable():
    r = rule("documents_required", documents=["initiation_approval"], stage="investigation")
    missing = judge(r, facts())
    assert (missing.status, missing.message) == (Status.UNMET, "缺少《立案审批表》。")
    assert missing.subjects == ("type:initiation_approval",)
    unsigned = judge(r, facts(documents=(doc("d1", "initiation_approval", missing=("「批准人」尚未签名",)),)))
    assert unsigned.message == "《立案审批表》尚未签署完毕（「批准人」尚未签名）。"
    assert unsigned.subjects == ("d1",)
    # A corrected document is named with its version: the one waiting for the signature.
    second = doc("d1", "initiation_approval", version=2, missing=("「批准人」李娜尚未签名",))
    assert (
        judge(r, facts(documents=(second,))).message
        == "《立案审批表》第2版尚未签署完毕（「批准人」李娜尚未签名）。"
    )
    assert judge(r, facts(documents=(doc("d1", "initiation_approval"),))).status == Status.MET
    triggered = rule(
        "documents_required",
        documents=["demand_notice"],
        stage="execution",
        **{"if": {"documents": ["enforcement_decision"]}},
        before=True,
    )
    assert judge(triggered, facts()).status == Status.NOT_APPLICABLE
    late_demand = facts(
        documents=(
            doc("e1", "enforcement_decision", created=ago(days=3)),
            doc("n1", "demand_notice", created=ago(days=1)),
        )
    )
    outcome = judge(triggered, late_demand)
    assert outcome.message == "《催告书》应在《强制执行决定书》之前制作。"
    assert outcome.subjects == ("n1",)


def test_document_fields_required_met_unmet_and_not_applicable():
    r = rule(
        "document_fields_required", documents=["inspection_transcript"], fields=["place"], speakers=["party"]
    )
    assert judge(r, facts()).message == "本案尚无《现场检查笔录》。"
    bare = facts(documents=(doc("d1", "inspection_transcript", fields={"turns": [{"speaker": "officer"}]}),))
    outcome = judge(r, bare)
    assert outcome.status == Status.UNMET
    assert outcome.message == "《现场检查笔录》未载明「地点」，未记录当事人的发言。"
    assert outcome.subjects == ("d1",)
    full = {"place": "厂区", "turns": [{"speaker": "party", "text": "是"}]}
    assert judge(r, facts(documents=(doc("d1", "inspection_transcript", fields=full),))).status == Status.MET
    scan = facts(documents=(doc("d1", "inspection_transcript", uploaded=True),))
    assert "纸质扫描件" in judge(r, scan).message  # its boxes are read by people


def test_documents_signed_met_unmet_and_not_applicable():
    r = rule("documents_signed", select={"categories": ["to_party"]}, stage="service")
    assert judge(r, facts(documents=(doc("d0", "initiation_approval"),))).status == Status.NOT_APPLICABLE
    open_ = facts(documents=(doc("d1", "rights_notice", missing=("「当事人」尚未签名",)),))
    outcome = judge(r, open_)
    assert outcome.message == "1份文书尚未签署完毕。《权利告知书》：「当事人」尚未签名。"
    assert outcome.subjects == ("d1",)
    assert judge(r, facts(documents=(doc("d1", "rights_notice"),))).status == Status.MET


def test_officers_present_met_unmet_and_not_applicable():
    r = rule(
        "officers_present",
        documents=["inspection_transcript"],
        min=2,
        certificate_shown=True,
        stage="decision",
    )
    assert judge(r, facts()).status == Status.NOT_APPLICABLE
    fields = {"started_at": "2025-03-08T09:00:00+08:00"}
    one = doc(
        "d1", "inspection_transcript", fields=fields, officers=(officer("张三", valid=False, shown=False),)
    )
    outcome = judge(r, facts(documents=(one,)))
    assert outcome.status == Status.UNMET
    assert outcome.message == (
        "《现场检查笔录》只记录了1名执法人员，应当2人以上，张三的执法证件在2025-03-08无效，未记录张三出示执法证件。"
    )
    assert outcome.subjects == ("d1",)
    two = replace(one, officers=(officer("张三"), officer("李四")))
    assert judge(r, facts(documents=(two,))).status == Status.MET


def test_refusals_attested_met_unmet_and_not_applicable():
    r = rule("refusals_attested", documents=["inspection_transcript"], min_officers=2, stage="decision")
    d = doc("d1", "inspection_transcript")
    assert judge(r, facts(documents=(d,))).message == "本案没有拒绝签字的记录。"
    short = judge(
        r, facts(documents=(d,), refusals=(Refusal(document="d1", person_name="赵某", attestations=1),))
    )
    assert short.message == "《现场检查笔录》中赵某拒绝签字，仅1名执法人员签字。"
    assert short.subjects == ("d1",)
    ok = facts(documents=(d,), refusals=(Refusal(document="d1", person_name="赵某", attestations=2),))
    assert judge(r, ok).status == Status.MET


def test_rights_notified_met_unmet_and_not_applicable():
    r = rule(
        "rights_notified",
        rights=["statement", "defense"],
        documents=["rights_notice"],
        exercise_recorded=True,
        stage="service",
        when={"kind": ["penalty"]},
    )
    told = [{"right": "statement", "notified": True, "method": "written", "exercised": "未申请"}]
    partly = judge(r, facts(documents=(doc("d1", "rights_notice", fields={"rights": told}),)))
    assert partly.status == Status.UNMET
    assert partly.message == "未记录告知当事人申辩的权利及告知方式（已查《权利告知书》）。"
    assert partly.subjects == ("type:rights_notice",)
    told.append({"right": "defense", "notified": True, "method": "oral"})
    silent = judge(r, facts(documents=(doc("d1", "rights_notice", fields={"rights": told}),)))
    assert silent.message == "未记录当事人行使申辩权利的情况。"
    told[1]["exercised"] = "当场申辩"
    assert (
        judge(r, facts(documents=(doc("d1", "rights_notice", fields={"rights": told}),))).status == Status.MET
    )
    assert evaluator.judge(r, facts(case=case(kind="licensing")), NOW).status == Status.NOT_APPLICABLE


def test_service_method_met_unmet_and_not_applicable():
    r = rule(
        "service_method",
        methods=["postal"],
        fields=["served_at"],
        documents=["postal_register"],
        stage="execution",
    )
    direct = doc("r0", "service_receipt", fields={"method": "direct"})
    assert judge(r, facts(documents=(direct,))).message == "本案没有邮寄送达的送达记录。"
    posted = doc("r1", "service_receipt", fields={"method": "postal"}, missing=("「受送达人」尚未签名",))
    outcome = judge(r, facts(documents=(posted,)))
    assert outcome.message == (
        "邮寄送达：《送达回证》尚未签署完毕（「受送达人」尚未签名），未载明「送达时间」；未留存《邮寄登记》。"
    )
    assert outcome.subjects == ("r1", "type:postal_register")
    done = replace(posted, missing=(), fields={"method": "postal", "served_at": "2025-03-01T10:00"})
    assert judge(r, facts(documents=(done, doc("p1", "postal_register")))).status == Status.MET


def test_demand_before_enforcement_met_unmet_and_not_applicable():
    r = rule(
        "demand_before_enforcement",
        enforcement=["enforcement_decision"],
        served=True,
        overdue=True,
        stage="archiving",
    )
    assert judge(r, facts()).status == Status.NOT_APPLICABLE
    decision = doc("e1", "enforcement_decision", created=ago(days=1))
    outcome = judge(r, facts(documents=(decision,)))
    assert (outcome.message, outcome.subjects) == ("《强制执行决定书》之前没有制作催告书。", ("e1",))
    demand = doc(
        "n1", "demand_notice", number="催〔2025〕1号", created=ago(days=20), fields={"due_on": "2025-03-01"}
    )
    unserved = judge(r, facts(documents=(demand, decision)))
    assert unserved.message == "《强制执行决定书》之前，催告书没有送达当事人的记录（送达回证）。"
    receipt = doc(
        "r1",
        "service_receipt",
        created=ago(days=19),
        fields={
            "method": "direct",
            "document_number": "催〔2025〕1号",
            "served_at": "2025-02-19T10:00:00+08:00",
        },
    )
    assert judge(r, facts(documents=(demand, receipt, decision))).status == Status.MET
    early = replace(demand, fields={"due_on": "2025-03-30"})
    assert "履行期限尚未届满" in judge(r, facts(documents=(early, receipt, decision))).message


def test_correction_recheck_deadline_met_unmet_and_not_applicable():
    r = rule("correction_recheck_deadline")
    assert judge(r, facts()).message == "本案没有需按期核查的责令改正。"
    order = doc(
        "o1",
        "rectification_order",
        number="责改〔2025〕3号",
        created=ago(days=10),
        fields={"due_on": "2025-03-05"},
    )
    overdue = judge(r, facts(documents=(order,)))
    assert overdue.status == Status.UNMET
    assert overdue.message.startswith("改正情况核查：责改〔2025〕3号已逾期（期限 2025-03-06 00:00）")
    check = doc(
        "v1", "rectification_verification", created=ago(days=6), fields={"order_number": "责改〔2025〕3号"}
    )
    assert judge(r, facts(documents=(order, check))).status == Status.MET
    pending = replace(order, fields={"due_on": "2025-03-20"})
    assert judge(r, facts(documents=(pending,))).status == Status.NOT_APPLICABLE  # not due yet
    [spec] = DEADLINE_MAKERS[r.kind](r, facts(documents=(order, check)), NOW)
    assert (spec.kind, spec.subject, spec.met_at) == ("correction_recheck", "o1", ago(days=6))


def test_correction_rechecked_met_unmet_and_not_applicable():
    r = rule("correction_rechecked", stage="archiving")
    assert judge(r, facts()).status == Status.NOT_APPLICABLE
    order = doc("o1", "rectification_order", number="责改〔2025〕3号", fields={"due_on": "2025-03-05"})
    outcome = judge(r, facts(documents=(order,)))
    assert (outcome.message, outcome.subjects) == (
        "《责令改正通知书》（责改〔2025〕3号）的改正情况没有核查记录。",
        ("o1",),
    )
    check = doc("v1", "rectification_verification", fields={"order_number": "责改〔2025〕3号"})
    assert judge(r, facts(documents=(order, check))).status == Status.MET


def test_file_complete_met_unmet_and_not_applicable():
    r = rule("file_complete", stage="closed", when={"entered": ["archiving"]})
    loose = Clip(uid="m1", name="IMG_1.jpg", received_at=ago(days=1))
    messy = facts(
        documents=(doc("d1", "rights_notice", missing=("x",)),),
        media=(loose,),
        approvals=(Approval(gate="closing", status="pending"),),
    )
    outcome = judge(r, messy)
    assert outcome.message == (
        "案卷尚未收集齐全、规范整理：《权利告知书》尚未签署完毕；1条音像记录未关联执法环节；1项审批尚未办结。"
    )
    assert outcome.subjects == ("d1",)
    tidy = facts(documents=(doc("d1", "rights_notice"),), media=(replace(loose, linked=True),))
    assert judge(r, tidy).message == "1份文书、1条音像记录收集齐全。"
    assert evaluator.judge(r, tidy, NOW).status == Status.NOT_APPLICABLE  # not yet in 归档管理


def test_every_rule_kind_has_its_pure_test():
    names = [*globals(), *vars(test_kinds_pure_av), *vars(test_recorded_facts)]
    tested = {name.removeprefix("test_") for name in names if name.startswith("test_")}
    for kind_name in known_kinds():
        assert any(t.startswith(kind_name) for t in tested), f"no pure test of {kind_name}"
