"""Reads about documents: visibility, listings, and whether a document's required
signature set is satisfied (``document_is_complete``, for the rulebooks' evaluator).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from quanlu.cases.models import Case
from quanlu.cases.selectors import case_list_for
from quanlu.core.errors import NotFound
from quanlu.core.validation import parse_uuid
from quanlu.org.models import Officer
from quanlu.records.catalogue import KINDS, ROLES, Citation, DocType, SignatureSlot, catalogue
from quanlu.records.models import Document, Refusal, Signature, Version, Voiding

STRADDLE_SLOT = "straddle_seal"
AMENDMENT_SLOT = "amendment_{n}"


def documents_of_case(case: Case) -> QuerySet[Document]:
    return (
        Document.objects.filter(case=case)
        .select_related("created_by", "case", "case__agency", "voiding__voided_by")
        .order_by("created_at", "id")
    )


def documents_by_type(case: Case, type_code: str) -> list[Document]:
    """A case's documents of one catalogue type, oldest first (for the rulebooks)."""
    return list(documents_of_case(case).filter(type_code=type_code))


def document_list_for(officer: Officer, *, case: Case | None = None) -> QuerySet[Document]:
    qs = Document.objects.filter(case__in=case_list_for(officer)).select_related("case", "case__agency")
    if case is not None:
        qs = qs.filter(case=case)
    return qs.order_by("case__opened_at", "created_at", "id")


def document_get_for(officer: Officer, public_id: Any) -> Document:
    """The document if ``officer`` may see its case; otherwise 404."""
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    doc = document_list_for(officer).filter(public_id=uid).first()
    if doc is None:
        raise NotFound()
    return doc


def voiding_of(doc: Document) -> Voiding | None:
    return Voiding.objects.filter(document=doc).select_related("voided_by").first()


def current_version(doc: Document) -> Version:
    version = doc.versions.order_by("-number").first()
    assert version is not None, "a document always has version 1"
    return version


def version_get(doc: Document, number: int) -> Version:
    version = doc.versions.filter(number=number).first()
    if version is None:
        raise NotFound("该文书没有这个版本。")
    return version


# ---------------------------------------------------------------- signature set


@dataclass
class Expected:
    """One signer a slot waits for: a named officer or person, or anyone of its roles."""

    label: str
    officer_id: str = ""
    person_name: str = ""
    done: bool = False
    by: str = ""


@dataclass
class SlotStatus:
    key: str
    label: str
    roles: tuple[str, ...]
    kinds: tuple[str, ...]
    officer_slot: bool
    refusal_allowed: bool
    optional: bool
    expected: list[Expected]
    signatures: list[Signature] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    refusal_min_officers: int = 1
    citation: Citation | None = None
    minimum: int = 1

    @property
    def satisfied(self) -> bool:
        return self.optional or all(e.done for e in self.expected)

    @property
    def role_labels(self) -> str:
        return "、".join(ROLES[r][0] for r in self.roles)

    @property
    def kind_labels(self) -> str:
        return "或".join(KINDS[k] for k in self.kinds)

    def missing(self) -> list[str]:
        if self.satisfied:
            return []
        out = []
        for e in self.expected:
            if not e.done:
                out.append(f"「{self.label}」{e.label}尚未{self.kind_labels}")
        return out


def _refusal_ok(refusal: Refusal, minimum: int) -> bool:
    return len(refusal.attestations.all()) >= minimum


def _slot_status(
    slot: SignatureSlot,
    *,
    values: dict[str, Any],
    sigs: list[Signature],
    refusals: list[Refusal],
    refusal_min: int,
    citation: Citation | None,
) -> SlotStatus:
    mine = [s for s in sigs if s.slot == slot.key and s.kind in slot.kinds]
    refused = [r for r in refusals if r.slot == slot.key]
    ok_refusals = [r for r in refused if _refusal_ok(r, refusal_min)]
    expected: list[Expected] = []
    if slot.from_field and slot.officer_slot:
        for entry in values.get(slot.from_field) or []:
            done = [s for s in mine if s.officer is not None and str(s.officer.public_id) == entry["officer"]]
            expected.append(
                Expected(
                    label=entry["name"],
                    officer_id=entry["officer"],
                    done=bool(done),
                    by=done[0].signer_name if done else "",
                )
            )
    elif slot.from_field:
        for entry in values.get(slot.from_field) or []:
            name = entry["name"]
            done_s = [s for s in mine if s.signer_name == name]
            done_r = [r for r in ok_refusals if r.person_name == name]
            expected.append(
                Expected(
                    label=name,
                    person_name=name,
                    done=bool(done_s or done_r),
                    by=name if done_s else (f"{name}（拒绝签字）" if done_r else ""),
                )
            )
    else:
        count = len(mine)
        for n in range(max(slot.minimum, 1)):
            if n < count:
                expected.append(Expected(label=f"第{n + 1}人", done=True, by=mine[n].signer_name))
            elif ok_refusals and slot.refusal:
                r = ok_refusals[0]
                expected.append(Expected(label=f"第{n + 1}人", done=True, by=f"{r.person_name}（拒绝签字）"))
            else:
                expected.append(Expected(label="" if slot.minimum <= 1 else f"第{n + 1}人"))
    return SlotStatus(
        key=slot.key,
        label=slot.label,
        roles=slot.roles,
        kinds=slot.kinds,
        officer_slot=slot.officer_slot,
        refusal_allowed=slot.refusal,
        optional=slot.optional,
        expected=expected,
        signatures=mine,
        refusals=refused,
        refusal_min_officers=refusal_min,
        citation=citation,
        minimum=slot.minimum,
    )


def signature_slots(
    doc: Document, doc_type: DocType, version: Version, *, versions: list[Version] | None = None
) -> list[SignatureSlot]:
    """The slots the document's current version must fill: the type's own (those
    whose condition holds), plus what the case's regulation adds (straddle seal on
    multi-page records, the party's confirmation of each amendment). ``versions``:
    the document's versions, when already read."""
    book = doc.case.rulebook_id
    slots = [s for s in doc_type.signatures if s.when is None or s.when.holds(version.fields)]
    party_roles = next((s.roles for s in doc_type.signatures if "party" in s.roles), ("party",))
    straddle = catalogue().straddle_policy(doc_type, book)
    if straddle is not None and version.page_count >= int(straddle.params["min_pages"]):
        slots.append(
            SignatureSlot(
                key=STRADDLE_SLOT,
                label="当事人骑缝章（骑缝手印）",
                roles=party_roles,
                kinds=("straddle_seal",),
                refusal=True,
            )
        )
    confirm = catalogue().confirmation_policy(doc_type, book)
    if confirm is not None:
        if versions is None:
            versions = list(doc.versions.filter(number__gt=1, number__lte=version.number))
        for v in sorted((v for v in versions if 1 < v.number <= version.number), key=lambda v: v.number):
            slots.append(
                SignatureSlot(
                    key=AMENDMENT_SLOT.format(n=v.number),
                    label=f"当事人确认第{v.number}版更正（更改处捺手印或者盖章）",
                    roles=party_roles,
                    kinds=tuple(confirm.params["kinds"]),
                    refusal=True,
                )
            )
    return slots


def signature_status(doc: Document, version: Version | None = None) -> list[SlotStatus]:
    doc_type = catalogue().get(doc.type_code)
    if doc_type.uploaded or doc.origin == "uploaded":
        return []  # the signatures are on the paper that was scanned, or the issuer's own
    version = version or current_version(doc)
    sigs = list(doc.signatures.filter(version__number__lte=version.number).select_related("officer"))
    refusals = list(
        doc.refusals.filter(version__number__lte=version.number).prefetch_related("attestations__officer")
    )
    return _statuses(doc, doc_type, version, sigs=sigs, refusals=refusals, versions=None)


def signature_status_many(docs: Sequence[Document]) -> dict[int, list[SlotStatus]]:
    """``signature_status`` of each document's current version, keyed by primary key,
    reading versions, signatures and refusals once for all of them."""
    ids = [d.pk for d in docs]
    versions: dict[int, list[Version]] = defaultdict(list)
    for v in Version.objects.filter(document_id__in=ids).order_by("number"):
        versions[v.document_id].append(v)
    sigs: dict[int, list[Signature]] = defaultdict(list)
    for sg in Signature.objects.filter(document_id__in=ids).select_related("officer"):
        sigs[sg.document_id].append(sg)
    refusals: dict[int, list[Refusal]] = defaultdict(list)
    for r in Refusal.objects.filter(document_id__in=ids).prefetch_related("attestations__officer"):
        refusals[r.document_id].append(r)
    out: dict[int, list[SlotStatus]] = {}
    for doc in docs:
        doc_type = catalogue().get(doc.type_code)
        mine = versions[doc.pk]
        if doc_type.uploaded or doc.origin == "uploaded" or not mine:
            out[doc.pk] = []
            continue
        current = mine[-1]
        # Every version of a document is at most its current one: all its rows count.
        out[doc.pk] = _statuses(
            doc, doc_type, current, sigs=sigs[doc.pk], refusals=refusals[doc.pk], versions=mine
        )
    return out


def _statuses(
    doc: Document,
    doc_type: DocType,
    version: Version,
    *,
    sigs: list[Signature],
    refusals: list[Refusal],
    versions: list[Version] | None,
) -> list[SlotStatus]:
    refusal_min, citation = catalogue().refusal_min_officers(doc_type, doc.case.rulebook_id)
    return [
        _slot_status(
            slot,
            values=version.fields,
            sigs=sigs,
            refusals=refusals,
            refusal_min=refusal_min,
            citation=citation,
        )
        for slot in signature_slots(doc, doc_type, version, versions=versions)
    ]


def document_missing(doc: Document, version: Version | None = None) -> list[str]:
    """What the document still lacks to be complete, in Chinese (empty when complete)."""
    v = version or current_version(doc)
    return missing_from(doc, v, [] if doc.origin == "uploaded" else signature_status(doc, v))


def document_is_complete(doc: Document, version: Version | None = None) -> bool:
    """True when the document's current version has its required signature set:
    every required signature, seal or fingerprint, or a refusal attested by enough officers."""
    return not document_missing(doc, version)


def missing_from(doc: Document, version: Version, statuses: list[SlotStatus]) -> list[str]:
    """What the document lacks, from its slots' status already worked out."""
    if doc.origin == "uploaded":
        return [] if version.file_sha256 else ["尚未上传文件"]
    return [m for s in statuses for m in s.missing()]


def signature_status_from(
    doc: Document,
    version: Version,
    *,
    versions: list[Version],
    signatures: list[Signature],
    refusals: list[Refusal],
) -> list[SlotStatus]:
    """``signature_status`` over rows already read: the document's versions, and its
    signatures and refusals (those of later versions are left out here), each refusal
    with its attestations prefetched. For reading a whole case's documents at once."""
    doc_type = catalogue().get(doc.type_code)
    if doc_type.uploaded or doc.origin == "uploaded":
        return []
    numbers = {v.pk: v.number for v in versions}
    sigs = [sg for sg in signatures if numbers.get(sg.version_id, 0) <= version.number]
    refused = [r for r in refusals if numbers.get(r.version_id, 0) <= version.number]
    return _statuses(doc, doc_type, version, sigs=sigs, refusals=refused, versions=versions)
