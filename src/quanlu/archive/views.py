"""The archivist's pages: cases to archive with what each still lacks (by citation) and its
30-day deadline; a case's dossier (组卷, 四性检测 and 封卷, 导出档案包, 卷内文件); legal holds;
disposition with two approvals; the agency's archive settings.

Views parse, authorise, call one service and render. Supervisors above see everything and
change nothing (no forms; a POST gets 403); anyone who may not see the case gets 404.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST, require_safe

from quanlu.access.selectors import CONTENT_DENIED, content_view
from quanlu.archive import dossier as plans
from quanlu.archive import selectors as sel
from quanlu.archive import services, tarstream
from quanlu.archive.disposal import disposal_refusals
from quanlu.archive.exporting import export_target
from quanlu.archive.models import DispositionStatus, Dossier, DossierStatus, ItemKind, LegalHold, Retention
from quanlu.blobs.store import get_store
from quanlu.cases.models import Case, SignatureMethod, Stage
from quanlu.supervision.models import Deadline
from quanlu.web.pages import attempt, case_or_404, current_officer, or_404, password_ok, require_own_agency


def _back(case: Case) -> HttpResponse:
    return redirect("archive:case", case_id=case.public_id)


def _acting_case(request: HttpRequest, case_id: str) -> Case:
    """The case, if the officer may see it (else 404) and is of its agency (else 403)."""
    case = case_or_404(request, case_id)
    require_own_agency(request, case, "您以监督身份查看本案卷，仅可查阅。")
    return case


# ---------------------------------------------------------------- pages


@dataclass
class _Row:
    case: Case
    dossier: Dossier | None
    deadline: Deadline | None
    level: str
    status: str
    missing: int


@login_required
def index(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    now = timezone.now()
    rows = []
    for case in sel.archive_cases_for(officer):
        deadline = case.deadlines.filter(kind="archive").first()
        rows.append(
            _Row(
                case=case,
                dossier=sel.current_dossier(case),
                deadline=deadline,
                level=deadline.level(now) if deadline else "",
                status=deadline.status_label(now) if deadline else "",
                missing=len(plans.blocking(case)) if case.stage == Stage.ARCHIVING else 0,
            )
        )
    waiting = [r for r in rows if r.case.stage == Stage.ARCHIVING]
    archived = [r for r in rows if r.dossier is not None and r.dossier.sealed]
    eligible = [
        r.dossier
        for r in archived
        if r.dossier is not None
        and r.dossier.status == DossierStatus.SEALED
        and not disposal_refusals(r.dossier)
    ]
    dispositions = list(sel.dispositions_for(officer).exclude(status=DispositionStatus.EXECUTED)[:50])
    return render(
        request,
        "archive/index.html",
        {
            "waiting": waiting,
            "archived": archived,
            "eligible": eligible,
            "dispositions": dispositions,
            "to_approve": {r.pk for r in sel.dispositions_waiting_for(officer)},
            "is_archivist": officer.agency is not None and sel.is_archivist(officer, officer.agency),
        },
    )


@login_required
def case_dossier(request: HttpRequest, case_id: str) -> HttpResponse:
    officer = current_officer(request)
    case = case_or_404(request, case_id)
    dossier = sel.current_dossier(case)
    now = timezone.now()
    deadline = case.deadlines.filter(kind="archive").first()
    mine = officer.agency_id == case.agency_id
    archivist = mine and sel.is_archivist(officer, case.agency)
    view = content_view(officer, cases=[case])
    found = sel.missing_for(view, plans.missing(case) if case.stage == Stage.ARCHIVING else [])
    planned = (
        plans.plan(case) if case.stage == Stage.ARCHIVING and (dossier is None or not dossier.sealed) else []
    )
    settings_row = sel.archive_settings_for(case.agency)
    items = list(dossier.items.order_by("position")) if dossier else []
    # Files and 音像记录说明 carrying a marked record this reader may not read: shown with the mark.
    sources = sel.item_sources(items)
    file_withheld = {p: w for p, uids in sources.files.items() if (w := view.withheld_any(uids))}
    av_withheld = {p: w for p, uids in sources.av.items() if (w := view.withheld_any(uids))}
    dispositions = (
        list(dossier.dispositions.select_related("requested_by").prefetch_related("approvals__officer"))
        if dossier
        else []
    )
    return render(
        request,
        "archive/dossier.html",
        {
            "case": case,
            "dossier": dossier,
            "items": items,
            "records": [i for i in items if i.kind in (ItemKind.DOCUMENT, ItemKind.MEDIA)],
            "file_withheld": file_withheld,
            "av_withheld": av_withheld,
            "furniture": [i for i in items if i.kind not in (ItemKind.DOCUMENT, ItemKind.MEDIA)],
            "checks": list(dossier.checks.all()) if dossier else [],
            "exports": list(dossier.exports.select_related("exported_by")) if dossier else [],
            "deadline": deadline,
            "level": deadline.level(now) if deadline else "",
            "status": deadline.status_label(now) if deadline else "",
            "missing": [m for m in found if m.blocking],
            "notes": [m for m in found if not m.blocking],
            "planned": planned,
            "voided": plans.voided(case),
            "default_retention": plans.default_retention(case, settings_row),
            "retentions": Retention.choices,
            "holds": list(LegalHold.objects.filter(case=case).select_related("placed_by", "released_by")),
            "dispositions": dispositions,
            "to_approve": {r.pk for r in sel.dispositions_waiting_for(officer)},
            "refusals": disposal_refusals(dossier) if dossier and dossier.sealed else [],
            "archivist": archivist,
            "hold_keeper": mine and officer.has_role("archivist", "approver"),
            "supervising": not mine,
        },
    )


@login_required
def item_content(request: HttpRequest, dossier_id: str, position: int) -> FileResponse:
    officer = current_officer(request)
    dossier = or_404(lambda: sel.dossier_get_for(officer, dossier_id))
    items = list(dossier.items.order_by("position"))
    item = next((i for i in items if i.position == position), None)
    if item is None:
        raise Http404("案卷中没有该文件。")
    sources = sel.item_sources(items).files[item.position]
    if content_view(officer, cases=[dossier.case]).withheld_any(sources) is not None:
        raise DjangoPermissionDenied(CONTENT_DENIED)
    store = get_store()
    if not store.exists(item.sha256):
        raise Http404("该文件的内容已不在存储中（可能已按期销毁）。")
    inline = item.media_type == "application/pdf"
    return FileResponse(
        store.open(item.sha256),  # streams (from S3 too)
        content_type=item.media_type,
        as_attachment=not inline,
        filename=item.bag_path.rsplit("/", 1)[-1],
    )


# ---------------------------------------------------------------- actions


@login_required
@require_POST
def assemble(request: HttpRequest, case_id: str) -> HttpResponse:
    case = _acting_case(request, case_id)
    dossier = attempt(
        None,
        request,
        lambda: services.dossier_assemble(
            actor=current_officer(request),
            case=case,
            retention=request.POST.get("retention") or None,
            retention_reason=request.POST.get("retention_reason", ""),
        ),
    )
    if dossier is not None:
        messages.success(
            request,
            f"已组卷（第{dossier.version}版）：文书 {dossier.documents} 件 {dossier.pages} 页，音像记录 {dossier.media} 件。",
        )
    return _back(case)


@login_required
@require_POST
def seal(request: HttpRequest, dossier_id: str) -> HttpResponse:
    officer = current_officer(request)
    dossier = or_404(lambda: sel.dossier_get_for(officer, dossier_id))
    _acting_case(request, str(dossier.case.public_id))
    sealed = attempt(None, request, lambda: services.dossier_seal(actor=officer, dossier=dossier))
    if sealed is not None:
        messages.success(request, f"四性检测通过，已封卷归档，档号 {sealed.archive_number}。")
    return _back(dossier.case)


@login_required
@require_POST
def export(request: HttpRequest, dossier_id: str) -> HttpResponse:
    officer = current_officer(request)
    dossier = or_404(lambda: sel.dossier_get_for(officer, dossier_id))
    _acting_case(request, str(dossier.case.public_id))
    done = attempt(
        None,
        request,
        lambda: services.dossier_export(actor=officer, dossier=dossier, target_dir=export_target(dossier)),
    )
    if done is not None:
        messages.success(
            request,
            f"已导出档案包（{done.files} 个文件，{filesizeformat(done.bytes)}），可在下方下载，"
            f"下载文件的 SHA-256 为 {done.tar_sha256}。",
        )
    return _back(dossier.case)


@login_required
@require_safe
def package_download(request: HttpRequest, export_id: str) -> HttpResponseBase:
    """The exported package as one tar, streamed from its folder (archive/tarstream.py).
    A HEAD request is answered with the headers only and recorded nowhere."""
    officer = current_officer(request)
    export = or_404(lambda: sel.export_get_for(officer, export_id))
    case = _acting_case(request, str(export.dossier.case.public_id))
    if not sel.is_archivist(officer, case.agency):
        raise DjangoPermissionDenied("下载档案包需要档案管理人员角色。")
    if request.method == "HEAD":
        tar = attempt(None, request, lambda: services.download_plan(officer, export))
    else:
        tar = attempt(None, request, lambda: services.package_download(actor=officer, export=export))
    if tar is None:
        return _back(case)
    response = StreamingHttpResponse(
        tarstream.stream(tar) if request.method == "GET" else iter(()), content_type="application/x-tar"
    )
    response["Content-Length"] = str(tar.size)
    name = export.dossier.archive_number or case.number
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.tar") or "attachment"
    # RFC 9530: the digest of the whole file, for clients that check it themselves.
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(export.tar_sha256)).decode()}:"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def hold_place(request: HttpRequest, case_id: str) -> HttpResponse:
    case = _acting_case(request, case_id)
    if attempt(
        None,
        request,
        lambda: services.legal_hold_place(
            actor=current_officer(request), case=case, reason=request.POST.get("reason", "")
        ),
    ):
        messages.success(request, "已设置保全：本案记录在保全解除前不得销毁。")
    return _back(case)


@login_required
@require_POST
def hold_release(request: HttpRequest, hold_id: str) -> HttpResponse:
    officer = current_officer(request)
    hold = or_404(lambda: sel.hold_get_for(officer, hold_id))
    _acting_case(request, str(hold.case.public_id))
    if attempt(
        None,
        request,
        lambda: services.legal_hold_release(actor=officer, hold=hold, reason=request.POST.get("reason", "")),
    ):
        messages.success(request, "已解除保全。")
    return _back(hold.case)


@login_required
@require_POST
def disposition_request(request: HttpRequest, dossier_id: str) -> HttpResponse:
    officer = current_officer(request)
    dossier = or_404(lambda: sel.dossier_get_for(officer, dossier_id))
    _acting_case(request, str(dossier.case.public_id))
    if attempt(
        None,
        request,
        lambda: services.disposition_request(
            actor=officer, dossier=dossier, reason=request.POST.get("reason", "")
        ),
    ):
        messages.success(request, "已提交销毁申请，须经两名批准人同意。")
    return _back(dossier.case)


@login_required
@require_POST
def disposition_decide(request: HttpRequest, request_id: str) -> HttpResponse:
    officer = current_officer(request)
    found = or_404(lambda: sel.disposition_get_for(officer, request_id))
    case = found.dossier.case
    _acting_case(request, str(case.public_id))
    if not password_ok(request):
        return _back(case)
    service = (
        services.disposition_approve
        if request.POST.get("decision") == "approve"
        else services.disposition_reject
    )
    done = attempt(
        None,
        request,
        lambda: service(
            actor=officer,
            request=found,
            opinion=request.POST.get("opinion", ""),
            signature_method=SignatureMethod.PASSWORD,
        ),
    )
    if done is not None:
        messages.success(request, f"已签署：{done.get_outcome_display()}。")
    return _back(case)


@login_required
@require_POST
def disposition_execute(request: HttpRequest, request_id: str) -> HttpResponse:
    officer = current_officer(request)
    found = or_404(lambda: sel.disposition_get_for(officer, request_id))
    case = found.dossier.case
    _acting_case(request, str(case.public_id))
    if attempt(None, request, lambda: services.disposition_execute(actor=officer, request=found)):
        messages.success(request, "已执行销毁：内容已删除，目录、摘要和日志事件永久保留，销毁清册已存档。")
    return _back(case)


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    if officer.agency is None:
        raise Http404()
    row = sel.archive_settings_for(officer.agency)
    may_edit = officer.has_role("archivist", "approver") and officer.agency.kind == "enforcement"
    if request.method == "POST":
        if not may_edit:
            raise DjangoPermissionDenied("设置档案规则需要档案管理人员或机关负责人角色。")
        fields: dict[str, Any] = {
            key: request.POST.get(key, "")
            for key in (
                "fonds_code",
                "fonds_name",
                "category_code",
                "unit_code",
                "retention_general",
                "retention_simplified",
                "retention_major",
                "retention_terminated",
            )
        }
        if attempt(None, request, lambda: services.archive_settings_set(actor=officer, **fields)):
            messages.success(request, "档案设置已保存，适用于此后组卷的案卷。")
            return redirect("archive:settings")
    return render(
        request,
        "archive/settings.html",
        {"row": row, "retentions": Retention.choices, "may_edit": may_edit},
    )
