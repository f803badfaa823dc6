"""HTTP ingest: multipart form uploads and resumable uploads over tus 1.0.

Bodies are streamed straight into the blob store's staging area, hashed on the
way (Django's own upload handlers, which spool to a temp file or memory first,
are never used here): memory stays flat whatever the file size, and the bytes
are written once. Authorisation is checked from the URL and headers before the
body is read.

tus 1.0 (https://tus.io/protocols/resumable-upload): core, creation, checksum
(sha1, sha256, md5 per request), termination and expiration. A tus upload's
Upload-Metadata names the case (``case``) and the file (``filename``) and may
carry the same fields as the form (``device``, ``captured_at``, ``step_label``,
``stage``, ``document_uid``, ``delay_reason``, ``returned_at``, ``sha256`` of
the whole file, ``client_token``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils.http import http_date, parse_header_parameters
from django.views.decorators.csrf import csrf_exempt

from quanlu.blobs.store import CHUNK, BlobError, BlobWriter, get_store
from quanlu.cases.selectors import case_get_for
from quanlu.core.errors import (
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StorageFull,
    is_disk_full,
)
from quanlu.media import multipart, services
from quanlu.media.models import MediaRecord, Upload, UploadStatus
from quanlu.media.multipart import FIELDS_LIMIT, FilePart
from quanlu.media.selectors import upload_get_for
from quanlu.media.wire import Body
from quanlu.org.models import Officer
from quanlu.org.selectors import officer_for_token

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,checksum,termination,expiration"
TUS_CHECKSUMS = {"sha1": "sha1", "sha256": "sha256", "md5": "md5"}


class Unauthenticated(DomainError):
    def __init__(self) -> None:
        super().__init__(
            message="未登录或令牌无效，请提供有效的接口令牌。", code="unauthenticated", status=401
        )


# ---------------------------------------------------------------- who is calling


def api_officer(request: HttpRequest) -> tuple[Officer, bool]:
    """The caller and whether a bearer token authenticated them (else the session,
    whose unsafe requests need the CSRF token, checked by ``csrf_check``)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        officer = officer_for_token(header[7:].strip())
        if officer is None:
            raise Unauthenticated()
        return officer, True
    user = getattr(request, "user", None)
    if isinstance(user, Officer) and user.is_authenticated and user.is_active:
        return user, False
    raise Unauthenticated()


def csrf_check(request: HttpRequest, form_token: str = "") -> None:
    """CSRF for session-authenticated writes to these csrf_exempt views. Run after the
    body is read: Django then sees no form data and takes the token from the header,
    or from the form field we parsed ourselves."""
    if form_token and "HTTP_X_CSRFTOKEN" not in request.META:
        request.META["HTTP_X_CSRFTOKEN"] = form_token
    middleware = CsrfViewMiddleware(lambda r: HttpResponse())
    middleware.process_request(request)
    if middleware.process_view(request, _protected, (), {}) is not None:
        raise PermissionDenied("页面已过期或请求来源不明（CSRF 校验失败），请刷新页面后重试。", code="csrf")


def _protected(request: HttpRequest) -> HttpResponse:  # a view that is not csrf_exempt
    return HttpResponse()


def error_response(exc: DomainError, headers: dict[str, str] | None = None) -> JsonResponse:
    status = exc.status
    response = JsonResponse(exc.as_dict(), status=status, json_dumps_params={"ensure_ascii": False})
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def blob_error(exc: BlobError) -> DomainError:
    status = {
        "too_large": 413,
        "too_long": 413,
        "offset_mismatch": 409,
        "busy": 423,
        "checksum_mismatch": 460,
    }
    return DomainError(message=exc.message, code=exc.code, status=status.get(exc.code, 422))


# ---------------------------------------------------------------- multipart


def receive_form(
    request: HttpRequest, *, on_fields: Callable[[dict[str, str]], object]
) -> tuple[dict[str, str], BlobWriter | None, str]:
    """Stream a multipart form: (fields, the staged file or None, its file name).
    The fields before the file are checked (``on_fields``) before its bytes are
    read; a body that ends early is refused whole (``Truncated``)."""
    content_type, params = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
    if content_type != "multipart/form-data" or not params.get("boundary"):
        raise InvalidInput("上传应使用 multipart/form-data 表单。", code="bad_content_type")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        raise InvalidInput("请求缺少内容长度（Content-Length）。", code="length_required")
    if length > settings.QUANLU_MEDIA_MAX_BYTES + FIELDS_LIMIT:
        raise InvalidInput(
            f"文件过大，超过允许的 {settings.QUANLU_MEDIA_MAX_BYTES} 字节。",
            code="too_large",
            field_name="file",
        )
    boundary = params["boundary"].encode("ascii", "replace")
    body = Body(request, length)
    staged: list[BlobWriter] = []
    names: list[str] = []

    def on_file(fields: dict[str, str], filename: str) -> Callable[[FilePart], None]:
        names.append(services.clean_filename(filename))
        on_fields(fields)
        writer = get_store().writer()
        staged.append(writer)

        def consume(part: FilePart) -> None:
            try:
                writer.fill(part.readinto, part.upper_bound(), splice=part.splicer())
            except BlobError as exc:
                raise blob_error(exc) from exc

        return consume

    try:
        fields = multipart.parse(body, boundary, on_file=on_file)
    except Exception as exc:
        for writer in staged:
            writer.abort()
        if is_disk_full(exc):
            raise StorageFull() from exc
        raise
    finally:
        body.close()
    return fields, (staged[0] if staged else None), (names[0] if names else "")


@csrf_exempt
def case_upload(request: HttpRequest, case_id: str) -> HttpResponse:
    """POST /api/v1/cases/<case>/media/upload — one file as multipart/form-data."""
    if request.method != "POST":
        return error_response(
            DomainError(message="不支持该请求方法。", code="method_not_allowed", status=405)
        )
    staged: BlobWriter | None = None
    try:
        officer, by_token = api_officer(request)
        case = case_get_for(officer, case_id)
        services.require_uploader(officer, case)
        checked: list[services.Declared] = []
        fields, staged, filename = receive_form(
            request, on_fields=lambda f: checked.append(services.clean_declared(agency=case.agency, data=f))
        )
        if not by_token:
            csrf_check(request, fields.get("csrfmiddlewaretoken", ""))
        if staged is None:
            raise InvalidInput("请选择要上传的文件。", field_name="file")
        declared = services.clean_declared(agency=case.agency, data=fields)
        record, created = services.media_ingest(
            actor=officer,
            agency=case.agency,
            case=case,
            staged=staged,
            filename=filename,
            declared=declared,
            via="multipart",
        )
    except DomainError as exc:
        if staged is not None:
            staged.abort()
        return error_response(exc)
    body = {"record": record_json(record), "created": created}
    if not created:
        body["message"] = "该文件已上传过，未重复保存。"
    return JsonResponse(body, status=201 if created else 200, json_dumps_params={"ensure_ascii": False})


def record_json(record: MediaRecord) -> dict[str, Any]:
    return {
        "id": str(record.public_id),
        "case": str(record.case.public_id) if record.case else None,
        "name": record.name,
        "kind": record.kind,
        "sha256": record.sha256,
        "sm3": record.sm3,
        "size": record.size,
        "mime_type": record.mime_type,
        "duration_ms": record.duration_ms,
        "captured_start": record.captured_start.isoformat() if record.captured_start else None,
        "captured_end": record.captured_end.isoformat() if record.captured_end else None,
        "device": record.device.device_no if record.device else None,
        "upload_due_at": record.upload_due_at.isoformat() if record.upload_due_at else None,
        "upload_overdue": record.upload_overdue,
        "flags": record.flags,
        "classification": record.classification(),
    }


# ---------------------------------------------------------------- tus 1.0


def _tus(response: HttpResponse) -> HttpResponse:
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    return response


def _tus_error(exc: DomainError) -> HttpResponse:
    return _tus(error_response(exc))


def _options() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Tus-Version"] = TUS_VERSION
    response["Tus-Extension"] = TUS_EXTENSIONS
    response["Tus-Max-Size"] = str(settings.QUANLU_MEDIA_MAX_BYTES)
    response["Tus-Checksum-Algorithm"] = ",".join(TUS_CHECKSUMS)
    return _tus(response)


def _check_version(request: HttpRequest) -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise DomainError(message="不支持的 tus 协议版本（应为 1.0.0）。", code="tus_version", status=412)


def parse_metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: ``key base64value,key2 base64value2``."""
    out: dict[str, str] = {}
    for item in header.split(","):
        item = item.strip()
        if not item:
            continue
        key, _, value = item.partition(" ")
        try:
            out[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidInput(f"Upload-Metadata 中「{key}」的值不是有效的 Base64 UTF-8 文字。") from exc
    return out


def _int_header(request: HttpRequest, name: str) -> int:
    raw = request.headers.get(name, "")
    if not raw.isdigit():
        raise InvalidInput(f"缺少或无效的 {name} 请求头。", code="bad_header")
    return int(raw)


@csrf_exempt
def tus_collection(request: HttpRequest) -> HttpResponse:
    """OPTIONS (capabilities) and POST (creation) at /api/v1/media/tus/."""
    if request.method == "OPTIONS":
        return _options()
    if request.method != "POST":
        return _tus_error(DomainError(message="不支持该请求方法。", code="method_not_allowed", status=405))
    try:
        _check_version(request)
        officer, by_token = api_officer(request)
        if not by_token:
            csrf_check(request)
        if "Upload-Defer-Length" in request.headers:
            raise InvalidInput("须在开始上传时声明文件大小（Upload-Length）。", code="length_required")
        length = _int_header(request, "Upload-Length")
        meta = parse_metadata(request.headers.get("Upload-Metadata", ""))
        case = case_get_for(officer, meta.get("case", ""))
        filename = meta.pop("filename", "") or meta.pop("name", "")
        upload = services.upload_start(
            actor=officer, case=case, length=length, filename=filename, declared=meta
        )
    except DomainError as exc:
        return _tus_error(exc)
    response = HttpResponse(status=201)
    response["Location"] = request.build_absolute_uri(reverse("media:tus_upload", args=[upload.public_id]))
    response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
    return _tus(response)


@csrf_exempt
def tus_upload(request: HttpRequest, upload_id: str) -> HttpResponse:
    """HEAD (offset), PATCH (append), DELETE (terminate) at /api/v1/media/tus/<id>."""
    if request.method == "OPTIONS":
        return _options()
    try:
        _check_version(request)
        officer, by_token = api_officer(request)
        upload = upload_get_for(officer, upload_id)
        if request.method == "HEAD":
            return _head(upload)
        if not by_token:
            csrf_check(request)
        if request.method == "PATCH":
            return _patch(request, officer, upload)
        if request.method == "DELETE":
            services.upload_terminate(actor=officer, upload=upload)
            return _tus(HttpResponse(status=204))
        raise DomainError(message="不支持该请求方法。", code="method_not_allowed", status=405)
    except NotFound as exc:
        return _tus(HttpResponse(status=404)) if request.method == "HEAD" else _tus_error(exc)
    except DomainError as exc:
        if request.method == "HEAD":
            return _tus(HttpResponse(status=exc.status))
        return _tus_error(exc)


def _gone(upload: Upload) -> DomainError:
    label = UploadStatus(upload.status).label
    message = f"该上传{label}，不能继续。" + (f"原因：{upload.error}" if upload.error else "")
    return DomainError(message=message, code=f"upload_{upload.status}", status=410)


def _head(upload: Upload) -> HttpResponse:
    response = HttpResponse(status=200)
    response["Upload-Length"] = str(upload.length)
    if upload.status == UploadStatus.COMPLETED:
        response["Upload-Offset"] = str(upload.length)
        response["Quanlu-Record"] = str(upload.record.public_id) if upload.record else ""
        return _tus(response)
    if upload.status != UploadStatus.OPEN:
        return _tus(HttpResponse(status=410))
    try:
        response["Upload-Offset"] = str(get_store().partial(upload.public_id.hex).offset())
    except BlobError:
        return _tus(HttpResponse(status=410))
    response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
    return _tus(response)


def _chunked(request: HttpRequest) -> Iterator[bytes]:
    """A body sent with chunked transfer encoding (no Content-Length)."""
    stream = request.META["wsgi.input"]
    while True:
        data = stream.read(CHUNK)
        if not data:
            return
        yield data


def _patch(request: HttpRequest, officer: Officer, upload: Upload) -> HttpResponse:
    if request.content_type != "application/offset+octet-stream":
        raise DomainError(
            message="PATCH 请求的内容类型应为 application/offset+octet-stream。",
            code="bad_content_type",
            status=415,
        )
    from django.utils import timezone

    if upload.status != UploadStatus.OPEN:
        raise _gone(upload)
    if upload.expires_at < timezone.now():
        raise DomainError(message="该上传已过期，请重新上传。", code="upload_expired", status=410)
    offset = _int_header(request, "Upload-Offset")
    checksum = None
    if "Upload-Checksum" in request.headers:
        algorithm, _, value = request.headers["Upload-Checksum"].strip().partition(" ")
        if algorithm not in TUS_CHECKSUMS:
            raise DomainError(
                message=f"不支持的校验算法 {algorithm}。", code="bad_checksum_algorithm", status=400
            )
        try:
            checksum = (TUS_CHECKSUMS[algorithm], base64.b64decode(value, validate=True))
        except binascii.Error as exc:
            raise InvalidInput("Upload-Checksum 的值不是有效的 Base64。", code="bad_header") from exc
    partial = get_store().partial(upload.public_id.hex)
    raw_length = request.META.get("CONTENT_LENGTH")
    try:
        if raw_length:
            body = Body(request, int(raw_length))
            try:
                new_offset = partial.append(
                    offset=offset,
                    length=upload.length,
                    checksum=checksum,
                    readinto=body.readinto,
                    count=int(raw_length),
                    splice=body.splicer(),
                )
            finally:
                body.close()
        else:  # chunked transfer encoding
            new_offset = partial.append(
                _chunked(request), offset=offset, length=upload.length, checksum=checksum
            )
    except BlobError as exc:
        raise blob_error(exc) from exc
    except OSError as exc:
        if is_disk_full(exc):
            # This request's bytes were cut off again (PartialBlob.append): resuming
            # cannot help until an administrator frees space.
            raise StorageFull() from exc
        # The client went away mid-chunk: it will HEAD and resume after what we kept.
        raise DomainError(message="上传连接中断，请续传。", code="interrupted", status=400) from exc
    response = HttpResponse(status=204)
    response["Upload-Offset"] = str(new_offset)
    if new_offset == upload.length:
        record, created = services.upload_complete(actor=officer, upload=upload)
        response["Quanlu-Record"] = str(record.public_id)
        response["Quanlu-Duplicate"] = "0" if created else "1"
    else:
        response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
    return _tus(response)
