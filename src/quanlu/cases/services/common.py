"""What every case service shares: the one table of stage transitions, the registries
other apps add to in their ``AppConfig.ready()`` (closing checks, deadline keepers), and
the checks of who may act."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from quanlu.cases.models import (
    ApprovalGate,
    Case,
    Procedure,
    Stage,
    StepRole,
)
from quanlu.core.errors import Conflict, Finding, PermissionDenied
from quanlu.org.models import Agency, Officer, Role
from quanlu.rulebooks.evaluator import simplified_moves
from quanlu.rulebooks.terms import SIMPLIFIED_MOVES

CASE_WORKERS = (Role.OFFICER, Role.HANDLER)
STEP_ROLES = {
    StepRole.REVIEW: Role.REVIEWER,
    StepRole.LEGAL_REVIEW: Role.LEGAL_REVIEWER,
    StepRole.APPROVE: Role.APPROVER,
}


@dataclass(frozen=True)
class Transition:
    label: str
    reason_required: bool = False


# The one table of stage transitions. Terminated cases (不予立案, 撤销立案) still go
# through archiving: their records must be filed like any other.
TRANSITIONS: dict[tuple[str, str], Transition] = {
    (Stage.INITIATION, Stage.INVESTIGATION): Transition("启动调查取证"),
    (Stage.INITIATION, Stage.ARCHIVING): Transition("不予立案，转入归档", reason_required=True),
    (Stage.INVESTIGATION, Stage.DECISION): Transition("调查终结，进入审查决定"),
    (Stage.INVESTIGATION, Stage.ARCHIVING): Transition("终止调查，转入归档", reason_required=True),
    (Stage.DECISION, Stage.SERVICE): Transition("作出决定，进入送达"),
    (Stage.SERVICE, Stage.EXECUTION): Transition("送达完毕，进入执行"),
    (Stage.SERVICE, Stage.ARCHIVING): Transition("无需执行，转入归档", reason_required=True),
    (Stage.EXECUTION, Stage.ARCHIVING): Transition("执行完毕，转入归档"),
    (Stage.ARCHIVING, Stage.CLOSED): Transition("归档结案"),
}

# System rules other domains add to the move into 结案, registered in their AppConfig.ready()
# (the archive: the case's dossier is sealed). Each returns the findings that refuse it.
CLOSING_CHECKS: list[Callable[[Case], list[Finding]]] = []
# What other domains do once a case's closing has committed (the archive: the object store
# keeps the sealed dossier's contents to the end of its retention, which closing starts).
ON_CLOSED: list[Callable[[Case], None]] = []


class DeadlineKeeper(Protocol):
    def __call__(self, *, actor: Officer | None, case: Case) -> object: ...


# Who keeps a case's deadlines, registered in their AppConfig.ready() (supervision: it opens
# the deadlines the rulebook sets and marks those met). A change that can open or meet one —
# a move, a decided approval, a stored recording — calls ``deadlines_refresh`` inside its own
# transaction, so the deadline is written with the change or not at all.
DEADLINE_KEEPERS: list[DeadlineKeeper] = []

GATE_STAGES: dict[str, tuple[str, ...]] = {
    ApprovalGate.INITIATION: (Stage.INITIATION,),
    ApprovalGate.DECISION: (Stage.DECISION,),
    ApprovalGate.ENFORCEMENT: (Stage.EXECUTION,),
    ApprovalGate.CLOSING: (Stage.ARCHIVING,),
}


def transitions_for(case: Case | None) -> dict[tuple[str, str], Transition]:
    """The transitions table for a case: the general one, plus, for a simplified-procedure
    case, the moves its rulebook's simplified path opens (decided and handed over on the
    spot, then filed). A regulation that does not set the simplified procedure apart opens
    none, and its simplified cases take the general path."""
    table = dict(TRANSITIONS)
    if case is not None and case.procedure == Procedure.SIMPLIFIED:
        for frm, to in simplified_moves(case):
            table[(frm, to)] = Transition(SIMPLIFIED_MOVES[f"{frm}->{to}"])
    return table


def allowed_transitions(stage: str, case: Case | None = None) -> list[tuple[str, Transition]]:
    return [(to, t) for (frm, to), t in transitions_for(case).items() if frm == stage]


def deadlines_refresh(*, actor: Officer | None, case: Case) -> None:
    """Have the case's deadlines follow a change just written (see ``DEADLINE_KEEPERS``)."""
    for keep in DEADLINE_KEEPERS:
        keep(actor=actor, case=case)


# ---------------------------------------------------------------- permissions


def _require_staff(actor: Officer, agency: Agency, roles: tuple[str, ...], action: str) -> None:
    if actor.agency_id != agency.pk:
        # Supervisors above see the case but may not act on it.
        raise PermissionDenied(f"只有本机关人员可以{action}。")
    if not actor.is_active or not actor.has_role(*roles):
        names = "、".join(Role(r).label for r in roles)
        raise PermissionDenied(f"{action}需要以下角色之一：{names}。")


def _require_open(case: Case) -> None:
    if case.stage == Stage.CLOSED:
        raise Conflict("案件已结案，不能再修改。", code="case_closed")


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("agency").get(pk=case.pk)


def _same_submitter(obj: Any, owner_id: int, actor: Officer) -> Any:
    if owner_id != actor.pk:
        raise Conflict("提交标识已被他人使用，请刷新页面后重试。", code="token_reused")
    return obj
