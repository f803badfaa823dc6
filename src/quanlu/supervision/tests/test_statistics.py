"""Statistics per agency (/api/v1/statistics/agencies): grouped counts that agree with the
rows they count, within the reader's tree and period, and nothing of other trees."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.test import Client
from django.utils import timezone

from quanlu.cases.models import Case, Stage, StageTransition
from quanlu.org import services as org
from quanlu.org.services import api_token_create
from quanlu.rulebooks.evaluator import evaluate
from quanlu.rulebooks.providers import gather
from quanlu.supervision.compliance import compliance_rebuild
from quanlu.supervision.models import ComplianceFinding, Deadline
from quanlu.supervision.services import rectification_order_issue
from quanlu.supervision.statistics import (
    archive_timeliness,
    av_coverage,
    compliance_by_article,
    compliance_by_rule,
    stage_durations,
    statistics_for,
)
from quanlu.supervision.tests.test_deadlines import emergency
from quanlu.testing import factories as f


def test_the_figures_agree_with_the_rows_and_stay_in_the_tree_and_the_period(db):
    w = f.world(f.R002)
    w.open_case()
    w.open_case(kind="inspection")
    w.open_case(procedure="simplified")
    w.open_case(actor=w.outsider)
    today = timezone.localdate()
    f.officer(w.agency, "officer", name="过期证人员")  # valid, for contrast
    org.officer_create(
        actor=None,
        agency=w.agency,
        username="expired1",
        full_name="证件过期",
        password=f.PASSWORD,
        roles=["officer"],
        certificate_no="E0000001",
        certificate_valid_from=today - dt.timedelta(days=400),
        certificate_valid_until=today - dt.timedelta(days=1),
    )
    org.officer_create(
        actor=None,
        agency=w.agency,
        username="soon1",
        full_name="证件将到期",
        password=f.PASSWORD,
        roles=["officer"],
        certificate_no="E0000002",
        certificate_valid_from=today - dt.timedelta(days=300),
        certificate_valid_until=today + dt.timedelta(days=10),
    )
    rectification_order_issue(
        actor=w.superior_supervisor,
        agency=w.agency,
        findings="未全程记录。",
        requirements="补齐。",
        due_at=timezone.now() + dt.timedelta(days=5),
    )

    rows = {r["agency"].pk: r for r in statistics_for(w.superior_supervisor)}
    assert w.other.pk not in rows
    home = rows[w.agency.pk]
    assert home["cases"] == Case.objects.filter(agency=w.agency).count() == 3
    assert home["by_kind"]["inspection"] == 1
    assert home["by_kind"]["penalty"] == 2
    assert home["by_procedure"] == {
        "general": 2,
        "simplified": 1,
        **{k: 0 for k in home["by_procedure"] if k not in ("general", "simplified")},
    }
    assert sum(home["by_stage"].values()) == 3
    open_deadlines = Deadline.objects.filter(agency=w.agency, met_at__isnull=True).count()
    assert home["deadlines"]["open"] == open_deadlines
    assert home["rectification"] == {"issued": 1, "open": 1, "overdue": 0}
    certs = home["certificates"]
    assert certs["expired"] == 1
    assert certs["expiring"] == 1
    assert certs["holders"] == w.agency.officers.exclude(certificate_no="").filter(is_active=True).count()
    assert rows[w.superior.pk]["cases"] == 0

    # A period that ends before the cases started counts none of them.
    before = statistics_for(w.superior_supervisor, until=timezone.now() - dt.timedelta(days=1))
    assert all(r["cases"] == 0 for r in before)


def test_the_api_filters_by_tree_and_period_and_refuses_what_it_may_not_show(db):
    w = f.world(f.R001)
    w.open_case()
    client = Client()

    def auth(officer):
        _, raw = api_token_create(actor=officer, officer=officer, label="t")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    sup = auth(w.superior_supervisor)
    rows = client.get("/api/v1/statistics/agencies", **sup).json()
    assert {r["agency"]["name"] for r in rows} == {w.agency.name, w.superior.name}
    home = client.get("/api/v1/statistics/agencies", {"agency": str(w.agency.public_id)}, **sup).json()
    assert [r["agency"]["name"] for r in home] == [w.agency.name]
    assert home[0]["cases"] == 1
    assert home[0]["by_stage"]["initiation"] == 1
    later = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    assert client.get("/api/v1/statistics/agencies", {"since": later}, **sup).json()[0]["cases"] == 0
    bad = client.get("/api/v1/statistics/agencies", {"since": later, "until": later}, **sup)
    assert bad.status_code == 422
    other = client.get("/api/v1/statistics/agencies", {"agency": str(w.other.public_id)}, **sup)
    assert other.status_code == 404
    outsider_rows = client.get("/api/v1/statistics/agencies", **auth(w.outsider)).json()
    assert [r["agency"]["name"] for r in outsider_rows] == [w.other.name]


# ------------------------------------------------------------ figures of the compliance projection


def _live_unmet(cases):
    """Per rule id and per (source, article): the cases the live evaluator finds unmet."""
    by_rule, by_article = {}, {}
    for case in cases:
        for r in evaluate(gather(case)):
            if r.status == "unmet":
                by_rule.setdefault(r.rule.id, set()).add(case.pk)
                by_article.setdefault((r.rule.citation.source, r.rule.citation.article), set()).add(case.pk)
    return by_rule, by_article


def _nearest_rank(values, share):
    ordered = sorted(values)
    return next(v for i, v in enumerate(ordered, 1) if i >= share * len(ordered))


def test_compliance_durations_and_archiving_agree_with_the_rows_in_tree_and_period(db):
    w = f.world(f.R002)
    fresh = w.open_case()
    late = emergency(w, 30)  # 24 h to obtain the supplementary approval: missed
    quick = w.open_case()
    w.grant_gate(quick, "initiation")
    w.advance(quick, Stage.INVESTIGATION)
    ended = w.advance(w.open_case(), Stage.ARCHIVING, reason="不予立案")
    w.open_case(actor=w.outsider)
    compliance_rebuild()
    mine = [fresh, late, quick, ended]
    sup = w.superior_supervisor

    rules = compliance_by_rule(sup)
    assert {r["agency"].pk for r in rules} == {w.agency.pk}  # the superior has no cases
    by_rule, by_article = _live_unmet(mine)
    assert by_rule  # something is broken
    assert {r["rule"]: r["unmet"] for r in rules if r["unmet"]} == {k: len(v) for k, v in by_rule.items()}
    assert rules[0]["unmet"] == max(len(v) for v in by_rule.values())  # most broken first
    for r in rules:
        judged = ComplianceFinding.objects.filter(agency=w.agency, rule_id=r["rule"])
        assert r["met"] == judged.filter(status="met").count()
        assert r["pending"] == judged.filter(status="pending").count()
        assert r["citation"].startswith("《")
    articles = compliance_by_article(sup)
    assert {(a["source"], a["article"]): a["unmet"] for a in articles if a["unmet"]} == {
        k: len(v) for k, v in by_article.items()
    }

    archiving = {r["agency"].pk: r for r in archive_timeliness(sup)}
    assert w.other.pk not in archiving
    assert archiving[w.agency.pk] == {
        "agency": w.agency,
        "due": 1,
        "on_time": 0,
        "late": 0,
        "overdue": 0,
        "running": 1,
    }

    durations = {(r["agency"].pk, r["stage"]): r for r in stage_durations(sup)}
    stays: dict[str, list[float]] = {}
    for case in mine:
        moves = list(StageTransition.objects.filter(case=case).order_by("at", "pk"))
        for a, b in itertools.pairwise(moves):
            stays.setdefault(a.to_stage, []).append((b.at - a.at).total_seconds() / 86400)
    assert sum(len(v) for v in stays.values()) >= 2
    for stage in Stage.values:
        found = durations[(w.agency.pk, stage)]
        assert found["stays"] == len(stays.get(stage, [])), stage
        if stage in stays:
            assert found["median_days"] == pytest.approx(_nearest_rank(stays[stage], 0.5), abs=0.01)
            assert found["p90_days"] == pytest.approx(_nearest_rank(stays[stage], 0.9), abs=0.01)
    assert durations[(w.agency.pk, "investigation")]["stays"] == 0  # still there

    # The subtree, and a period before any of it: nothing counted.
    assert {r["agency"].pk for r in av_coverage(sup, within=w.agency)} == {w.agency.pk}
    before = {"until": timezone.now() - dt.timedelta(days=3)}
    assert compliance_by_rule(sup, **before) == []
    assert all(r["stays"] == 0 for r in stage_durations(sup, **before))
    assert all(r["due"] == 0 for r in archive_timeliness(sup, until=timezone.now()))
    theirs = compliance_by_rule(w.outsider)
    assert theirs
    assert {r["agency"] for r in theirs} == {w.other}


FIGURES = ("rules", "articles", "coverage", "uploads", "archiving", "durations")


def test_every_figure_is_served_with_its_filters_and_refuses_what_it_may_not_show(db):
    w = f.world(f.R004)
    w.open_case()
    w.open_case(actor=w.outsider)
    compliance_rebuild()
    client = Client()

    def auth(officer):
        _, raw = api_token_create(actor=officer, officer=officer, label="t")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    sup, outsider = auth(w.superior_supervisor), auth(w.outsider)
    here = {"agency": str(w.agency.public_id)}
    for name in FIGURES:
        url = f"/api/v1/statistics/{name}"
        rows = client.get(url, here, **sup).json()
        assert rows, name
        assert {r["agency"]["name"] for r in rows} == {w.agency.name}, name
        assert w.other.name not in str(client.get(url, **sup).json()), name
        assert client.get(url, here, **outsider).status_code == 404, name
        assert client.get(url, {"agency": str(w.other.public_id)}, **sup).status_code == 404, name
        later = (timezone.now() + dt.timedelta(hours=1)).isoformat()
        assert client.get(url, {"since": later, "until": later}, **sup).status_code == 422, name
    rules = client.get("/api/v1/statistics/rules", here, **sup).json()
    assert {r["rule"] for r in rules} == set(
        ComplianceFinding.objects.exclude(status="not_applicable")
        .filter(agency=w.agency)
        .values_list("rule_id", flat=True)
    )
