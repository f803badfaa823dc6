"""Demo data: the five agencies of the five regulations, a superior agency, a
justice bureau, officers for every role, and a dozen cases across the stages; then
each app's own demo loader (devices and audio-visual records, a signed document of
every type, one archived case per agency).

Everything is made through the services (so it is all ledgered) and the run is
idempotent: agencies, officers and cases are keyed by stable codes and tokens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from quanlu.archive.demo import load as load_archive
from quanlu.cases import services as cases
from quanlu.cases.models import Approval, Case, Complaint, Stage
from quanlu.core.seeds import resident_id, token, uscc
from quanlu.media.demo import load_media
from quanlu.org import services as org
from quanlu.org.models import Agency, Officer, Region, Role
from quanlu.records.demo import load as load_documents
from quanlu.rulebooks.demo import prepare, tidy

DEMO_PASSWORD = "quanlu-demo"  # noqa: S105  (printed for the demo logins)


REGIONS = [
    ("130000", "河北省", None),
    ("130200", "唐山市", "130000"),
    ("130281", "遵化市", "130200"),
    ("130100", "石家庄市", "130000"),
    ("130132", "元氏县", "130100"),
    ("650000", "新疆维吾尔自治区", None),
    ("650400", "吐鲁番市", "650000"),
    ("650402", "高昌区", "650400"),
    ("210000", "辽宁省", None),
    ("210300", "鞍山市", "210000"),
    ("210381", "海城市", "210300"),
]


@dataclass(frozen=True)
class AgencySpec:
    code: str
    name: str
    level: str
    region: str
    rulebook: str
    prefix: str
    parent: str | None = None
    kind: str = "enforcement"


AGENCIES = [
    AgencySpec("hebei-justice", "河北省司法厅", "province", "130000", "", "", kind="justice"),
    AgencySpec("tangshan-eco", "唐山市生态环境局", "city", "130200", "000_9c8bbcda03c04eb4", "唐环"),
    AgencySpec(
        "zunhua-eco",
        "唐山市生态环境局遵化市分局",
        "county",
        "130281",
        "000_9c8bbcda03c04eb4",
        "遵环",
        parent="tangshan-eco",
    ),
    AgencySpec(
        "yuanshi-nr", "元氏县自然资源和规划局", "county", "130132", "001_985a08834cda7543", "元自然资"
    ),
    AgencySpec("gaochang-eco", "高昌区生态环境局", "county", "650402", "002_4fd6fddfbbebbad6", "高环"),
    AgencySpec("sjz-water", "石家庄市示例县水利局", "county", "130100", "003_b6123a0950a37ec2", "示水"),
    AgencySpec("haicheng-nr", "海城市自然资源局", "county", "210381", "004_b4c2f06b7eb1ab1e", "海自然资"),
]

# (username suffix, roles, has certificate)
STAFF = [
    ("officer1", [Role.OFFICER, Role.HANDLER], True),
    ("officer2", [Role.OFFICER], True),
    ("reviewer", [Role.REVIEWER, Role.OFFICER], True),
    ("legal", [Role.LEGAL_REVIEWER], True),
    # The head also administers the agency's accounts in the demo (机构管理).
    ("approver", [Role.APPROVER, Role.ADMINISTRATOR], True),
    ("archivist", [Role.ARCHIVIST], False),
    ("keeper", [Role.DEVICE_KEEPER], False),
]
NAMES = {
    "zunhua-eco": ["张伟", "李娜", "王强", "刘洋", "陈静", "杨帆", "赵敏"],
    "yuanshi-nr": ["黄磊", "周婷", "吴昊", "徐丽", "孙涛", "胡军", "朱琳"],
    "gaochang-eco": ["买买提·吐尔逊", "古丽娜", "马军", "何芳", "罗斌", "郑欣", "谢勇"],
    "sjz-water": ["韩冰", "唐伟", "冯雪", "于波", "董洁", "萧然", "程刚"],
    "haicheng-nr": ["曹阳", "袁媛", "邓超", "许晴", "傅强", "沈丹", "彭亮"],
}
SHORT = {
    "tangshan-eco": "ts",
    "zunhua-eco": "zh",
    "yuanshi-nr": "ys",
    "gaochang-eco": "gc",
    "sjz-water": "sl",
    "haicheng-nr": "hc",
    "hebei-justice": "sft",
}


def _regions() -> dict[str, Region]:
    out: dict[str, Region] = {}
    for code, name, parent in REGIONS:
        region = Region.objects.filter(code=code).first()
        if region is None:
            region = org.region_create(
                actor=None, code=code, name=name, parent=out.get(parent) if parent else None
            )
        out[code] = region
    return out


def _agencies(regions: dict[str, Region]) -> dict[str, Agency]:
    out: dict[str, Agency] = {}
    for spec in AGENCIES:
        agency = Agency.objects.filter(code=spec.code).first()
        if agency is None:
            agency = org.agency_create(
                actor=None,
                code=spec.code,
                name=spec.name,
                kind=spec.kind,
                level=spec.level,
                region=regions[spec.region],
                parent=out.get(spec.parent) if spec.parent else None,
                rulebook_id=spec.rulebook,
                case_prefix=spec.prefix,
            )
        out[spec.code] = agency
    return out


def _officer(agency: Agency, suffix: str, name: str, roles: Sequence[str], cert: bool, n: int) -> Officer:
    username = f"{SHORT[agency.code]}-{suffix}"
    existing = Officer.objects.filter(username=username).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    return org.officer_create(
        actor=None,
        agency=agency,
        username=username,
        full_name=name,
        password=DEMO_PASSWORD,
        roles=list(roles),
        certificate_no=f"{agency.region.code}{n:05d}" if cert else "",
        certificate_valid_from=today - dt.timedelta(days=400) if cert else None,
        certificate_valid_until=today + dt.timedelta(days=1000) if cert else None,
    )


def _people(agencies: dict[str, Agency]) -> dict[str, Officer]:
    people: dict[str, Officer] = {}
    n = 1
    for code in ("zunhua-eco", "yuanshi-nr", "gaochang-eco", "sjz-water", "haicheng-nr"):
        for (suffix, roles, cert), name in zip(STAFF, NAMES[code], strict=True):
            officer = _officer(agencies[code], suffix, name, roles, cert, n)
            people[officer.username] = officer
            n += 1
    sup = _officer(agencies["tangshan-eco"], "supervisor", "孙立", [Role.SUPERVISOR, Role.OFFICER], True, n)
    people[sup.username] = sup
    jus = _officer(agencies["hebei-justice"], "supervisor", "周洁", [Role.SUPERVISOR], False, n + 1)
    people[jus.username] = jus
    return people


def _sign_all(approval: Approval, people: dict[str, Officer], prefix: str, upto: int | None = None) -> None:
    who = {"review": f"{prefix}-reviewer", "legal_review": f"{prefix}-legal", "approve": f"{prefix}-approver"}
    for index, role in enumerate(approval.chain):
        if upto is not None and index >= upto:
            return
        cases.approval_grant(
            actor=people[who[role]],
            approval=approval,
            opinion="同意。",
            signature_method="password",
            step_index=index,
        )


def _case(
    people: dict[str, Officer], prefix: str, key: str, *, at: dt.datetime | None = None, **fields: Any
) -> Case | None:
    tok = token(key)
    if Case.objects.filter(client_token=tok).exists():
        return None
    return cases._case_open(actor=people[f"{prefix}-officer1"], client_token=tok, at=at, **fields)


def _party(people: dict[str, Officer], prefix: str, case: Case, **fields: Any) -> None:
    cases.party_add(actor=people[f"{prefix}-officer1"], case=case, **fields)


def _advance(people: dict[str, Officer], prefix: str, case: Case, *stages: str) -> None:
    for stage in stages:
        prepare(case, stage)  # the records each move needs, made by the staff
        cases.case_advance(actor=people[f"{prefix}-officer1"], case=case, to_stage=stage)
        case.refresh_from_db()


def _request(
    people: dict[str, Officer], prefix: str, case: Case, gate: str, opinion: str, reasons: str
) -> Approval:
    return cases.approval_request(
        actor=people[f"{prefix}-officer1"], case=case, gate=gate, opinion=opinion, reasons=reasons
    )


PENALTY: dict[str, Any] = {"kind": "penalty", "procedure": "general", "initiation_mode": "ex_officio"}


def _demo_cases(p: dict[str, Officer]) -> None:
    now = timezone.now()
    # 遵化（000）: initiation needs 立案审批表 with 法制机构 review.
    c = _case(
        p,
        "zh",
        "zh-1",
        source="inspection",
        cause="某化工有限公司废气超标排放案",
        reason="2026年11月日常监督检查中发现该公司脱硫设施未正常运行，在线监测数据超标。",
        **PENALTY,
    )
    if c:
        _party(
            p,
            "zh",
            c,
            kind="organisation",
            name="遵化市某化工有限公司",
            id_type="uscc",
            id_number=uscc("91130281MA0A1B2C3"),
            legal_representative="刘建国",
            address="遵化市经济开发区化工路8号",
        )
        a = _request(p, "zh", c, "initiation", "建议立案调查。", "涉嫌违反《大气污染防治法》第九十九条。")
        _sign_all(a, p, "zh")
        _advance(p, "zh", c, Stage.INVESTIGATION, Stage.DECISION)
        d = _request(p, "zh", c, "decision", "建议责令改正并处罚款。", "事实清楚，证据确凿。")
        _sign_all(d, p, "zh", upto=1)  # waiting for the approver
    c = _case(
        p,
        "zh",
        "zh-2",
        source="complaint",
        cause="某砖厂夜间噪声扰民案",
        emergency=True,
        emergency_reason="群众集中举报，夜间持续施工，需立即现场取证。",
        reason="接群众举报，某砖厂夜间生产噪声扰民。",
        **PENALTY,
    )
    if c:
        _party(
            p,
            "zh",
            c,
            kind="person",
            name="王某某",
            id_type="resident_id",
            id_number=resident_id("130281", "19800512", "123"),
            address="遵化市某镇某村",
        )
    c = _case(
        p,
        "zh",
        "zh-3",
        source="routine",
        cause="某养殖场废水直排案",
        reason="日常巡查发现养殖废水经暗管排入河道。",
        **PENALTY,
    )
    if c:
        a = _request(p, "zh", c, "initiation", "建议立案。", "有明确违法线索。")
        _sign_all(a, p, "zh")
        _advance(p, "zh", c, Stage.INVESTIGATION, Stage.DECISION)
        d = _request(p, "zh", c, "decision", "建议罚款五万元。", "违法事实清楚。")
        _sign_all(d, p, "zh")
        _advance(p, "zh", c, Stage.SERVICE, Stage.EXECUTION, Stage.ARCHIVING)

    # 元氏（001）: no initiation approval in the text; decisions need the head's approval.
    c = _case(
        p,
        "ys",
        "ys-1",
        source="inspection",
        cause="某村民非法占用耕地建房案",
        reason="卫片执法检查发现新增建设用地。",
        **PENALTY,
    )
    if c:
        _party(
            p,
            "ys",
            c,
            kind="person",
            name="赵某",
            id_type="resident_id",
            id_number=resident_id("130132", "19751103", "456"),
        )
        _advance(p, "ys", c, Stage.INVESTIGATION)
    c = _case(
        p,
        "ys",
        "ys-2",
        source="discovered",
        cause="某公司未经批准擅自采矿案",
        is_major=True,
        reason="巡查发现无证开采。",
        **PENALTY,
    )
    if c:
        _advance(p, "ys", c, Stage.INVESTIGATION, Stage.DECISION)
        d = _request(p, "ys", c, "decision", "建议没收违法所得并处罚款。", "重大案件，已集体讨论。")
        _sign_all(d, p, "ys", upto=1)  # waiting for legal review

    # 高昌（002）: emergency starts must be approved within 24 hours.
    c = _case(
        p,
        "gc",
        "gc-1",
        at=now - dt.timedelta(hours=30),
        source="inspection",
        cause="某洗砂场偷排污水案",
        emergency=True,
        emergency_reason="夜间偷排，证据可能灭失。",
        reason="夜查发现偷排。",
        **PENALTY,
    )
    if c:
        _party(
            p,
            "gc",
            c,
            kind="organisation",
            name="吐鲁番某洗砂有限公司",
            id_type="uscc",
            id_number=uscc("91650402MA7X8Y9W0"),
            legal_representative="艾力",
        )
    _case(
        p,
        "gc",
        "gc-2",
        at=now - dt.timedelta(hours=20),
        source="complaint",
        cause="某餐馆油烟扰民案",
        emergency=True,
        emergency_reason="投诉集中，需立即检查。",
        reason="接投诉检查。",
        **PENALTY,
    )
    c = _case(
        p,
        "gc",
        "gc-3",
        source="inspection",
        cause="某企业危险废物贮存不规范案",
        reason="专项检查发现危险废物露天堆放。",
        **PENALTY,
    )
    if c:
        _request(p, "gc", c, "initiation", "建议立案。", "涉嫌违反《固体废物污染环境防治法》。")

    # 水利（003）: major initiations need 法制机构合法性审查意见.
    c = _case(
        p,
        "sl",
        "sl-1",
        source="inspection",
        cause="某河道非法采砂案",
        is_major=True,
        reason="河道巡查发现采砂船作业。",
        **PENALTY,
    )
    if c:
        a = _request(p, "sl", c, "initiation", "建议立案。", "重大执法行为，需法制审核。")
        _sign_all(a, p, "sl", upto=1)

    c = _case(
        p,
        "sl",
        "sl-2",
        source="inspection",
        cause="某单位未按规定安装取水计量设施案",
        reason="取水许可监督检查发现未安装计量设施。",
        kind="penalty",
        procedure="simplified",
        initiation_mode="ex_officio",
    )
    if c:
        _advance(p, "sl", c, Stage.INVESTIGATION)

    # 海城（004）: the provincial rules.
    c = _case(
        p,
        "hc",
        "hc-1",
        source="inspection",
        cause="某公司非法采矿案",
        reason="动态巡查发现越界开采。",
        **PENALTY,
    )
    if c:
        a = _request(p, "hc", c, "initiation", "建议立案。", "越界开采，证据明确。")
        _sign_all(a, p, "hc")
        _advance(p, "hc", c, Stage.INVESTIGATION, Stage.DECISION)
        d = _request(p, "hc", c, "decision", "建议责令退回本矿区范围内开采并处罚款。", "事实清楚。")
        _sign_all(d, p, "hc")
        _advance(p, "hc", c, Stage.SERVICE)
    c = _case(
        p,
        "hc",
        "hc-2",
        source="application",
        cause="某公司建设用地规划许可申请",
        reason="申请人提交建设用地规划许可申请。",
        kind="licensing",
        procedure="general",
        initiation_mode="on_application",
    )
    if c:
        officer = p["hc-officer1"]
        cases.application_event_record(actor=officer, case=c, kind="registered", detail="窗口登记申请材料。")
        cases.application_event_record(
            actor=officer,
            case=c,
            kind="supplement_notice",
            items=["建设项目批准文件", "土地权属证明", "总平面图"],
        )
        cases.application_event_record(
            actor=officer, case=c, kind="receipt", detail="出具补正材料通知书回执。"
        )


def _complaints(p: dict[str, Officer]) -> None:
    officer = p["gc-officer1"]
    if not Complaint.objects.filter(client_token=token("gc-complaint-1")).exists():
        c = cases.complaint_register(
            actor=officer,
            named=True,
            complainant_name="马某",
            complainant_contact="139****0000",
            channel="12345热线",
            content="反映某小区锅炉冒黑烟。",
            client_token=token("gc-complaint-1"),
        )
        cases.complaint_decline(
            actor=officer,
            complaint=c,
            reason="经核查，该锅炉已改为燃气锅炉，未发现违法行为。",
            notify_method="电话",
            notify_content="已电话告知核查结果。",
        )
    if not Complaint.objects.filter(client_token=token("gc-complaint-2")).exists():
        cases.complaint_register(
            actor=officer,
            named=False,
            channel="信件",
            content="举报某厂夜间偷排废水。",
            client_token=token("gc-complaint-2"),
        )


@transaction.atomic
def load() -> dict[str, Officer]:
    regions = _regions()
    agencies = _agencies(regions)
    people = _people(agencies)
    _demo_cases(people)
    _complaints(people)
    load_media(people)  # devices and audio-visual records
    load_documents(people)  # a signed document of every type
    tidy()  # what the entered stages still ask, made
    load_archive(people)  # one archived case per agency
    return people
