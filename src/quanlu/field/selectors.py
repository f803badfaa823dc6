"""What the field app reads: the devices and takeouts, and the pack a device carries
for each case taken out (only what the case needs, nothing else of the agency)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from quanlu.cases.models import (
    Case,
    CaseSource,
    EnforcementKind,
    IdType,
    InitiationMode,
    PartyKind,
    Procedure,
    Stage,
)
from quanlu.core.errors import NotFound, PermissionDenied
from quanlu.core.validation import parse_uuid
from quanlu.field.models import FieldCredential, FieldDevice, Receipt, ReceiptStatus, Takeout
from quanlu.field.services import FIELD_ROLES, onsite_types
from quanlu.media.models import DelayReason, InterruptionReason
from quanlu.media.services.gaps import MIN_WRITTEN_SIGNERS
from quanlu.org.models import Agency, Officer
from quanlu.records.catalogue import DocType, catalogue
from quanlu.rulebooks.loader import Rulebook, get_rulebook
from quanlu.rulebooks.params import duration_label
from quanlu.rulebooks.terms import NOTICE_METHODS, RIGHTS

# The rule kinds the device evaluates itself, on the document it holds; the server
# runs the same rules, through the rulebook evaluator, once the record is received.
DEVICE_RULE_KINDS = {
    "officers_present": "笔录记录了执法人员、执法证件编号及出示情况",
    "documents_signed": "笔录已由执法人员和当事人（或在场人员）签名",
}


def device_get_for(officer: Officer, public_id: Any) -> FieldDevice:
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    device = FieldDevice.objects.filter(public_id=uid, agency=officer.agency).first()
    if device is None:
        raise NotFound()
    return device


def devices_of_agency(officer: Officer) -> QuerySet[FieldDevice]:
    return (
        FieldDevice.objects.filter(agency=officer.agency)
        .select_related("enrolled_by", "revocation")
        .prefetch_related("credentials__officer")
    )


def credentials_on(device: FieldDevice) -> list[FieldCredential]:
    latest: dict[int, FieldCredential] = {}
    for c in device.credentials.select_related("officer").order_by("enrolled_at", "id"):
        latest[c.officer_id] = c
    return list(latest.values())


def takeouts_for_case(case: Case) -> QuerySet[Takeout]:
    return Takeout.objects.filter(case=case).select_related("device", "officer", "device__revocation")


def receipts_for_case(case: Case) -> QuerySet[Receipt]:
    return Receipt.objects.filter(case=case).order_by("captured_at_server", "sequence")


def receipts_refused(device: FieldDevice) -> QuerySet[Receipt]:
    return Receipt.objects.filter(device=device, status=ReceiptStatus.REFUSED).order_by("sequence")


def cases_to_take(officer: Officer) -> QuerySet[Case]:
    """Open cases of the officer's agency: their own first (the device page ticks them)."""
    return (
        Case.objects.filter(agency=officer.agency)
        .exclude(stage=Stage.CLOSED)
        .select_related("lead_officer")
        .order_by("-opened_at")[:100]
    )


def _field(spec: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"key": spec.key, "label": spec.label, "type": spec.type, "required": spec.required}
    if spec.options:
        out["options"] = [list(o) for o in spec.options]
    if spec.min_count:
        out["min_count"] = spec.min_count
    if spec.columns:
        out["columns"] = [[c.key, c.label] for c in spec.columns]
    if spec.speakers:
        out["speakers"] = [list(s) for s in spec.speakers]
    return out


def _doc_type(t: DocType, rulebook_id: str) -> dict[str, Any]:
    """A form and its signature set, as the device fills it and checks it is signed."""
    fields = []
    for spec in t.fields:
        item = _field(spec)
        if spec.type == "rights":
            item["rights"] = [[r, RIGHTS[r]] for r in spec.rights_for(rulebook_id)]
            item["methods"] = [list(m) for m in NOTICE_METHODS.items()]
        fields.append(item)
    return {
        "code": t.code,
        "title": t.title,
        "fields": fields,
        "signatures": [
            {
                "key": s.key,
                "label": s.label,
                "officer_slot": s.officer_slot,
                "refusal": s.refusal,
                "optional": s.optional,
                "from_field": s.from_field,
                "min": s.minimum,
                # How many officers attest a refusal under this regulation.
                "refusal_min": catalogue().refusal_min_officers(t, rulebook_id)[0] if s.refusal else 0,
                # A slot required only when a condition on the form holds: the server judges it.
                "conditional": s.when is not None,
            }
            for s in t.signatures
        ],
    }


def _upload_rule(book: Rulebook) -> dict[str, Any] | None:
    """The regulation's time for storing audio-visual records, and its after-return
    exception where it has one: the device offers the exception's circumstances only
    then, and declares the return time with each file."""
    rule = next(iter(book.rules_of("av_upload_deadline")), None)
    if rule is None:
        return None
    after = rule.params.get("after_return")
    return {
        "id": rule.id,
        "within": duration_label(rule.params["within"]),
        "after_return": duration_label(after) if after else "",
        "reasons": [[r, DelayReason(r).label] for r in rule.params.get("reasons") or []],
        "article": f"《{book.title}》{rule.citation.article}",
        "quote": rule.citation.quote,
    }


def _agency_pack(agency: Agency, rulebook_id: str) -> dict[str, Any]:
    """What any case of the agency needs on the device: its officers and certificates,
    the on-site forms the regulation names, the checks the device runs, the upload
    time, and what a written interruption statement needs."""
    day = timezone.localdate()
    book = get_rulebook(rulebook_id, on=day)
    officers = Officer.objects.filter(agency=agency, is_active=True).exclude(certificate_no="")
    types = onsite_types(rulebook_id)
    codes = {t.code for t in types}
    checks = [
        {
            "id": r.id,
            "kind": r.kind,
            "label": DEVICE_RULE_KINDS[r.kind],
            "params": r.params,
            "article": f"《{book.title}》{r.citation.article}",
            "quote": r.citation.quote,
        }
        for kind in DEVICE_RULE_KINDS
        for r in book.rules_of(kind)
        if set(r.params.get("documents") or []) & codes
    ]
    # The same number ``interruption_record`` asks at receipt (001 第二十二条: 两名以上).
    signers = max(
        [int(r.params.get("min_signers", 2)) for r in book.rules_of("av_gaps_explained")],
        default=MIN_WRITTEN_SIGNERS,
    )
    return {
        "officers": [
            {
                "uid": str(o.public_id),
                "name": o.full_name,
                "certificate_no": o.certificate_no,
                "certificate_valid": o.certificate_valid_on(day),
            }
            for o in officers.order_by("full_name")
        ],
        "document_types": [_doc_type(t, rulebook_id) for t in types],
        "checks": checks,
        "upload": _upload_rule(book),
        "interruption": {"signers": signers, "reasons": [list(c) for c in InterruptionReason.choices]},
    }


def case_pack(case: Case) -> dict[str, Any]:
    """Everything the device needs to work on ``case`` offline."""
    return {
        "case": {
            "uid": str(case.public_id),
            "number": case.number,
            "cause": case.cause,
            "stage": case.stage,
            "stage_label": Stage(case.stage).label,
            "agency": case.agency.name,
        },
        "parties": [
            {"uid": str(p.public_id), "name": p.name, "legal_representative": p.legal_representative}
            for p in case.parties.all().order_by("id")
        ],
        **_agency_pack(case.agency, case.rulebook_id),
    }


def new_case_pack(officer: Officer) -> dict[str, Any]:
    """What the device needs to open a case offline under a provisional number (临时编号):
    the choices of the online form, and the agency's part of a case's pack. The server
    numbers the case when the device syncs it."""
    agency = officer.agency
    if agency is None or not officer.has_role(*FIELD_ROLES):
        raise PermissionDenied("现场新立案件需要「执法人员」或「承办人」角色。")
    return {
        "agency": agency.name,
        "choices": {
            "kind": [list(c) for c in EnforcementKind.choices],
            "procedure": [list(c) for c in Procedure.choices],
            "initiation_mode": [list(c) for c in InitiationMode.choices],
            "source": [list(c) for c in CaseSource.choices],
            "party_kind": [list(c) for c in PartyKind.choices],
            "id_type": [list(c) for c in IdType.choices],
        },
        **_agency_pack(agency, agency.rulebook_id),
    }
