"""`{% case_dossier_card case %}`: the case page's archive section (dossier status, what is
missing, the archiving deadline), rendered by this app so the case view needs no archive code."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from quanlu.archive import dossier as plans
from quanlu.archive.selectors import current_dossier
from quanlu.cases.models import Stage

register = template.Library()


@register.inclusion_tag("archive/_case_card.html")
def case_dossier_card(case: Any) -> dict[str, Any]:
    if case.stage not in (Stage.ARCHIVING, Stage.CLOSED):
        return {"case": case, "show": False}
    now = timezone.now()
    deadline = case.deadlines.filter(kind="archive").first()
    return {
        "case": case,
        "show": True,
        "dossier": current_dossier(case),
        "missing": plans.blocking(case) if case.stage == Stage.ARCHIVING else [],
        "deadline": deadline,
        "level": deadline.level(now) if deadline else "",
        "status": deadline.status_label(now) if deadline else "",
    }
