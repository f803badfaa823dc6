"""记录制度备案 (GEN-14): where an agency's regulation asks it to file its recording
rules (004 第三十二条: 报本级政府司法行政部门备案), the agency files the rulebook
version it applies, with the document number of its filing letter and the text; the
justice bureau acknowledges or returns it; supervisors see who has not filed the
rules they apply today. Where the regulation asks no filing, the state says so."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.blobs.services import blob_store_bytes
from quanlu.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from quanlu.core.validation import parse_uuid
from quanlu.ledger.services import record_event
from quanlu.org.models import Agency, AgencyKind, Officer, Role
from quanlu.org.selectors import visible_agencies
from quanlu.rulebooks.loader import Rule, get_rulebook
from quanlu.rulebooks.obligations import refusal
from quanlu.supervision import events
from quanlu.supervision.models import FilingOutcome, RulebookFiling, RulebookFilingDecision

MAX_ATTACHMENT = 20 * 1024 * 1024


def filing_rule(agency: Agency) -> Rule | None:
    """The rule of the agency's rulebook that asks it to file its rules, if any."""
    if not agency.rulebook_id:
        return None
    rules = get_rulebook(agency.rulebook_id).rules_of("rules_filing")
    return rules[0] if rules else None


def filing_body(agency: Agency) -> Agency | None:
    """本级政府司法行政部门: the justice bureau of the agency's own region."""
    return Agency.objects.filter(kind=AgencyKind.JUSTICE, region_id=agency.region_id).order_by("pk").first()


@dataclass(frozen=True)
class FilingState:
    agency: Agency
    rule: Rule | None  # None: the agency's regulation asks no filing
    version: int
    filing: RulebookFiling | None  # the latest filing of the version applied today
    decision: RulebookFilingDecision | None

    @property
    def status(self) -> str:
        if self.rule is None:
            return "not_required"
        if self.filing is None:
            return "not_filed"
        if self.decision is None:
            return "pending"
        return str(self.decision.outcome)

    @property
    def status_label(self) -> str:
        return {
            "not_required": "所适用的规定未要求备案",
            "not_filed": "未备案",
            "pending": "已报送，待审查",
            "acknowledged": "已备案",
            "returned": "被退回，待重新报送",
        }[self.status]

    @property
    def rulebook_title(self) -> str:
        return get_rulebook(self.agency.rulebook_id).title

    @property
    def overdue(self) -> bool:
        return self.status in ("not_filed", "returned")


def filing_states_for(officer: Officer) -> list[FilingState]:
    """Each enforcement agency ``officer`` may see, with the filing of the rulebook
    version it applies today."""
    agencies = list(visible_agencies(officer).filter(kind=AgencyKind.ENFORCEMENT).order_by("path"))
    latest: dict[tuple[int, str, int], RulebookFiling] = {}
    for f in RulebookFiling.objects.filter(agency__in=agencies).order_by("filed_at", "pk"):
        latest[(f.agency_id, f.rulebook_id, f.rulebook_version)] = f
    decisions = {
        d.filing_id: d
        for d in RulebookFilingDecision.objects.filter(filing__in=[f.pk for f in latest.values()])
    }
    states = []
    for agency in agencies:
        book = get_rulebook(agency.rulebook_id)
        filing = latest.get((agency.pk, book.id, book.version))
        states.append(
            FilingState(
                agency=agency,
                rule=filing_rule(agency),
                version=book.version,
                filing=filing,
                decision=decisions.get(filing.pk) if filing else None,
            )
        )
    return states


def filing_get_for(officer: Officer, public_id: object) -> RulebookFiling:
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    filing = (
        RulebookFiling.objects.filter(public_id=uid)
        .select_related("agency", "filed_with", "filed_by")
        .first()
    )
    if filing is None or not (
        visible_agencies(officer).filter(pk=filing.agency_id).exists()
        or officer.agency_id == filing.filed_with_id
    ):
        raise NotFound()
    return filing


@transaction.atomic
def rulebook_filing_submit(
    *,
    actor: Officer,
    document_number: str,
    attachment: bytes = b"",
    attachment_name: str = "",
) -> RulebookFiling:
    """The actor's agency files the rulebook version it applies today, where its
    regulation asks it to. The head or the administrator files, as the agency."""
    agency = actor.agency
    if agency is None or agency.kind != AgencyKind.ENFORCEMENT:
        raise PermissionDenied("只有行政执法机关报送记录制度备案。")
    if not (actor.has_role(Role.APPROVER) or actor.has_role(Role.ADMINISTRATOR)):
        raise PermissionDenied("记录制度备案由机关负责人或系统管理员报送。")
    rule = filing_rule(agency)
    book = get_rulebook(agency.rulebook_id)
    if rule is None:
        raise Conflict(f"《{book.title}》没有要求将记录制度报送备案，无需报送。", code="filing_not_required")
    body = filing_body(agency)
    if body is None:
        raise refusal(
            [rule],
            f"记录制度报本级政府司法行政部门备案；系统中没有{agency.region.name}的司法行政部门。",
            satisfy=f"由系统管理员登记{agency.region.name}的司法行政部门后再报送。",
            code="no_filing_body",
        )
    document_number = document_number.strip()
    if not document_number:
        raise InvalidInput("请填写报备文号。", field_name="document_number")
    if len(document_number) > 100:
        raise InvalidInput("报备文号不能超过100个字。", field_name="document_number")
    if len(attachment) > MAX_ATTACHMENT:
        raise InvalidInput("报备文本不能超过 20 MB。", field_name="attachment")
    sha = ""
    if attachment:
        blob, _ = blob_store_bytes(actor=actor, agency=agency, data=attachment)
        sha = blob.sha256
    now = timezone.now()
    filing = RulebookFiling.objects.create(
        agency=agency,
        filed_with=body,
        rulebook_id=book.id,
        rulebook_version=book.version,
        document_number=document_number,
        attachment_sha256=sha,
        attachment_name=attachment_name[:200] if sha else "",
        filed_by=actor,
        filed_at=now,
        rule_id=rule.id,
        article=rule.citation.label(),
    )
    record_event(
        type=events.RULES_FILED,
        actor=actor,
        agency=agency,
        at=now,
        payload={
            "filing": filing.public_id,
            "filed_with": body.public_id,
            "rulebook": book.id,
            "version": book.version,
            "document_number": document_number,
            "attachment_sha256": sha,
            "rule": rule.id,
        },
        rows=[filing],
    )
    return filing


@transaction.atomic
def rulebook_filing_decide(
    *, actor: Officer, filing: RulebookFiling, outcome: str, reason: str = ""
) -> RulebookFilingDecision:
    """The filing body's supervisor acknowledges the filing or returns it, with reasons."""
    # Who may not see the filing learns nothing of it (404); who may, why not (403).
    filing = filing_get_for(actor, filing.public_id)
    if actor.agency_id != filing.filed_with_id or not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied(f"由备案机关（{filing.filed_with.name}）的执法监督人员审查。")
    if outcome not in FilingOutcome.values:
        raise InvalidInput("审查结论应为予以备案或退回。", field_name="outcome")
    reason = reason.strip()
    if outcome == FilingOutcome.RETURNED and not reason:
        raise InvalidInput("退回须写明理由。", field_name="reason")
    now = timezone.now()
    try:
        with transaction.atomic():
            decision = RulebookFilingDecision.objects.create(
                filing=filing, decided_by=actor, decided_at=now, outcome=outcome, reason=reason
            )
    except IntegrityError as exc:
        raise Conflict("该备案已经审查过。", code="already_decided") from exc
    record_event(
        type=events.RULES_ACKNOWLEDGED if outcome == FilingOutcome.ACKNOWLEDGED else events.RULES_RETURNED,
        actor=actor,
        agency=filing.agency,
        at=now,
        payload={
            "filing": filing.public_id,
            "decision": decision.public_id,
            "outcome": outcome,
            "reason": reason,
        },
        rows=[decision],
    )
    return decision
