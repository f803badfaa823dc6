"""Making a case keep its rulebook, through the real services: the documents a
move needs, filled in and signed (or, faster, as scanned paper forms), the audio-
visual record of a step, an exemption with its reason.

``satisfy(case, to_stage, builder)`` reads what the gate into ``to_stage`` still
asks and makes it, rule by rule; approvals stay the caller's business (someone
has to decide them). The demo and the tests use it; it knows nothing a rulebook
or the catalogue does not say.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils import timezone

from quanlu.blobs.store import get_store
from quanlu.cases.models import Case
from quanlu.cases.services import application_event_record
from quanlu.devices import services as devices
from quanlu.devices.models import Checkout, Device
from quanlu.media import samples
from quanlu.media.models import MediaRecord
from quanlu.media.services import clean_declared, exemption_record, media_ingest, media_link
from quanlu.org.models import Officer, Role
from quanlu.records import services as records
from quanlu.records.catalogue import catalogue
from quanlu.records.facts import rules_catalogue
from quanlu.records.models import Document
from quanlu.records.sample import Staff, sample_fields, sample_value, sign_all
from quanlu.records.selectors import current_version
from quanlu.rulebooks import facts as rf
from quanlu.rulebooks.evaluator import RuleResult, gate, judge
from quanlu.rulebooks.facts import Facts
from quanlu.rulebooks.loader import Rule
from quanlu.rulebooks.providers import gather

# Numbers the records ``film`` ties to no step, so each has bytes of its own.
_LOOSE = itertools.count(1)


def scan_png(label: str = "") -> bytes:
    """A small grey page, as a scanner would send it."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (120, 160), 235)
    ImageDraw.Draw(img).text((8, 8), label[:12] or "scan", fill=20)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@dataclass
class Builder:
    """Makes records in one case as its staff would."""

    case: Case
    staff: Staff
    keeper: Officer | None = None
    scans: bool = False  # make missing documents as scanned paper forms (no rendering)
    made: list[str] = field(default_factory=list)

    @classmethod
    def for_case(cls, case: Case, *, scans: bool = False) -> Builder:
        """Staff picked from the case's agency by role."""
        agency = case.agency

        def pick(role: str, *, exclude: tuple[Officer, ...] = ()) -> Officer:
            qs = Officer.objects.filter(
                agency=agency, is_active=True, role_grants__role=role, role_grants__revoked_at__isnull=True
            ).exclude(pk__in=[o.pk for o in exclude])
            officer = qs.order_by("id").first()
            if officer is None:
                raise LookupError(f"{agency.name}没有「{Role(role).label}」角色的人员")
            return officer

        officer = case.lead_officer
        officer2 = pick(Role.OFFICER, exclude=(officer,))
        reviewer = pick(Role.REVIEWER, exclude=(officer, officer2))
        staff = Staff(officer, officer2, reviewer, pick(Role.LEGAL_REVIEWER), pick(Role.APPROVER))
        try:
            keeper = pick(Role.DEVICE_KEEPER)
        except LookupError:
            keeper = None
        return cls(case=case, staff=staff, keeper=keeper, scans=scans)

    # ---------------------------------------------------------------- documents

    def make(self, type_code: str, *, sign: bool = True, **overrides: Any) -> Document:
        """Fill in a document of a type (the type's examples, then ``overrides``) and sign it."""
        doc_type = catalogue().get(type_code)
        if doc_type.uploaded:
            return self.scan(type_code, **overrides)
        fields = {**sample_fields(doc_type, self.case, self.staff), **overrides}
        doc = records.document_create(
            actor=self.staff.officer, case=self.case, type_code=type_code, fields=fields
        )
        self.made.append(type_code)
        return sign_all(doc, self.staff) if sign else doc

    def scan(self, type_code: str, **fields: Any) -> Document:
        """Register a paper form (or an outside institution's document) as a scan."""
        doc_type = catalogue().get(type_code)
        values = {**sample_fields(doc_type, self.case, self.staff), **fields} if doc_type.uploaded else fields
        page = scan_png(type_code)
        doc = records.document_upload(
            actor=self.staff.officer,
            case=self.case,
            type_code=type_code,
            chunks=[page],
            file_name=f"{doc_type.title}.png",
            fields=values,
            declared_size=len(page),
        )
        self.made.append(type_code)
        return doc

    def add(self, type_code: str) -> Document:
        return self.scan(type_code) if self.scans else self.make(type_code)

    def amend(self, doc: Document, changes: dict[str, Any], reason: str = "按规定补充载明事项。") -> Document:
        records.document_amend(
            actor=self.staff.officer,
            document=doc,
            changes=changes,
            reason=reason,
            signature_method="password",
            base_version=current_version(doc).number,
        )
        return sign_all(doc, self.staff)

    def sign(self, doc: Document) -> Document:
        return sign_all(doc, self.staff)

    # ---------------------------------------------------------------- audio-visual

    def device(self, kind: str) -> Any:
        """A device of ``kind`` in the officer's hands (registered and checked out if need be)."""
        held = (
            Checkout.objects.filter(
                device__agency=self.case.agency,
                device__kind=kind,
                officer=self.staff.officer,
                returned__isnull=True,
            )
            .select_related("device")
            .first()
        )
        if held is not None:
            return held.device
        if self.keeper is None:
            raise LookupError("本机关没有设备管理人员，无法发放记录设备")
        device = Device.objects.filter(agency=self.case.agency, kind=kind, status="available").first()
        if device is None:
            device = devices.device_register(actor=self.keeper, kind=kind, purpose="现场执法音像记录")
        devices.device_checkout(
            actor=self.keeper,
            device=device,
            officer=self.staff.officer,
            battery_percent=90,
            storage_free_mb=20000,
            at=timezone.now() - dt.timedelta(days=1),
        )
        return device

    def film(
        self,
        doc: Document | None,
        *,
        device_kind: str | None = None,
        at: dt.datetime | None = None,
        video_seconds: float = 0,
    ) -> Any:
        """A photo (or, with ``video_seconds``, a video) of the step, made during it,
        stored and linked to its document (``doc`` None: a record tied to nothing)."""
        if at is None and doc is not None:
            at = rf.Document(
                uid=str(doc.public_id),
                type=rules_catalogue().types[doc.type_code],
                title=doc.title,
                created_at=doc.created_at,
                fields=current_version(doc).fields,
            ).moment()
        moment = at or timezone.now() - dt.timedelta(hours=1)
        data: dict[str, Any] = {
            "officer": str(self.staff.officer.public_id),
            "captured_at": moment.isoformat(),
        }
        if doc is not None:
            data.update(document_uid=str(doc.public_id), stage=doc.stage, step_label=doc.title)
        serial = ""
        if device_kind:
            device = self.device(device_kind)
            data["device"] = device.device_no
            serial = device.serial_no
        declared = clean_declared(agency=self.case.agency, data=data)
        # Distinct bytes per step: the same picture twice would be one record. A record
        # tied to no step is told apart by a running number (two may share a second).
        label = (
            doc.public_id.hex[:10] if doc is not None else f"{moment:%Y%m%d%H%M%S}-{next(_LOOSE)}"
        ) + f" {data.get('device', '')}"
        if video_seconds:
            content = samples.video(seconds=video_seconds, created=moment, serial=serial, label=label)
            name = f"{moment:%H%M%S}.mp4"
        else:
            content = samples.photo(taken=moment, serial=serial, label=label)
            name = f"{moment:%H%M%S}.jpg"
        writer = get_store().writer()
        writer.write(content)
        record, _ = media_ingest(
            actor=self.staff.officer,
            agency=self.case.agency,
            case=self.case,
            staged=writer,
            filename=name,
            declared=declared,
            via="web",
        )
        return record

    def exempt(
        self,
        doc: Document,
        activity: str,
        *,
        reason: str = "涉及商业秘密的生产工艺区域，不适宜音像记录。",
        written: bool = False,
        kind: str = "unsuitable",
    ) -> Any:
        written_doc = None
        if written:
            written_doc = self.make(
                "av_exemption_reason",
                activity={"onsite_inspection": "inspection", "sampling": "sampling"}.get(activity, activity),
                reason=reason,
            )
        return exemption_record(
            actor=self.staff.officer,
            case=self.case,
            kind=kind,
            activity=activity,
            document=doc,
            reason=reason,
            written_reason=written_doc,
        )


# ---------------------------------------------------------------- fixers by rule kind

# A fixer makes what one unmet rule asks, reading the facts it was judged on.
Fixer = Callable[[Builder, Rule, RuleResult, Facts], bool]
FIXERS: dict[str, Fixer] = {}


def fixes(kind: str) -> Callable[[Fixer], Fixer]:
    def register(func: Fixer) -> Fixer:
        FIXERS[kind] = func
        return func

    return register


def _subject_docs(facts: Facts, result: RuleResult) -> list[tuple[rf.Document, Document]]:
    """The documents a finding names: their facts, and the rows to act on."""
    found = [d for s in result.outcome.subjects if (d := facts.doc(s)) is not None]
    rows = {str(d.public_id): d for d in Document.objects.filter(public_id__in=[d.uid for d in found])}
    return [(d, rows[d.uid]) for d in found]


def _missing_types(result: RuleResult) -> list[str]:
    return [s.removeprefix("type:") for s in result.outcome.subjects if s.startswith("type:")]


@fixes("documents_required")
@fixes("documents_signed")
def _fix_documents(b: Builder, rule: Rule, result: RuleResult, facts: Facts) -> bool:
    done = False
    types = _missing_types(result)
    if rule.params.get("mode") == "any":
        types = types[:1]
    for code in types:
        b.add(code)
        done = True
    for d, row in _subject_docs(facts, result):
        if not d.complete:
            b.sign(row)
            done = True
    return done


@fixes("document_fields_required")
def _fix_fields(b: Builder, rule: Rule, result: RuleResult, facts: Facts) -> bool:
    done = False
    for d, row in _subject_docs(facts, result):
        if d.scan:
            continue
        if d.type.uploaded:  # an outside document is not corrected, it is uploaded again
            b.scan(d.type.code)
            done = True
            continue
        doc_type = catalogue().get(d.type.code)
        changes: dict[str, Any] = {}
        for key in rule.params["fields"]:
            if key in d.type.keys and d.fields.get(key) in (None, "", [], {}):
                value = sample_value(doc_type.field(key), b.case, b.staff)
                changes[key] = value if value not in (None, "", False) else "（已补充）"
        speakers = rule.params.get("speakers")
        if speakers:
            turns = list(d.fields.get("turns") or [])
            said = {t.get("speaker") for t in turns}
            turns += [{"speaker": s, "text": "（发言）"} for s in speakers if s not in said]
            changes["turns"] = turns
        if changes:
            b.amend(row, changes)
            done = True
        elif not d.complete:
            b.sign(row)
            done = True
    return done


@fixes("officers_present")
def _fix_officers(b: Builder, rule: Rule, result: RuleResult, facts: Facts) -> bool:
    minimum = int(rule.params.get("min", 1))
    people = [b.staff.officer, b.staff.officer2, b.staff.reviewer][: max(minimum, 1)]
    for d, row in _subject_docs(facts, result):
        spec = d.type.first_of_type("officers")
        key = spec.key if spec is not None else "officers"
        b.amend(row, {key: [{"officer": str(o.public_id), "certificate_shown": True} for o in people]})
    return bool(result.outcome.subjects)


@fixes("refusals_attested")
def _fix_refusals(b: Builder, rule: Rule, result: RuleResult, facts: Facts) -> bool:
    minimum = int(rule.params["min_officers"])
    done = False
    for _d, row in _subject_docs(facts, result):
        for refusal in row.refusals.all():
            signed = {a.officer_id for a in refusal.attestations.all()}
            for officer in (b.staff.officer, b.staff.officer2, b.staff.reviewer):
                if len(signed) >= minimum:
                    break
                if officer.pk not in signed:
                    records.refusal_attest(actor=officer, refusal=refusal, signature_method="password")
                    signed.add(officer.pk)
                    done = True
    return done


@fixes("rights_notified")
def _fix_rights(b: Builder, rule: Rule, result: RuleResult, facts: Facts) -> bool:
    if b.scans:
        b.scan("rights_notice")
        return True
    rights = [
        {"right": r, "notified": True, "method": "oral_and_written", "exercised": "未申请"}
        for r in rule.params["rights"]
    ]
    b.make("rights_notice", rights=rights)
    return True


@fixes("service_method")
def _fix_service(b: Builder, rule: Rule, result: RuleResult, facts: Facts) -> bool:
    done = False
    for code in _missing_types(result):
        b.add(code)
        done = True
    for d, row in _subject_docs(facts, result):
        doc_type = catalogue().get(d.type.code)
        changes = {
            key: sample_value(doc_type.field(key), b.case, b.staff)
            for key in rule.params.get("fields", [])
            if d.fields.get(key) in (None, "", [], {})
        }
        if changes:
            b.amend(row, changes)
        else:
            b.sign(row)
        done = True
    return done


@fixes("correction_rechecked")
def _fix_rechecks(b: Builder, rule: Rule, result: RuleResult, facts: Facts) -> bool:
    for d, _row in _subject_docs(facts, result):
        b.make(str(rule.params.get("verification", "rectification_verification")), order_number=d.number)
    return bool(result.outcome.subjects)


@fixes("av_required")
def _fix_av(b: Builder, rule: Rule, result: RuleResult, facts: Facts) -> bool:
    kinds = rule.params.get("device_kinds") or [None]
    for _d, row in _subject_docs(facts, result):
        b.film(row, device_kind=kinds[0])
    return bool(result.outcome.subjects)


@fixes("av_prior_notice")
def _fix_prior_notice(b: Builder, rule: Rule, result: RuleResult, facts: Facts) -> bool:
    for _d, row in _subject_docs(facts, result):
        b.amend(row, {rule.params.get("field", "av_notice"): True})
    return bool(result.outcome.subjects)


@fixes("application_recorded")
def _fix_application(b: Builder, rule: Rule, result: RuleResult, facts: Facts) -> bool:
    have = set(b.case.application_events.values_list("kind", flat=True))
    done = False
    for group in rule.params.get("events", []):
        if not have & set(group):
            application_event_record(
                actor=b.staff.officer, case=b.case, kind=group[0], detail="（按规定记录）"
            )
            done = True
    return done


@fixes("file_complete")
def _fix_file(b: Builder, rule: Rule, result: RuleResult, facts: Facts) -> bool:
    done = False
    for _, row in _subject_docs(facts, result):
        b.sign(row)
        done = True
    for clip in facts.media:
        if not clip.linked:
            record = MediaRecord.objects.get(public_id=clip.uid)
            media_link(actor=b.staff.officer, record=record, stage=b.case.stage, step_label="现场执法")
            done = True
    return done


@fixes("av_linked")
def _fix_links(b: Builder, rule: Rule, result: RuleResult, facts: Facts) -> bool:
    docs = facts.documents
    if not docs:
        return False
    for uid in result.outcome.subjects:
        record = MediaRecord.objects.get(public_id=uid)
        media_link(actor=b.staff.officer, record=record, stage=docs[0].stage, document_uid=docs[0].uid)
    return bool(result.outcome.subjects)


@fixes("av_disc_archived")
def _fix_disc(b: Builder, rule: Rule, result: RuleResult, facts: Facts) -> bool:
    """A disc label listing every recording used as evidence, each with its label."""
    kinds = rule.params.get("media_kinds", ["audio", "video"])
    clips = [c for c in facts.media if c.media_kind in kinds and facts.tied_to_text(c) is not None]
    if b.scans:
        b.add(rule.params["documents"][0])
        return True
    rows = [
        {
            "name": c.name,
            "subject": "现场执法过程",
            "recorded_on": timezone.localtime(c.captured_start or c.received_at).date().isoformat(),
            "place": "执法现场",
            "method": {"audio": "录音", "video": "录像"}.get(c.media_kind, "录像"),
            "officers": b.staff.officer.full_name,
        }
        for c in clips
    ]
    b.make(rule.params["documents"][0], items=rows)
    return True


def satisfy(case: Case, to_stage: str, builder: Builder | None = None, *, rounds: int = 6) -> list[str]:
    """Make what the gate into ``to_stage`` still asks, as far as records can answer it.

    Returns the ids of the rules that were unmet at the start and are met now;
    what is still blocking (an approval to decide, a deadline missed) stays."""
    builder = builder or Builder.for_case(case)
    first = {r.rule.id for r in gate(gather(case), to_stage) if r.blocking}
    for _ in range(rounds):
        case.refresh_from_db()
        facts = replace(gather(case), moving_to=to_stage)
        results = [r for r in gate(facts, to_stage) if r.blocking]
        if not results:
            break
        progress = False
        for r in results:
            fixer = FIXERS.get(r.rule.kind)
            if fixer is None:
                continue
            # An earlier fix may have answered this rule too (one rights notice for two rules).
            fresh = RuleResult(rule=r.rule, rulebook=r.rulebook, outcome=judge(r.rule, facts, timezone.now()))
            if fresh.blocking and fixer(builder, r.rule, fresh, facts):
                progress = True
                facts = replace(gather(case), moving_to=to_stage)
        if not progress:
            break
    still = {r.rule.id for r in gate(gather(case), to_stage) if r.blocking}
    return sorted(first - still)
