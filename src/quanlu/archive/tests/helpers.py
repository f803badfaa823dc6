"""A case with real records brought to archiving, sealed, closed and exported, through the
services (the same paths, and ledger events, as production)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from quanlu.archive import services
from quanlu.archive.models import Dossier, PackageExport
from quanlu.cases import services as cases
from quanlu.cases.models import Case, Stage
from quanlu.media.tests.helpers import device_for, ingest, video
from quanlu.records.sample import Staff, make_document, sign_all
from quanlu.testing import factories as f


def staff(world) -> Staff:
    return Staff(
        officer=world.officer,
        officer2=world.officer2,
        reviewer=world.reviewer,
        legal=world.legal,
        approver=world.approver,
    )


def party(world, case: Case) -> None:
    cases.party_add(
        actor=world.officer,
        case=case,
        kind="organisation",
        name="某化工有限公司",
        id_type="uscc",
        id_number=f.uscc(),
        legal_representative="刘某",
        address="某市开发区1号",
    )


def case_with_records(world, *, documents: int = 1, media: bool = True, sign: bool = True) -> Case:
    """An opened case with a party, signed documents and a video, in investigation."""
    case = world.open_case()
    party(world, case)
    world.grant_gate(case, "initiation")
    world.advance(case, Stage.INVESTIGATION)
    for code in ("inspection_transcript", "inquiry_transcript")[:documents]:
        doc = make_document(case, code, staff(world))
        if sign:
            sign_all(doc, staff(world))
    if media:
        device = device_for(world)
        start = timezone.now() - dt.timedelta(hours=2)
        ingest(
            world,
            video(start, seconds=1.0),
            case=case,
            device=device.device_no,
            officer=str(world.officer.public_id),
            step_label="现场检查",
            filename="现场检查.mp4",
        )
    return case


def to_archiving(world, case: Case) -> Case:
    world.advance(case, Stage.ARCHIVING, reason="终止调查：违法事实不能成立")
    case.refresh_from_db()
    return case


def seal(world, case: Case, **kw) -> Dossier:
    dossier = services.dossier_assemble(actor=world.archivist, case=case, **kw)
    return services.dossier_seal(actor=world.archivist, dossier=dossier)


def close(world, case: Case) -> Case:
    cases.case_advance(actor=world.officer, case=case, to_stage=Stage.CLOSED)
    case.refresh_from_db()
    return case


def archived(world, **kw) -> tuple[Case, Dossier]:
    case = to_archiving(world, case_with_records(world, **kw))
    dossier = seal(world, case)
    close(world, case)
    dossier.refresh_from_db()
    return case, dossier


class _Later:
    """``django.utils.timezone`` on a day ``years`` from now (everything else as it is)."""

    def __init__(self, years: int) -> None:
        self.today = timezone.localdate() + dt.timedelta(days=366 * years)

    def localdate(self, value: Any = None, tz: Any = None) -> dt.date:
        return self.today if value is None else timezone.localdate(value, tz)

    def __getattr__(self, name: str) -> Any:
        return getattr(timezone, name)


def age(monkeypatch: pytest.MonkeyPatch, years: int) -> None:
    """``years`` pass after closing (the retention clock runs from the closing year): the
    disposal checks see that day as today; the case's rows stay as its services wrote them."""
    from quanlu.archive import disposal

    monkeypatch.setattr(disposal, "timezone", _Later(years))


def export(world, dossier: Dossier, target: Path) -> PackageExport:
    return services.dossier_export(actor=world.archivist, dossier=dossier, target_dir=target)
