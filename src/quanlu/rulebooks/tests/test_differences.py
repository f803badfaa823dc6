"""Where the five regulations differ, each difference both ways: the same records
that one regulation accepts, another refuses — citing its own article."""

from __future__ import annotations

import pytest

from quanlu.cases import services as cases
from quanlu.cases.models import Stage
from quanlu.core.errors import InvalidInput, Refused
from quanlu.rulebooks.evaluator import Status, evaluate, gate
from quanlu.rulebooks.providers import gather
from quanlu.rulebooks.tests.walk import Walk, hours_ago, yesterday
from quanlu.testing import factories as f

R000, R001, R002, R003, R004 = f.ALL_RULEBOOKS
PATH = [Stage.INVESTIGATION, Stage.DECISION, Stage.SERVICE, Stage.EXECUTION]


def walk_to(rulebook: str, stage: str, *, scans: bool = True, **fields: object) -> Walk:
    """A case brought to ``stage`` with its approvals granted and its records made
    (quickly, as scanned paper forms)."""
    w = f.world(rulebook)
    walk = Walk(w, **fields)
    walk.b.scans = scans
    for step in PATH[: PATH.index(stage) + 1] if stage in PATH else []:
        if step == Stage.INVESTIGATION and walk.have("init.approval") and walk.case.procedure == "general":
            w.grant_gate(walk.case, "initiation")
        if step == Stage.SERVICE and walk.have("dec.head_approval") and walk.case.procedure == "general":
            w.grant_gate(walk.case, "decision")
        walk.move(step)
    return walk


def rules_of(findings: list) -> dict[str, object]:
    return {x.rule: x for x in findings}


# ---------------------------------------------------------------- officers on site


@pytest.mark.parametrize(
    ("rulebook", "refused"), [(R000, True), (R001, False), (R002, False), (R003, False), (R004, False)]
)
def test_one_officer_on_site_is_refused_by_000_only(db, rulebook, refused):
    walk = walk_to(rulebook, Stage.INVESTIGATION)
    inspection = walk.make("inspection_transcript", officers=walk.officers(walk.w.officer))
    walk.b.film(inspection, device_kind="body_worn_recorder")
    if refused:
        walk.refused_by(Stage.DECISION, "inv.two_officers")
        finding = walk.refused["inv.two_officers"]
        assert finding.article == "000_9c8bbcda03c04eb4.txt 第七条"
        assert "2 人以上" in finding.quote
        assert "只记录了1名执法人员" in finding.message
    else:
        walk.move(Stage.DECISION)  # the count is recorded, not prescribed (REQUIREMENTS §2.2 #1)
        assert "inv.two_officers" not in walk.refused


# No service edits an officer's certificate, and records refuse a lapsed one at creation.
@pytest.mark.tampers
def test_an_officer_whose_certificate_has_lapsed_is_not_counted(db):
    walk = walk_to(R000, Stage.INVESTIGATION)
    inspection = walk.make("inspection_transcript", officers=walk.officers(walk.w.officer, walk.w.officer2))
    walk.b.film(inspection, device_kind="body_worn_recorder")
    officer2 = walk.w.officer2
    officer2.certificate_valid_until = inspection.created_at.date().replace(year=2000)
    officer2.save(update_fields=["certificate_valid_until"])
    walk.refused_by(Stage.DECISION, "inv.two_officers")
    assert "执法证件" in walk.refused["inv.two_officers"].message


# ---------------------------------------------------------------- audio-visual exemptions


SAMPLING = {
    R000: "sampling_registration_form",
    R002: "sampling_notice",
    R003: "sampling_list",
    R004: "sampling_list",
}
SAMPLING_ARTICLE = {R000: "第十条", R002: "第十一条", R003: "第十一条", R004: "第十四条"}


@pytest.mark.parametrize("rulebook", [R000, R002, R003, R004])
def test_an_exemption_without_written_reason_is_enough_except_in_004(db, rulebook):
    walk = walk_to(rulebook, Stage.INVESTIGATION)
    sampling = walk.make(SAMPLING[rulebook])
    walk.refused_by(Stage.DECISION, "av.sampling")
    assert walk.refused["av.sampling"].article.endswith(SAMPLING_ARTICLE[rulebook])
    if rulebook == R004:
        with pytest.raises(Refused) as exc:
            walk.b.exempt(sampling, "sampling")
        (finding,) = exc.value.findings
        assert finding.article == "004_b4c2f06b7eb1ab1e.txt 第十四条"
        assert "但需书面记录原因" in finding.quote
        walk.b.exempt(sampling, "sampling", written=True)
    else:
        walk.b.exempt(sampling, "sampling")
    walk.move(Stage.DECISION)
    result = {r.rule.id: r for r in evaluate(gather(walk.case))}["av.sampling"]
    assert result.status == Status.MET
    assert "不适宜音像记录" in result.outcome.message


def test_004_refuses_an_exemption_whose_written_reason_is_not_signed(db):
    walk = walk_to(R004, Stage.INVESTIGATION)
    sampling = walk.make("sampling_list")
    unsigned = walk.b.make("av_exemption_reason", sign=False, activity="sampling")
    from quanlu.media.services import exemption_record

    with pytest.raises(Exception, match="尚未签署完毕"):
        exemption_record(
            actor=walk.w.officer,
            case=walk.case,
            kind="unsuitable",
            activity="sampling",
            document=sampling,
            reason="不适宜。",
            written_reason=unsigned,
        )


@pytest.mark.parametrize("rulebook", [R002, R003, R004])
def test_no_exemption_for_the_recording_of_a_seizure(db, rulebook):
    walk = walk_to(rulebook, Stage.INVESTIGATION)
    extra = {"pollution_control_facilities": True} if rulebook == R002 else {}
    seizure = walk.make("coercive_measure_decision", measure="seize_property", **extra)
    with pytest.raises(Refused) as exc:
        walk.b.exempt(seizure, "coercive_measure")
    assert exc.value.code == "exemption_not_allowed"
    assert exc.value.findings[0].rule == "av.coercive_measure"


def test_004_does_not_ask_audio_visual_recording_of_a_freeze(db):
    for rulebook in (R004, R003):
        walk = walk_to(rulebook, Stage.INVESTIGATION)
        walk.make("coercive_measure_decision", measure="freeze_deposits_remittances")
        walk.move(Stage.DECISION)
    walk = walk_to(R004, Stage.INVESTIGATION)
    walk.make("coercive_measure_decision", measure="restrict_personal_liberty")
    walk.refused_by(Stage.DECISION, "av.coercive_measure")


def test_002_asks_recording_only_for_pollution_control_facilities(db):
    walk = walk_to(R002, Stage.INVESTIGATION)
    walk.make("coercive_measure_decision", measure="seize_property", pollution_control_facilities=False)
    walk.move(Stage.DECISION)
    walk = walk_to(R002, Stage.INVESTIGATION)
    walk.make("coercive_measure_decision", measure="seize_property", pollution_control_facilities=True)
    walk.refused_by(Stage.DECISION, "av.coercive_measure")


def test_000_asks_the_on_site_recorder_and_only_for_on_site_questioning(db):
    walk = walk_to(R000, Stage.INVESTIGATION)
    office = walk.make("inquiry_transcript", on_site=False)
    on_site = walk.make("inquiry_transcript", on_site=True)
    walk.b.film(on_site)  # a photo, but not by the 现场执法检查记录仪
    walk.refused_by(Stage.DECISION, "av.onsite_inquiry")
    assert str(office.public_id) not in walk.refused["av.onsite_inquiry"].message
    assert "执法记录仪" in walk.refused["av.onsite_inquiry"].message
    walk.move(Stage.DECISION)
    # 002 has no audio-visual rule for questioning at all.
    other = walk_to(R002, Stage.INVESTIGATION)
    other.make("inquiry_transcript", on_site=True)
    other.move(Stage.DECISION)


@pytest.mark.parametrize(("rulebook", "refused"), [(R003, True), (R004, True), (R000, False), (R002, False)])
def test_a_hearing_without_recording_is_refused_by_003_and_004(db, rulebook, refused):
    walk = walk_to(rulebook, Stage.INVESTIGATION)
    walk.make("hearing_transcript")
    if refused:
        walk.refused_by(Stage.DECISION, "av.hearing")
    else:
        walk.move(Stage.DECISION)


def test_001_only_warns_where_its_text_says_根据实际(db):
    walk = walk_to(R001, Stage.INVESTIGATION)
    walk.make("inspection_transcript")
    walk.move(Stage.DECISION)
    assert "av.onsite_inspection" in walk.warned


# ---------------------------------------------------------------- signatures and refusals


@pytest.mark.parametrize(("rulebook", "refused"), [(R001, True), (R004, False)])
def test_a_refusal_attested_by_one_officer_is_refused_by_001_only(db, rulebook, refused):
    walk = walk_to(rulebook, Stage.INVESTIGATION)
    order = walk.b.make("rectification_order", sign=False)
    walk.seal(order)
    walk.refuse_once(order)
    if refused:
        walk.refused_by(Stage.DECISION, "inv.refusal_two_officers", "inv.party_records_signed")
        finding = walk.refused["inv.refusal_two_officers"]
        assert finding.article == "001_985a08834cda7543.txt 第十四条"
        assert "两名以上行政执法人员签字" in finding.quote
    else:  # 004 第十三条: the refusal is recorded; the recording officer's signature is enough
        from quanlu.records.selectors import document_is_complete

        assert document_is_complete(order)
        walk.move(Stage.DECISION)


# ---------------------------------------------------------------- rights


RIGHTS_ARTICLE = {R000: "第八条", R001: "第八条", R002: "第九条", R003: "第九条", R004: "第十二条"}


@pytest.mark.parametrize("rulebook", f.ALL_RULEBOOKS)
def test_a_penalty_without_a_record_of_the_rights_notice_is_refused(db, rulebook):
    walk = walk_to(rulebook, Stage.INVESTIGATION)
    rule = "inv.rights" if rulebook == R001 else "inv.rights_manner"
    walk.refused_by(Stage.DECISION, rule)
    assert walk.refused[rule].article.endswith(RIGHTS_ARTICLE[rulebook])


def test_004_asks_six_rights_the_others_four(db):
    four = [
        {"right": r, "notified": True, "method": "written", "exercised": "未申请"}
        for r in ("statement", "defense", "recusal", "hearing")
    ]
    accepted = walk_to(R002, Stage.INVESTIGATION, scans=False)
    accepted.make("rights_notice", rights=four)
    accepted.move(Stage.DECISION)
    refused = walk_to(R004, Stage.INVESTIGATION, scans=False)
    with pytest.raises(InvalidInput, match="申请行政复议"):
        refused.make("rights_notice", rights=four)
    rule = refused.book.rule("inv.rights_manner")
    assert rule.params["rights"][-2:] == ["reconsideration", "litigation"]


# ---------------------------------------------------------------- initiation


def test_001_asks_no_initiation_approval_004_does(db):
    walk = walk_to(R001, Stage.INVESTIGATION)
    assert walk.case.stage == Stage.INVESTIGATION
    assert not walk.case.approvals.exists()
    other = Walk(f.world(R004))
    other.refused_by(Stage.INVESTIGATION, "init.approval", "init.approval_form")


def test_000_asks_the_investigation_report_after_an_emergency_start(db):
    w = f.world(R000)
    case = cases.case_open(
        actor=w.officer, emergency=True, emergency_reason="证据可能灭失", **f.CASE_DEFAULTS
    )
    walk = Walk(w, case=case)
    assert case.stage == Stage.INVESTIGATION
    walk.refused_by(Stage.DECISION, "init.emergency_report", "init.filing_documents", "init.approval")
    assert walk.refused["init.emergency_report"].article == "000_9c8bbcda03c04eb4.txt 第六条"
    # 000 sets no time limit for it: no deadline rule (INIT-09 for 000 has none).
    assert not walk.book.rules_of("supplementary_approval_deadline")
    w.grant_gate(case, "initiation")
    walk.move(Stage.DECISION)


@pytest.mark.parametrize("rulebook", [R001, R002, R004])
def test_an_application_is_recorded_before_the_review(db, rulebook):
    w = f.world(rulebook)
    walk = Walk(w, kind="licensing", initiation_mode="on_application", source="application", cause="许可申请")
    walk.refused_by(Stage.INVESTIGATION, "init.application")
    finding = walk.refused["init.application"]
    assert finding.article.endswith({R001: "第七条", R002: "第五条", R004: "第八条"}[rulebook])
    for kind, items in (
        ("registered", None),
        ("supplement_notice", ["总平面图"]),
        ("supplement_notice", ["权属证明"]),
    ):
        cases.application_event_record(actor=w.officer, case=walk.case, kind=kind, items=items)
    cases.application_event_record(actor=w.officer, case=walk.case, kind="accepted")
    if walk.have("init.approval"):
        w.grant_gate(walk.case, "initiation")
    walk.move(Stage.INVESTIGATION)
    if rulebook in (R002, R004):  # told twice what to supplement: 一次性告知 is only warned
        assert "init.one_time_notice" in walk.warned
    # 003 regulates no application intake.
    other = Walk(f.world(R003), kind="licensing", initiation_mode="on_application", source="application")
    assert other.attempt(Stage.INVESTIGATION) == set()


@pytest.mark.parametrize("rulebook", [R002, R003, R004])
def test_a_case_on_a_complaint_carries_the_complaint_record(db, rulebook):
    w = f.world(rulebook)
    fields = {k: v for k, v in f.CASE_DEFAULTS.items() if k not in ("initiation_mode", "source")}
    loose = Walk(w, initiation_mode="complaint", source="complaint", **fields)
    loose.refused_by(Stage.INVESTIGATION, "init.complaint_recorded")
    complaint = cases.complaint_register(
        actor=w.officer, named=True, complainant_name="马某", content="偷排。", channel="电话"
    )
    walk = Walk(w, case=cases.complaint_initiate(actor=w.officer, complaint=complaint, **fields))
    if walk.have("init.approval") and rulebook == R002:
        w.grant_gate(walk.case, "initiation")
    walk.move(Stage.INVESTIGATION)
    result = {r.rule.id: r for r in evaluate(gather(walk.case))}["init.complaint_recorded"]
    assert "电话" in result.outcome.message


# ---------------------------------------------------------------- simplified procedure


@pytest.mark.parametrize("rulebook", [R000, R001, R002, R003, R004])
def test_simplified_procedure_records_and_their_recording(db, rulebook):
    walk = walk_to(rulebook, Stage.DECISION, scans=False, procedure="simplified")
    if rulebook == R001:  # 001 has no simplified-procedure article
        walk.b.make("simplified_procedure_record", dispute_prone=False)
        walk.move(Stage.SERVICE)
        return
    walk.refused_by(Stage.SERVICE, "simp.record")
    calm = walk.b.make(
        "simplified_procedure_record",
        sign=False,
        on_spot_fine=True,
        on_spot_fine_collection="",
        dispute_prone=False,
    )
    ids = walk.refused_by(Stage.SERVICE, "simp.record_items", "simp.on_spot_fine")
    # 002 第二十条: every simplified-procedure act is recorded; the others only the dispute-prone.
    assert ("av.simplified_all" in ids) == (rulebook == R002)
    walk.b.sign(calm)
    walk.b.amend(calm, {"on_spot_fine_collection": "当场收缴罚款二十元，出具专用票据。"})
    if rulebook == R002:
        walk.b.film(calm)
    assert walk.attempt(Stage.SERVICE) == set()
    if rulebook != R002:
        other = walk_to(rulebook, Stage.DECISION, scans=False, procedure="simplified")
        other.b.make("simplified_procedure_record", dispute_prone=True)
        other.refused_by(Stage.SERVICE, "av.simplified_dispute_prone")


# ---------------------------------------------------------------- execution


@pytest.mark.parametrize(("rulebook", "needed"), [(R002, True), (R004, False)])
def test_002_alone_asks_a_post_supervision_report(db, rulebook, needed):
    walk = walk_to(rulebook, Stage.EXECUTION)
    walk.b.scan("performance_record")
    if needed:
        walk.refused_by(Stage.ARCHIVING, "enf.follow_up_report")
        assert walk.refused["enf.follow_up_report"].article == "002_4fd6fddfbbebbad6.txt 第二十六条"
    walk.move(Stage.ARCHIVING)


@pytest.mark.parametrize(("rulebook", "needed"), [(R002, True), (R003, False), (R004, False), (R000, False)])
def test_002_alone_asks_the_correction_recheck_recorded_in_audio_visual_form(db, rulebook, needed):
    walk = walk_to(rulebook, Stage.EXECUTION)
    order = walk.make("rectification_order")
    walk.make("rectification_verification", order_number=order.number)
    if needed:
        walk.refused_by(Stage.ARCHIVING, "av.correction_verification")
    walk.move(Stage.ARCHIVING)


def test_000_asks_the_recheck_only_of_orders_issued_on_site(db):
    walk = walk_to(R000, Stage.EXECUTION)
    walk.make("rectification_order", issued_on_site=False)
    walk.move(Stage.ARCHIVING)  # no re-check needed (第二十二条第二款)
    other = walk_to(R002, Stage.EXECUTION)
    other.make("rectification_order", issued_on_site=False)
    other.refused_by(Stage.ARCHIVING, "enf.correction_rechecked")


@pytest.mark.parametrize("rulebook", [R000, R002, R003, R004])
def test_enforcement_before_the_demand_notice_is_served_and_overdue_is_refused(db, rulebook):
    w = f.world(rulebook)
    article = {R000: "第二十三条", R002: "第二十七条", R003: "第二十五条", R004: "第二十二条"}[rulebook]
    # No demand notice at all: even closing the case early is refused.
    walk = Walk(w)
    walk.b.scans = True
    walk.b.scan("enforcement_mode_decision")
    walk.refused_by(Stage.ARCHIVING, "enf.demand_notice", reason="终止")
    assert walk.refused["enf.demand_notice"].article.endswith(article)
    assert "之前没有制作催告书" in walk.refused["enf.demand_notice"].message
    if rulebook != R004:
        return
    # Made but never served.
    walk = Walk(w)
    walk.make("demand_notice", due_on=yesterday())
    walk.b.scan("court_enforcement_application")
    walk.refused_by(Stage.ARCHIVING, "enf.demand_notice", reason="终止")
    assert "没有送达" in walk.refused["enf.demand_notice"].message
    # Served, but the enforcement came before the deadline ran out.
    walk = Walk(w)
    demand = walk.make("demand_notice")
    walk.make(
        "service_receipt",
        method="direct",
        document_name="催告书",
        document_number=demand.number,
        served_at=hours_ago(3),
    )
    walk.b.scan("court_enforcement_application")
    walk.refused_by(Stage.ARCHIVING, "enf.demand_notice", reason="终止")
    assert "尚未届满" in walk.refused["enf.demand_notice"].message
    # In order: demand, served, overdue, then enforcement.
    walk = Walk(w)
    demand = walk.make("demand_notice", due_on=yesterday())
    walk.make(
        "service_receipt",
        method="direct",
        document_name="催告书",
        document_number=demand.number,
        served_at=hours_ago(30),
    )
    walk.b.scan("court_enforcement_application")
    result = {r.rule.id: r for r in evaluate(gather(walk.case))}["enf.demand_notice"]
    assert result.status == Status.MET
    assert "enf.demand_notice" not in walk.attempt(Stage.ARCHIVING, reason="终止")


def test_004_asks_a_complete_and_orderly_file_before_closing(db):
    w = f.world(R004)
    walk = Walk(w)
    walk.b.make("closing_approval", sign=False)
    walk.move(Stage.ARCHIVING, reason="不予立案")
    ids = walk.attempt(Stage.CLOSED)
    assert "arc.file_complete" in ids
    assert walk.refused["arc.file_complete"].article == "004_b4c2f06b7eb1ab1e.txt 第二十五条第二款"
    other = Walk(f.world(R002))
    other.b.make("closing_approval", sign=False)
    other.move(Stage.ARCHIVING, reason="不予立案")
    assert "arc.file_complete" not in other.attempt(Stage.CLOSED)


@pytest.mark.parametrize(
    ("rulebook", "blocks"), [(R000, True), (R001, False), (R002, True), (R003, True), (R004, True)]
)
def test_lodged_service_is_recorded_in_audio_visual_form_or_by_equivalent_means(db, rulebook, blocks):
    walk = walk_to(rulebook, Stage.SERVICE)
    lodged = walk.make("service_receipt", method="lodged")
    if not blocks:  # 001 第十九条: "根据实际"
        walk.move(Stage.EXECUTION)
        assert "av.lodged_service" in walk.warned
        return
    walk.refused_by(Stage.EXECUTION, "av.lodged_service")
    assert "音像记录等方式" in walk.refused["av.lodged_service"].quote
    with pytest.raises(Refused):  # no 不适宜音像记录 exemption for service
        walk.b.exempt(lodged, "lodged_service")
    walk.b.exempt(
        lodged, "lodged_service", kind="equivalent_means", reason="两名见证人在场并书面记录留置过程。"
    )
    walk.move(Stage.EXECUTION)


def _sign_officer_slots(walk: Walk, doc) -> None:
    """The officers sign their own slots; the people outside the agency do not."""
    from quanlu.records import services as records
    from quanlu.records.sample import _named, _signer_for
    from quanlu.records.selectors import signature_status

    for st in signature_status(doc):
        for e in st.expected if st.officer_slot else []:
            signer = _named(doc, st.key, e.officer_id) or _signer_for(st.roles[0], walk.b.staff)
            records.signature_sign(actor=signer, document=doc, slot=st.key, signature_method="password")


def test_001_judges_a_hearing_record_short_of_a_participant_under_article_16_alone(db):
    # 第十四条 (调查取证文书: the party's signature, a refusal attested by two officers, the
    # straddle seal, each amendment confirmed) is not the hearing record's article; 第十六条
    # (听证参加人审核无误后签字或者盖章) is. The inquiry record stays under 第十四条.
    from quanlu.records.selectors import signature_status

    walk = walk_to(R001, Stage.INVESTIGATION)
    hearing = walk.make("hearing_transcript", sign=False)
    inquiry = walk.make("inquiry_transcript", sign=False)
    for doc in (hearing, inquiry):
        walk.refuse_once(doc, "party" if doc == hearing else "interviewee")
        _sign_officer_slots(walk, doc)
    slots = {st.key: st for st in signature_status(hearing)}
    assert slots["party"].satisfied  # one officer's note is enough outside 第十四条
    assert (slots["party"].refusal_min_officers, slots["party"].citation) == (1, None)
    assert not slots["participants"].satisfied
    inquiry_party = next(st for st in signature_status(inquiry) if st.key == "interviewee")
    assert (inquiry_party.refusal_min_officers, inquiry_party.citation.article) == (2, "第十四条")

    results = [
        r
        for r in gate(gather(walk.case), Stage.DECISION)
        if r.status == Status.UNMET and not r.rule.id.startswith("av.")
    ]
    about = {
        uid: {r.rule.id: r.rule.citation.article for r in results if uid in r.outcome.subjects}
        for uid in (str(hearing.public_id), str(inquiry.public_id))
    }
    assert about[str(hearing.public_id)] == {"inv.hearing_signed": "第十六条"}
    assert about[str(inquiry.public_id)]["inv.refusal_two_officers"] == "第十四条"
    assert "inv.hearing_signed" not in about[str(inquiry.public_id)]
    walk.refused_by(Stage.DECISION, "inv.hearing_signed", "inv.refusal_two_officers")
    assert walk.refused["inv.hearing_signed"].article == "001_985a08834cda7543.txt 第十六条"
