"""`quanlu demo` archives one case per demo agency: sealed and closed, each dossier with its
documents and media and no failed check. Read from the session's demo site (loaded by the real
commands); that a second `quanlu demo` adds nothing is shown on a copy of it in
quanlu/demo/tests/test_commands.py."""

from __future__ import annotations

from quanlu.archive import demo as archive_demo
from quanlu.archive.models import DossierStatus
from quanlu.cases.models import Stage


def test_the_demo_archives_one_case_per_agency(demo_site):
    sealed = demo_site.query(
        "SELECT d.id, d.agency_id, c.rulebook_id, c.stage FROM archive_dossier d"
        " JOIN cases_case c ON c.id = d.case_id WHERE d.status = ?",
        (DossierStatus.SEALED.value,),
    )
    assert len(sealed) == len(archive_demo.CASES)
    assert len({agency for _, agency, _, _ in sealed}) == len(archive_demo.CASES)
    assert {rulebook for _, _, rulebook, _ in sealed} == {
        "000_9c8bbcda03c04eb4",
        "001_985a08834cda7543",
        "002_4fd6fddfbbebbad6",
        "003_b6123a0950a37ec2",
        "004_b4c2f06b7eb1ab1e",
    }
    for dossier, _, _, stage in sealed:
        assert stage == Stage.CLOSED.value
        kinds = {
            k
            for (k,) in demo_site.query(
                "SELECT kind FROM archive_dossieritem WHERE dossier_id = ?", (dossier,)
            )
        }
        assert {"media", "document"} <= kinds
        failed = demo_site.query(
            "SELECT count(*) FROM archive_dossiercheck WHERE dossier_id = ? AND result = 'fail'", (dossier,)
        )
        assert failed[0][0] == 0
