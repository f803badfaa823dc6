"""Reads about confidentiality and copy requests, always through what the reader may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from quanlu.access.models import ConfidentialityMark, ContentGrant, CopyRequest, MarkAction
from quanlu.cases import selectors as cs
from quanlu.cases.models import Case
from quanlu.core.errors import NotFound, PermissionDenied
from quanlu.core.validation import parse_uuid
from quanlu.media.models import MediaRecord
from quanlu.org.models import Officer, Role
from quanlu.records.models import Document
from quanlu.rulebooks.evaluator import rulebook_for
from quanlu.rulebooks.loader import Rule

Item = Document | MediaRecord

# Roles whose work needs a marked record's content (the case's own agency only).
CONTENT_READERS = (Role.HANDLER, Role.REVIEWER, Role.LEGAL_REVIEWER, Role.APPROVER, Role.ARCHIVIST)


def item_filter(item: Item) -> dict[str, Any]:
    return {"document": item} if isinstance(item, Document) else {"media": item}


def live_marks(item: Item) -> list[ConfidentialityMark]:
    """The marks on a record that no later entry has lifted."""
    return list(
        ConfidentialityMark.objects.filter(
            action=MarkAction.MARKED, lifted_by__isnull=True, **item_filter(item)
        )
        .select_related("actor")
        .order_by("at", "id")
    )


def marks_of_case(case: Case) -> QuerySet[ConfidentialityMark]:
    return ConfidentialityMark.objects.filter(case=case).select_related(
        "document", "media", "actor", "lifts", "lifted_by"
    )


def may_read_content(officer: Officer, item: Item) -> bool:
    """Whether ``officer``, who may already see the record exists, may have its bytes.

    Unmarked records: yes. Marked ones (国家秘密、商业秘密、个人隐私): only the case's own
    agency's staff whose role needs the content, the case's lead officer, or someone
    the agency head approved for this record; supervisors above see the mark only."""
    if not live_marks(item):
        return True
    case = item.case
    if case is None:
        return False
    own = officer.agency_id == case.agency_id and officer.is_active
    if own and (officer.pk == case.lead_officer_id or officer.has_role(*CONTENT_READERS)):
        return True
    return ContentGrant.objects.filter(grantee=officer, **item_filter(item)).exists()


def copy_request_get_for(officer: Officer, public_id: Any) -> CopyRequest:
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    request = CopyRequest.objects.filter(public_id=uid).select_related("case", "case__agency").first()
    if request is None:
        raise NotFound()
    cs.case_get_for(officer, request.case.public_id)  # 404 unless the officer may see the case
    return request


def copy_requests_of(case: Case) -> QuerySet[CopyRequest]:
    return (
        CopyRequest.objects.filter(case=case)
        .select_related("registered_by", "decision", "decision__actor", "fulfilment")
        .prefetch_related("items__document", "items__media", "fulfilment__lines")
    )


def copy_request_status(request: CopyRequest) -> str:
    if hasattr(request, "fulfilment"):
        return "fulfilled"
    if hasattr(request, "decision"):
        return str(request.decision.outcome)
    return "pending"


def access_rule(case: Case, kind: str) -> Rule | None:
    """The case's rulebook rule of an access kind, if its regulation has one."""
    rules = rulebook_for(case).rules_of(kind)
    return rules[0] if rules else None


CONTENT_DENIED = (
    "该记录已标注为涉密（国家秘密、商业秘密或个人隐私），其内容仅限本案办案机关的有关人员"
    "或经机关负责人批准的人员查看。"
)


def content_check(officer: Officer, item: Item) -> None:
    """Refuse (403) the bytes of a marked record to whoever may not read them."""
    if not may_read_content(officer, item):
        raise PermissionDenied(CONTENT_DENIED, code="confidential")
