"""The fill-in form generated from a catalogue type: widgets to show, and the
POST parsed back into the field values the services clean and check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from quanlu.cases.models import Approval, ApprovalStatus, Case, Party, PartyKind, StepOutcome, StepRole
from quanlu.org.models import Officer, Role
from quanlu.records.catalogue import NOTICE_METHODS, RIGHTS, DocType, FieldSpec
from quanlu.records.models import Document, Version

BLANK_ROWS = 2


@dataclass
class Widget:
    spec: FieldSpec
    value: Any = None
    officers: list[dict[str, Any]] = field(default_factory=list)
    parties: list[Any] = field(default_factory=list)
    rights: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    person: dict[str, str] = field(default_factory=dict)
    text: str = ""
    error: str = ""

    @property
    def name(self) -> str:
        return f"f_{self.spec.key}"


def _local_input(value: Any) -> str:
    """A stored or typed time as a datetime-local input's value (YYYY-MM-DDTHH:MM).
    A typed one comes back naive (the input has no zone): it is shown as typed."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        parsed = parse_datetime(value.strip().replace(" ", "T"))
    except ValueError:
        parsed = None
    if parsed is None:
        return value
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    return parsed.strftime("%Y-%m-%dT%H:%M")


def co_officer(case: Case, me: Officer) -> Officer | None:
    """Who I go out with: the other officer of my latest on-site record of this case,
    else the case's lead officer, else of my latest on-site record of any case."""
    mine = str(me.public_id)

    def partner(versions: Any) -> Officer | None:
        for version in versions.filter(document__voiding__isnull=True, fields__has_key="officers").order_by(
            "-created_at", "-id"
        )[:20]:
            listed = [
                str(o.get("officer")) for o in version.fields.get("officers") or [] if isinstance(o, dict)
            ]
            other = next((uid for uid in listed if uid != mine), None) if mine in listed else None
            found = Officer.objects.filter(public_id=other, is_active=True).first() if other else None
            if found is not None:
                return found
        return None

    lead = case.lead_officer
    return (
        partner(Version.objects.filter(document__case=case))
        or (lead if lead.pk != me.pk and lead.is_active else None)
        or partner(Version.objects.filter(document__case__agency_id=case.agency_id, created_by=me))
    )


# The approval form of each gate, and which of its fields each step of the signed
# e-approval chain fills: the form records what the chain decided.
APPROVAL_FORMS = {
    "initiation_approval": "initiation",
    "internal_approval_form": "decision",
    "closing_approval": "closing",
}
# Per step: (field, whether the field carries the signer and date itself — the
# 立案审批表's opinion boxes have no date of their own), and the step's date field.
STEP_FIELDS: dict[str, tuple[tuple[tuple[str, bool], ...], str]] = {
    StepRole.REVIEW: ((("reviewer_opinion", False), ("unit_opinion", True)), "reviewer_date"),
    StepRole.LEGAL_REVIEW: ((("legal_opinion", True),), ""),
    StepRole.APPROVE: ((("approver_opinion", False), ("head_opinion", True)), "approver_date"),
}


def _day(moment: Any) -> str:
    return timezone.localtime(moment).date().isoformat()


def from_approval(doc_type: DocType, case: Case) -> dict[str, Any]:
    """An approval form's opinions, names and dates from the case's signed approval of
    its gate (the latest, granted first), and what the case already says."""
    gate = APPROVAL_FORMS.get(doc_type.code)
    if gate is None:
        return {}
    keys = {f.key for f in doc_type.fields}
    out: dict[str, Any] = {}
    if doc_type.code == "initiation_approval":
        source = case.get_source_display() + (f"（{case.source_detail}）" if case.source_detail else "")
        out.update({"source": source, "start_reason": case.reason, "facts": case.summary or None})
    approvals = Approval.objects.filter(case=case, gate=gate).order_by("-requested_at")
    approval = (
        approvals.filter(status=ApprovalStatus.GRANTED).first()
        or approvals.filter(status=ApprovalStatus.PENDING).first()
    )
    if approval is not None:
        out.update({"handler_opinion": approval.opinion, "handler_date": _day(approval.requested_at)})
        for step in approval.steps.select_related("actor").order_by("index"):
            if step.outcome != StepOutcome.GRANTED or step.role not in STEP_FIELDS:
                continue
            opinions, date = STEP_FIELDS[step.role]
            for key, signed in opinions:
                out[key] = (
                    f"{step.opinion}（{step.actor.full_name}，{_day(step.signed_at)}）"
                    if signed
                    else step.opinion
                )
            if date:
                out[date] = _day(step.signed_at)
        if approval.decided_at is not None:
            out["decided_on"] = _day(approval.decided_at)
    return {k: v for k, v in out.items() if k in keys and v}


def _person_of(party: Party) -> dict[str, str]:
    """Who speaks for a party on site: the person themself, or an organisation's legal
    representative (its name and credit code stay on the party line of the form)."""
    if party.kind == PartyKind.ORGANISATION:
        if not party.legal_representative:
            return {}
        person = {
            "name": party.legal_representative,
            "position": f"{party.name}法定代表人（负责人）",
            "phone": party.phone,
            "address": party.address,
        }
    else:
        person = {
            "name": party.name,
            "id_number": party.id_number,
            "phone": party.phone,
            "address": party.address,
        }
    return {k: v for k, v in person.items() if v}


def _relation_of(party: Party, spec: FieldSpec) -> str:
    wanted = "legal_representative" if party.kind == PartyKind.ORGANISATION else "party"
    return wanted if wanted in dict(spec.options) else ""


def from_case(doc_type: DocType, case: Case) -> dict[str, Any]:
    """What the catalogue says a new form takes from the case (``fill``): the party's
    person block, and the facts and proposals its earlier documents already state. The
    latest unvoided document of a type speaks; a voided draft said nothing."""
    wanted = {s.split(".")[0] for f in doc_type.fields for s in f.fill if s != "party"}
    latest: dict[str, tuple[Document, dict[str, Any]]] = {}
    if wanted:
        docs = (
            Document.objects.filter(case=case, type_code__in=wanted, voiding__isnull=True)
            .prefetch_related("versions")
            .order_by("created_at", "id")
        )
        for doc in docs:
            versions = sorted(doc.versions.all(), key=lambda v: v.number)
            latest[doc.type_code] = (doc, versions[-1].fields if versions else {})
    parties = list(case.parties.all()[:2]) if any("party" in f.fill for f in doc_type.fields) else []
    party = parties[0] if len(parties) == 1 else None
    out: dict[str, Any] = {}
    for spec in doc_type.fields:
        for source in spec.fill:
            value: Any = None
            if source == "party" and party is not None:
                value = _person_of(party) if spec.type == "person" else _relation_of(party, spec)
            elif "." in source:
                code, key = source.split(".")
                found = latest.get(code)
                if found is not None:
                    value = found[0].number if key == "number" else found[1].get(key)
                if not isinstance(value, str):
                    value = None
            if value:
                out[spec.key] = value
                break
    return out


def defaults(doc_type: DocType, case: Case, me: Officer) -> dict[str, Any]:
    """What a new form starts with, so the officer confirms rather than types: now for
    the times of what is being recorded, me and my co-officer, the case's party."""
    now = timezone.localtime().replace(second=0, microsecond=0).isoformat()
    parties = list(case.parties.all()[:2])
    partner = co_officer(case, me)
    out: dict[str, Any] = {}
    for spec in doc_type.fields:
        if spec.type == "datetime" and not spec.future:
            out[spec.key] = now
        elif spec.type == "officers":
            team = [me] + ([partner] if partner else [])
            out[spec.key] = [{"officer": str(o.public_id), "certificate_shown": True} for o in team]
        elif spec.type == "officer":
            out[spec.key] = {"officer": str(me.public_id)}
        elif spec.type == "party" and len(parties) == 1:
            out[spec.key] = {"party": str(parties[0].public_id)}
    out.update(from_case(doc_type, case))
    out.update(from_approval(doc_type, case))
    return out


def agency_officers(case: Case) -> list[Officer]:
    return list(
        Officer.objects.filter(agency_id=case.agency_id, is_active=True)
        .exclude(certificate_no="")
        .filter(role_grants__revoked_at__isnull=True, role_grants__role__in=[r.value for r in Role])
        .distinct()
        .order_by("full_name")
    )


def error_sink(doc_type: DocType) -> forms.Form:
    """A form with one field per catalogue field, for ``attempt`` to put a refused
    call's message on the field it names (shown beside that field)."""
    sink = type(
        "FieldErrors", (forms.Form,), {s.key: forms.CharField(required=False) for s in doc_type.fields}
    )
    return sink(data={})


def widgets(
    doc_type: DocType, case: Case, values: dict[str, Any] | None = None, errors: forms.Form | None = None
) -> list[Widget]:
    values = values or {}
    found = errors.errors if errors is not None else {}
    people = agency_officers(case)
    parties = list(case.parties.all())
    out = []
    for spec in doc_type.fields:
        v = values.get(spec.key)
        w = Widget(spec=spec, value=v, error=" ".join(str(e) for e in found.get(spec.key, [])))
        t = spec.type
        if t == "datetime":
            w.text = _local_input(v)
        elif t in ("text", "long_text", "date", "integer", "money", "choice"):
            w.text = "" if v is None else str(v)
        elif t in ("officer", "officers"):
            chosen = {o["officer"]: o for o in (v if isinstance(v, list) else [v] if v else [])}
            w.officers = [
                {
                    "id": str(o.public_id),
                    "name": o.full_name,
                    "cert": o.certificate_no,
                    "checked": str(o.public_id) in chosen,
                    "shown": bool(chosen.get(str(o.public_id), {}).get("certificate_shown", True)),
                }
                for o in people
            ]
        elif t == "party":
            w.parties = parties
            w.text = v["party"] if isinstance(v, dict) else ""
        elif t == "person":
            w.person = v or {}
        elif t == "persons":
            w.text = "\n".join(f"{p['name']}，{p.get('role', '')}".rstrip("，") for p in (v or []))
        elif t == "items" or t == "turns":
            w.rows = [dict(r) for r in (v or [])] + [{} for _ in range(BLANK_ROWS)]
        elif t == "rights":
            given = {r["right"]: r for r in (v or [])}
            w.rights = [
                {
                    "code": r,
                    "label": RIGHTS[r],
                    "notified": r in given or not v,
                    "method": given.get(r, {}).get("method", "oral_and_written"),
                    "exercised": given.get(r, {}).get("exercised", ""),
                }
                for r in spec.rights_for(case.rulebook_id)
            ]
        out.append(w)
    return out


def _rows(post: QueryDict, prefix: str, keys: list[str]) -> list[dict[str, str]]:
    rows = []
    for i in range(500):
        present = [k for k in keys if f"{prefix}__{i}__{k}" in post]
        if not present:
            break
        row = {k: post.get(f"{prefix}__{i}__{k}", "").strip() for k in keys}
        if any(row.values()):
            rows.append(row)
    return rows


def parse_post(doc_type: DocType, post: QueryDict) -> dict[str, Any]:
    """The field values as typed; type errors are the services' to report."""
    out: dict[str, Any] = {}
    for spec in doc_type.fields:
        name, t = f"f_{spec.key}", spec.type
        if t == "boolean":
            out[spec.key] = name in post and post.get(name) not in ("", "false")
        elif t == "multi_choice":
            out[spec.key] = post.getlist(name)
        elif t == "officers":
            out[spec.key] = [
                {"officer": oid, "certificate_shown": f"{name}__shown_{oid}" in post}
                for oid in post.getlist(name)
            ]
        elif t == "person":
            person = {
                k: post.get(f"{name}__{k}", "").strip()
                for k in ("name", "gender", "id_number", "phone", "address", "position")
            }
            out[spec.key] = person if any(person.values()) else None
        elif t == "persons":
            people = []
            for line in post.get(name, "").splitlines():
                if line.strip():
                    parts = [p.strip() for p in line.replace(",", "，").split("，", 1)]
                    people.append({"name": parts[0], "role": parts[1] if len(parts) > 1 else ""})
            out[spec.key] = people
        elif t == "items":
            out[spec.key] = _rows(post, name, [c.key for c in spec.columns])
        elif t == "turns":
            out[spec.key] = [r for r in _rows(post, name, ["speaker", "name", "text"]) if r["text"]]
        elif t == "rights":
            out[spec.key] = [
                {
                    "right": r,
                    "notified": f"{name}__{r}__notified" in post,
                    "method": post.get(f"{name}__{r}__method", ""),
                    "exercised": post.get(f"{name}__{r}__exercised", ""),
                }
                for r in RIGHTS
                if f"{name}__{r}__method" in post
            ]
        elif name in post:
            out[spec.key] = post.get(name, "")
    return out


METHOD_CHOICES = list(NOTICE_METHODS.items())
