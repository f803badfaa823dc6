"""Factories and personas for tests. Everything is made through the services, so
tests exercise the same paths (and ledger events) as production."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from quanlu.cases import services as cases
from quanlu.cases.models import Approval, Case
from quanlu.core.idnumbers import resident_id_check_digit, uscc_check_char
from quanlu.org import services as org
from quanlu.org.models import Agency, Officer, Region, Role

PASSWORD = "s3cret-pass-for-tests"
_seq = itertools.count(1)

R000 = "000_9c8bbcda03c04eb4"
R001 = "001_985a08834cda7543"
R002 = "002_4fd6fddfbbebbad6"
R003 = "003_b6123a0950a37ec2"
R004 = "004_b4c2f06b7eb1ab1e"
ALL_RULEBOOKS = (R000, R001, R002, R003, R004)
PACKAGE_RULEBOOK_DIR = Path(__file__).resolve().parent.parent / "rulebooks" / "data"


def region(name: str = "", parent: Region | None = None) -> Region:
    n = next(_seq)
    return org.region_create(actor=None, code=f"T{n:06d}", name=name or f"测试区{n}", parent=parent)


def agency(
    *,
    reg: Region,
    rulebook: str = R004,
    parent: Agency | None = None,
    kind: str = "enforcement",
    level: str = "county",
    name: str = "",
) -> Agency:
    n = next(_seq)
    return org.agency_create(
        actor=None,
        code=f"agency-{n}",
        name=name or f"测试机关{n}",
        kind=kind,
        level=level,
        region=reg,
        parent=parent,
        rulebook_id=rulebook if kind == "enforcement" else "",
        case_prefix=f"测{n}" if kind == "enforcement" else "",
    )


def officer(ag: Agency, *roles: str, certificate: bool = True, name: str = "") -> Officer:
    n = next(_seq)
    today = timezone.localdate()
    return org.officer_create(
        actor=None,
        agency=ag,
        username=f"user{n}",
        full_name=name or f"人员{n}",
        password=PASSWORD,
        roles=list(roles),
        certificate_no=f"C{n:08d}" if certificate else "",
        certificate_valid_from=today - dt.timedelta(days=30) if certificate else None,
        certificate_valid_until=today + dt.timedelta(days=365) if certificate else None,
    )


def resident_id(birth: str = "19900101", seq: str = "123", area: str = "130281") -> str:
    first = f"{area}{birth}{seq}"
    return first + resident_id_check_digit(first)


def uscc(body: str = "91130281MA0A1B2C3") -> str:
    return body + uscc_check_char(body)


CASE_DEFAULTS: dict[str, Any] = {
    "kind": "penalty",
    "procedure": "general",
    "initiation_mode": "ex_officio",
    "source": "inspection",
    "cause": "某公司涉嫌违法排污案",
    "reason": "现场检查发现排污口异常。",
}


@dataclass
class World:
    """Personas around one agency: its staff, a superior agency's supervisor, the
    region's justice bureau, and an outsider from an unrelated agency."""

    rulebook: str
    agency: Agency
    superior: Agency
    justice: Agency
    other: Agency
    officer: Officer
    officer2: Officer
    reviewer: Officer
    legal: Officer
    approver: Officer
    approver2: Officer
    archivist: Officer
    keeper: Officer
    superior_supervisor: Officer
    justice_supervisor: Officer
    outsider: Officer

    def open_case(self, actor: Officer | None = None, **overrides: Any) -> Case:
        fields = {**CASE_DEFAULTS, **overrides}
        return cases.case_open(actor=actor or self.officer, **fields)

    def request(self, case: Case, gate: str, **overrides: Any) -> Approval:
        fields = {"opinion": "建议同意。", "reasons": "事实清楚。", **overrides}
        return cases.approval_request(actor=self.officer, case=case, gate=gate, **fields)

    def signer(self, role: str) -> Officer:
        return {"review": self.reviewer, "legal_review": self.legal, "approve": self.approver}[role]

    def approve_all(self, approval: Approval) -> Approval:
        for index, role in enumerate(approval.chain):
            cases.approval_grant(
                actor=self.signer(role),
                approval=approval,
                opinion="同意。",
                signature_method="password",
                step_index=index,
            )
        approval.refresh_from_db()
        return approval

    def grant_gate(self, case: Case, gate: str) -> Approval:
        return self.approve_all(self.request(case, gate))

    def prepare(self, case: Case, stage: str) -> list[str]:
        """Make, as scanned paper forms (quick: nothing to render), the records the
        case's rulebook asks before ``stage``; approvals stay the test's business."""
        from quanlu.records.sample import Staff
        from quanlu.rulebooks.sample import Builder, satisfy

        staff = Staff(self.officer, self.officer2, self.reviewer, self.legal, self.approver)
        fixed = satisfy(case, stage, Builder(case=case, staff=staff, keeper=self.keeper, scans=True))
        if stage == "closed":
            self.seal_dossier(case)  # a case closes only with its dossier sealed
        return fixed

    def seal_dossier(self, case: Case) -> Any:
        """The archivist's part of closing: assemble the case's dossier and seal it (四性检测)."""
        from quanlu.archive import services as archive
        from quanlu.archive.selectors import current_dossier

        dossier = current_dossier(case)
        if dossier is not None and dossier.sealed:
            return dossier
        dossier = archive.dossier_assemble(actor=self.archivist, case=case)
        return archive.dossier_seal(actor=self.archivist, dossier=dossier)

    def advance(self, case: Case, *stages: str, reason: str = "", prepare: bool = True) -> Case:
        """Move a case on; with ``prepare``, first make the records each move needs."""
        for stage in stages:
            if prepare:
                self.prepare(case, stage)
            cases.case_advance(actor=self.officer, case=case, to_stage=stage, reason=reason)
            case.refresh_from_db()
        return case


def world(rulebook: str = R004) -> World:
    province = region("测试省")
    city = region("测试市", province)
    county = region("测试县", city)
    elsewhere = region("他省")
    superior = agency(reg=city, rulebook=rulebook, level="city")
    home = agency(reg=county, rulebook=rulebook, parent=superior)
    justice = agency(reg=city, kind="justice", level="city")
    other = agency(reg=elsewhere, rulebook=rulebook)
    return World(
        rulebook=rulebook,
        agency=home,
        superior=superior,
        justice=justice,
        other=other,
        officer=officer(home, Role.OFFICER, Role.HANDLER, name="承办人甲"),
        officer2=officer(home, Role.OFFICER, name="执法人员乙"),
        reviewer=officer(home, Role.REVIEWER, Role.OFFICER, name="审核人丙"),
        legal=officer(home, Role.LEGAL_REVIEWER, name="法制审核丁"),
        approver=officer(home, Role.APPROVER, name="负责人戊"),
        approver2=officer(home, Role.APPROVER, name="负责人己"),
        archivist=officer(home, Role.ARCHIVIST, certificate=False, name="档案员庚"),
        keeper=officer(home, Role.DEVICE_KEEPER, certificate=False, name="设备员辛"),
        superior_supervisor=officer(superior, Role.SUPERVISOR, Role.OFFICER, name="上级监督壬"),
        justice_supervisor=officer(justice, Role.SUPERVISOR, certificate=False, name="司法监督癸"),
        outsider=officer(other, Role.OFFICER, Role.HANDLER, Role.APPROVER, Role.REVIEWER, name="外单位人员"),
    )
