"""The facts of a case's text records, for the rules: each document's current
version with what it lacks to be complete, the officers it lists (and whether their
certificates were valid that day), the refusals to sign; and the catalogue, as the
rules see it. Registered with the rules engine at start (``bind``).

A case's documents, versions, signatures, refusals and listed officers are read in
one query each, however many documents there are.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from quanlu.cases.models import Case
from quanlu.org.models import Officer
from quanlu.records.catalogue import CATEGORIES, Catalogue, DocType, catalogue
from quanlu.records.models import Document, Refusal, Signature, Version
from quanlu.records.selectors import missing_from, signature_status_from
from quanlu.rulebooks import facts
from quanlu.rulebooks.providers import register, register_catalogue

_converted: tuple[Catalogue, facts.Catalogue] | None = None


def _kind(t: DocType) -> facts.DocKind:
    return facts.DocKind(
        code=t.code,
        title=t.title,
        stage=t.stage,
        category=t.category,
        party_record=t.party_record,
        uploaded=t.uploaded,
        fields=tuple(
            facts.FieldKind(
                key=f.key,
                label=f.label,
                type=f.type,
                speakers=f.speakers,
                columns=tuple((c.key, c.label) for c in f.columns),
            )
            for f in t.fields
        ),
    )


def rules_catalogue() -> facts.Catalogue:
    """The catalogue as the rules see it (converted once per catalogue loaded)."""
    global _converted
    source = catalogue()
    if _converted is None or _converted[0] is not source:
        converted = facts.Catalogue(
            types={code: _kind(t) for code, t in source.types.items()}, categories=frozenset(CATEGORIES)
        )
        _converted = (source, converted)
    return _converted[1]


def _officers(
    doc: facts.Document, entries: list[dict[str, Any]], registry: dict[str, Officer]
) -> facts.Document:
    day = timezone.localtime(doc.moment()).date()
    listed = []
    for e in entries:
        officer = registry.get(str(e.get("officer")))
        listed.append(
            facts.OfficerEntry(
                officer=str(e.get("officer", "")),
                name=str(e.get("name", "")),
                certificate_shown=bool(e.get("certificate_shown")),
                certificate_valid=officer is not None and officer.certificate_valid_on(day),
            )
        )
    return replace(doc, officers=tuple(listed))


def _uuid(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return ""


def _officer_key(kind: facts.DocKind) -> str:
    spec = kind.first_of_type("officers")
    return spec.key if spec is not None else "officers"


def provide_many(cases: Sequence[Case]) -> dict[int, dict[str, Any]]:
    """Each table read once for all ``cases``."""
    kinds = rules_catalogue()
    rows = list(
        # A voided draft is kept but says nothing about the case any more.
        Document.objects.filter(case__in=cases, voiding__isnull=True)
        .select_related("case")
        .prefetch_related(Prefetch("versions", queryset=Version.objects.order_by("number")))
        .order_by("created_at", "id")
    )
    ids = [d.pk for d in rows]
    signatures: dict[int, list[Signature]] = defaultdict(list)
    for sg in Signature.objects.filter(document_id__in=ids).select_related("officer"):
        signatures[sg.document_id].append(sg)
    refusals: dict[int, list[Refusal]] = defaultdict(list)
    for r in Refusal.objects.filter(document_id__in=ids).prefetch_related("attestations"):
        refusals[r.document_id].append(r)
    docs: dict[int, list[tuple[facts.Document, list[dict[str, Any]]]]] = defaultdict(list)
    uids: dict[int, str] = {}
    for d in rows:
        versions = list(d.versions.all())
        kind = kinds.types.get(d.type_code)
        if not versions or kind is None:
            continue  # a type retired from the catalogue: nothing a rule can say about it
        current = versions[-1]
        values = current.fields or {}
        statuses = signature_status_from(
            d, current, versions=versions, signatures=signatures[d.pk], refusals=refusals[d.pk]
        )
        missing = missing_from(d, current, statuses)
        doc = facts.Document(
            uid=str(d.public_id),
            type=kind,
            title=d.title,
            created_at=d.created_at,
            number=d.number,
            stage=d.stage,
            uploaded=d.origin == "uploaded",
            fields=values,
            version=current.number,
            missing=tuple(missing),
            open_slots=tuple(st.key for st in statuses if not st.satisfied),
        )
        uids[d.pk] = doc.uid
        docs[d.case_id].append((doc, list(values.get(_officer_key(kind)) or [])))
    wanted = {
        uid
        for found in docs.values()
        for _, entries in found
        for e in entries
        if (uid := _uuid(e.get("officer")))
    }
    registry = {str(o.public_id): o for o in Officer.objects.filter(public_id__in=wanted)} if wanted else {}
    case_of = {d.pk: d.case_id for d in rows}
    refused: dict[int, list[Refusal]] = defaultdict(list)
    for r in sorted((r for rs in refusals.values() for r in rs), key=lambda r: (r.recorded_at, r.pk)):
        if r.document_id in uids:
            refused[case_of[r.document_id]].append(r)
    return {
        c.pk: {
            "catalogue": kinds,
            "documents": tuple(
                _officers(doc, entries, registry) if entries else doc for doc, entries in docs[c.pk]
            ),
            "refusals": tuple(
                facts.Refusal(
                    document=uids[r.document_id],
                    person_name=r.person_name,
                    attestations=len(r.attestations.all()),
                )
                for r in refused[c.pk]
            ),
        }
        for c in cases
    }


def provide(case: Case) -> dict[str, Any]:
    return provide_many([case])[case.pk]


def bind() -> None:
    register("records", provide, fields=("catalogue", "documents", "refusals"), provide_many=provide_many)
    register_catalogue(rules_catalogue)
