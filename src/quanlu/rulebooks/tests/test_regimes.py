"""Each of the five regulations, walked: a general-procedure case (major, so every
approval rule is in play) does on each stage what its regulation regulates, first
without the records the regulation asks, and is refused citing the article; then
the records are made through the services and every gate passes. Simplified,
application and complaint cases likewise. Then each blocking rule of each rulebook
is checked to have been shown refusing somewhere."""

from __future__ import annotations

import pytest

from quanlu.cases.models import Stage
from quanlu.core.errors import Refused
from quanlu.media.models import Gap
from quanlu.media.services import interruption_record
from quanlu.rulebooks.loader import all_rulebooks
from quanlu.rulebooks.tests.walk import Walk, ago, hours_ago, yesterday
from quanlu.testing import factories as f

# What the general walk below shows refusing, per regulation (by the file's seed).
GENERAL = {
    "000": {
        "init.approval",
        "init.filing_documents",
        "inv.two_officers",
        "inv.documents_signed",
        "inv.transcripts_signed",
        "inv.sampling_documents",
        "inv.refusal_recorded",
        "av.onsite_inspection",
        "av.onsite_inquiry",
        "dec.head_approval",
        "dec.decision_document",
        "dec.legal_review_record",
        "dec.collective_discussion_record",
        "dec.expert_review_record",
        "inv.rectification_order",
        "init.form_fields",
        "init.form_record",
        "srv.service_recorded",
        "srv.postal",
        "srv.lodged",
        "av.lodged_service",
        "srv.direct",
        "srv.entrusted_forwarded",
        "enf.performance_record",
        "enf.correction_rechecked",
        "av.restore",
        "enf.statement_review",
        "enf.court_record",
        "enf.mode_documents",
    },
    "001": {
        "inv.party_records_signed",
        "inv.refusal_two_officers",
        "inv.rights",
        "inv.evidence_preservation",
        "inv.coercive_measure",
        "inv.hearing_signed",
        "av.personal_liberty",
        "av.gaps_explained",
        "av.prior_notice",
        "dec.head_approval",
        "dec.internal_approval",
        "dec.internal_approval_dates",
        "dec.legal_review_record",
        "dec.collective_discussion_record",
        "dec.expert_review_record",
        "dec.to_party_sealed",
        "srv.service_recorded",
        "srv.service_record",
        "srv.postal",
        "srv.public_notice",
        "srv.lodged",
        "srv.entrusted",
        "enf.performance_record",
        "enf.confiscation",
        "enf.compulsory_enforcement",
        "av.linked_to_text",
    },
    "002": {
        "init.approval",
        "init.approval_form",
        "inv.transcripts_signed",
        "inv.documents_signed",
        "inv.evidence_collection_documents",
        "inv.sampling_documents",
        "inv.statement_documents",
        "inv.refusal_recorded",
        "inv.evidence_preservation",
        "inv.coercive_measure",
        "av.onsite_inspection",
        "av.coercive_measure",
        "dec.final_report",
        "dec.head_approval",
        "dec.decision_document",
        "dec.legal_review_record",
        "dec.collective_discussion_record",
        "dec.expert_review_record",
        "srv.service_recorded",
        "srv.postal",
        "srv.lodged",
        "srv.public_notice",
        "av.public_notice_service",
        "srv.direct",
        "srv.entrusted_forwarded",
        "enf.follow_up_report",
        "enf.correction_rechecked",
        "av.correction_verification",
        "av.restore",
        "enf.statement_review",
        "enf.enforcement_power",
        "enf.court_record",
        "enf.mode_documents",
    },
    "003": {
        "init.approval",
        "init.approval_form",
        "init.form_fields",
        "init.form_legal_opinion",
        "inv.transcripts_signed",
        "inv.rights_exercise",
        "inv.hearing_speakers",
        "inv.evidence_preservation",
        "inv.coercive_measure",
        "av.onsite_inspection",
        "av.hearing",
        "av.coercive_measure",
        "dec.draft_record",
        "dec.decision_document",
        "dec.legal_review_record",
        "dec.meeting_record",
        "srv.service_recorded",
        "srv.postal",
        "srv.lodged",
        "av.lodged_service",
        "srv.public_notice",
        "av.public_notice_service",
        "srv.direct",
        "srv.entrusted_forwarded",
        "enf.performance_record",
        "enf.correction_rechecked",
        "av.restore",
        "enf.statement_review",
        "enf.court_record",
        "enf.mode_documents",
    },
    "004": {
        "init.approval",
        "init.approval_form",
        "init.form_fields",
        "inv.transcripts_signed",
        "inv.documents_signed",
        "inv.evidence_collection_documents",
        "inv.sampling_documents",
        "inv.refusal_recorded",
        "inv.evidence_preservation",
        "inv.coercive_measure",
        "av.onsite_inspection",
        "av.sampling",
        "av.hearing",
        "av.coercive_measure",
        "dec.drafting_record",
        "dec.decision_document",
        "dec.head_approval",
        "dec.legal_review_record",
        "dec.collective_discussion_record",
        "dec.expert_review_record",
        "srv.service_recorded",
        "srv.postal",
        "srv.postage_voucher_content",
        "srv.lodged",
        "av.lodged_service",
        "srv.public_notice",
        "av.public_notice_service",
        "srv.direct",
        "srv.entrusted_forwarded",
        "enf.performance_record",
        "enf.correction_rechecked",
        "av.restore",
        "enf.statement_review",
        "enf.enforcement_power",
        "enf.court_record",
        "enf.mode_documents",
    },
}
SIMPLIFIED = {
    "000": {"simp.record", "simp.record_items", "simp.on_spot_fine", "av.simplified_dispute_prone"},
    "002": {"simp.record", "simp.record_items", "simp.on_spot_fine", "av.simplified_all"},
    "003": {"simp.record", "simp.record_items", "simp.on_spot_fine", "av.simplified_dispute_prone"},
    "004": {"simp.record", "simp.record_items", "simp.on_spot_fine", "av.simplified_dispute_prone"},
}
# Blocking rules shown refusing by the named tests of this module and test_differences.py.
ELSEWHERE = {
    "000": {
        "init.emergency_report",
        "inv.rights_manner",
        "av.sampling",
        "enf.demand_notice",
        "simp.served_on_spot",
    },
    "001": {"init.application", "arc.av_disc"},
    "002": {
        "init.application",
        "init.complaint_recorded",
        "inv.rights_manner",
        "av.sampling",
        "av.lodged_service",
        "enf.demand_notice",
        "simp.served_on_spot",
    },
    "003": {
        "init.complaint_recorded",
        "inv.rights_manner",
        "av.sampling",
        "enf.demand_notice",
        "dec.legal_review_recorded",
        "simp.served_on_spot",
    },
    "004": {
        "init.application",
        "init.complaint_recorded",
        "inv.rights_manner",
        "arc.file_complete",
        "enf.demand_notice",
        "simp.served_on_spot",
    },
}
# (arc.av_disc, dec.legal_review_recorded, simp.served_on_spot: test_recorded_facts and
# cases/tests/test_simplified_path.)
# Blocking rules that no gate judges: the approval chain's legal-review step (set by
# cases.gates when the approval is requested), the case's own required fields (the
# case cannot be opened without them), and the complaint notice (judged when a
# complaint is declined: cases/tests).
NOT_GATES = {"legal_review_required", "case_fields_required", "complaint_decline_notice"}
# The simplified path opens moves of the workflow (cases/tests/test_simplified_path).
NOT_GATES |= {"simplified_path"}
# The access kinds bind when the access services act (a fulfilment refuses an
# unapproved request and withholds marked records; content is refused): access/tests.
NOT_GATES |= {"copy_request_approval", "confidential_exclusion", "confidentiality_managed"}
# The approval chain binds as each step is signed: cases/tests/test_approvals, web/tests/test_refusals_cited.
NOT_GATES |= {"approval_chain"}


def world_for(rulebook: str) -> f.World:
    return f.world(rulebook)


@pytest.mark.engine_independent
@pytest.mark.parametrize("rulebook", f.ALL_RULEBOOKS)
def test_a_general_case_is_refused_at_each_breach_and_passes_every_gate_when_kept(db, rulebook):
    w = world_for(rulebook)
    walk = Walk(w, is_major=True)
    seed, b, case = walk.seed, walk.b, walk.case

    # ------------------------------------------------ 程序启动 → 调查取证
    if seed != "001":  # 001 asks no initiation approval
        walk.refused_by(Stage.INVESTIGATION, "init.approval", "init.approval_form", "init.filing_documents")
        w.grant_gate(case, "initiation")
        if seed in ("000", "003", "004"):  # a form missing what the article says it carries
            walk.make("initiation_approval", head_opinion="", legal_opinion="", evidence="")
            walk.refused_by(
                Stage.INVESTIGATION, "init.form_fields", "init.form_record", "init.form_legal_opinion"
            )
    walk.move(Stage.INVESTIGATION)

    # ------------------------------------------------ 调查取证: the steps, without their records
    both = walk.officers(w.officer, w.officer2)
    inspection = walk.make(
        "inspection_transcript", officers=walk.officers(w.officer) if seed == "000" else both
    )
    inquiry = b.make("inquiry_transcript", on_site=True, av_notice=False, sign=False)
    if seed in ("000", "001"):
        b.film(inquiry)  # 000: a camera, not the 现场执法检查记录仪 (第十条); 001: not told (第二十五条)
    if seed == "001":  # two clips of one step with a pause between them (第二十二条)
        clip1 = b.film(inspection, device_kind="body_worn_recorder", video_seconds=1, at=ago(3))
        b.film(inspection, device_kind="body_worn_recorder", video_seconds=1, at=ago(2.9))
        assert Gap.objects.filter(case=case, before=clip1).exists()
    sampling = walk.make(
        {"000": "sampling_registration_form", "002": "sampling_notice"}.get(seed, "sampling_list")
    )
    if seed in ("000", "002", "003"):
        b.exempt(sampling, "sampling")  # 不适宜音像记录的除外: no written reason asked
    measures = {
        "001": {"measure": "restrict_personal_liberty"},
        "002": {"measure": "seal_up_premises_facilities_property", "pollution_control_facilities": True},
        "003": {"measure": "seize_property"},
        "004": {"measure": "seal_up_premises_facilities_property", "power_basis": ""},
    }
    if seed in measures:
        b.make("coercive_measure_decision", sign=False, **measures[seed])
    if seed != "000":
        b.make("evidence_preservation", sign=False)
    if seed in ("001", "003", "004"):
        turns = [{"speaker": "presiding", "text": "听证开始。"}, {"speaker": "party", "text": "无异议。"}]
        b.make("hearing_transcript", sign=seed != "001", **({"turns": turns} if seed == "003" else {}))
    if seed in ("002", "004"):
        walk.make("evidence_collection_notice")
        walk.make("statement_defense_transcript")
    if seed in ("000", "002", "004"):
        b.make("investigation_refusal_record", sign=False)
    order = None
    if seed == "001":
        refused_order = b.make("rectification_order", sign=False)
        walk.seal(refused_order)
        walk.refuse_once(refused_order)  # one officer signs the note; 001 第十四条 asks two
    elif seed != "000":  # 000: made when the decision shows the violation (第九条(一)), below
        order = walk.make("rectification_order")
    walk.refused_by(
        Stage.DECISION,
        "inv.two_officers",
        "inv.transcripts_signed",
        "inv.documents_signed",
        "inv.sampling_documents",
        "av.onsite_inspection",
        "av.onsite_inquiry",
        "inv.refusal_recorded",
        "inv.party_records_signed",
        "inv.refusal_two_officers",
        "inv.rights",
        "inv.rights_exercise",
        "inv.hearing_speakers",
        "inv.hearing_signed",
        "inv.evidence_preservation",
        "inv.coercive_measure",
        "av.coercive_measure",
        "av.personal_liberty",
        "av.gaps_explained",
        "av.prior_notice",
        "av.hearing",
        *(["av.sampling"] if seed == "004" else []),
        "inv.evidence_collection_documents",
        "inv.statement_documents",
        "dec.final_report",
    )
    if seed == "004":  # the reason must be written down and signed (第十四条)
        with pytest.raises(Refused) as exc:
            b.exempt(sampling, "sampling")
        assert exc.value.findings[0].article == "004_b4c2f06b7eb1ab1e.txt 第十四条"
        b.exempt(sampling, "sampling", written=True)
    if seed == "001":
        interruption_record(
            actor=w.officer,
            case=case,
            gap=Gap.objects.get(case=case, before=clip1),
            reason="equipment_failure",
            detail="电池耗尽，更换后继续记录。",
            form="spoken",
            spoken_at_second=0,
        )
    walk.move(Stage.DECISION)

    # ------------------------------------------------ 审查决定
    b.make("collective_deliberation", sign=False)
    b.make("expert_review_minutes", sign=False)
    b.make("enforcement_decision", sign=False, confiscation=seed == "001")
    walk.refused_by(
        Stage.SERVICE,
        "dec.head_approval",
        "dec.decision_document",
        "dec.legal_review_record",
        "dec.draft_record",
        "dec.drafting_record",
        "dec.internal_approval",
        "dec.collective_discussion_record",
        "dec.expert_review_record",
        "dec.meeting_record",
        "dec.to_party_sealed",
        "inv.rectification_order",
    )
    if seed == "001":  # an internal approval form not yet signed by its three, with dates
        b.make("internal_approval_form", sign=False)
        walk.refused_by(Stage.SERVICE, "dec.internal_approval_dates")
    if seed != "003":  # 003 has no head's approval of the decision
        w.grant_gate(case, "decision")
    walk.move(Stage.SERVICE)
    if seed == "003":  # 第十六条 "会议记录和专家意见书", read literally, only warns (REQUIREMENTS §6)
        assert "dec.expert_opinion" in walk.warned

    # ------------------------------------------------ 送达
    walk.refused_by(Stage.EXECUTION, "srv.service_recorded")
    b.make("service_receipt", method="direct", sign=False)
    walk.make("service_receipt", method="postal")
    lodged = b.make("service_receipt", method="lodged", sign=False, **({"note": ""} if seed == "001" else {}))
    if seed == "002":  # 第二十三条 "音像记录等方式": recorded by other means
        b.exempt(
            lodged,
            "lodged_service",
            kind="equivalent_means",
            reason="两名见证人签字并制作留置送达现场情况记录。",
        )
    if seed != "000":  # 000 regulates no 公告送达
        walk.make("service_receipt", method="public_notice")
    b.make("service_receipt", method="entrusted", sign=False)
    if seed == "004":
        b.scan("postage_voucher", conclusion="")
    walk.refused_by(
        Stage.EXECUTION,
        "srv.direct",
        "srv.postal",
        "srv.lodged",
        *([] if seed == "002" else ["av.lodged_service"]),
        "srv.public_notice",
        "av.public_notice_service",
        "srv.entrusted_forwarded",
        "srv.entrusted",
        "srv.service_record",
        "srv.postage_voucher_content",
    )
    walk.move(Stage.EXECUTION)

    # ------------------------------------------------ 执行
    demand = walk.make("demand_notice", due_on=yesterday())
    walk.make(
        "service_receipt",
        method="direct",
        document_name="催告书",
        document_number=demand.number,
        served_at=hours_ago(30),
    )
    b.make(
        "enforcement_mode_decision",
        sign=False,
        mode="remove_obstruction_restore_original_state",
        party_statements=True,
        power_basis="",
    )
    if seed != "001":
        walk.make("court_enforcement_application", result="", demand_number=demand.number)
        walk.make("rectification_order")  # a correction order not re-checked
    if seed == "002" and order is not None:  # re-checked, but not recorded in audio-visual form
        walk.make("rectification_verification", order_number=order.number)
    if seed == "001":
        b.film(None, at=ago(24 * 5))  # a photo tied to no text record
    walk.refused_by(
        Stage.ARCHIVING,
        "enf.performance_record",
        "enf.follow_up_report",
        "enf.correction_rechecked",
        "av.restore",
        "enf.statement_review",
        "enf.enforcement_power",
        "enf.court_record",
        "enf.confiscation",
        "av.linked_to_text",
        "enf.mode_documents",
        "enf.compulsory_enforcement",
        "av.correction_verification",
    )
    walk.move(Stage.ARCHIVING)
    walk.no_blocking_breach()

    assert GENERAL[seed] <= set(walk.refused), sorted(GENERAL[seed] - set(walk.refused))


def test_every_blocking_rule_of_every_rulebook_is_shown_refusing_somewhere():
    """Each blocking gate rule appears in a walk above or a named test elsewhere."""
    for versions in all_rulebooks().values():
        book = versions[-1]
        seed = book.source[:3]
        shown = GENERAL.get(seed, set()) | SIMPLIFIED.get(seed, set()) | ELSEWHERE.get(seed, set())
        blocking = {r.id for r in book.rules if r.severity == "block" and r.kind not in NOT_GATES}
        assert blocking - shown == set(), (book.id, sorted(blocking - shown))
        assert shown - blocking == set(), (book.id, sorted(shown - blocking))
