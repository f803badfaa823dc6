"""Demo archive: in each of the five enforcement agencies, one case that ran its course — an
inspection recorded in writing and on video, the procedure ended without a penalty — assembled,
checked (四性检测), sealed and closed by the agency's archivist, plus its archive settings.
Idempotent: the cases are keyed by stable client tokens, and a sealed case is left alone.
"""

from __future__ import annotations

import logging

from quanlu.archive import services
from quanlu.archive.models import ArchiveSettings
from quanlu.archive.selectors import current_dossier
from quanlu.cases import services as cases
from quanlu.cases.models import Case, Stage
from quanlu.core.errors import DomainError
from quanlu.core.seeds import token, uscc
from quanlu.org.models import Officer
from quanlu.rulebooks import evaluator
from quanlu.rulebooks.providers import gather
from quanlu.rulebooks.sample import Builder, satisfy

log = logging.getLogger("quanlu.archive")

# (prefix, 全宗号, cause, party, id body) per demo agency.
CASES = [
    ("zh", "Z0281", "某洗涤厂未按规定设置排污口案", "遵化市某洗涤厂", "91130281MA0D4E5F6"),
    ("ys", "Y0132", "某村民未经批准临时占用耕地案", "元氏县某养殖场", "91130132MA0E5F6G7"),
    ("gc", "G0402", "某汽修厂喷漆房废气直排案", "吐鲁番市某汽车修理厂", "91650402MA0F6G7H8"),
    ("sl", "S0100", "某企业超计划取水案", "石家庄某纸业有限公司", "91130100MA0G7H8J9"),
    ("hc", "H0381", "某石材厂越界堆放废料案", "海城市某石材厂", "91210381MA0H8J9K1"),
]
REASON = "经现场检查和调查取证，当事人已自行整改，违法事实不能成立，终止调查。"


def _approve_gates(case: Case, to_stage: str, people: dict[str, Officer], prefix: str) -> None:
    """Request and sign the approvals the rulebook asks before ``to_stage`` (every step by
    the agency's own reviewer, legal reviewer and approver)."""
    for result in evaluator.gate(gather(case), to_stage):
        if not result.blocking or result.rule.kind != "approval_required":
            continue
        gate = result.rule.params["gate"]
        approval = cases.approval_request(
            actor=people[f"{prefix}-officer1"],
            case=case,
            gate=gate,
            opinion="建议同意。",
            reasons="事实清楚。",
        )
        who = {"review": "reviewer", "legal_review": "legal", "approve": "approver"}
        for index, role in enumerate(approval.chain):
            cases.approval_grant(
                actor=people[f"{prefix}-{who[role]}"],
                approval=approval,
                opinion="同意。",
                signature_method="password",
                step_index=index,
            )


def _move(case: Case, to_stage: str, people: dict[str, Officer], prefix: str, reason: str = "") -> None:
    builder = Builder.for_case(case)
    satisfy(case, to_stage, builder)
    _approve_gates(case, to_stage, people, prefix)
    cases.case_advance(actor=people[f"{prefix}-officer1"], case=case, to_stage=to_stage, reason=reason)
    case.refresh_from_db()


def _one(people: dict[str, Officer], prefix: str, fonds: str, cause: str, party: str, body: str) -> None:
    archivist = people[f"{prefix}-archivist"]
    if not ArchiveSettings.objects.filter(agency=archivist.agency).exists():
        services.archive_settings_set(actor=archivist, fonds_code=fonds, fonds_name=archivist.agency.name)  # type: ignore[union-attr]
    tok = token(f"archive-{prefix}")
    case = Case.objects.filter(client_token=tok).first()
    if case is None:
        officer = people[f"{prefix}-officer1"]
        case = cases.case_open(
            actor=officer,
            client_token=tok,
            kind="penalty",
            procedure="general",
            initiation_mode="ex_officio",
            source="inspection",
            cause=cause,
            reason="日常监督检查中发现涉嫌违法行为。",
        )
        cases.party_add(
            actor=officer,
            case=case,
            kind="organisation",
            name=party,
            id_type="uscc",
            id_number=uscc(body),
            legal_representative="王某",
            address="示例地址1号",
        )
        _move(case, Stage.INVESTIGATION, people, prefix)
        builder = Builder.for_case(case)
        inspection = builder.make("inspection_transcript")
        builder.film(inspection, device_kind="body_worn_recorder", video_seconds=2)
    dossier = current_dossier(case)
    if case.stage == Stage.INVESTIGATION:
        _move(case, Stage.ARCHIVING, people, prefix, reason=REASON)
    if case.stage == Stage.ARCHIVING and (dossier is None or not dossier.sealed):
        satisfy(case, Stage.CLOSED, Builder.for_case(case))
        dossier = services.dossier_assemble(actor=archivist, case=case)
        dossier = services.dossier_seal(actor=archivist, dossier=dossier)
    if case.stage == Stage.ARCHIVING:
        _move(case, Stage.CLOSED, people, prefix)


def load(people: dict[str, Officer]) -> None:
    """Archive one case per demo agency (idempotent)."""
    for prefix, fonds, cause, party, body in CASES:
        if f"{prefix}-archivist" not in people:
            continue
        try:
            _one(people, prefix, fonds, cause, party, body)
        except DomainError as exc:  # keep the rest of the demo; the test names the agency
            log.warning("demo archive %s: %s %s", prefix, exc.message, exc.details)
            raise
