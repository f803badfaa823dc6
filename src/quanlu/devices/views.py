"""Device pages: the registry (everyone in view reads it), and for device keepers
registration, checkout, return and incidents."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from quanlu.devices import selectors as ds
from quanlu.devices import services
from quanlu.devices.forms import CheckoutForm, IncidentForm, RegisterForm, ReturnForm
from quanlu.devices.models import Capability, Device, DeviceStatus
from quanlu.org.models import Officer, Role
from quanlu.web.pages import attempt, current_officer, form_errors, or_404


def _device(request: HttpRequest, device_id: str) -> Device:
    return or_404(lambda: ds.device_get_for(current_officer(request), device_id))


def _holders(device: Device) -> Any:
    return (
        Officer.objects.filter(agency=device.agency, is_active=True)
        .exclude(certificate_no="")
        .order_by("full_name")
    )


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    status = request.GET.get("status") or None
    if status not in (None, *DeviceStatus.values):
        status = None
    query = (request.GET.get("q") or "")[:40]
    form = RegisterForm(request.POST or None)
    keeper = officer.has_role(Role.DEVICE_KEEPER)
    if request.method == "POST":
        if not keeper:
            raise Http404("无权登记设备。")
        if form.is_valid():
            device = attempt(
                form, request, lambda: services.device_register(actor=officer, **form.cleaned_data)
            )
            if device is not None:
                messages.success(request, f"已登记设备 {device.device_no}。")
                return redirect("devices:device", device_id=device.public_id)
    devices = ds.device_list_for(officer, status=status, query=query)[:500]
    return render(
        request,
        "devices/device_list.html",
        {
            "devices": devices,
            "form": form,
            "keeper": keeper,
            "statuses": DeviceStatus.choices,
            "status": status,
            "q": query,
        },
        status=422 if form.errors else 200,
    )


@login_required
def device_detail(request: HttpRequest, device_id: str) -> HttpResponse:
    officer = current_officer(request)
    device = _device(request, device_id)
    manage = ds.may_manage(officer, device)
    open_checkout = ds.open_checkout(device)
    return render(
        request,
        "devices/device_detail.html",
        {
            "device": device,
            "manage": manage,
            "own_agency": officer.agency_id == device.agency_id,
            "open_checkout": open_checkout,
            "history": ds.device_history(device),
            "checkout_form": CheckoutForm(officers=_holders(device)) if manage else None,
            "return_form": ReturnForm() if manage and open_checkout else None,
            "incident_form": IncidentForm(),
            "capabilities": [Capability(c).label for c in device.capabilities if c in Capability.values],
            "media": device.media.select_related("case", "officer").order_by("-captured_start")[:20],
        },
    )


@login_required
@require_POST
def device_checkout(request: HttpRequest, device_id: str) -> HttpResponse:
    officer = current_officer(request)
    device = _device(request, device_id)
    form = CheckoutForm(request.POST, officers=_holders(device))
    if form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.fields}
        if attempt(None, request, lambda: services.device_checkout(actor=officer, device=device, **data)):
            messages.success(request, f"{form.cleaned_data['officer']}已领用 {device.device_no}。")
    else:
        form_errors(request, form)
    return redirect("devices:device", device_id=device.public_id)


@login_required
@require_POST
def device_return(request: HttpRequest, device_id: str) -> HttpResponse:
    officer = current_officer(request)
    device = _device(request, device_id)
    checkout = ds.open_checkout(device)
    form = ReturnForm(request.POST)
    if checkout is None:
        messages.error(request, "该设备当前没有未交回的领用。")
    elif form.is_valid():
        if attempt(
            None,
            request,
            lambda: services.device_return(actor=officer, checkout=checkout, **form.cleaned_data),
        ):
            messages.success(request, f"已验收交回的 {device.device_no}。")
    else:
        form_errors(request, form)
    return redirect("devices:device", device_id=device.public_id)


@login_required
@require_POST
def device_incident(request: HttpRequest, device_id: str) -> HttpResponse:
    officer = current_officer(request)
    device = _device(request, device_id)
    form = IncidentForm(request.POST)
    if form.is_valid():
        if attempt(
            None,
            request,
            lambda: services.device_incident_record(actor=officer, device=device, **form.cleaned_data),
        ):
            messages.success(request, "已记录。")
    else:
        form_errors(request, form)
    return redirect("devices:device", device_id=device.public_id)
