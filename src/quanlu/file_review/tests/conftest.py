from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import timezone

from quanlu.cases import services as cases
from quanlu.cases.models import STAGE_ORDER, Case, StageTransition
from quanlu.ledger.verify import verify_records
from quanlu.org.models import Agency, Officer, Role
from quanlu.testing import factories
from quanlu.testing.factories import CASE_DEFAULTS, World


@dataclass
class ReviewWorld:
    """Two agencies under one superior (each with closed cases), an agency elsewhere
    with a closed case of its own, and the world's personas."""

    w: World
    sibling: Agency
    sibling_officer: Officer
    home_cases: list[Case]
    sibling_cases: list[Case]
    elsewhere_case: Case


def close_behind_services(case: Case) -> Case:
    # Closing for real (records of every stage, dossier sealed) takes seconds per case;
    # a review looks only at which cases are closed, so the stages are set directly, as
    # if the case had passed them all without its records (the rulebook check then finds
    # what is missing). The test checks the ledger itself, allowing only these case rows
    # (see committed()).
    previous = case.stage
    for stage in STAGE_ORDER[1:]:
        StageTransition.objects.create(
            case=case, from_stage=previous, to_stage=stage, actor=case.opened_by, at=timezone.now()
        )
        previous = stage
    Case.objects.filter(pk=case.pk).update(stage="closed")
    case.refresh_from_db()
    return case


def committed() -> None:
    """Every row written was committed by its event, but the cases closed behind the
    services: what the conftest's check does for tests that tamper with nothing."""
    problems = [p for p in verify_records().problems if not _behind_services(p.item)]
    assert not problems, [p.message for p in problems]


def _behind_services(item: dict[str, object]) -> bool:
    return item.get("table") in ("cases_case", "cases_stagetransition")


@pytest.fixture
def rw(world: World) -> ReviewWorld:
    return review_world(world)


def review_world(world: World) -> ReviewWorld:
    reg = world.agency.region
    sibling = factories.agency(reg=reg, rulebook=world.rulebook, parent=world.superior, name="兄弟执法局")
    sibling_officer = factories.officer(sibling, Role.OFFICER, Role.HANDLER, name="兄弟局承办人")
    home = [close_behind_services(world.open_case(cause=f"本局案件{i}")) for i in range(4)]
    sib = [
        close_behind_services(
            cases.case_open(actor=sibling_officer, **{**CASE_DEFAULTS, "cause": f"兄弟局案件{i}"})
        )
        for i in range(3)
    ]
    world.open_case(cause="仍在办理的案件")  # not reviewable: still open
    elsewhere = close_behind_services(world.open_case(actor=world.outsider, cause="外地案件"))
    return ReviewWorld(world, sibling, sibling_officer, home, sib, elsewhere)
