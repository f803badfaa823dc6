"""The facts a rule judges: plain, frozen values about one case.

Each app provides the facts it owns (``quanlu.rulebooks.providers``): cases its stages,
approvals, complaint and intake; records its documents (current versions, whether
their signature sets are satisfied, the officers they list and whether their
certificates were valid that day) and refusals; media its audio-visual records, gaps,
interruptions and exemptions; access its copies and confidentiality marks; the
archive when the dossier was sealed. A rule kind is a function of (rule, facts, now):
it reads these values and nothing else — no database, no domain app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

# Fields that say when a step happened, in the order they are trusted.
_MOMENT_FIELDS = (
    "started_at",
    "occurred_at",
    "served_at",
    "sampled_at",
    "held_at",
    "checked_at",
    "interrupted_at",
    "listed_at",
    "taken_at",
    "received_at",
)


# ---------------------------------------------------------------- values


def to_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def to_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def present(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value not in (None, [], {})


def where_holds(where: Any, values: Mapping[str, Any]) -> bool:
    """A rule's ``where`` (one condition or a list, all must hold) on field values."""
    if where is None:
        return True
    for cond in where if isinstance(where, list) else [where]:
        current = values.get(cond["field"])
        if "in" in cond:
            ok = current in cond["in"]
        elif "equals" in cond:
            ok = current == cond["equals"]
        else:
            ok = present(current) == bool(cond["present"])
        if not ok:
            return False
    return True


def selects(select: Mapping[str, Any], kind: Any) -> bool:
    """Whether a ``select`` (stages, categories, party_record, except — a rule's, or a
    catalogue policy's) takes a document kind: the record kinds an article governs."""
    return (
        ("stages" not in select or kind.stage in select["stages"])
        and ("categories" not in select or kind.category in select["categories"])
        and ("party_record" not in select or kind.party_record == select["party_record"])
        and kind.code not in select.get("except", ())
    )


def fmt(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _overlaps(a: tuple[dt.datetime, dt.datetime], b: tuple[dt.datetime, dt.datetime]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


# ---------------------------------------------------------------- the catalogue, as rules see it


@dataclass(frozen=True)
class FieldKind:
    key: str
    label: str
    type: str
    speakers: tuple[tuple[str, str], ...] = ()
    columns: tuple[tuple[str, str], ...] = ()  # an items field's columns: (key, label)


@dataclass(frozen=True)
class DocKind:
    """A document type of the catalogue: what the rules need of it."""

    code: str
    title: str
    stage: str = ""
    category: str = ""
    party_record: bool = False
    uploaded: bool = False  # an outside institution's document, uploaded with its fields
    fields: tuple[FieldKind, ...] = ()

    def field(self, key: str) -> FieldKind | None:
        return next((f for f in self.fields if f.key == key), None)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(f.key for f in self.fields)

    def first_of_type(self, field_type: str) -> FieldKind | None:
        return next((f for f in self.fields if f.type == field_type), None)


@dataclass(frozen=True)
class Catalogue:
    """Every document type (records provides it), and the categories a rule may select."""

    types: Mapping[str, DocKind] = field(default_factory=dict)
    categories: frozenset[str] = frozenset()

    def title(self, code: str) -> str:
        kind = self.types.get(code)
        return f"《{kind.title if kind else code}》"

    def titles(self, codes: list[str]) -> str:
        return "、".join(self.title(c) for c in codes)


# ---------------------------------------------------------------- the case


@dataclass(frozen=True)
class CaseFacts:
    uid: str
    rulebook_id: str
    started_at: dt.datetime
    kind: str = "penalty"
    procedure: str = "general"
    initiation_mode: str = "ex_officio"
    stage: str = "initiation"
    is_major: bool = False
    emergency: bool = False
    entered: frozenset[str] = frozenset({"initiation"})  # every stage the case has moved into
    archiving_entered_at: dt.datetime | None = None  # its first move into 归档管理
    # The day the enforcement act ended (执法行为终结), as recorded (its latest correction).
    act_ended_on: dt.date | None = None
    # The case record's text fields (terms.CASE_FIELDS), by name.
    fields: Mapping[str, str] = field(default_factory=dict)
    has_party: bool = False


@dataclass(frozen=True)
class Approval:
    gate: str
    status: str  # pending, granted, rejected
    chain: tuple[str, ...] = ()
    decided_at: dt.datetime | None = None
    uid: str = ""  # for the link to it, not for judging


@dataclass(frozen=True)
class Complaint:
    named: bool
    complainant_name: str
    content: str
    channel: str
    received_at: dt.datetime
    recorder_name: str
    status_label: str


# ---------------------------------------------------------------- text records


@dataclass(frozen=True)
class OfficerEntry:
    """An officer a document lists as present, and whether their certificate was
    valid on the day of the step the document records."""

    officer: str
    name: str
    certificate_shown: bool
    certificate_valid: bool


@dataclass(frozen=True)
class Document:
    """A document's current version."""

    uid: str
    type: DocKind
    title: str
    created_at: dt.datetime
    number: str = ""
    stage: str = ""
    uploaded: bool = False  # registered as a file, not filled in
    fields: Mapping[str, Any] = field(default_factory=dict)
    missing: tuple[str, ...] = ()  # what it lacks to be complete (empty: signature set satisfied)
    officers: tuple[OfficerEntry, ...] = ()  # those listed in its first officers field
    version: int = 1  # the current version's number: findings name the version at fault
    open_slots: tuple[str, ...] = ()  # keys of the signature slots not yet filled, to link to them

    @property
    def hex(self) -> str:
        return self.uid.replace("-", "")

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def scan(self) -> bool:
        """A system form filled and signed on paper, scanned: its boxes are on the
        page, not in fields (an outside institution's upload has its fields)."""
        return self.uploaded and not self.type.uploaded

    @property
    def label(self) -> str:
        number = f"（{self.number}）" if self.number else ""
        # A corrected document is named with its version: the officer signs that one.
        version = f"第{self.version}版" if self.version > 1 else ""
        return f"《{self.title}》{number}{version}"

    def field_label(self, key: str) -> str:
        spec = self.type.field(key)
        return spec.label if spec is not None else key

    def moment(self) -> dt.datetime:
        """When the step this document records happened (else when it was made)."""
        for key in _MOMENT_FIELDS:
            value = to_datetime(self.fields.get(key))
            if value is not None:
                return value
        return self.created_at

    def window(self) -> tuple[dt.datetime, dt.datetime] | None:
        """The recorded start and end of an on-site step, if the document has both."""
        start, end = to_datetime(self.fields.get("started_at")), to_datetime(self.fields.get("ended_at"))
        if start is None or end is None or end < start:
            return None
        return start, end


@dataclass(frozen=True)
class Refusal:
    document: str  # the document's uid
    person_name: str
    attestations: int  # officers who signed the note of the refusal


def list_labels(docs: list[Document], limit: int = 5) -> str:
    labels = "、".join(d.label for d in docs[:limit])
    return labels + (f"等{len(docs)}份" if len(docs) > limit else "")


# ---------------------------------------------------------------- audio-visual records


@dataclass(frozen=True)
class Clip:
    """An audio-visual record of the case, with what its latest link ties it to."""

    uid: str
    name: str
    received_at: dt.datetime
    captured_start: dt.datetime | None = None
    captured_end: dt.datetime | None = None
    device_kind: str = ""  # empty: no recording device named
    media_kind: str = ""  # photo, audio or video (terms.MEDIA_KINDS)
    has_officer: bool = False
    linked: bool = False  # filed under a step (a link, with or without a document)
    document_uid: str = ""
    upload_due_at: dt.datetime | None = None
    upload_overdue: bool = False

    @property
    def hex(self) -> str:
        return self.uid.replace("-", "")

    def interval(self) -> tuple[dt.datetime, dt.datetime] | None:
        if self.captured_start is None:
            return None
        return self.captured_start, self.captured_end or self.captured_start


@dataclass(frozen=True)
class Gap:
    """A pause between two records of one step by one device, still open."""

    uid: str
    activity_label: str
    seconds: int
    explained: bool


@dataclass(frozen=True)
class Interruption:
    reason_label: str
    written: bool
    signers: int


@dataclass(frozen=True)
class Exemption:
    """A step recorded as going without audio-visual recording, and why."""

    document_uid: str
    activity: str
    kind: str  # terms.EXEMPTION_KINDS
    reason: str
    written_reason_uid: str = ""


# ---------------------------------------------------------------- access


@dataclass(frozen=True)
class CopyRelease:
    """A copy request that was fulfilled, and whether it had been approved."""

    request_uid: str
    approved: bool


@dataclass(frozen=True)
class Released:
    """A record (``document:<id>`` or ``media:<id>``) released in a fulfilment."""

    item: str
    at: dt.datetime


@dataclass(frozen=True)
class Mark:
    """A confidentiality mark on a record, and when (if ever) it was lifted."""

    item: str
    category: str
    at: dt.datetime
    lifted_at: dt.datetime | None = None


# ---------------------------------------------------------------- all of it


@dataclass(frozen=True)
class Facts:
    case: CaseFacts
    approvals: tuple[Approval, ...] = ()
    complaint: Complaint | None = None
    application_events: tuple[str, ...] = ()
    catalogue: Catalogue = field(default_factory=Catalogue)
    documents: tuple[Document, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    media: tuple[Clip, ...] = ()
    gaps: tuple[Gap, ...] = ()
    interruptions: tuple[Interruption, ...] = ()
    exemptions: tuple[Exemption, ...] = ()
    copies: tuple[CopyRelease, ...] = ()
    released: tuple[Released, ...] = ()
    marks: tuple[Mark, ...] = ()
    archived_at: dt.datetime | None = None  # when the dossier was sealed (归档)
    # The stage a move being judged goes into (its gate), else None.
    moving_to: str | None = None

    @property
    def entered(self) -> frozenset[str]:
        """The stages entered, with the target of a move being judged."""
        return self.case.entered | ({self.moving_to} if self.moving_to else frozenset())

    # ------------------------------------------------------------ documents

    def doc(self, uid: Any) -> Document | None:
        key = str(uid)
        return next((d for d in self.documents if d.uid == key), None)

    def docs_of_types(self, types: list[str]) -> list[Document]:
        wanted = set(types)
        return [d for d in self.documents if d.type.code in wanted]

    def select_docs(self, params: Mapping[str, Any]) -> list[Document]:
        """The documents a rule judges: by ``documents`` (types) or ``select`` (catalogue
        flags), narrowed by ``where``. A scanned paper form has no fields to match a
        ``where`` against, so it is left out of rules that have one."""
        if "documents" in params:
            docs = self.docs_of_types(params["documents"])
        else:
            select = params.get("select") or {}
            docs = [
                d
                for d in self.documents
                if ("stages" not in select or d.type.stage in select["stages"])
                and ("categories" not in select or d.type.category in select["categories"])
                and ("party_record" not in select or d.type.party_record == select["party_record"])
                and d.type.code not in select.get("except", ())
            ]
        where = params.get("where")
        if where is None:
            return docs
        return [d for d in docs if not d.scan and where_holds(where, d.fields)]

    # ------------------------------------------------------------ audio-visual records

    def av_for(self, d: Document, device_kinds: list[str] | None = None) -> list[Clip]:
        """Audio-visual records of the step ``d`` records: those linked to the document,
        and those linked to no document but made within the step's recorded start and end."""
        window = d.window()
        out = []
        for clip in self.media:
            if device_kinds and clip.device_kind not in device_kinds:
                continue
            if clip.document_uid == d.uid:
                out.append(clip)
                continue
            if clip.document_uid:
                continue  # tied to another step's text record: it records that step
            span = clip.interval()
            if window is not None and span is not None and _overlaps(window, span):
                out.append(clip)
        return out

    def tied_to_text(self, clip: Clip) -> Document | None:
        """The text record an audio-visual record is tied to (AV-01), if any."""
        if clip.document_uid:
            return self.doc(clip.document_uid)
        span = clip.interval()
        if span is None:
            return None
        for d in self.documents:
            window = d.window()
            if window is not None and _overlaps(window, span):
                return d
        return None

    def exemptions_for(self, d: Document, activity: str) -> list[Exemption]:
        return [e for e in self.exemptions if e.document_uid == d.uid and e.activity == activity]
