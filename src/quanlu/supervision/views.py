from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from quanlu.cases.models import Stage
from quanlu.org.models import Officer
from quanlu.supervision.selectors import agency_overview


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, Officer)
    return render(
        request,
        "supervision/overview.html",
        {
            "rows": agency_overview(request.user),
            "stages": Stage.choices,
        },
    )
