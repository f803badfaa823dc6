"""The officer's to-do list: what waits for this person, by role, each item with the
link to the page that resolves it.

Composed in the web layer from each app's selectors (the domain apps do not know
each other's to-dos): documents waiting for my signature, approval steps waiting for
me, the unmet blocking findings of the cases I handle, audio-visual records to file,
deadlines in yellow or red, dossiers to assemble or seal, and for supervisors the
alert totals of the agencies they supervise.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from quanlu.archive.models import DossierStatus
from quanlu.archive.selectors import current_dossiers, is_archivist
from quanlu.cases import selectors as cs
from quanlu.cases.models import Approval, Case, Stage, StepRole
from quanlu.cases.services import allowed_transitions
from quanlu.media.models import MediaRecord
from quanlu.org.models import Officer, Role
from quanlu.org.selectors import visible_agencies
from quanlu.records.models import Document
from quanlu.records.selectors import signature_status_many
from quanlu.rulebooks.evaluator import Status, evaluate, next_steps
from quanlu.rulebooks.providers import gather_many
from quanlu.supervision.models import AlertLevel, Deadline
from quanlu.web.fixes import fix_for, plain_citation

# The groups, in the order the page shows them (code, label).
GROUPS = (
    ("sign", "待我签署"),
    ("approve", "待我审批"),
    ("supplement", "待补材料"),
    ("media", "待上传/待关联音像"),
    ("deadline", "期限预警"),
    ("archive", "待归档/待封卷"),
    ("subordinate", "下级机关预警"),
)
GROUP_LABELS = dict(GROUPS)

LIMIT = 50  # items per group: a to-do list longer than this is read on the pages it links to


@dataclass(frozen=True)
class TodoItem:
    group: str
    title: str  # what to do, in Chinese
    url: str  # the page (and form) that resolves it
    action: str  # the link's words
    case_number: str = ""
    detail: str = ""
    level: str = ""  # "yellow" / "red" for deadlines and alerts


@dataclass
class TodoGroup:
    code: str
    label: str
    items: list[TodoItem] = field(default_factory=list)


def _open_cases(officer: Officer) -> list[Case]:
    if officer.agency is None:
        return []
    return list(
        Case.objects.filter(agency=officer.agency)
        .exclude(stage=Stage.CLOSED)
        .select_related("agency", "lead_officer")
        .order_by("opened_at")
    )


def _to_sign(officer: Officer, cases: list[Case]) -> list[TodoItem]:
    """Documents whose signature set names me, or asks for an officer of a role I hold
    in a slot nobody filled yet, and that I have not signed."""
    me = str(officer.public_id)
    roles = officer.role_set()
    items: list[TodoItem] = []
    docs = list(
        Document.objects.filter(case__in=cases, voiding__isnull=True)
        .exclude(origin="uploaded")
        .select_related("case")
        .order_by("created_at", "id")
    )
    statuses = signature_status_many(docs)
    for doc in docs:
        for slot in statuses[doc.pk]:
            if slot.satisfied or not slot.officer_slot:
                continue
            named = [e for e in slot.expected if e.officer_id == me and not e.done]
            by_role = (
                not any(e.officer_id for e in slot.expected)
                and bool(roles & set(slot.roles))
                and not any(s.officer_id == officer.pk for s in slot.signatures)
            )
            if named or by_role:
                items.append(
                    TodoItem(
                        group="sign",
                        title=f"《{doc.title}》：{slot.label}待您签名",
                        url=reverse("records:document", args=[doc.public_id]) + f"#slot-{slot.key}",
                        action="去签署",
                        case_number=doc.case.number,
                    )
                )
                break
    return items


def _step_label(approval: Approval) -> str:
    role = approval.next_role()
    return StepRole(role).label if role else "签署"


def _to_approve(officer: Officer) -> list[TodoItem]:
    return [
        TodoItem(
            group="approve",
            title=f"{a.get_gate_display()}{'（补报）' if a.supplementary else ''}：待{_step_label(a)}",
            url=reverse("web:case", args=[a.case.public_id]) + f"#approval-{a.public_id}",
            action="去审批",
            case_number=a.case.number,
            detail=f"承办人 {a.requested_by} · {timezone.localtime(a.requested_at):%Y-%m-%d %H:%M}",
        )
        for a in cs.approvals_waiting_for(officer)
    ]


def _to_supplement(officer: Officer, cases: list[Case]) -> list[TodoItem]:
    """Each unmet blocking finding of the cases I handle, and what blocks their next move."""
    items: list[TodoItem] = []
    mine = [c for c in cases if c.lead_officer_id == officer.pk]
    judged = gather_many(mine)
    for case in mine:
        facts = judged[case.pk]
        found = [r for r in evaluate(facts) if r.blocking]
        for _, _, blocking in next_steps(facts, allowed_transitions(case.stage, case)):
            found.extend(blocking)
        seen: set[tuple[str, str]] = set()
        for r in found:
            key = (r.rule.id, r.outcome.message)
            if key in seen or r.outcome.status != Status.UNMET:
                continue
            seen.add(key)
            fix = fix_for(str(case.public_id), r, facts)
            items.append(
                TodoItem(
                    group="supplement",
                    title=r.outcome.message,
                    url=fix.url,
                    action=fix.label,
                    case_number=case.number,
                    detail=plain_citation(r),
                )
            )
    return items


def _to_file_media(officer: Officer, cases: list[Case]) -> list[TodoItem]:
    """Records I uploaded that belong to no case yet, and records of my cases tied to no
    text record."""
    items: list[TodoItem] = []
    if officer.agency is None:
        return items
    loose = MediaRecord.objects.filter(agency=officer.agency, case__isnull=True, officer=officer)
    for m in loose.order_by("received_at")[:LIMIT]:
        items.append(
            TodoItem(
                group="media",
                title=f"音像记录「{m.name}」尚未归入案件",
                url=reverse("media:record", args=[m.public_id]),
                action="归入案件",
            )
        )
    mine = [c for c in cases if c.lead_officer_id == officer.pk]
    unlinked = (
        MediaRecord.objects.filter(case__in=mine)
        .exclude(links__document_uid__isnull=False)
        .select_related("case")
        .order_by("received_at")
    )
    for m in unlinked[:LIMIT]:
        items.append(
            TodoItem(
                group="media",
                title=f"音像记录「{m.name}」尚未关联文字记录",
                url=reverse("media:record", args=[m.public_id]),
                action="关联笔录",
                case_number=m.case.number if m.case else "",
            )
        )
    return items


def _deadlines(officer: Officer, cases: list[Case]) -> list[TodoItem]:
    """Yellow and red deadlines of my agency's open cases (all of them for the head
    and the archivist, the cases I handle for the others)."""
    now = timezone.now()
    broad = officer.has_role(Role.APPROVER, Role.ARCHIVIST)
    wanted = [c for c in cases if broad or c.lead_officer_id == officer.pk]
    items: list[TodoItem] = []
    mine = Q(case__in=wanted)
    if officer.has_role(Role.APPROVER) and officer.agency is not None:
        mine |= Q(case__isnull=True, agency=officer.agency)  # rectification orders to the agency
    rows = Deadline.objects.filter(mine, met_at__isnull=True).select_related("case")
    for d in rows.order_by("due_at"):
        level = d.level(now)
        if level == AlertLevel.NONE:
            continue
        if d.case is None:
            url, action = reverse("supervision:order", args=[d.subject]), "查看整改通知"
        else:
            url, action = reverse("web:case", args=[d.case.public_id]) + "#deadlines", "查看期限"
        items.append(
            TodoItem(
                group="deadline",
                title=d.title,
                url=url,
                action=action,
                case_number=d.case.number if d.case else "",
                detail=f"{d.status_label(now)} · 期限 {timezone.localtime(d.due_at):%Y-%m-%d %H:%M}",
                level=str(level),
            )
        )
    return items


def _to_archive(officer: Officer) -> list[TodoItem]:
    if officer.agency is None or not is_archivist(officer, officer.agency):
        return []
    items: list[TodoItem] = []
    waiting = list(Case.objects.filter(agency=officer.agency, stage=Stage.ARCHIVING).order_by("opened_at"))
    dossiers = current_dossiers(waiting)
    for case in waiting:
        dossier = dossiers.get(case.pk)
        url = reverse("archive:case", args=[case.public_id])
        if dossier is None:
            items.append(TodoItem("archive", "待归档：尚未组卷", url, "去组卷", case.number))
        elif dossier.status == DossierStatus.ASSEMBLED:
            items.append(TodoItem("archive", "待封卷：已组卷，尚未封卷", url, "去封卷", case.number))
    return items


def _subordinates(officer: Officer) -> list[TodoItem]:
    """For a supervisor, each agency it supervises with its yellow and red totals."""
    if officer.agency is None or not officer.has_role(Role.SUPERVISOR):
        return []
    now = timezone.now()
    below = visible_agencies(officer).exclude(pk=officer.agency.pk).filter(kind="enforcement")
    counts: dict[int, Counter[str]] = {}
    for d in Deadline.objects.filter(agency__in=below, met_at__isnull=True):
        counts.setdefault(d.agency_id, Counter())[str(d.level(now))] += 1
    items: list[TodoItem] = []
    for agency in below.order_by("path"):
        c = counts.get(agency.pk, Counter())
        red, yellow = c[AlertLevel.RED], c[AlertLevel.YELLOW]
        if not (red or yellow):
            continue
        items.append(
            TodoItem(
                group="subordinate",
                title=f"{agency.name}：红牌 {red} 项、黄牌 {yellow} 项",
                url=reverse("supervision:overview"),
                action="查看监督情况",
                level=str(AlertLevel.RED if red else AlertLevel.YELLOW),
            )
        )
    return items


def todo_for(officer: Officer) -> list[TodoGroup]:
    """The to-do list of ``officer``, by group; empty groups are left out."""
    cases = _open_cases(officer)
    found = [
        *_to_sign(officer, cases),
        *_to_approve(officer),
        *_to_supplement(officer, cases),
        *_to_file_media(officer, cases),
        *_deadlines(officer, cases),
        *_to_archive(officer),
        *_subordinates(officer),
    ]
    groups = [TodoGroup(code, label) for code, label in GROUPS]
    by_code = {g.code: g for g in groups}
    for item in found:
        group = by_code[item.group]
        if len(group.items) < LIMIT:
            group.items.append(item)
    return [g for g in groups if g.items]
