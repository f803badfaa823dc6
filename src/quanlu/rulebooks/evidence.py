"""What the rules look at in a case's records: its documents (current versions and
whether their signature sets are satisfied), its audio-visual records and what
they are tied to, and its recorded exemptions.

Read once per judgement and kept in the evaluator's Context, so a check of fifty
rules reads each table once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from quanlu.records.catalogue import DocType, catalogue

if TYPE_CHECKING:
    from quanlu.media.models import MediaLink, MediaRecord
    from quanlu.records.models import Document, Version
    from quanlu.rulebooks.evaluator import Context
    from quanlu.rulebooks.models import Exemption

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


@dataclass
class Doc:
    doc: Document
    version: Version
    type: DocType
    _missing: list[str] | None = field(default=None, repr=False)

    @property
    def fields(self) -> dict[str, Any]:
        return self.version.fields or {}

    @property
    def uploaded(self) -> bool:
        return self.doc.origin == "uploaded"

    @property
    def scan(self) -> bool:
        """A system form filled and signed on paper, scanned: its boxes are on the
        page, not in fields (an outside institution's upload has its fields)."""
        return self.uploaded and not self.type.uploaded

    @property
    def uid(self) -> str:
        return str(self.doc.public_id)

    @property
    def label(self) -> str:
        number = f"（{self.doc.number}）" if self.doc.number else ""
        return f"《{self.doc.title}》{number}"

    def missing(self) -> list[str]:
        """What the document lacks to be complete (empty when its signature set is satisfied)."""
        if self._missing is None:
            from quanlu.records.selectors import document_missing

            self._missing = document_missing(self.doc, self.version)
        return self._missing

    @property
    def complete(self) -> bool:
        return not self.missing()

    def field_label(self, key: str) -> str:
        try:
            return self.type.field(key).label
        except KeyError:
            return key

    def moment(self) -> dt.datetime:
        """When the step this document records happened (else when it was made)."""
        for key in _MOMENT_FIELDS:
            value = to_datetime(self.fields.get(key))
            if value is not None:
                return value
        return self.doc.created_at

    def window(self) -> tuple[dt.datetime, dt.datetime] | None:
        """The recorded start and end of an on-site step, if the document has both."""
        start, end = to_datetime(self.fields.get("started_at")), to_datetime(self.fields.get("ended_at"))
        if start is None or end is None or end < start:
            return None
        return start, end


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


def type_title(code: str) -> str:
    try:
        return f"《{catalogue().get(code).title}》"
    except KeyError:
        return f"《{code}》"


def titles(codes: list[str]) -> str:
    return "、".join(type_title(c) for c in codes)


# ---------------------------------------------------------------- conditions


def where_holds(where: Any, values: dict[str, Any]) -> bool:
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


# ---------------------------------------------------------------- documents


def case_docs(ctx: Context) -> list[Doc]:
    def load() -> list[Doc]:
        from quanlu.records.models import Document

        docs = (
            Document.objects.filter(case=ctx.case)
            .prefetch_related("versions")
            .select_related("case", "case__agency")
            .order_by("created_at", "id")
        )
        out = []
        for doc in docs:
            versions = sorted(doc.versions.all(), key=lambda v: v.number)
            if not versions:
                continue
            try:
                doc_type = catalogue().get(doc.type_code)
            except KeyError:
                continue  # a type retired from the catalogue: nothing a rule can say about it
            out.append(Doc(doc=doc, version=versions[-1], type=doc_type))
        return out

    result: list[Doc] = ctx.memo("docs", load)
    return result


def docs_of_types(ctx: Context, types: list[str]) -> list[Doc]:
    wanted = set(types)
    return [d for d in case_docs(ctx) if d.type.code in wanted]


def select_docs(ctx: Context, params: dict[str, Any]) -> list[Doc]:
    """The documents a rule judges: by ``documents`` (types) or ``select`` (catalogue
    flags), narrowed by ``where``. A scanned paper form has no fields to match a
    ``where`` against, so it is left out of rules that have one."""
    if "documents" in params:
        docs = docs_of_types(ctx, params["documents"])
    else:
        select = params.get("select") or {}
        docs = [
            d
            for d in case_docs(ctx)
            if ("stages" not in select or d.type.stage in select["stages"])
            and ("categories" not in select or d.type.category in select["categories"])
            and ("party_record" not in select or d.type.party_record == select["party_record"])
        ]
    where = params.get("where")
    if where is None:
        return docs
    return [d for d in docs if not d.scan and where_holds(where, d.fields)]


def doc_by_uid(ctx: Context, uid: Any) -> Doc | None:
    key = str(uid)
    return next((d for d in case_docs(ctx) if d.uid == key), None)


def list_labels(docs: list[Doc], limit: int = 5) -> str:
    labels = "、".join(d.label for d in docs[:limit])
    return labels + (f"等{len(docs)}份" if len(docs) > limit else "")


# ---------------------------------------------------------------- audio-visual records


@dataclass
class Clip:
    record: MediaRecord
    link: MediaLink | None

    @property
    def document_uid(self) -> str:
        return str(self.link.document_uid) if self.link is not None and self.link.document_uid else ""

    def interval(self) -> tuple[dt.datetime, dt.datetime] | None:
        start = self.record.captured_start
        if start is None:
            return None
        return start, self.record.captured_end or start


def case_media(ctx: Context) -> list[Clip]:
    def load() -> list[Clip]:
        from quanlu.media.models import MediaRecord

        records = (
            MediaRecord.objects.filter(case=ctx.case)
            .select_related("device", "officer")
            .prefetch_related("links")
            .order_by("captured_start", "received_at", "id")
        )
        out = []
        for record in records:
            links = sorted(record.links.all(), key=lambda lk: (lk.linked_at, lk.pk))
            out.append(Clip(record=record, link=links[-1] if links else None))
        return out

    result: list[Clip] = ctx.memo("media", load)
    return result


def _overlaps(a: tuple[dt.datetime, dt.datetime], b: tuple[dt.datetime, dt.datetime]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def av_for(ctx: Context, d: Doc, device_kinds: list[str] | None = None) -> list[Clip]:
    """Audio-visual records of the step ``d`` records: those linked to the document,
    and those linked to no document but made within the step's recorded start and end."""
    window = d.window()
    out = []
    for clip in case_media(ctx):
        if device_kinds and (clip.record.device is None or clip.record.device.kind not in device_kinds):
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


def tied_to_text(ctx: Context, clip: Clip) -> Doc | None:
    """The text record an audio-visual record is tied to (AV-01), if any."""
    if clip.document_uid:
        return doc_by_uid(ctx, clip.document_uid)
    span = clip.interval()
    if span is None:
        return None
    for d in case_docs(ctx):
        window = d.window()
        if window is not None and _overlaps(window, span):
            return d
    return None


# ---------------------------------------------------------------- exemptions


def case_exemptions(ctx: Context) -> list[Exemption]:
    def load() -> list[Exemption]:
        from quanlu.rulebooks.models import Exemption

        return list(Exemption.objects.filter(case=ctx.case).order_by("recorded_at", "id"))

    result: list[Exemption] = ctx.memo("exemptions", load)
    return result


def exemptions_for(ctx: Context, d: Doc, activity: str) -> list[Exemption]:
    return [e for e in case_exemptions(ctx) if str(e.document_uid) == d.uid and e.activity == activity]
