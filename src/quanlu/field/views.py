"""The field app: its installable shell (page, manifest, service worker), the JSON
it talks to while online (enrol, take out, sync), and the administrator's device
page. The views parse, authorize, call one service and answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from quanlu.cases.selectors import case_get_for
from quanlu.core.canonical import jsonable
from quanlu.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from quanlu.core.middleware import CONTENT_SECURITY_POLICY
from quanlu.field import selectors as fs
from quanlu.field import services
from quanlu.field.models import Receipt
from quanlu.org import services as org_services
from quanlu.org.models import Officer
from quanlu.org.permissions import administers
from quanlu.web.pages import current_officer, or_404

# hash-wasm hashes large videos as they are read, in WebAssembly: the field pages (and
# only they) allow compiling it. 'wasm-unsafe-eval' permits WebAssembly compilation,
# not JavaScript eval; everything else is the site's policy unchanged.
FIELD_CSP = CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")
# What the service worker keeps for offline use: the shell and every file it loads.
SHELL_STATIC = (
    "web/quanlu.css",
    "records/records.css",
    "field/field.css",
    "field/checks.js",
    "field/field.js",
    "field/vendor/hash-wasm/sha256.umd.min.js",
    "media/vendor/tus-js-client/tus.min.js",
    "records/records.js",
    "field/icon-192.png",
    "field/icon-512.png",
)
VERSION = "1"


def _shell_version() -> str:
    """Changes whenever a shell file changes, so the service worker re-fetches them."""
    import hashlib

    from django.contrib.staticfiles import finders

    h = hashlib.sha256(VERSION.encode())
    for name in SHELL_STATIC:
        path = finders.find(name)
        if path:
            with open(str(path), "rb") as fh:
                h.update(fh.read())
    with open(__file__.replace("views.py", "templates/field/app.html"), "rb") as fh:
        h.update(fh.read())
    return h.hexdigest()[:16]


@login_required
def app(request: HttpRequest) -> HttpResponse:
    """The shell: everything else comes from IndexedDB or the JSON API."""
    response = render(request, "field/app.html", {"officer": current_officer(request)})
    response["Content-Security-Policy"] = FIELD_CSP
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    prefix = static("field/vendor/workbox/").rstrip("/")
    body = render(
        request,
        "field/sw.js",
        {
            "workbox": static("field/vendor/workbox/workbox-sw.js"),
            "prefix": prefix,
            "precache": json.dumps(
                [{"url": reverse("field:app"), "revision": _shell_version()}]
                + [{"url": static(name), "revision": _shell_version()} for name in SHELL_STATIC]
            ),
        },
        content_type="text/javascript; charset=utf-8",
    )
    body["Cache-Control"] = "no-cache"  # the browser checks for a new worker on every visit
    return body


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "name": "全录·现场",
        "short_name": "全录·现场",
        "description": "无网络时记录现场笔录、签名、照片和录像，返回后同步。",
        "lang": "zh-CN",
        "start_url": reverse("field:app"),
        "scope": reverse("field:app"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f4e79",
        "icons": [
            {"src": static("field/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("field/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    return HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json; charset=utf-8"
    )


# ---------------------------------------------------------------- JSON API


def _json_api(view: Callable[..., Any]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"code": "login_required", "message": "请先联网登录。"}, status=401)
        try:
            out = view(request, *args, **kwargs)
        except DomainError as exc:
            return JsonResponse(exc.as_dict(), status=exc.status)
        return JsonResponse(jsonable(out), status=200, json_dumps_params={"ensure_ascii": False})

    return wrapped


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise InvalidInput("请求内容不是有效的 JSON。") from exc
    if not isinstance(data, dict):
        raise InvalidInput("请求内容格式不正确。")
    return data


def _device(request: HttpRequest, data: dict[str, Any]) -> Any:
    try:
        return fs.device_get_for(current_officer(request), data.get("device"))
    except NotFound as exc:
        raise NotFound("该设备尚未登记，请先联网登记签名凭证。", code="device_unknown") from exc


@require_GET
@_json_api
def api_hello(request: HttpRequest) -> dict[str, Any]:
    """The server's time (the device measures its clock's offset from it), the
    signed-in officer, and a fresh CSRF token for the posts that follow."""
    officer = current_officer(request)
    return {
        "server_time": timezone.now(),
        "officer": {"uid": officer.public_id, "name": officer.full_name, "username": officer.username},
        "csrf": get_token(request),
    }


@require_POST
@_json_api
def api_enroll(request: HttpRequest) -> dict[str, Any]:
    """Enroll a key for the signed-in officer, or for a colleague on the same device
    who types their user name and password here."""
    actor = current_officer(request)
    data = _body(request)
    officer = actor
    username = str(data.get("username") or "")
    if username and username != actor.username:
        if org_services.lock_in_force(username) is not None:
            raise PermissionDenied("该账号因多次密码错误已锁定。")
        other = Officer.objects.filter(username=username, agency=actor.agency, is_active=True).first()
        if other is None or not other.check_password(str(data.get("password") or "")):
            org_services.login_failure_record(username=username)
            raise PermissionDenied("用户名或密码不正确。", code="bad_credentials")
        officer = other
    credential = services.credential_enroll(
        actor=actor,
        officer=officer,
        device_uid=data.get("device"),
        label=data.get("label"),
        public_key=data.get("public_key"),
    )
    return {
        "credential": credential.public_id,
        "officer": {"uid": officer.public_id, "name": officer.full_name},
        "fingerprint": credential.fingerprint,
    }


@require_GET
@_json_api
def api_cases(request: HttpRequest) -> dict[str, Any]:
    officer = current_officer(request)
    device = _device(request, {"device": request.GET.get("device")})
    taken = set(device.takeouts.values_list("case_id", flat=True))
    return {
        "cases": [
            {
                "uid": c.public_id,
                "number": c.number,
                "cause": c.cause,
                "mine": c.lead_officer_id == officer.pk,
                "taken": c.pk in taken,
            }
            for c in fs.cases_to_take(officer)
        ]
    }


@require_POST
@_json_api
def api_takeout(request: HttpRequest) -> dict[str, Any]:
    data = _body(request)
    officer = current_officer(request)
    device = _device(request, data)
    case = case_get_for(officer, data.get("case"))
    takeout = services.case_take_offline(actor=officer, case=case, device=device)
    return {"takeout": takeout.public_id, "taken_at": takeout.taken_at, "pack": fs.case_pack(case)}


@require_GET
@_json_api
def api_new_case(request: HttpRequest) -> dict[str, Any]:
    """What the device keeps to open cases offline under a provisional number."""
    _device(request, {"device": request.GET.get("device")})
    return {"pack": fs.new_case_pack(current_officer(request))}


@require_POST
@_json_api
def api_sync(request: HttpRequest) -> dict[str, Any]:
    data = _body(request)
    device = _device(request, data)
    receipt, created = services.field_record_receive(
        actor=current_officer(request), device=device, record=data.get("record")
    )
    return {"receipt": _receipt_json(receipt), "created": created}


def _receipt_json(r: Receipt) -> dict[str, Any]:
    return {
        "uid": r.public_id,
        "kind": r.kind,
        "status": r.status,
        "status_label": r.get_status_display(),
        "device_sha256": r.device_sha256,
        "server_sha256": r.server_sha256,
        "target": r.target_uid,
        "flags": r.flags,
        "received_at": r.received_at,
    }


# ---------------------------------------------------------------- the administrator's page


@login_required
def devices(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    rows = [
        {
            "device": d,
            "credentials": fs.credentials_on(d),
            "revocation": getattr(d, "revocation", None),
            "refused": list(fs.receipts_refused(d)),
        }
        for d in fs.devices_of_agency(officer)
    ]
    return render(
        request,
        "field/devices.html",
        {"rows": rows, "admin": officer.agency is not None and administers(officer, officer.agency)},
    )


@login_required
@require_POST
def device_revoke(request: HttpRequest, device_id: str) -> HttpResponse:
    officer = current_officer(request)
    device = or_404(lambda: fs.device_get_for(officer, device_id))
    try:
        services.device_revoke(actor=officer, device=device, reason=request.POST.get("reason", ""))
        messages.success(request, f"已吊销设备「{device.label}」，其未同步的记录将被拒收并登记。")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("field:devices")
