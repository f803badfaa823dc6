"""Certificate numbers are unique per issuing authority (发证机关), and officers from
before certificate history get their first history row (migration org 0006)."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from quanlu.core.errors import Conflict
from quanlu.ledger.models import Event
from quanlu.ledger.verify import verify_records
from quanlu.org import services
from quanlu.org.models import Certificate, Officer, Role
from quanlu.testing import factories as f

UNTIL = dt.date(2029, 12, 31)


def _record(officer, number, authority):
    return services.certificate_record(
        actor=None, officer=officer, number=number, issuing_authority=authority, valid_until=UNTIL
    )


def _state():
    return Certificate.objects.count(), Event.objects.count(), Officer.objects.count()


def test_the_same_number_from_another_authority_is_another_certificate(world):
    a = f.officer(world.agency, Role.OFFICER, certificate=False)
    b = f.officer(world.agency, Role.OFFICER, certificate=False)
    _record(a, "ZF-0001", "遵义市人民政府")
    _record(b, "ZF-0001", "贵阳市人民政府")
    b.refresh_from_db()
    assert (b.certificate_no, b.certificate_issuer) == ("ZF-0001", "贵阳市人民政府")

    c = f.officer(world.agency, Role.OFFICER, certificate=False)
    before = _state()
    with pytest.raises(Conflict) as refused:
        _record(c, "ZF-0001", "遵义市人民政府")
    assert refused.value.message == "发证机关「遵义市人民政府」的执法证件编号 ZF-0001 已登记给其他人员。"
    assert refused.value.details[0]["field"] == "certificate_no"
    assert _state() == before
    c.refresh_from_db()
    assert (c.certificate_no, c.certificate_issuer) == ("", "")


def test_a_new_officer_with_a_taken_number_is_refused_whole(world):
    args = {
        "actor": None,
        "agency": world.agency,
        "password": f.PASSWORD,
        "roles": [Role.OFFICER],
        "certificate_no": "ZF-0002",
        "certificate_valid_until": UNTIL,
    }
    services.officer_create(username="first", full_name="甲", certificate_issuer="遵义市人民政府", **args)
    before = _state()
    with pytest.raises(Conflict, match="发证机关「遵义市人民政府」的执法证件编号 ZF-0002 已登记"):
        services.officer_create(
            username="second", full_name="乙", certificate_issuer="遵义市人民政府", **args
        )
    assert _state() == before
    assert not Officer.objects.filter(username="second").exists()
    made = services.officer_create(
        username="third", full_name="丙", certificate_issuer="贵阳市人民政府", **args
    )
    assert made.certificates.get().issuing_authority == "贵阳市人民政府"


@pytest.mark.tampers
def test_the_database_refuses_a_second_holder_under_the_same_authority(world):
    a = f.officer(world.agency, Role.OFFICER, certificate=False)
    b = f.officer(world.agency, Role.OFFICER, certificate=False)
    Officer.objects.filter(pk=a.pk).update(certificate_no="ZF-9", certificate_issuer="某府")
    Officer.objects.filter(pk=b.pk).update(certificate_no="ZF-9", certificate_issuer="另一府")
    with pytest.raises(IntegrityError), transaction.atomic():
        Officer.objects.filter(pk=b.pk).update(certificate_issuer="某府")


def _row_problems():
    return [p.item["row"] for p in verify_records().problems]


@pytest.mark.tampers  # builds the state before 0003 by hand, outside the services
def test_the_migration_gives_officers_from_before_history_their_first_certificate(world):
    # As 0003 found them: a number, its dates and suspension in the officer's own columns
    # and no Certificate row; and holders recorded since, without the mirrored authority.
    legacy = f.officer(world.agency, Role.OFFICER, certificate=False, name="老证件")
    Officer.objects.filter(pk=legacy.pk).update(
        certificate_no="OLD-7",
        certificate_valid_from=dt.date(2022, 1, 1),
        certificate_valid_until=dt.date(2027, 1, 1),
        certificate_suspended=True,
    )
    undated = f.officer(world.agency, Role.OFFICER, certificate=False, name="无有效期")
    Officer.objects.filter(pk=undated.pk).update(certificate_no="OLD-8")
    Officer.objects.exclude(certificate_no="").update(certificate_issuer="")
    holders = Officer.objects.exclude(certificate_no="").exclude(pk__in=[legacy.pk, undated.pk]).count()
    assert len(_row_problems()) == holders + 2  # the hand-made state is not in the ledger
    certificates = Certificate.objects.count()

    migration = importlib.import_module("quanlu.org.migrations.0006_certificate_history")
    migration.complete_history(apps, None)

    first = Certificate.objects.get(officer=legacy)
    assert (first.number, first.issuing_authority, first.replaces) == ("OLD-7", world.agency.name, None)
    assert (first.valid_from, first.valid_until, first.status) == (
        dt.date(2022, 1, 1),
        dt.date(2027, 1, 1),
        "suspended",
    )
    assert Certificate.objects.count() == certificates + 1
    assert not Certificate.objects.filter(officer=undated).exists()
    assert not Officer.objects.filter(certificate_issuer="").exclude(certificate_no="").exclude(pk=undated.pk)
    done = Event.objects.filter(type="org:certificate:history_completed")
    assert done.count() == holders + 1
    assert done.filter(payload__created=True).count() == 1
    assert _row_problems() == [f"org.officer/{undated.public_id}"]

    # Idempotent; and the officer's renewal now has something to replace.
    migration.complete_history(apps, None)
    assert done.count() == holders + 1
    legacy.refresh_from_db()
    renewed = _record(legacy, "NEW-7", world.agency.name)
    assert renewed.replaces == first
    assert list(legacy.certificates.order_by("pk").values_list("number", flat=True)) == ["OLD-7", "NEW-7"]
