"""`quanlu demo --scale N`: synthetic cases in bulk, consistent with the ledger (every
test's closing record check applies), refused on a site with real cases; and the
supervision benchmark's quick mode."""

import json
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.test import Client

from quanlu.cases.models import Case, Stage
from quanlu.demo import scale
from quanlu.ledger.models import Event, Pending
from quanlu.ledger.verify import verify
from quanlu.org.models import Agency
from quanlu.org.services import api_token_create
from quanlu.supervision.models import Alert, CaseCompliance, ComplianceFinding, Deadline, RectificationOrder

BENCH = Path(__file__).resolve().parents[4] / "bench" / "bench_supervision.py"


def _get(client, officer, path):
    _, raw = api_token_create(actor=officer, officer=officer, label="t")
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_scale_builds_the_cases_and_events_the_ledger_verifies_and_the_statistics_add_up(db):
    out = StringIO()
    call_command("demo", "--scale", "200", "--agencies", "8", "--seed", "3", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "已生成合成数据：案件 200" in text
    assert "syn-p-supervisor" in text

    synthetic = Case.objects.filter(agency__code__startswith=scale.CODE_PREFIX)
    assert synthetic.count() == Case.objects.count() == 200
    assert set(synthetic.values_list("source_detail", flat=True)) == {scale.SYNTHETIC}
    assert Agency.objects.filter(code__startswith=scale.CODE_PREFIX, kind="enforcement").count() == 8
    assert len(set(synthetic.values_list("agency", flat=True))) > 3
    assert len(set(synthetic.values_list("stage", flat=True))) >= 5
    # About twenty events a case, all integrated into the logs by the sequencer.
    per_case = Event.objects.filter(case_uid__isnull=False).count() / 200
    assert 15 <= per_case <= 25
    assert not Pending.objects.exists()
    # Deadlines of every state a dashboard shows: red and yellow open, met late.
    open_ = Deadline.objects.filter(met_at__isnull=True)
    assert Alert.objects.filter(level="red").exists()
    assert Alert.objects.filter(level="yellow").exists()
    assert open_.exists()
    assert Deadline.objects.filter(met_at__gt=F("due_at")).exists()
    assert RectificationOrder.objects.exists()
    assert Event.objects.filter(type="demo:scale:generated", payload__synthetic=True).exists()
    # The whole ledger checks: events against leaves, trees, checkpoints, every row.
    report = verify(blobs=False)
    assert report.ok, report.problems[:5]

    logins = scale.logins()
    client = Client()
    rows = _get(client, logins["supervisor"], "/api/v1/statistics/agencies").json()
    assert sum(r["cases"] for r in rows) == 200
    stages = Counter(dict(synthetic.values_list("stage").annotate(n=Count("pk"))))
    assert {s: sum(r["by_stage"][s] for r in rows) for s in Stage.values} == {
        s: stages[s] for s in Stage.values
    }
    assert sum(r["deadlines"]["open"] for r in rows) == open_.count()
    listed = _get(client, logins["supervisor"], "/api/v1/cases")
    assert listed["X-Total-Count"] == "200"
    head = logins["head"]
    mine = synthetic.filter(agency=head.agency).count()
    assert _get(client, head, "/api/v1/cases")["X-Total-Count"] == str(mine)
    assert sum(r["cases"] for r in _get(client, head, "/api/v1/statistics/agencies").json()) == mine
    # The compliance projection is there for every case, and the figures read from it.
    assert CaseCompliance.objects.count() == 200
    projected = ComplianceFinding.objects.filter(status="unmet").values("case").distinct().count()
    assert 0 < projected < 200
    by_rule = _get(client, logins["supervisor"], "/api/v1/statistics/rules").json()
    assert sum(r["unmet"] for r in by_rule) == ComplianceFinding.objects.filter(status="unmet").count()
    coverage = _get(client, logins["supervisor"], "/api/v1/statistics/coverage").json()
    assert sum(r["required"] for r in coverage) == sum(
        CaseCompliance.objects.values_list("av_required", flat=True)
    )


def test_scale_refuses_a_site_with_real_cases(world):
    world.open_case()
    before = Event.objects.count()
    with pytest.raises(CommandError, match="已有真实案件"):
        call_command("demo", "--scale", "10", stdout=StringIO(), stderr=StringIO())
    assert not Agency.objects.filter(code__startswith=scale.CODE_PREFIX).exists()
    assert Event.objects.count() == before


@pytest.mark.skipif(not BENCH.is_file(), reason="needs the source tree's bench/")
def test_the_supervision_benchmark_runs_in_quick_mode(tmp_path):
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--samples", "1", "--only", "statistics", "cases", "orders/"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    names = {r["name"] for r in out["results"]}
    assert {"统计 API（全省）", "案件列表 API（全省）", "整改通知页"} <= names
    assert all(r["status"] == 200 for r in out["results"])
    assert out["counts"]["cases_case"]["rows"] == 30
    assert "p95/COUNT" in done.stdout
