"""Pages for documents: pick a type, fill it in (phone first), sign, record a
refusal, correct, upload a scan, download the PDF/A or DOCX.

Views parse, authorise, call one service and render. Outsiders get 404 (the case
is invisible to them); supervisors see everything and change nothing (403).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.timezone import localtime
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from quanlu.access.selectors import CONTENT_DENIED, content_view, may_read_content
from quanlu.cases import selectors as cs
from quanlu.core.errors import DomainError
from quanlu.org import services as org_services
from quanlu.org.models import Officer
from quanlu.records import selectors as rs
from quanlu.records import services
from quanlu.records.catalogue import KINDS, NOTICE_METHODS, ROLES, DocType, catalogue
from quanlu.records.forms import defaults, error_sink, from_approval, from_case, parse_post, widgets
from quanlu.records.models import CaptureMethod, Document, Refusal
from quanlu.records.render import field_row, fmt_date, fmt_datetime, rendering_get
from quanlu.records.uploads import LimitedUploadHandler
from quanlu.web.pages import (
    attempt,
    case_or_404,
    current_officer,
    or_404,
    password_ok,
    require_writer,
    submitted_token,
)

WRITER = "您以监督身份查看本案，仅可查阅，不能制作或签署文书。"


def _doc(request: HttpRequest, document_id: Any) -> Document:
    return or_404(lambda: rs.document_get_for(current_officer(request), document_id))


def _type_or_404(code: str) -> DocType:
    try:
        return catalogue().get(code)
    except KeyError as exc:
        raise Http404("没有这种文书类型。") from exc


def _to_detail(doc: Document) -> HttpResponse:
    return redirect("records:document", document_id=doc.public_id)


# ---------------------------------------------------------------- making


@login_required
def document_new(request: HttpRequest, case_id: str) -> HttpResponse:
    case = case_or_404(request, case_id)
    require_writer(request, case, WRITER)
    code = request.GET.get("type") or request.POST.get("type") or ""
    if not code:
        return render(
            request, "records/document_types.html", {"case": case, "stages": catalogue().by_stage()}
        )
    doc_type = _type_or_404(code)
    if doc_type.uploaded:
        return redirect(f"/cases/{case.public_id}/documents/upload/?type={code}")
    values = defaults(doc_type, case, current_officer(request))
    approved = from_approval(doc_type, case) if request.method == "GET" else {}
    errors = error_sink(doc_type)
    if request.method == "POST":
        raw = parse_post(doc_type, request.POST)
        token = submitted_token(request)
        doc = attempt(
            errors,
            request,
            lambda: services.document_create(
                actor=current_officer(request), case=case, type_code=code, fields=raw, client_token=token
            ),
        )
        if doc is not None:
            messages.success(request, f"已制作《{doc.title}》，请签署。")
            return _to_detail(doc)
        values = _echo(doc_type, raw)
    return render(
        request,
        "records/document_form.html",
        {
            "case": case,
            "doc_type": doc_type,
            "widgets": widgets(doc_type, case, values, errors),
            "form_errors": errors.non_field_errors(),
            "prefilled": bool(approved),
            "filled": [f.label for f in doc_type.fields if f.key in {**from_case(doc_type, case), **approved}]
            if request.method == "GET"
            else [],
            "client_token": uuid.uuid4(),
            "methods": list(NOTICE_METHODS.items()),
            "action": "new",
        },
    )


def _echo(doc_type: DocType, raw: dict[str, Any]) -> dict[str, Any]:
    """What was typed, in the stored shapes the widgets read, to refill the form."""
    out: dict[str, Any] = {}
    for spec in doc_type.fields:
        v = raw.get(spec.key)
        if spec.type == "officer" and v:
            out[spec.key] = {"officer": v}
        elif spec.type == "party" and v:
            out[spec.key] = {"party": v}
        else:
            out[spec.key] = v
    return out


# ---------------------------------------------------------------- reading


@login_required
def document_detail(request: HttpRequest, document_id: str) -> HttpResponse:
    officer = current_officer(request)
    doc = _doc(request, document_id)
    doc_type = catalogue().get(doc.type_code)
    versions = list(doc.versions.select_related("created_by", "replaces").order_by("number"))
    number = request.GET.get("version")
    shown = next((v for v in versions if str(v.number) == number), versions[-1])
    current = versions[-1]
    # A marked record the reader may not read: its metadata and the mark, no field
    # values, and no signature slots (they name the people the fields list).
    withheld = content_view(officer, items=[doc]).withheld(doc)
    statuses = [] if withheld else rs.signature_status(doc, current)
    writable = cs.can_write(officer, doc.case)
    rows = [
        field_row(f, shown.fields[f.key], doc.case.rulebook_id)
        for f in doc_type.fields
        if f.key in shown.fields and not withheld
    ]
    signatures = list(doc.signatures.select_related("officer", "version"))
    refusals = list(doc.refusals.prefetch_related("attestations__officer"))
    voiding = rs.voiding_of(doc)
    if voiding is not None:
        writable, statuses = False, []
    slots = []
    me = str(officer.public_id)
    for st in statuses:
        # Whoever the slot still waits for can sign on this device, the signed-in
        # officer first.
        waiting = [e for e in st.expected if e.officer_id and not e.done]
        signers = sorted(((e.officer_id, e.label) for e in waiting), key=lambda p: p[0] != me)
        signers = signers or [(me, officer.full_name)]
        slots.append(
            {
                "st": st,
                "can_sign": writable and st.officer_slot and not st.satisfied,
                "signers": signers,
                "pick": len(signers) > 1 or signers[0][0] != me,
                "can_capture": writable and not st.officer_slot and not st.satisfied,
                "names": [e.person_name for e in st.expected if e.person_name and not e.done],
                "default_name": _default_name(doc, st.roles, current.fields),
                "kinds": [(k, KINDS[k]) for k in st.kinds],
                "roles": [(r, ROLES[r][0]) for r in st.roles],
                "pending_refusals": [
                    r for r in st.refusals if len(r.attestations.all()) < st.refusal_min_officers
                ],
            }
        )
    return render(
        request,
        "records/document_detail.html",
        {
            "doc": doc,
            "doc_type": doc_type,
            "case": doc.case,
            "versions": versions,
            "shown": shown,
            "current": current,
            "rows": rows,
            "slots": slots,
            "signatures": signatures,
            "refusals": refusals,
            "complete": not rs.document_missing(doc, current),
            "missing": [] if withheld else rs.document_missing(doc, current),
            "writable": writable,
            "changed_labels": [_label(doc_type, k) for k in shown.changed_fields],
            "fmt_created": fmt_datetime(doc.created_at),
            "issued": None if withheld else fmt_date(shown.fields.get("issued_on")),
            "withheld": withheld,
            "voiding": voiding,
            "me": me,
            "may_void": writable and not signatures and not refusals,
        },
    )


def _label(doc_type: DocType, key: str) -> str:
    try:
        return doc_type.field(key).label
    except KeyError:
        return key


def _default_name(doc: Document, roles: tuple[str, ...], values: dict[str, Any]) -> str:
    if "party" in roles:
        for key in ("party", "recipient", "applicant", "holder", "respondent"):
            p = values.get(key)
            if isinstance(p, dict) and "name" in p:
                return str(p.get("legal_representative") or p["name"])
    if "interviewee" in roles and isinstance(values.get("interviewee"), dict):
        return str(values["interviewee"]["name"])
    return ""


@login_required
def document_file(request: HttpRequest, document_id: str) -> HttpResponse:
    doc = _doc(request, document_id)
    if not may_read_content(current_officer(request), doc):
        raise DjangoPermissionDenied(CONTENT_DENIED)
    fmt = request.GET.get("format", "pdf")
    try:
        version = int(request.GET.get("version") or 0) or None
    except ValueError as exc:
        raise Http404("版本号无效。") from exc
    try:
        data, name, media = rendering_get(doc, fmt, version)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(data, content_type=media)
    disposition = "inline" if fmt == "pdf" else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(name)}"
    return response


# ---------------------------------------------------------------- signing


@login_required
@require_POST
def document_sign(request: HttpRequest, document_id: str) -> HttpResponse:
    doc = _doc(request, document_id)
    require_writer(request, doc.case, WRITER)
    me = current_officer(request)
    chosen = request.POST.get("signer", "").strip()
    signer: Officer | None = me
    if chosen and chosen != str(me.public_id):
        # A colleague signs on this device with their own password; the session
        # stays the signed-in officer's.
        uid = _uuid_or_none(chosen)
        other = Officer.objects.filter(public_id=uid, agency_id=doc.case.agency_id).first() if uid else None
        if other is None:
            messages.error(request, "所选执法人员不是本机关人员，未签署。")
            return _to_detail(doc)
        signer = _reauthenticated(request, other.username, request.POST.get("password", ""))
    elif not password_ok(request):
        signer = None
    if signer is not None:
        person = signer
        sig = attempt(
            None,
            request,
            lambda: services.signature_sign(
                actor=person,
                document=doc,
                slot=request.POST.get("slot", ""),
                signature_method=CaptureMethod.PASSWORD,
                recorded_by=me,
            ),
        )
        if sig is not None:
            messages.success(request, f"已{KINDS[sig.kind]}：{sig.signer_name}。")
    return _to_detail(doc)


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _reauthenticated(request: HttpRequest, username: str, password: str) -> Officer | None:
    """Another officer proves who they are on this device with their own username and
    password; nothing changes in the session. A deactivated account is named as such."""
    known = Officer.objects.filter(username=username).first()
    if known is not None and not known.is_active:
        messages.error(request, f"{known.full_name}的账号已停用，不能签名，未记录。")
        return None
    who = known.full_name if known is not None else "该执法人员"
    # A password tried on a colleague's behalf counts towards their lockout as at the
    # login page: a signed-in writer must not get unlimited guesses at it.
    if (until := org_services.lock_in_force(username)) is not None:
        messages.error(request, f"{who}的账号因多次密码错误已锁定至 {localtime(until):%H:%M}，其签名未记录。")
        return None
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, Officer):
        org_services.login_failure_record(username=username)
        messages.error(request, f"{who}的用户名或密码不正确，其签名未记录。")
        return None
    return user


@login_required
@require_POST
def document_capture(request: HttpRequest, document_id: str) -> HttpResponse:
    doc = _doc(request, document_id)
    require_writer(request, doc.case, WRITER)
    upload = request.FILES.get("page")
    if upload is not None:
        if upload.size and upload.size > 20 * 1024 * 1024:
            messages.error(request, "签名页图片过大（上限 20 MB）。")
            return _to_detail(doc)
        image, method = upload.read(), CaptureMethod.PAPER
    else:
        data_url = request.POST.get("image", "")
        _, _, encoded = data_url.partition("base64,")
        try:
            image = base64.b64decode(encoded or "", validate=True)
        except (binascii.Error, ValueError):
            image = b""
        method = CaptureMethod.TOUCH
    if not image:
        messages.error(request, "没有收到签名：请在签名框内手写签名，或上传纸质签名页。")
        return _to_detail(doc)
    sig = attempt(
        None,
        request,
        lambda: services.signature_capture(
            actor=current_officer(request),
            document=doc,
            slot=request.POST.get("slot", ""),
            signer_name=request.POST.get("signer_name", ""),
            image=image,
            method=method,
            kind=request.POST.get("kind", ""),
            role=request.POST.get("role", ""),
            client_token=submitted_token(request),
        ),
    )
    if sig is not None:
        messages.success(request, f"已记录{sig.signer_name}的{KINDS[sig.kind]}。")
    return _to_detail(doc)


def _second_officer(request: HttpRequest) -> Officer | None:
    """A colleague on the same device signs with their own username and password."""
    username = request.POST.get("second_username", "").strip()
    if not username:
        return None
    return _reauthenticated(request, username, request.POST.get("second_password", ""))


@login_required
@require_POST
def document_refuse(request: HttpRequest, document_id: str) -> HttpResponse:
    doc = _doc(request, document_id)
    require_writer(request, doc.case, WRITER)
    if not password_ok(request):
        return _to_detail(doc)
    refusal = attempt(
        None,
        request,
        lambda: services.refusal_record(
            actor=current_officer(request),
            document=doc,
            slot=request.POST.get("slot", ""),
            person_name=request.POST.get("person_name", ""),
            reason=request.POST.get("reason", ""),
            signature_method=CaptureMethod.PASSWORD,
        ),
    )
    if refusal is None:
        return _to_detail(doc)
    messages.success(request, f"已在文书中注明{refusal.person_name}拒绝签字。")
    second = _second_officer(request)
    if second is not None:
        done = attempt(
            None,
            request,
            lambda: services.refusal_attest(
                actor=second, refusal=refusal, signature_method=CaptureMethod.PASSWORD
            ),
        )
        if done is not None:
            messages.success(request, f"{second.full_name}已签字确认。")
    return _to_detail(doc)


@login_required
@require_POST
def refusal_attest(request: HttpRequest, refusal_id: str) -> HttpResponse:
    try:
        refusal = Refusal.objects.select_related("document").get(public_id=uuid.UUID(refusal_id))
    except (Refusal.DoesNotExist, ValueError) as exc:
        raise Http404("未找到") from exc
    doc = _doc(request, refusal.document.public_id)
    require_writer(request, doc.case, WRITER)
    signer = _second_officer(request)
    if signer is None:
        if request.POST.get("second_username"):
            return _to_detail(doc)
        if not password_ok(request):
            return _to_detail(doc)
        signer = current_officer(request)
    person = signer
    done = attempt(
        None,
        request,
        lambda: services.refusal_attest(
            actor=person, refusal=refusal, signature_method=CaptureMethod.PASSWORD
        ),
    )
    if done is not None:
        messages.success(request, f"{person.full_name}已签字确认拒签情况。")
    return _to_detail(doc)


@login_required
@require_POST
def document_void(request: HttpRequest, document_id: str) -> HttpResponse:
    doc = _doc(request, document_id)
    require_writer(request, doc.case, WRITER)
    done = attempt(
        None,
        request,
        lambda: services.document_void(
            actor=current_officer(request), document=doc, reason=request.POST.get("reason", "")
        ),
    )
    if done is not None:
        messages.success(request, f"已作废《{doc.title}》，文书保留可查，不再计入合规检查。")
    return _to_detail(doc)


# ---------------------------------------------------------------- correcting


@login_required
def document_amend(request: HttpRequest, document_id: str) -> HttpResponse:
    doc = _doc(request, document_id)
    require_writer(request, doc.case, WRITER)
    doc_type = catalogue().get(doc.type_code)
    if doc.origin == "uploaded":
        raise Http404("上传的文件不能更正。")
    if not may_read_content(current_officer(request), doc):  # the form shows, and rewrites, the content
        raise DjangoPermissionDenied(CONTENT_DENIED)
    current = rs.current_version(doc)
    values = current.fields
    errors = error_sink(doc_type)
    if request.method == "POST":
        raw = parse_post(doc_type, request.POST)
        if password_ok(request):
            try:
                base = int(request.POST.get("base_version", ""))
            except ValueError:
                base = None
            version = attempt(
                errors,
                request,
                lambda: services.document_amend(
                    actor=current_officer(request),
                    document=doc,
                    changes=raw,
                    reason=request.POST.get("reason", ""),
                    base_version=base,
                    signature_method=CaptureMethod.PASSWORD,
                ),
            )
            if version is not None:
                messages.success(request, f"已更正为第{version.number}版，原版本保留可查。")
                return _to_detail(doc)
        values = {**values, **{k: v for k, v in _echo(doc_type, raw).items() if v is not None}}
    return render(
        request,
        "records/document_form.html",
        {
            "case": doc.case,
            "doc": doc,
            "doc_type": doc_type,
            "widgets": widgets(doc_type, doc.case, values, errors),
            "form_errors": errors.non_field_errors(),
            "methods": list(NOTICE_METHODS.items()),
            "action": "amend",
            "current": current,
        },
    )


# ---------------------------------------------------------------- uploading


@login_required
@csrf_exempt
def document_upload(request: HttpRequest, case_id: str) -> HttpResponse:
    # The size limit must be in place before the body is read, and CSRF checking
    # reads the body: so the handler goes in first and CSRF is checked after.
    handler = LimitedUploadHandler(request)
    request.upload_handlers = [handler, *request.upload_handlers]
    return _document_upload(request, case_id, handler)


@csrf_protect
def _document_upload(request: HttpRequest, case_id: str, handler: LimitedUploadHandler) -> HttpResponse:
    case = case_or_404(request, case_id)
    require_writer(request, case, WRITER)
    code = request.GET.get("type") or request.POST.get("type") or ""
    doc_type = catalogue().types.get(code)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if handler.too_large:
            messages.error(request, _too_large_message())
        elif doc_type is None:
            messages.error(request, "请选择文书类型。")
        elif upload is None:
            messages.error(request, "没有收到文件，或上传不完整，请重新选择文件上传。")
        else:
            fields = {
                k: request.POST.get(k, "").strip()
                for k in ("issuer", "issued_on", "conclusion", "number", "note")
                if request.POST.get(k, "").strip()
            }
            if not doc_type.uploaded:
                fields = {k: v for k, v in fields.items() if k in ("issuer", "number", "note")}
            doc = attempt(
                None,
                request,
                lambda: services.document_upload(
                    actor=current_officer(request),
                    case=case,
                    type_code=doc_type.code,
                    chunks=upload.chunks(),
                    file_name=upload.name or "",
                    fields=fields,
                    declared_size=upload.size,
                    client_token=submitted_token(request),
                ),
            )
            if doc is not None:
                messages.success(request, f"已上传《{doc.title}》。")
                return _to_detail(doc)
    return render(
        request,
        "records/document_upload.html",
        {
            "case": case,
            "doc_type": doc_type,
            "types": list(catalogue().types.values()),
            "client_token": uuid.uuid4(),
            "limit_mb": _limit_mb(),
        },
        status=413 if handler.too_large else 200,
    )


def _limit_mb() -> int:
    return int(settings.QUANLU_DOCUMENT_MAX_BYTES // (1024 * 1024))


def _too_large_message() -> str:
    return f"文件超过允许的大小（上限 {_limit_mb()} MB），未保存。请压缩或分册后上传。"
