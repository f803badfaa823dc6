from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from quanlu.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from quanlu.file_review import selectors, services, sheets
from quanlu.file_review.models import Campaign, ReviewSheet
from quanlu.file_review.tests.conftest import ReviewWorld, committed
from quanlu.ledger.models import Event
from quanlu.supervision.compliance import compliance_rebuild
from quanlu.supervision.models import CaseCompliance, RectificationOrder

pytestmark = pytest.mark.tampers  # cases are closed behind the services; committed() checks the rest


def open_random(rw: ReviewWorld, *, seed: str = "42", n: int = 2, actor=None) -> Campaign:
    return services.campaign_open(
        actor=actor or rw.w.superior_supervisor,
        title="2026年度案卷评查",
        method="random",
        per_agency=n,
        seed=seed,
    )


def drawn(campaign: Campaign) -> list[str]:
    return [s.case.number for s in selectors.samples_of(campaign)]


def score_all(rw: ReviewWorld, campaign: Campaign) -> None:
    for sample in selectors.samples_of(campaign):
        services.case_score(actor=rw.w.superior_supervisor, sample=sample, entries=[])


def test_random_sampling_is_reproducible_and_stays_in_the_tree(rw):
    first = open_random(rw, seed="abc")
    again = open_random(rw, seed="abc")
    assert drawn(first) == drawn(again)
    assert len(drawn(first)) == 4  # 2 from each of the two subordinate agencies
    tree = {c.number for c in rw.home_cases + rw.sibling_cases}
    assert set(drawn(first)) <= tree
    assert rw.elsewhere_case.number not in drawn(first)
    assert first.params["seed"] == "abc"
    assert {s.agency for s in selectors.samples_of(first)} == {rw.w.agency, rw.sibling}
    event = Event.objects.filter(type="file_review:campaign:opened").last()
    assert event is not None
    assert event.payload["params"]["seed"] == "abc"
    assert len(event.payload["cases"]) == 4
    committed()


def test_a_seed_is_recorded_when_none_is_given_and_other_seeds_draw_otherwise(rw):
    campaign = open_random(rw, seed="", n=1)
    assert len(campaign.params["seed"]) == 16
    draws = {tuple(drawn(open_random(rw, seed=str(s), n=2))) for s in range(6)}
    assert len(draws) > 1  # the seed, not the order of the table, picks the cases


def test_rule_based_sampling_takes_the_matching_cases(rw):
    from quanlu.cases.models import Case

    Case.objects.filter(pk=rw.sibling_cases[0].pk).update(kind="inspection")
    campaign = services.campaign_open(
        actor=rw.w.superior_supervisor, title="行政检查专项评查", method="rule", kind="inspection"
    )
    assert drawn(campaign) == [rw.sibling_cases[0].number]
    assert "行政检查" in selectors.samples_of(campaign)[0].reason
    with pytest.raises(InvalidInput, match="至少设定一个条件"):
        services.campaign_open(actor=rw.w.superior_supervisor, title="x", method="rule")
    today = timezone.localdate()
    with pytest.raises(InvalidInput, match="没有符合条件"):
        services.campaign_open(
            actor=rw.w.superior_supervisor, title="x", method="rule", opened_to=today - dt.timedelta(days=9)
        )
    breached = services.campaign_open(
        actor=rw.w.superior_supervisor, title="问题案卷", method="rule", only_breached=True
    )
    # Cases closed without their records break rules: every closed case of the tree qualifies.
    assert len(drawn(breached)) == 7
    # Once projected, the projection is what is read (derived data, set here by hand to
    # tell the two apart): a case it holds as keeping every rule is not drawn.
    compliance_rebuild()
    kept = drawn(breached)[0]
    CaseCompliance.objects.filter(case__number=kept).update(unmet=0)
    again = services.campaign_open(
        actor=rw.w.superior_supervisor, title="问题案卷二", method="rule", only_breached=True
    )
    assert set(drawn(again)) == set(drawn(breached)) - {kept}


def test_outsiders_and_non_supervisors_cannot_open_or_see_a_campaign(rw):
    with pytest.raises(PermissionDenied):
        open_random(rw, actor=rw.w.officer)
    with pytest.raises(NotFound):  # an agency outside the body's tree
        services.campaign_open(
            actor=rw.w.superior_supervisor, title="x", method="random", per_agency=1, agencies=[rw.w.other]
        )
    campaign = open_random(rw)
    for who in (rw.w.outsider, rw.w.officer, rw.w.approver, rw.sibling_officer):
        with pytest.raises(NotFound):
            selectors.campaign_get_for(who, campaign.public_id)
    assert selectors.campaign_get_for(rw.w.superior_supervisor, campaign.public_id) == campaign
    # The justice bureau of the region supervises the superior agency's work too.
    assert selectors.campaign_get_for(rw.w.justice_supervisor, campaign.public_id) == campaign


def test_scoring_is_prefilled_from_the_rulebook_check_and_changes_need_a_reason(rw):
    campaign = open_random(rw, n=1)
    sample = selectors.samples_of(campaign).first()
    filled = selectors.prefill(rw.w.superior_supervisor, sample.case, campaign.sheet.content)
    unmet = [p for p in filled if p.applicable and p.awarded == 0]
    assert unmet, "a case closed without its records breaks rules"
    broken = unmet[0]
    assert broken.finding.startswith("系统检查不符合")
    score = services.case_score(actor=rw.w.superior_supervisor, sample=sample, entries=[])
    row = score.items.get(item=broken.item.code)
    assert (row.prefilled, row.awarded, row.prefill_awarded, row.changed) == (True, 0, 0, False)
    assert row.rulebook_id == sample.case.rulebook_id
    assert row.article.startswith("第")
    assert row.quote  # the article's words, as the sheet cites them
    assert score.possible == sum(p.item.points for p in filled if p.applicable)
    assert score.awarded == sum(p.awarded for p in filled if p.applicable)

    entry = {"item": broken.item.code, "awarded": "2.5", "finding": "有记录但不全。"}
    with pytest.raises(InvalidInput, match="调整理由"):
        services.case_score(actor=rw.w.superior_supervisor, sample=sample, entries=[entry])
    with pytest.raises(InvalidInput, match=r"0\.5"):
        services.case_score(
            actor=rw.w.superior_supervisor, sample=sample, entries=[{**entry, "awarded": "1.2"}]
        )
    with pytest.raises(InvalidInput, match="之间"):
        services.case_score(
            actor=rw.w.superior_supervisor, sample=sample, entries=[{**entry, "awarded": "99", "reason": "x"}]
        )
    again = services.case_score(
        actor=rw.w.superior_supervisor, sample=sample, entries=[{**entry, "reason": "纸质卷宗中有部分记录。"}]
    )
    row = again.items.get(item=broken.item.code)
    assert (row.awarded, row.prefill_awarded, row.changed) == (Decimal("2.5"), 0, True)
    assert row.change_reason == "纸质卷宗中有部分记录。"
    assert again.replaces == score
    assert selectors.current_score(sample) == again
    assert again.awarded == score.awarded + Decimal("2.5")
    committed()


def test_only_the_body_s_supervisors_score(rw):
    campaign = open_random(rw, n=1)
    sample = selectors.samples_of(campaign).first()
    for who in (rw.w.justice_supervisor, rw.w.officer, rw.w.outsider):
        with pytest.raises(PermissionDenied):
            services.case_score(actor=who, sample=sample, entries=[])


def test_results_add_up_per_agency_officer_and_article(rw):
    campaign = open_random(rw, n=2)
    score_all(rw, campaign)
    res = selectors.results(campaign)
    scores = selectors.current_scores(campaign).values()
    assert res.cases == res.scored == 4
    assert res.total.possible == sum(s.possible for s in scores)
    assert res.total.awarded == sum(s.awarded for s in scores)
    assert sum(a.possible for a in res.agencies) == res.total.possible
    assert sum(o.awarded for o in res.officers) == res.total.awarded
    assert {a.name for a in res.agencies} == {rw.w.agency.name, rw.sibling.name}
    assert sum(r["lost"] for r in res.articles) == res.total.lost
    assert sum(i.lost for i in res.lost_items) == res.total.lost
    assert res.total.percent == (res.total.awarded * 100 / res.total.possible).quantize(Decimal("0.1"))
    assert all(r["citation"].startswith("《") for r in res.articles)
    only_home = selectors.results(campaign, rw.w.agency)
    assert only_home.cases == 2
    assert {a.name for a in only_home.agencies} == {rw.w.agency.name}


def test_a_rectification_order_is_issued_from_the_review_through_supervision(rw):
    campaign = open_random(rw, n=1)
    score_all(rw, campaign)
    lost = list(selectors.results(campaign, rw.w.agency).lost_items)
    assert lost
    link = services.review_rectification_issue(
        actor=rw.w.superior_supervisor,
        campaign=campaign,
        agency=rw.w.agency,
        items=lost[:2],
        requirements="补齐全过程记录，30日内报告整改情况。",
        due_at=timezone.now() + dt.timedelta(days=30),
    )
    order = RectificationOrder.objects.get(pk=link.order_id)
    assert order.agency == rw.w.agency
    assert order.issuer_agency == rw.w.superior
    assert lost[0].title in order.findings
    assert lost[0].score.sample.case.number in order.findings
    assert link.items == [str(i.public_id) for i in lost[:2]]
    assert order.cases == [
        {"id": str(lost[0].score.sample.case.public_id), "number": lost[0].score.sample.case.number}
    ]
    with pytest.raises(InvalidInput, match="不是"):  # items of one agency for another
        services.review_rectification_issue(
            actor=rw.w.superior_supervisor,
            campaign=campaign,
            agency=rw.sibling,
            items=lost[:1],
            requirements="x",
        )
    with pytest.raises(PermissionDenied):
        services.review_rectification_issue(
            actor=rw.w.officer, campaign=campaign, agency=rw.w.agency, items=lost[:1], requirements="x"
        )
    committed()


def test_closing_needs_every_case_scored_then_freezes_scoring_and_opens_results_to_the_agencies(rw):
    campaign = open_random(rw, n=1)
    with pytest.raises(Conflict, match="未评分"):
        services.campaign_close(actor=rw.w.superior_supervisor, campaign=campaign, conclusion="总体良好。")
    with pytest.raises(NotFound):  # the reviewed agency sees nothing before closure
        selectors.campaign_get_for(rw.w.officer, campaign.public_id)
    score_all(rw, campaign)
    services.campaign_close(actor=rw.w.superior_supervisor, campaign=campaign, conclusion="总体良好。")
    campaign.refresh_from_db()
    assert campaign.closed
    with pytest.raises(Conflict, match="已结束"):
        services.case_score(
            actor=rw.w.superior_supervisor, sample=selectors.samples_of(campaign).first(), entries=[]
        )
    seen = selectors.campaign_get_for(rw.w.officer, campaign.public_id)
    assert selectors.reviewed_agency_only(rw.w.officer, seen) == rw.w.agency
    assert selectors.reviewed_agency_only(rw.w.superior_supervisor, seen) is None
    with pytest.raises(NotFound):
        selectors.campaign_get_for(rw.w.outsider, campaign.public_id)
    committed()


def test_a_new_sheet_version_does_not_alter_a_closed_review(rw):
    campaign = open_random(rw, n=1)
    assert campaign.sheet.version == 1
    assert campaign.sheet.origin == "default"
    score_all(rw, campaign)
    services.campaign_close(actor=rw.w.superior_supervisor, campaign=campaign, conclusion="结束。")
    before = selectors.results(campaign)
    changed = copy.deepcopy(sheets.default_sheet())
    changed["title"] = "本机关评查标准（第二版）"
    for section in changed["sections"]:
        for item in section["items"]:
            item["points"] = 1
    v2 = services.sheet_publish(actor=rw.w.superior_supervisor, content=changed)
    assert v2.version == 2
    assert selectors.current_sheet(rw.w.superior) == v2
    campaign.refresh_from_db()
    after = selectors.results(campaign)
    assert campaign.sheet.version == 1
    assert (after.total.possible, after.total.awarded) == (before.total.possible, before.total.awarded)
    later = open_random(rw, n=1)
    assert later.sheet == v2
    assert ReviewSheet.objects.filter(agency=rw.w.superior).count() == 2
    committed()


def test_a_bad_sheet_is_refused_with_what_is_wrong(rw):
    good = sheets.default_sheet()
    bad = copy.deepcopy(good)
    bad["sections"][0]["items"][0]["cites"][0]["quote"] = "并不存在的条文"
    with pytest.raises(InvalidInput, match="不是《"):
        services.sheet_publish(actor=rw.w.superior_supervisor, content=bad)
    bad = copy.deepcopy(good)
    bad["sections"][0]["items"][0]["cites"][0]["rules"] = ["no.such.rule"]
    with pytest.raises(InvalidInput, match=r"no\.such\.rule"):
        services.sheet_publish(actor=rw.w.superior_supervisor, content=bad)
    with pytest.raises(InvalidInput, match="无法解析"):
        services.sheet_publish(actor=rw.w.superior_supervisor, content="title: [unclosed")
    with pytest.raises(PermissionDenied):
        services.sheet_publish(actor=rw.w.officer, content=good)
    assert not ReviewSheet.objects.exists()


def test_the_default_sheet_cites_every_regulation_and_its_review_articles():
    content = sheets.default_sheet()
    cited = {c["regulation"] for s in content["sections"] for i in s["items"] for c in i["cites"]}
    from quanlu.testing.factories import ALL_RULEBOOKS

    assert cited == set(ALL_RULEBOOKS)
    assert [b["article"] for b in content["basis"]] == ["第三十二条", "第三十条"]
    # 001 asks no initiation approval: that item does not apply to its cases.
    codes_001 = {i.code for i in sheets.items_for(content, "001_985a08834cda7543")}
    assert "start.approval" not in codes_001
    assert "arc.archive" in codes_001


def test_the_command_exports_the_default_and_imports_a_version(rw, tmp_path):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("file_review", "sheet-export", stdout=out)
    path = tmp_path / "sheet.yaml"
    path.write_text(
        out.getvalue().replace("行政执法全过程记录案卷评查标准", "命令导入的标准", 1), encoding="utf-8"
    )
    out = StringIO()
    call_command("file_review", "sheet-import", rw.w.superior_supervisor.username, str(path), stdout=out)
    assert "第 1 版" in out.getvalue()
    assert selectors.current_sheet(rw.w.superior).title == "命令导入的标准"
    path.write_text("title: x\nsections: []\n", encoding="utf-8")
    with pytest.raises(CommandError, match="至少应有一个类别"):
        call_command("file_review", "sheet-import", rw.w.superior_supervisor.username, str(path))
    committed()
