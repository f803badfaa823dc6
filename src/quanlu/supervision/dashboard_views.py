"""驾驶舱 pages: the dashboard, its tables as XLSX and the period's report as PDF.

Kept apart from views.py so that new panels never touch the pages: every panel of
``dashboards.PANELS`` is drawn, exported and reported the same way."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from quanlu.core.errors import InvalidInput, NotFound
from quanlu.org.models import Officer
from quanlu.supervision import exports
from quanlu.supervision.dashboards import (
    PANELS,
    PERIODS,
    Panel,
    Query,
    Table,
    cases_url,
    chart_data,
    period_parse,
    scope_choices,
    scope_parse,
    tables_for,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _query(request: HttpRequest) -> Query:
    """The dashboard's question from its query string; 404 for an agency out of sight."""
    officer = request.user
    assert isinstance(officer, Officer)  # behind login_required
    try:
        scope = scope_parse(officer, request.GET.get("scope", ""))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return Query(officer, period_parse(request.GET), scope)


def _shown(query: Query, panel: Panel, table: Table, parents: set[int]) -> dict[str, Any]:
    rows = []
    for row in table.rows:
        agency_id = str(row.agency.public_id) if row.agency is not None else ""
        cells = [
            (
                row.values.get(c.key, 0),
                cases_url(query, agency_id, **c.case_filter)
                if agency_id and c.case_filter and row.values.get(c.key)
                else "",
            )
            for c in table.columns
        ]
        subtree = ""
        if row.agency is not None and row.agency.pk in parents and query.scope.key != agency_id:
            subtree = "?" + urlencode({**query.params(), "scope": agency_id})
        url = cases_url(query, agency_id) if agency_id else row.url
        rows.append({"name": row.name, "url": url, "subtree": subtree, "cells": cells})
    chart = chart_data(panel, table)
    chart["links"] = [r["url"] for r in rows]
    return {"panel": panel, "table": table, "rows": rows, "totals": table.total_line(), "chart": chart}


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    officer = request.user
    assert isinstance(officer, Officer)
    error = ""
    panels: list[dict[str, Any]] = []
    query = None
    try:
        query = _query(request)
    except InvalidInput as exc:
        error = exc.message
    if query is not None:
        tables = tables_for(query)
        parents = {r["agency"].parent_id for r in query.statistics}
        panels = [_shown(query, p, t, parents) for p, t in tables]
    return render(
        request,
        "supervision/dashboard.html",
        {
            "query": query,
            "error": error,
            "panels": panels,
            "charts": [p["chart"] for p in panels],
            "periods": PERIODS,
            "scopes": scope_choices(officer),
            "asked": request.GET,
            "params": urlencode(query.params()) if query else "",
        },
        status=400 if error else 200,
    )


def _attachment(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="quanlu-{name}"'  # ASCII: panel key and dates
    return response


def _or_400(request: HttpRequest) -> Query | HttpResponse:
    try:
        return _query(request)
    except InvalidInput as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")


@login_required
def dashboard_xlsx(request: HttpRequest, panel: str) -> HttpResponse:
    """One panel's table (or ``all`` of them, a sheet each) as an XLSX workbook."""
    if panel != "all" and panel not in PANELS:
        raise Http404("没有这个统计表。")
    query = _or_400(request)
    if isinstance(query, HttpResponse):
        return query
    tables = tables_for(query, None if panel == "all" else [panel])
    name = f"{panel}-{query.period.first.isoformat()}-{query.period.last.isoformat()}.xlsx"
    return _attachment(exports.table_xlsx(query, tables), XLSX, name)


@login_required
def dashboard_pdf(request: HttpRequest) -> HttpResponse:
    """The period's report: every panel's table, as a PDF."""
    query = _or_400(request)
    if isinstance(query, HttpResponse):
        return query
    name = f"report-{query.period.first.isoformat()}-{query.period.last.isoformat()}.pdf"
    return _attachment(exports.report_pdf(query, tables_for(query)), "application/pdf", name)
