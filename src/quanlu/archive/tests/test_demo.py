"""`quanlu demo` archives one case per demo agency: sealed, closed, idempotent."""

from __future__ import annotations

from quanlu.archive import demo as archive_demo
from quanlu.archive.models import Dossier, DossierStatus
from quanlu.cases.models import Stage
from quanlu.demo import loader as demo
from quanlu.ledger.models import Event


def test_the_demo_archives_one_case_per_agency_and_is_idempotent(db):
    people = demo._people(demo._agencies(demo._regions()))
    archive_demo.load(people)
    sealed = list(Dossier.objects.filter(status=DossierStatus.SEALED).select_related("case", "agency"))
    assert len(sealed) == len(archive_demo.CASES)
    assert len({d.agency_id for d in sealed}) == len(archive_demo.CASES)
    assert {d.case.rulebook_id for d in sealed} == {
        "000_9c8bbcda03c04eb4",
        "001_985a08834cda7543",
        "002_4fd6fddfbbebbad6",
        "003_b6123a0950a37ec2",
        "004_b4c2f06b7eb1ab1e",
    }
    for d in sealed:
        assert d.case.stage == Stage.CLOSED
        assert d.items.filter(kind="media").exists()
        assert d.items.filter(kind="document").exists()
        assert not d.checks.filter(result="fail").exists()
    events = Event.objects.count()
    archive_demo.load(people)
    assert Event.objects.count() == events
