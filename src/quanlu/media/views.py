"""Audio-visual records in the browser: the case's records and upload form (phone
first), a record's page with its player, links, gaps and explanations, and the
content itself with HTTP range requests. Every view, playback start and download
is ledgered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from quanlu.access.selectors import CONTENT_DENIED, content_check, content_view
from quanlu.blobs.store import CHUNK, get_store
from quanlu.cases import selectors as cs
from quanlu.cases.models import SignatureMethod, Stage
from quanlu.core.errors import DomainError
from quanlu.devices.models import Checkout, Device, DeviceStatus
from quanlu.media import selectors as ms
from quanlu.media import services
from quanlu.media.forms import DELAY_CHOICES, InterruptionForm, LinkForm
from quanlu.media.models import ExplanationForm, MediaRecord
from quanlu.media.uploads import api_officer, csrf_check, error_response, receive_form, record_json
from quanlu.org.models import Officer
from quanlu.records import selectors as rs
from quanlu.supervision.models import Deadline
from quanlu.web.pages import attempt, case_or_404, current_officer, form_errors, or_404

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@login_required
def case_media(request: HttpRequest, case_id: str, *, error: str = "", status: int = 200) -> HttpResponse:
    officer = current_officer(request)
    case = case_or_404(request, case_id)
    records = list(ms.media_list_for(officer, case=case))
    view = content_view(officer, cases=[case])
    writable = cs.can_write(officer, case) and officer.agency_id == case.agency_id
    devices = (
        Device.objects.filter(agency=case.agency).exclude(status=DeviceStatus.RETIRED).order_by("device_no")
    )
    return render(
        request,
        "media/case_media.html",
        {
            "case": case,
            "records": [(r, ms.current_link(r), view.withheld(r)) for r in records],
            "gaps": ms.gaps_of(case),
            "writable": writable,
            "devices": devices,
            "delay_choices": DELAY_CHOICES,
            "stages": [(v, label) for v, label in Stage.choices if v != Stage.CLOSED],
            "error": error,
            "my_device": Checkout.objects.filter(officer=officer, returned__isnull=True)
            .select_related("device")
            .first(),
        },
        status=status,
    )


@csrf_exempt  # checked by hand once the body is streamed (see uploads.csrf_check)
@login_required
def case_media_upload(request: HttpRequest, case_id: str) -> HttpResponse:
    """The web form's upload: streamed like the API's, then back to the list."""
    if request.method != "POST":
        return redirect("media:case_media", case_id=case_id)
    officer = current_officer(request)
    case = case_or_404(request, case_id)
    wants_json = "application/json" in request.headers.get("Accept", "")
    staged = None
    try:
        services.require_uploader(officer, case)
        fields, staged, filename = receive_form(
            request, on_fields=lambda f: services.clean_declared(agency=case.agency, data=f)
        )
        csrf_check(request, fields.get("csrfmiddlewaretoken", ""))
        if staged is None:
            raise DomainError(message="请选择要上传的文件。", code="no_file", status=422)
        declared = services.clean_declared(agency=case.agency, data=fields)
        record, created = services.media_ingest(
            actor=officer,
            agency=case.agency,
            case=case,
            staged=staged,
            filename=filename,
            declared=declared,
            via="web",
        )
    except DomainError as exc:
        if staged is not None:
            staged.abort()
        if wants_json:
            return error_response(exc)
        return case_media(request, case_id, error=exc.message, status=exc.status)
    if wants_json:
        return JsonResponse(
            {"record": record_json(record), "created": created}, json_dumps_params={"ensure_ascii": False}
        )
    if created:
        messages.success(request, f"已入库：{record.name}（SHA-256 {record.sha256[:16]}…）。")
        for flag in record.flags:
            messages.warning(request, flag["message"])
    else:
        messages.info(request, f"该文件已上传过（{record.name}），未重复保存。")
    return redirect("media:record", record_id=record.public_id)


@login_required
def record_detail(request: HttpRequest, record_id: str) -> HttpResponse:
    officer = current_officer(request)
    record = or_404(lambda: ms.media_get_for(officer, record_id))
    or_404(lambda: services.media_access_record(actor=officer, record=record, action="viewed"))
    links = list(record.links.select_related("linked_by").order_by("linked_at", "id"))
    writable = (
        record.case is not None
        and cs.can_write(officer, record.case)
        and officer.agency_id == record.agency_id
    )
    current = links[-1] if links else None
    deadline = None
    if record.case is not None:
        deadline = Deadline.objects.filter(case=record.case, kind=f"av_upload:{record.public_id.hex}").first()
    gaps = []
    if record.case is not None:
        gaps = [g for g in ms.gaps_of(record.case) if record.pk in (g.before_id, g.after_id)]
    link_form = LinkForm(
        initial={
            "stage": current.stage,
            "step_label": current.step_label,
            "document_uid": current.document_uid,
        }
        if current
        else None
    )
    assignable: Any = []
    if record.case is None and officer.agency_id == record.agency_id:
        assignable = cs.case_list_for(officer).filter(agency=record.agency).exclude(stage="closed")[:50]
    return render(
        request,
        "media/record_detail.html",
        {
            "record": record,
            "links": links,
            "current": current,
            "writable": writable,
            "deadline": deadline,
            "gaps": gaps,
            "link_form": link_form,
            "classification": record.classification(),
            "assignable": assignable,
            # Marked, and this reader may not have its content: no player, place or file name.
            "withheld": content_view(officer, items=[record]).withheld(record),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def record_link(request: HttpRequest, record_id: str) -> HttpResponse:
    officer = current_officer(request)
    record = or_404(lambda: ms.media_get_for(officer, record_id))
    form = LinkForm(request.POST)
    if request.headers.get("Accept") == "application/json":
        # The transcript page links each file it uploaded, without leaving the page.
        if not form.is_valid():
            return JsonResponse(
                {"message": "关联信息无效。"}, status=400, json_dumps_params={"ensure_ascii": False}
            )
        try:
            link = services.media_link(actor=officer, record=record, **form.cleaned_data)
        except DomainError as exc:
            return JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})
        return JsonResponse({"record": str(record.public_id), "link": str(link.public_id)})
    if form.is_valid():
        if attempt(
            None, request, lambda: services.media_link(actor=officer, record=record, **form.cleaned_data)
        ):
            messages.success(request, "已更新关联。")
    else:
        form_errors(request, form)
    return redirect("media:record", record_id=record.public_id)


@login_required
@require_GET
def document_list(request: HttpRequest, document_id: str) -> HttpResponse:
    """The photos and videos of a transcript, as its page lists them: fetched again by
    the page once an upload is linked, so the count is right without a reload."""
    officer = current_officer(request)
    doc = or_404(lambda: rs.document_get_for(officer, document_id))
    if content_view(officer, items=[doc]).withheld(doc):
        raise Http404(CONTENT_DENIED)
    linked = ms.linked_to_document(doc.public_id)
    return render(request, "media/_document_media_list.html", {"doc": doc, "linked": linked})


@login_required
@require_POST
def record_assign(request: HttpRequest, record_id: str) -> HttpResponse:
    officer = current_officer(request)
    record = or_404(lambda: ms.media_get_for(officer, record_id))
    try:
        case = cs.case_get_for(officer, request.POST.get("case", ""))
        services.media_assign(actor=officer, record=record, case=case)
        messages.success(request, f"已归入案件 {case.number}。")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("media:record", record_id=record.public_id)


@login_required
def gap_explain(request: HttpRequest, gap_id: str) -> HttpResponse:
    officer = current_officer(request)
    gap = or_404(lambda: ms.gap_get_for(officer, gap_id))
    colleagues = Officer.objects.filter(agency=gap.case.agency, is_active=True).exclude(certificate_no="")
    form = InterruptionForm(request.POST or None, initial={"form": ExplanationForm.SPOKEN})
    signers_needed, signers_rules = services.written_signers(gap.case)
    if request.method == "POST" and form.is_valid():
        signers = []
        for i in (1, 2, 3):
            who = request.POST.get(f"signer{i}", "")
            if not who:
                continue
            person = colleagues.filter(public_id=who).first() if _uuidish(who) else None
            if person is None:
                form.add_error(None, "签字人应为本机关持证执法人员。")
                break
            signers.append(
                services.Signer(
                    officer=person,
                    password=request.POST.get(f"password{i}", ""),
                    method=SignatureMethod.PASSWORD,
                )
            )
        done = None
        if not form.errors:
            done = attempt(
                form,
                request,
                lambda: services.interruption_record(
                    actor=officer, case=gap.case, gap=gap, signers=signers, **form.cleaned_data
                ),
            )
        if done is not None:
            messages.success(request, "已记录中断说明。")
            return redirect("media:case_media", case_id=gap.case.public_id)
    return render(
        request,
        "media/gap_explain.html",
        {
            "gap": gap,
            "form": form,
            "colleagues": colleagues,
            "writable": cs.can_write(officer, gap.case),
            "signers": signers_needed,
            "signers_rules": signers_rules,
        },
        status=422 if form.errors else 200,
    )


def _uuidish(value: str) -> bool:
    return bool(re.match(r"^[0-9a-fA-F-]{32,36}$", value))


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Docked recordings not yet filed under a case."""
    officer = current_officer(request)
    return render(
        request,
        "media/inbox.html",
        {"records": ms.media_list_for(officer, unassigned=True).order_by("-received_at")[:200]},
    )


# ---------------------------------------------------------------- bytes


@require_GET
def record_content(request: HttpRequest, record_id: str) -> HttpResponse | StreamingHttpResponse:
    """The record's bytes, with single-range requests for seeking in players.
    A download, and the start of playback (a request from byte 0), is ledgered."""
    try:
        officer, _ = api_officer(request)
        record = ms.media_get_for(officer, record_id)
        content_check(officer, record)
    except DomainError as exc:
        if exc.status == 401 and not request.headers.get("Authorization"):
            return redirect(f"/login/?next={request.path}")
        return error_response(exc)
    size = record.size
    start, end = 0, size - 1
    status = 200
    header = request.headers.get("Range", "")
    if header:
        match = _RANGE.match(header.strip())
        if match is None or (not match.group(1) and not match.group(2)):
            return _unsatisfiable(size)
        if match.group(1):
            start = int(match.group(1))
            end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
        else:
            start = max(0, size - int(match.group(2)))
        if start >= size or start > end:
            return _unsatisfiable(size)
        status = 206
    download = request.GET.get("download") == "1"
    if download:
        services.media_access_record(actor=officer, record=record, action="downloaded")
    elif start == 0:
        services.media_access_record(actor=officer, record=record, action="streamed")
    response = StreamingHttpResponse(_read(record, start, end), status=status, content_type=record.mime_type)
    response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = f'"{record.sha256}"'
    response["Cache-Control"] = "private, no-transform"
    response["X-Content-SHA256"] = record.sha256
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Disposition"] = content_disposition_header(download, record.original_filename) or ""
    return response


def _unsatisfiable(size: int) -> HttpResponse:
    response = JsonResponse({"code": "bad_range", "message": "请求的范围无效。"}, status=416)
    response["Content-Range"] = f"bytes */{size}"
    return response


def _read(record: MediaRecord, start: int, end: int) -> Iterator[bytes]:
    with get_store().open(record.sha256) as fh:
        fh.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = fh.read(min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


@login_required
@require_GET
def record_poster(request: HttpRequest, record_id: str) -> HttpResponse:
    officer = current_officer(request)
    record = or_404(lambda: ms.media_get_for(officer, record_id))
    if not content_view(officer, items=[record]).readable(record):  # a poster is a frame of the content
        raise DjangoPermissionDenied(CONTENT_DENIED)
    if record.poster_id is None:
        raise Http404("无缩略图。")
    with get_store().open(record.poster_id) as fh:
        data = fh.read()
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response
