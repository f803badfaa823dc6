"""Disposal at the end of retention: why a dossier may not be disposed of yet, and which
stored contents go with it (everything of the case that no other case still uses)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from quanlu.archive import dossier as plans
from quanlu.archive.models import Dossier, DossierItem, DossierStatus, Retention
from quanlu.archive.selectors import active_holds
from quanlu.cases.models import Case, Stage
from quanlu.core.errors import Finding
from quanlu.media.models import MediaRecord
from quanlu.records.models import Signature, Version


def disposal_refusals(dossier: Dossier, *, today: dt.date | None = None) -> list[Finding]:
    """Why the dossier may not be disposed of now (empty when it may)."""
    case = dossier.case
    today = today or timezone.localdate()
    out: list[str] = []
    if dossier.status != DossierStatus.SEALED:
        out.append(f"案卷处于「{dossier.get_status_display()}」状态，只有已归档的案卷才能在保管期满后销毁")
    if case.stage != Stage.CLOSED:
        out.append("案件尚未结案，其记录不得销毁")
    if dossier.retention == Retention.PERMANENT:
        out.append("案卷保管期限为永久，不得销毁")
    else:
        until = dossier.retention_until()
        if until is None or today < until:
            out.append(
                f"保管期限未满（{dossier.get_retention_display()}，{until.isoformat() + ' 期满' if until else '结案后起算'}）"
            )
    holds = list(active_holds(case))
    if holds:
        out.append(f"本案有未解除的保全（{holds[0].reason[:40]}），不得销毁")
    return [plans.archive_finding(case, "archive.disposal", m) for m in out]


def case_blobs(case: Case, dossier: Dossier | None) -> dict[str, str]:
    """sha256 → title of every stored content of the case: the dossier's files (all its
    dossiers' when ``dossier`` is None), every version's renderings and files, signature
    images, media and their posters."""

    found: dict[str, str] = {}
    items = dossier.items.all() if dossier is not None else DossierItem.objects.filter(dossier__case=case)
    for item in items:
        found.setdefault(item.sha256, item.title)
    for v in Version.objects.filter(document__case=case).select_related("document"):
        for sha in (v.pdf_sha256, v.docx_sha256, v.file_sha256, v.signed_pdf_sha256, v.signed_docx_sha256):
            if sha:
                found.setdefault(sha, f"{v.document.title}（第{v.number}版）")
    for s in Signature.objects.filter(document__case=case).exclude(image_sha256=""):
        found.setdefault(s.image_sha256, f"签名图像（{s.signer_name}）")
    for m in MediaRecord.objects.filter(case=case):
        found.setdefault(m.sha256, m.name)
        if m.poster_id:
            found.setdefault(m.poster_id, f"{m.name}（缩略图）")
    return found


def shared_elsewhere(shas: set[str], case: Case) -> set[str]:
    """The contents also used by something outside this case (never disposed with it)."""

    shared: set[str] = set()
    shared |= set(
        DossierItem.objects.filter(sha256__in=shas)
        .exclude(dossier__case=case)
        .exclude(dossier__status=DossierStatus.DISPOSED)
        .values_list("sha256", flat=True)
    )
    others = MediaRecord.objects.exclude(case=case)
    shared |= set(others.filter(sha256__in=shas).values_list("sha256", flat=True))
    shared |= set(others.filter(poster_id__in=shas).values_list("poster_id", flat=True))
    versions = Version.objects.exclude(document__case=case)
    for field_name in ("pdf_sha256", "docx_sha256", "file_sha256", "signed_pdf_sha256", "signed_docx_sha256"):
        shared |= set(versions.filter(**{f"{field_name}__in": shas}).values_list(field_name, flat=True))
    shared |= set(
        Signature.objects.exclude(document__case=case)
        .filter(image_sha256__in=shas)
        .values_list("image_sha256", flat=True)
    )
    return shared
