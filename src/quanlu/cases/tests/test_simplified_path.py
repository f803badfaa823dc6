"""The simplified procedure's own path (简易程序): decided with what the text asks
recorded, handed over on the spot and filed, without the general procedure's gates —
where the regulation sets it apart (003 第十八条); and the general path where it does
not (001)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from quanlu.cases.models import Stage
from quanlu.cases.services import allowed_transitions, case_advance
from quanlu.core.errors import Refused
from quanlu.rulebooks.evaluator import Status, gate
from quanlu.rulebooks.providers import gather
from quanlu.rulebooks.sample import Builder
from quanlu.rulebooks.tests.walk import add_party
from quanlu.testing import factories as f

R003_TXT = "003_b6123a0950a37ec2.txt"


def test_003_decides_on_the_spot_hands_over_and_files_without_the_general_gates(db):
    world = f.world(f.R003)
    case = world.open_case(procedure="simplified", cause="某村民违法取水案")
    add_party(world, case)
    moves = dict(allowed_transitions(Stage.INITIATION, case))
    assert moves[Stage.SERVICE].label == "当场作出决定，当场交付"
    # The record 第十八条 asks comes first: facts and legal basis, steps and documents,
    # statement and defence, their review, the filing.
    with pytest.raises(Refused) as refused:
        case_advance(actor=world.officer, case=case, to_stage=Stage.SERVICE)
    [finding] = [x for x in refused.value.findings if x.rule == "simp.record"]
    assert finding.article == f"{R003_TXT} 第十八条"
    assert finding.quote == "适用简易程序的,应记录以下内容"
    builder = Builder.for_case(case)
    record = builder.make("simplified_procedure_record", served_at="")  # the handing over not yet recorded
    case_advance(actor=world.officer, case=case, to_stage=Stage.SERVICE)  # no initiation approval
    case.refresh_from_db()
    assert case.stage == Stage.SERVICE
    # Filing asks the on-the-spot service recorded, and nothing of the general path.
    with pytest.raises(Refused) as refused:
        case_advance(actor=world.officer, case=case, to_stage=Stage.ARCHIVING)
    rules = {x.rule: x for x in refused.value.findings}
    assert set(rules) == {"simp.served_on_spot"}
    assert rules["simp.served_on_spot"].quote == "(二)实施简易程序的步骤及法定文书;"
    assert "当场交付决定书时间" in rules["simp.served_on_spot"].message
    builder.amend(record, {"served_at": timezone.localtime().replace(microsecond=0).isoformat()})
    results = {r.rule.id: r for r in gate(gather(case), Stage.ARCHIVING)}
    for general in ("srv.service_recorded", "enf.performance_record"):
        assert results[general].status == Status.NOT_APPLICABLE
        assert "简易程序" in results[general].outcome.message
    case_advance(actor=world.officer, case=case, to_stage=Stage.ARCHIVING)  # no reason asked
    case.refresh_from_db()
    assert case.stage == Stage.ARCHIVING
    assert case.transitions.last().reason == ""


def test_001_sets_no_simplified_path_so_its_simplified_cases_take_the_general_one(db):
    world = f.world(f.R001)
    case = world.open_case(procedure="simplified")
    assert [to for to, _ in allowed_transitions(Stage.INITIATION, case)] == [
        Stage.INVESTIGATION,
        Stage.ARCHIVING,
    ]
    with pytest.raises(Refused) as refused:
        case_advance(actor=world.officer, case=case, to_stage=Stage.SERVICE)
    assert refused.value.code == "transition_not_allowed"
    assert "按一般程序逐阶段办理" in refused.value.message
