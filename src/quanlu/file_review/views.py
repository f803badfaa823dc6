"""案卷评查 pages: campaigns (list, new), a campaign's sample, the scoring form of one
case, the results (with rectification orders and closing), the body's scoring sheet."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from quanlu.file_review import selectors, services, sheets
from quanlu.file_review.forms import CampaignForm, CloseForm, ReviewOrderForm, SheetForm
from quanlu.file_review.models import Campaign, ItemScore, SampledCase
from quanlu.org.models import Officer, Role
from quanlu.rulebooks.loader import citation_label
from quanlu.web.pages import attempt, current_officer, or_404


def _is_supervisor(officer: Officer) -> bool:
    return officer.agency is not None and officer.has_role(Role.SUPERVISOR)


@login_required
def campaigns(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = None
    if _is_supervisor(officer):
        reviewable = list(selectors.reviewable_agencies(officer))
        form = CampaignForm(request.POST or None)
        form.fields["agencies"].choices = [(str(a.public_id), a.name) for a in reviewable]  # type: ignore[attr-defined]
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            chosen = [a for a in reviewable if str(a.public_id) in data["agencies"]]
            campaign = attempt(
                form,
                request,
                lambda: services.campaign_open(
                    actor=officer,
                    title=data["title"],
                    method=data["method"],
                    per_agency=data["per_agency"],
                    seed=data["seed"] or "",
                    agencies=chosen or None,
                    kind=data["kind"] or "",
                    opened_from=data["opened_from"],
                    opened_to=data["opened_to"],
                    only_breached=data["only_breached"],
                ),
            )
            if campaign is not None:
                messages.success(request, f"已发起评查并抽取 {campaign.samples.count()} 件案卷。")
                return redirect("file_review:campaign", campaign.public_id)
    found = list(selectors.campaigns_for(officer)[:200])
    return render(request, "file_review/campaigns.html", {"campaigns": found, "form": form})


def _campaign(request: HttpRequest, campaign_id: str) -> tuple[Officer, Campaign]:
    officer = current_officer(request)
    return officer, or_404(lambda: selectors.campaign_get_for(officer, campaign_id))


@login_required
def campaign(request: HttpRequest, campaign_id: str) -> HttpResponse:
    officer, found = _campaign(request, campaign_id)
    only = selectors.reviewed_agency_only(officer, found)
    scores = selectors.current_scores(found)
    rows = [(s, scores.get(s.pk)) for s in selectors.samples_of(found, only)]
    reviewer = selectors.may_review(officer, found)
    form = CloseForm(request.POST or None) if reviewer and not found.closed else None
    if form is not None and request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            request,
            lambda: services.campaign_close(
                actor=officer, campaign=found, conclusion=form.cleaned_data["conclusion"]
            ),
        )
        if done is not None:
            messages.success(request, "评查活动已结束，被评查机关可查看本机关的结果。")
            return redirect("file_review:results", found.public_id)
    return render(
        request,
        "file_review/campaign.html",
        {
            "campaign": found,
            "rows": rows,
            "scored": sum(1 for _, sc in rows if sc is not None),
            "reviewer": reviewer,
            "form": form,
            "points": sheets.total_points(found.sheet.content),
        },
    )


def _entries(request: HttpRequest, codes: list[str]) -> list[dict[str, Any]]:
    """The scoring form's fields, per item: applicable, awarded, finding, reason."""
    out = []
    for code in codes:
        entry: dict[str, Any] = {
            "item": code,
            "applicable": request.POST.get(f"applicable-{code}") == "on",
            "finding": request.POST.get(f"finding-{code}", ""),
            "reason": request.POST.get(f"reason-{code}", ""),
        }
        awarded = request.POST.get(f"awarded-{code}", "").strip()
        if awarded:
            entry["awarded"] = awarded
        out.append(entry)
    return out


@login_required
def scoring(request: HttpRequest, campaign_id: str, sample_id: str) -> HttpResponse:
    officer, found = _campaign(request, campaign_id)
    sample: SampledCase = or_404(lambda: selectors.sample_get(found, sample_id))
    only = selectors.reviewed_agency_only(officer, found)
    if only is not None and sample.agency_id != only.pk:
        raise Http404()
    reviewer = selectors.may_review(officer, found) and not found.closed
    filled = selectors.prefill(officer, sample.case, found.sheet.content)
    posted: dict[str, dict[str, Any]] = {}
    if request.method == "POST":
        if not reviewer:
            raise PermissionDenied("由评查机关的执法监督人员评分；评查结束后不能再评分。")
        entries = _entries(request, [p.item.code for p in filled])
        posted = {e["item"]: e for e in entries}
        opinion = request.POST.get("opinion", "")
        done = attempt(
            None,
            request,
            lambda: services.case_score(actor=officer, sample=sample, entries=entries, opinion=opinion),
        )
        if done is not None:
            messages.success(
                request, f"已保存 {sample.case.number} 的评分：{done.awarded}/{done.possible} 分。"
            )
            return redirect("file_review:campaign", found.public_id)
    score = selectors.current_score(sample)
    kept = {i.item: i for i in score.items.all()} if score else {}
    items: list[dict[str, Any]] = []
    for p in filled:
        done_item = kept.get(p.item.code)
        again = posted.get(p.item.code)
        if again is not None:
            value = {
                "applicable": again["applicable"],
                "awarded": again.get("awarded", ""),
                "finding": again["finding"],
                "reason": again["reason"],
            }
        elif done_item is not None:
            value = {
                "applicable": done_item.applicable,
                "awarded": done_item.awarded,
                "finding": done_item.finding,
                "reason": done_item.change_reason,
            }
        else:
            value = {"applicable": p.applicable, "awarded": p.awarded, "finding": p.finding, "reason": ""}
        items.append({"p": p, "value": value, "changed": done_item.changed if done_item else False})
    sections: dict[str, list[dict[str, Any]]] = {}
    for p, it in zip(filled, items, strict=True):
        sections.setdefault(p.item.section_title, []).append(it)
    return render(
        request,
        "file_review/scoring.html",
        {
            "campaign": found,
            "sample": sample,
            "regulation": citation_label(f"{sample.case.rulebook_id} ", sample.case.rulebook_id).strip(),
            "sections": sections,
            "score": score,
            "reviewer": reviewer,
            "opinion": request.POST.get("opinion", score.opinion if score else ""),
            "possible": sum((Decimal(p.item.points) for p in filled if p.applicable), Decimal(0)),
        },
    )


@login_required
def results(request: HttpRequest, campaign_id: str) -> HttpResponse:
    officer, found = _campaign(request, campaign_id)
    only = selectors.reviewed_agency_only(officer, found)
    res = selectors.results(found, only)
    reviewer = selectors.may_review(officer, found)
    form = None
    if reviewer and res.lost_items:
        form = ReviewOrderForm(request.POST or None)
        agencies = {str(i.score.sample.agency.public_id): i.score.sample.agency for i in res.lost_items}
        form.fields["agency"].choices = [(k, a.name) for k, a in agencies.items()]  # type: ignore[attr-defined]
        by_id = {str(i.public_id): i for i in res.lost_items}
        form.fields["items"].choices = [  # type: ignore[attr-defined]
            (k, f"{i.score.sample.case.number} {i.title} −{i.lost}（{i.article}）") for k, i in by_id.items()
        ]
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            chosen: list[ItemScore] = [by_id[k] for k in data["items"]]
            link = attempt(
                form,
                request,
                lambda: services.review_rectification_issue(
                    actor=officer,
                    campaign=found,
                    agency=agencies[data["agency"]],
                    items=chosen,
                    requirements=data["requirements"],
                    due_at=data["due_at"],
                ),
            )
            if link is not None:
                messages.success(request, f"已向{link.agency.name}下达整改通知。")
                return redirect("file_review:results", found.public_id)
    links = found.rectifications.select_related("agency", "order")
    if only is not None:
        links = links.filter(agency=only)
    ordered = {item for link in links for item in link.items}
    return render(
        request,
        "file_review/results.html",
        {"campaign": found, "res": res, "form": form, "links": links, "only": only, "ordered": ordered},
    )


@login_required
def sheet(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    if officer.agency is None:
        raise Http404()
    form = SheetForm(request.POST or None, request.FILES or None) if _is_supervisor(officer) else None
    if form is not None and request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["content"].read(1_000_000).decode("utf-8", errors="replace")
        done = attempt(form, request, lambda: services.sheet_publish(actor=officer, content=raw))
        if done is not None:
            messages.success(request, f"已发布评查标准第 {done.version} 版，此后发起的评查使用该版本。")
            return redirect("file_review:sheet")
    current = selectors.current_sheet(officer.agency)
    content = copy.deepcopy(current.content if current else sheets.default_sheet())
    for cite in [
        *content["basis"],
        *(c for s in content["sections"] for i in s["items"] for c in i["cites"]),
    ]:
        cite["label"] = citation_label(f"{cite['regulation']} {cite['article']}", cite["regulation"])
    return render(
        request,
        "file_review/sheet.html",
        {
            "current": current,
            "content": content,
            "points": sheets.total_points(content),
            "versions": selectors.sheets_of(officer.agency),
            "form": form,
        },
    )
