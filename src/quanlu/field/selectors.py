"""What the field app reads: the devices and takeouts, and the pack a device carries
for each case taken out (only what the case needs, nothing else of the agency)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from quanlu.cases.models import Case, Stage
from quanlu.core.errors import NotFound
from quanlu.core.validation import parse_uuid
from quanlu.field.models import FieldCredential, FieldDevice, Receipt, ReceiptStatus, Takeout
from quanlu.field.services import FIELD_DOCUMENT_TYPES
from quanlu.org.models import Officer
from quanlu.records.catalogue import doc_type
from quanlu.rulebooks.loader import get_rulebook
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
    return out


def case_pack(case: Case) -> dict[str, Any]:
    """Everything the device needs to work on ``case`` offline."""
    day = timezone.localdate()
    book = get_rulebook(case.rulebook_id, on=day)
    officers = Officer.objects.filter(agency=case.agency, is_active=True).exclude(certificate_no="")
    types = []
    for code in FIELD_DOCUMENT_TYPES:
        t = doc_type(code)
        fields = []
        for spec in t.fields:
            item = _field(spec)
            if spec.type == "rights":
                item["rights"] = [[r, RIGHTS[r]] for r in spec.rights_for(case.rulebook_id)]
                item["methods"] = [list(m) for m in NOTICE_METHODS.items()]
            fields.append(item)
        types.append(
            {
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
                    }
                    for s in t.signatures
                ],
            }
        )
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
        if set(r.params.get("documents") or []) & set(FIELD_DOCUMENT_TYPES)
    ]
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
        "officers": [
            {
                "uid": str(o.public_id),
                "name": o.full_name,
                "certificate_no": o.certificate_no,
                "certificate_valid": o.certificate_valid_on(day),
            }
            for o in officers.order_by("full_name")
        ],
        "document_types": types,
        "checks": checks,
    }
