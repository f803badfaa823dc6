"""Reads about confidentiality and copy requests, always through what the reader may see."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from quanlu.access.models import (
    ConfidentialityMark,
    ContentGrant,
    CopyRequest,
    MarkAction,
    SecretCategory,
)
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


def _reads_by_role(officer: Officer | None, agency_id: int, lead_officer_id: int) -> bool:
    if officer is None or not officer.is_active or officer.agency_id != agency_id:
        return False
    return officer.pk == lead_officer_id or officer.has_role(*CONTENT_READERS)


@dataclass(frozen=True)
class Withheld:
    """Why a record's content is not shown: its live marks, and the rule."""

    categories: tuple[str, ...]

    @property
    def mark(self) -> str:
        return "、".join(str(SecretCategory(c).label) for c in self.categories)

    @property
    def reason(self) -> str:
        return CONTENT_DENIED

    def as_dict(self) -> dict[str, Any]:
        return {"mark": self.mark, "categories": list(self.categories), "reason": self.reason}


class ContentView:
    """Which records' content one reader may have, decided for any number of records at
    once (the live marks and the reader's grants in at most two queries). Records are
    keyed by public id, so ledger payloads and rule findings, which name records by id,
    are judged the same way as the records themselves."""

    def __init__(self, withheld: dict[str, Withheld]) -> None:
        self._withheld = withheld

    @staticmethod
    def _key(item: Item | str | uuid.UUID) -> str:
        return str(item.public_id) if isinstance(item, Document | MediaRecord) else str(item)

    def withheld(self, item: Item | str | uuid.UUID | None) -> Withheld | None:
        """The marks keeping ``item``'s content from this reader, or None if readable."""
        return None if item is None else self._withheld.get(self._key(item))

    def withheld_any(self, items: Iterable[Item | str | uuid.UUID | None]) -> Withheld | None:
        """The marks keeping any of ``items`` from this reader (categories merged)."""
        found = {c for i in items if (w := self.withheld(i)) is not None for c in w.categories}
        return Withheld(tuple(c for c in SecretCategory.values if c in found)) if found else None

    def readable(self, item: Item | str | uuid.UUID) -> bool:
        return self.withheld(item) is None

    def check(self, item: Item | str | uuid.UUID) -> None:
        """Refuse (403) the content of a marked record this reader may not have."""
        if not self.readable(item):
            raise PermissionDenied(CONTENT_DENIED, code="confidential")


def content_view(
    officer: Officer | None, *, items: Iterable[Item] = (), cases: Iterable[Case] = ()
) -> ContentView:
    """The one rule for who may see a marked record's content, over ``items`` and every
    record of ``cases``. Unmarked records: everyone who may see them. Marked ones (国家秘密、
    商业秘密、个人隐私): only the case's own agency's staff whose role needs the content, the
    case's lead officer, or someone the agency head approved for that record; supervisors
    above, and the server's shell (``officer`` None), see the mark only."""
    docs = [i.pk for i in items if isinstance(i, Document)]
    media = [i.pk for i in items if isinstance(i, MediaRecord)]
    case_ids = [c.pk for c in cases]
    parts = [
        Q(**{k: v}) for k, v in (("document__in", docs), ("media__in", media), ("case__in", case_ids)) if v
    ]
    if not parts:
        return ContentView({})
    scope = parts[0]
    for part in parts[1:]:
        scope |= part
    rows = ConfidentialityMark.objects.filter(
        scope, action=MarkAction.MARKED, lifted_by__isnull=True
    ).values_list(
        "document__public_id", "media__public_id", "category", "case__agency_id", "case__lead_officer_id"
    )
    marked: dict[str, set[str]] = {}
    for doc_uid, media_uid, category, agency_id, lead_id in rows:
        if _reads_by_role(officer, agency_id, lead_id):
            continue
        marked.setdefault(str(doc_uid or media_uid), set()).add(category)
    if marked and officer is not None:
        granted = ContentGrant.objects.filter(grantee=officer).filter(
            Q(document__public_id__in=list(marked)) | Q(media__public_id__in=list(marked))
        )
        for doc_uid, media_uid in granted.values_list("document__public_id", "media__public_id"):
            marked.pop(str(doc_uid or media_uid), None)
    order = SecretCategory.values
    return ContentView({uid: Withheld(tuple(c for c in order if c in cats)) for uid, cats in marked.items()})


def may_read_content(officer: Officer | None, item: Item) -> bool:
    """Whether ``officer``, who may already see the record exists, may have its content
    (see ``content_view``, the one rule every surface asks)."""
    return content_view(officer, items=[item]).readable(item)


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


def content_check(officer: Officer | None, item: Item) -> None:
    """Refuse (403) the bytes of a marked record to whoever may not read them."""
    content_view(officer, items=[item]).check(item)
