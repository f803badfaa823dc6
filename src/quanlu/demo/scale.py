"""Synthetic data at scale (`quanlu demo --scale N`): a provincial tree of agencies and N
cases with their parties, stage history, approvals, documents, deadlines, alerts,
rectification orders and compliance projection, and about twenty ledger events per case — for measuring the
supervision queries at a million cases, never for a production site.

The agencies and officers are made through the services (a few hundred rows). The cases
and everything under them are written in bulk, table by table (one function per table,
COPY on PostgreSQL, executemany in big transactions on SQLite), with ids assigned here so
the rows can name each other without a round trip. The ledger is kept consistent: each
chunk's rows are read back as the database spells them, their digests are committed by
events written like the services write them (payload ``rows``, ``ledger.RowState``), and
the events enter the sequencer's queue with the leaf hash and queue code record_event
would take. The normal sequencer then builds the Merkle trees and signs the checkpoints,
so ``quanlu ledger verify`` checks the synthetic site like any other.

Everything synthetic is marked: agency codes start with ``syn-``, every case's source
detail says so, and a ``demo:scale:generated`` event records the run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.utils import timezone

from quanlu.cases.models import (
    Approval,
    ApprovalStep,
    Case,
    CaseNumberSequence,
    Party,
    StageTransition,
)
from quanlu.core.errors import Conflict
from quanlu.demo.events import SCALE_GENERATED
from quanlu.demo.loader import DEMO_PASSWORD
from quanlu.ledger import queue, records
from quanlu.ledger.leaves import entry_bytes, leaf_hash_of
from quanlu.ledger.services import record_event
from quanlu.ledger.tree import insert_rows
from quanlu.org import services as org
from quanlu.org.models import Agency, Officer, Region, Role
from quanlu.records.models import Document, Version
from quanlu.rulebooks.loader import Rule, get_rulebook
from quanlu.supervision.models import (
    Alert,
    CaseCompliance,
    ComplianceFinding,
    Deadline,
    RectificationOrder,
    RectificationResponse,
    RectificationReview,
)

SYNTHETIC = "合成数据（仅供性能测量，非真实案件）"
CODE_PREFIX = "syn-"
RULEBOOK = "004_b4c2f06b7eb1ab1e"
YEARS = 3
CHUNK = 5_000
WARN_FRACTION = 0.8  # as supervision.services: the yellow card at 80 % of the time allowed

KINDS = [("penalty", 45), ("inspection", 30), ("licensing", 12), ("coercion", 8), ("levy", 3), ("fee", 2)]
SOURCES = ["routine", "inspection", "discovered", "complaint", "referral", "other"]
CAUSES = [
    "未批先建",
    "非法占用耕地",
    "违法采矿",
    "废气超标排放",
    "擅自改变土地用途",
    "未按规定报送材料",
    "无证经营",
    "危险废物处置不当",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
# The stage a case has reached, weighted by its age: young cases are still open.
FLOW = ["initiation", "investigation", "decision", "service", "execution", "archiving", "closed"]
DOCS = {  # the documents made on entering each stage (catalogue type code, title)
    "initiation": [("initiation_approval", "立案审批表")],
    "investigation": [
        ("inspection_transcript", "现场检查（勘验）笔录"),
        ("inquiry_transcript", "询问笔录"),
        ("evidence_preservation_list", "证据登记保存清单"),
    ],
    "decision": [("enforcement_decision", "行政执法决定书")],
    "service": [("service_receipt", "送达回证")],
    "execution": [("performance_record", "履行情况记录")],
    "archiving": [("closing_approval", "结案审批表")],
    "closed": [("av_disc_label", "音像资料光盘标签")],
}


@dataclass
class Summary:
    cases: int = 0
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    events: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values()) + self.events


def real_cases_exist() -> bool:
    return Case.objects.exclude(agency__code__startswith=CODE_PREFIX).exists()


# --- the organisation (through the services: a few hundred rows) ---------------------------


@dataclass
class Org:
    province: Agency
    counties: list[Agency]
    cities: list[Agency]
    staff: dict[int, list[Officer]]  # agency id → officer1, officer2, reviewer, approver
    supervisors: dict[int, Officer]  # agency id → its supervisor (province, cities)
    logins: dict[str, Officer]


def _layout(k: int) -> list[int]:
    """How many counties under each city for k enforcement agencies in all (the province's
    own agency, the cities', the counties')."""
    k = max(k, 3)
    cities = max(1, min(99, round((k - 1) ** 0.5 / 1.4)))
    counties = k - 1 - cities
    return [counties // cities + (1 if i < counties % cities else 0) for i in range(cities)]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")


def _region(code: str, name: str, parent: Region | None) -> Region:
    found = Region.objects.filter(code=code).first()
    return found or org.region_create(actor=None, code=code, name=name, parent=parent)


def _agency(code: str, name: str, kind: str, level: str, region: Region, parent: Agency | None) -> Agency:
    found = Agency.objects.filter(code=code).first()
    if found is not None:
        return found
    enforcement = kind == "enforcement"
    return org.agency_create(
        actor=None,
        code=code,
        name=name,
        kind=kind,
        level=level,
        region=region,
        parent=parent,
        rulebook_id=RULEBOOK if enforcement else "",
        case_prefix=f"合{code[len(CODE_PREFIX) :].upper()}" if enforcement else "",
    )


def _officer(
    agency: Agency, suffix: str, roles: Sequence[str], rng: random.Random, n: int, *, login: bool = False
) -> Officer:
    username = f"{agency.code}-{suffix}"
    found = Officer.objects.filter(username=username).first()
    if found is not None:
        return found
    today = timezone.localdate()
    cert = Role.OFFICER in roles or Role.APPROVER in roles
    # Most certificates valid for years, some expiring within the month, a few expired.
    roll = rng.random()
    until = today + dt.timedelta(days=rng.randint(60, 1500))
    if roll < 0.05:
        until = today - dt.timedelta(days=rng.randint(1, 300))
    elif roll < 0.12:
        until = today + dt.timedelta(days=rng.randint(0, 29))
    return org.officer_create(
        actor=None,
        agency=agency,
        username=username,
        full_name=_name(rng),
        # Only the accounts printed for the benchmark can sign in; the others are data.
        password=DEMO_PASSWORD if login else "",
        roles=list(roles),
        certificate_no=f"SYN{n:07d}" if cert else "",
        certificate_valid_from=until - dt.timedelta(days=1825) if cert else None,
        certificate_valid_until=until if cert else None,
    )


STAFF = [
    ("officer1", [Role.OFFICER, Role.HANDLER]),
    ("officer2", [Role.OFFICER, Role.HANDLER]),
    ("reviewer", [Role.REVIEWER, Role.OFFICER]),
    ("approver", [Role.APPROVER, Role.ADMINISTRATOR]),
]


def build_org(k: int, rng: random.Random) -> Org:
    """Province → cities → counties of one enforcement line (自然资源), a justice bureau
    per province and city, supervisors at the province and the cities."""
    counter = iter(range(1, 10**7))
    p_region = _region("990000", "合成省", None)
    justice = _agency(f"{CODE_PREFIX}justice", "合成省司法厅", "justice", "province", p_region, None)
    province = _agency(f"{CODE_PREFIX}p", "合成省自然资源厅", "enforcement", "province", p_region, None)
    staff: dict[int, list[Officer]] = {}
    supervisors: dict[int, Officer] = {}
    logins: dict[str, Officer] = {}

    def people(agency: Agency, *, login_head: bool = False) -> None:
        staff[agency.pk] = [
            _officer(agency, s, r, rng, next(counter), login=login_head and s == "approver") for s, r in STAFF
        ]

    people(province)
    cities, counties = [], []
    for c, n_counties in enumerate(_layout(k), start=1):
        c_region = _region(f"99{c:02d}00", f"合成{c}市", p_region)
        _agency(f"{CODE_PREFIX}j{c:02d}", f"合成{c}市司法局", "justice", "city", c_region, None)
        city = _agency(
            f"{CODE_PREFIX}c{c:02d}", f"合成{c}市自然资源局", "enforcement", "city", c_region, province
        )
        cities.append(city)
        people(city)
        for d in range(1, n_counties + 1):
            d_region = _region(f"99{c:02d}{d:02d}", f"合成{c}市{d}县", c_region)
            county = _agency(
                f"{CODE_PREFIX}c{c:02d}-{d:02d}",
                f"合成{c}市{d}县自然资源局",
                "enforcement",
                "county",
                d_region,
                city,
            )
            counties.append(county)
            people(county, login_head=not logins.get("head"))
            logins.setdefault("head", staff[county.pk][3])
    # Supervisors last: the role is only granted in an agency that has subordinates.
    for agency in [province, *cities]:
        supervisors[agency.pk] = _officer(
            agency,
            "supervisor",
            [Role.SUPERVISOR, Role.OFFICER],
            rng,
            next(counter),
            login=agency is province,
        )
    logins["supervisor"] = supervisors[province.pk]
    logins["justice"] = _officer(justice, "supervisor", [Role.SUPERVISOR], rng, next(counter), login=True)
    return Org(province, counties, cities, staff, supervisors, logins)


# --- bulk writing ---------------------------------------------------------------------------


def _adapt(value: Any, sqlite: bool) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if not sqlite:
        return value
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


class Table:
    """Rows of one table for one chunk, written in one COPY (executemany on SQLite)."""

    def __init__(self, model: type[models.Model], columns: Sequence[str], *, own_id: bool = True) -> None:
        self.model = model
        self.table = model._meta.db_table
        self.columns = tuple(columns)
        self.rows: list[tuple[Any, ...]] = []
        self.next_id = 0
        # False for a table keyed by another's id (CaseCompliance by its case): rows as given.
        self.own_id = own_id

    def start(self) -> None:
        if not self.own_id:
            return
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.table}")  # noqa: S608 - model's own table
            self.next_id = int(cursor.fetchone()[0]) + 1

    def add(self, *values: Any) -> int:
        if not self.own_id:
            self.rows.append(values)
            return 0
        pk = self.next_id
        self.next_id += 1
        self.rows.append((pk, *values))
        return pk

    def flush(self, summary: Summary) -> tuple[int, int] | None:
        if not self.rows:
            return None
        sqlite = connection.vendor == "sqlite"
        rows = [tuple(_adapt(v, sqlite) for v in row) for row in self.rows]
        qn = connection.ops.quote_name
        insert_rows(self.table, [qn(c) for c in (("id",) if self.own_id else ()) + self.columns], rows)
        span = (self.rows[0][0], self.rows[-1][0])
        summary.rows[self.table] += len(self.rows)
        self.rows = []
        return span

    def finish(self) -> None:
        if connection.vendor == "postgresql" and self.own_id:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{self.table}', 'id'), "  # noqa: S608 - model's own table
                    f"(SELECT COALESCE(MAX(id), 1) FROM {self.table}))"
                )


def contents(model: type[models.Model], span: tuple[int, int]) -> dict[int, dict[str, Any]]:
    """The canonical content of the rows of ``span`` as the database now returns them
    (what verify will read), keyed by id."""
    spec = records.spec_for(model)
    assert spec is not None
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in spec.db_columns)
    pk_at = spec.columns.index("id")
    out = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {cols} FROM {qn(model._meta.db_table)} WHERE id BETWEEN %s AND %s",  # noqa: S608 - names from the model's meta, quoted
            list(span),
        )
        for row in cursor.fetchall():
            out[row[pk_at]] = records.content_of(spec, row)
    return out


def variant(model: type[models.Model], content: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """``content`` as it was before some columns changed (a case at an earlier stage, a
    deadline not yet met), spelled by the same rules as ``records.content_of``."""
    spec = records.spec_for(model)
    assert spec is not None
    plan = {name: (spell, has, default) for name, spell, has, default in spec.plan}
    out = dict(content)
    for name, value in changes.items():
        spell, has, default = plan[name]
        if value is not None and spell is not None:
            value = spell(value)
        if value is None or (has and value == default):
            out.pop(name, None)
        else:
            out[name] = value
    return out


class Ledger:
    """Events as record_event writes them, in bulk: the payload commits rows by digest,
    the row contents go to RowState, the queue entry carries the leaf hash and code."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM ledger_event")
            self.seq = int(cursor.fetchone()[0])
        self.key = queue.queue_key()
        self.events: list[tuple[Any, ...]] = []
        self.pending: list[tuple[Any, ...]] = []
        self.states: list[tuple[Any, ...]] = []
        self.sqlite = connection.vendor == "sqlite"

    def add(
        self,
        type_: str,
        at: dt.datetime,
        actor: Officer,
        agency: Agency,
        case_uid: uuid.UUID | None,
        payload: dict[str, Any],
        rows: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> None:
        self.seq += 1
        seq = self.seq
        if rows:
            committed = {}
            for key, content in rows:
                raw = records.content_bytes(content)
                committed[key] = hashlib.sha256(raw).hexdigest()
                self.states.append((seq, key, raw.decode()))
            payload = {**payload, records.ROWS_KEY: committed}
        uid = _uuid(self.rng)
        h = leaf_hash_of(
            entry_bytes(
                uid=uid,
                type=type_,
                at=at,
                actor=actor.public_id,
                agency=agency.public_id,
                case=case_uid,
                payload=payload,
            )
        )
        code = queue.mac(self.key, seq, uid, h)
        text = json.dumps(payload, ensure_ascii=False)
        if self.sqlite:
            at_db = connection.ops.adapt_datetimefield_value(at)
            case_db = case_uid.hex if case_uid else None
            self.events.append((seq, uid.hex, type_, at_db, actor.pk, agency.pk, case_db, text))
            self.pending.append((seq, uid.hex, type_, agency.pk, h, code))
        else:
            self.events.append((seq, uid, type_, at, actor.pk, agency.pk, case_uid, text))
            self.pending.append((seq, uid, type_, agency.pk, h, code))

    def flush(self, summary: Summary) -> None:
        insert_rows(
            "ledger_event",
            ("seq", "uid", "type", "occurred_at", "actor_id", "agency_id", "case_uid", "payload"),
            self.events,
        )
        insert_rows(
            "ledger_pending",
            ("event_seq", "event_uid", "event_type", "agency_id", "leaf_hash", "mac"),
            self.pending,
        )
        insert_rows("ledger_rowstate", ("event_seq", "key", "content"), self.states)
        summary.events += len(self.events)
        summary.rows["ledger_pending"] += len(self.pending)
        summary.rows["ledger_rowstate"] += len(self.states)
        self.events, self.pending, self.states = [], [], []

    def finish(self) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT setval(pg_get_serial_sequence('ledger_event', 'seq'), %s)", [self.seq])


# --- one function per table ----------------------------------------------------------------


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _key(model: type[models.Model], public_id: uuid.UUID) -> str:
    spec = records.spec_for(model)
    assert spec is not None
    return spec.key_of(str(public_id))


@dataclass
class CasePlan:
    """One synthetic case: what is written for it, and the times its events carry."""

    id: int
    public_id: uuid.UUID
    agency: Agency
    staff: list[Officer]
    started: dt.datetime
    stages: list[tuple[str, dt.datetime]]  # each stage entered, with its time
    party: tuple[int, uuid.UUID] = (0, uuid.UUID(int=0))
    transitions: list[tuple[int, uuid.UUID]] = field(default_factory=list)
    approval: tuple[int, uuid.UUID, list[tuple[int, uuid.UUID, dt.datetime]]] | None = None
    documents: list[tuple[str, int, uuid.UUID, int, uuid.UUID, dt.datetime]] = field(default_factory=list)
    deadlines: list[tuple[int, uuid.UUID, dt.datetime, dt.datetime | None]] = field(default_factory=list)
    alerts: list[tuple[int, uuid.UUID, str, dt.datetime]] = field(default_factory=list)


class Tables:
    def __init__(self) -> None:
        self.case = Table(
            Case,
            (
                "public_id",
                "number",
                "agency_id",
                "rulebook_id",
                "kind",
                "procedure",
                "initiation_mode",
                "source",
                "source_detail",
                "cause",
                "reason",
                "summary",
                "is_major",
                "emergency",
                "emergency_reason",
                "stage",
                "lead_officer_id",
                "opened_by_id",
                "opened_at",
                "started_at",
                "closed_at",
            ),
        )
        self.party = Table(
            Party,
            (
                "public_id",
                "case_id",
                "kind",
                "name",
                "id_type",
                "id_number",
                "legal_representative",
                "address",
                "phone",
                "added_by_id",
                "added_at",
            ),
        )
        self.transition = Table(
            StageTransition, ("public_id", "case_id", "from_stage", "to_stage", "actor_id", "at", "reason")
        )
        self.approval = Table(
            Approval,
            (
                "public_id",
                "case_id",
                "gate",
                "supplementary",
                "chain",
                "requested_by_id",
                "requested_at",
                "opinion",
                "reasons",
                "status",
                "decided_at",
            ),
        )
        self.step = Table(
            ApprovalStep,
            (
                "public_id",
                "approval_id",
                "index",
                "role",
                "actor_id",
                "outcome",
                "opinion",
                "signed_at",
                "signature_method",
            ),
        )
        self.document = Table(
            Document,
            (
                "public_id",
                "case_id",
                "type_code",
                "title",
                "stage",
                "origin",
                "number",
                "issuer",
                "created_by_id",
                "created_at",
            ),
        )
        self.version = Table(
            Version,
            (
                "public_id",
                "document_id",
                "number",
                "fields",
                "content_sha256",
                "changed_fields",
                "reason",
                "created_by_id",
                "created_at",
                "signature_method",
                "pdf_sha256",
                "docx_sha256",
                "page_count",
                "file_sha256",
                "file_type",
                "file_name",
                "signed_pdf_sha256",
                "signed_docx_sha256",
            ),
        )
        self.deadline = Table(
            Deadline,
            (
                "public_id",
                "case_id",
                "agency_id",
                "kind",
                "subject",
                "title",
                "starts_at",
                "due_at",
                "warn_at",
                "rulebook_id",
                "rule_id",
                "article",
                "quote",
                "met_at",
            ),
        )
        self.alert = Table(Alert, ("public_id", "deadline_id", "level", "raised_at"))
        self.order = Table(
            RectificationOrder,
            (
                "public_id",
                "agency_id",
                "issuer_agency_id",
                "issued_by_id",
                "issued_at",
                "issuer_basis",
                "findings",
                "requirements",
                "due_at",
                "cases",
                "rule_findings",
                "rulebook_id",
                "rule_id",
                "article",
                "quote",
            ),
        )
        self.response = Table(
            RectificationResponse, ("public_id", "order_id", "responded_by_id", "responded_at", "measures")
        )
        self.review = Table(
            RectificationReview,
            ("public_id", "order_id", "response_id", "reviewed_by_id", "reviewed_at", "outcome", "opinion"),
        )

        # The compliance projection (derived data, outside the ledger's record check).
        self.compliance = Table(
            CaseCompliance,
            (
                "case_id",
                "agency_id",
                "started_at",
                "rulebook_id",
                "rulebook_version",
                "evaluated_at",
                "refresh_at",
                "met",
                "unmet",
                "pending",
                "not_applicable",
                "av_required",
                "av_recorded",
                "av_exempted",
            ),
            own_id=False,
        )
        self.finding = Table(
            ComplianceFinding,
            (
                "case_id",
                "agency_id",
                "started_at",
                "rulebook_id",
                "rulebook_version",
                "rule_id",
                "kind",
                "severity",
                "source",
                "article",
                "status",
                "since",
                "message",
                "satisfy",
                "subjects",
            ),
        )

    def all(self) -> list[Table]:
        return [v for v in vars(self).values() if isinstance(v, Table)]


# Derived tables: no events commit them, so their rows are not read back.
DERIVED = (CaseCompliance, ComplianceFinding)


@dataclass
class Rules:
    decision: Rule
    archive: Rule
    rectification: Rule

    @staticmethod
    def load() -> Rules:
        book = get_rulebook(RULEBOOK)
        cited = [r for r in book.rules if r.citation.quote]
        orders = book.rules_of("rectification_order")
        return Rules(cited[0], cited[min(1, len(cited) - 1)], orders[0] if orders else cited[0])


def _cite(rule: Rule) -> tuple[str, str, str, str]:
    return rule.rulebook_id, rule.id, f"{rule.citation.source} {rule.citation.article}", rule.citation.quote


def _stages(rng: random.Random, started: dt.datetime, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """The stages a case entered: older cases went further; each step takes days to
    weeks, and none lies in the future."""
    age_days = (now - started).days
    reach = min(len(FLOW) - 1, int(rng.triangular(0, len(FLOW) - 1 + age_days / 120, len(FLOW) - 1)))
    out: list[tuple[str, dt.datetime]] = []
    at = started
    for stage in FLOW[: reach + 1]:
        if out:
            at = at + dt.timedelta(days=rng.uniform(1, 40), seconds=rng.randint(0, 86_400))
            if at >= now:
                break
        out.append((stage, at))
    return out


def cases_rows(
    t: Tables, plans: list[CasePlan], numbers: dict[tuple[int, int], int], rng: random.Random
) -> None:
    for p in plans:
        kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
        year = p.started.year
        numbers[(p.agency.pk, year)] += 1
        stage, closed = p.stages[-1][0], (p.stages[-1][1] if p.stages[-1][0] == "closed" else None)
        cause = rng.choice(CAUSES)
        p.id = t.case.add(
            p.public_id,
            f"{p.agency.case_prefix}〔{year}〕{numbers[(p.agency.pk, year)]}号",
            p.agency.pk,
            RULEBOOK,
            kind,
            "simplified" if kind == "penalty" and rng.random() < 0.2 else "general",
            "ex_officio",
            rng.choice(SOURCES),
            SYNTHETIC,
            f"涉嫌{cause}案",
            f"{SYNTHETIC}：日常巡查发现涉嫌{cause}。",
            "",
            rng.random() < 0.05,
            False,
            "",
            stage,
            p.staff[0].pk,
            p.staff[0].pk,
            p.started,
            p.started,
            closed,
        )


def parties_rows(t: Tables, plans: list[CasePlan], rng: random.Random) -> None:
    for p in plans:
        uid = _uuid(rng)
        pk = t.party.add(
            uid,
            p.id,
            "person",
            _name(rng),
            "other",
            f"SYN{p.id:012d}",
            "",
            "合成省某县某路1号",
            "",
            p.staff[0].pk,
            p.started + dt.timedelta(minutes=5),
        )
        p.party = (pk, uid)


def transitions_rows(t: Tables, plans: list[CasePlan], rng: random.Random) -> None:
    for p in plans:
        previous = ""
        for stage, at in p.stages:
            uid = _uuid(rng)
            p.transitions.append((t.transition.add(uid, p.id, previous, stage, p.staff[0].pk, at, ""), uid))
            previous = stage


def approvals_rows(t: Tables, plans: list[CasePlan], rng: random.Random) -> None:
    """The initiation approval of each case past initiation: 审核 then 批准."""
    for p in plans:
        if len(p.stages) < 2:
            continue
        requested = p.stages[0][1] + dt.timedelta(minutes=30)
        decided = p.stages[1][1] - dt.timedelta(minutes=10)
        uid = _uuid(rng)
        pk = t.approval.add(
            uid,
            p.id,
            "initiation",
            False,
            ["review", "approve"],
            p.staff[0].pk,
            requested,
            "建议立案调查。",
            SYNTHETIC,
            "granted",
            decided,
        )
        steps = []
        for index, (role, who) in enumerate([("review", p.staff[2]), ("approve", p.staff[3])]):
            at = requested + (decided - requested) * (index + 1) / 2
            suid = _uuid(rng)
            steps.append(
                (t.step.add(suid, pk, index, role, who.pk, "granted", "同意。", at, "password"), suid, at)
            )
        p.approval = (pk, uid, steps)


def documents_rows(t: Tables, plans: list[CasePlan], rng: random.Random) -> None:
    for p in plans:
        for (stage, entered), (code, title) in ((s, d) for s in p.stages for d in DOCS[s[0]]):
            at = entered + dt.timedelta(hours=2 + len(p.documents))
            duid, vuid = _uuid(rng), _uuid(rng)
            dpk = t.document.add(duid, p.id, code, title, stage, "filled", "", "", p.staff[0].pk, at)
            vpk = t.version.add(
                vuid,
                dpk,
                1,
                {"synthetic": SYNTHETIC},
                f"{rng.getrandbits(256):064x}",
                [],
                "",
                p.staff[0].pk,
                at,
                "",
                "",
                "",
                0,
                "",
                "",
                "",
                "",
                "",
            )
            p.documents.append((stage, dpk, duid, vpk, vuid, at))


def deadlines_rows(
    t: Tables, plans: list[CasePlan], rules: Rules, now: dt.datetime, rng: random.Random
) -> None:
    """A decision deadline per case (90 days from the start, met when the decision stage
    is entered) and an archive deadline once the case is in execution (30 days, met at
    closing): old stuck cases are red, some near their term yellow, some met late."""
    for p in plans:
        entered = dict(p.stages)
        specs = [("decision", "作出处理决定", rules.decision, p.started, 90, entered.get("decision"))]
        if "execution" in entered:
            specs.append(
                ("archive", "立卷归档", rules.archive, entered["execution"], 30, entered.get("closed"))
            )
        for kind, title, rule, starts, days, met in specs:
            due = starts + dt.timedelta(days=days)
            warn = starts + (due - starts) * WARN_FRACTION
            uid = _uuid(rng)
            pk = t.deadline.add(uid, p.id, p.agency.pk, kind, "", title, starts, due, warn, *_cite(rule), met)
            p.deadlines.append((pk, uid, starts, met))
            if met is None and now > due:
                p.alerts.append((t.alert.add(_uuid(rng), pk, "red", due), uid, "red", due))
            elif met is None and now >= warn:
                p.alerts.append((t.alert.add(_uuid(rng), pk, "yellow", warn), uid, "yellow", warn))


def compliance_rows(t: Tables, plans: list[CasePlan], now: dt.datetime, rng: random.Random) -> None:
    """The compliance projection a refresh would write, synthesised (evaluating a million
    cases would take hours): a rule applies once the case has reached the stage the
    rule's position stands for, is mostly kept, broken more often in cases with a red
    card; not-applicable rules get no row, only their count, as most cases have many."""
    book = get_rulebook(RULEBOOK)
    rules = list(book.rules)
    av = sum(r.kind == "av_required" for r in rules)
    for p in plans:
        reach = len(p.stages)
        red = any(level == "red" for _, _, level, _ in p.alerts)
        counts = {"met": 0, "unmet": 0, "pending": 0}
        for i, rule in enumerate(rules):
            if i % len(FLOW) >= reach:
                continue
            status = "unmet" if rng.random() < (0.2 if red else 0.05) else "met"
            if status == "met" and p.stages[-1][0] not in ("archiving", "closed") and rng.random() < 0.1:
                status = "pending"
            counts[status] += 1
            t.finding.add(
                p.id,
                p.agency.pk,
                p.started,
                book.id,
                book.version,
                rule.id,
                rule.kind,
                rule.severity,
                rule.citation.source,
                rule.citation.article,
                status,
                p.stages[-1][1],
                f"{SYNTHETIC}。" if status == "unmet" else "",
                "",
                [],
            )
        required = av * reach
        recorded = sum(rng.random() < 0.9 for _ in range(required))
        exempted = sum(rng.random() < 0.5 for _ in range(required - recorded))
        t.compliance.add(
            p.id,
            p.agency.pk,
            p.started,
            book.id,
            book.version,
            now,
            None,
            counts["met"],
            counts["unmet"],
            counts["pending"],
            len(rules) - sum(counts.values()),
            required,
            recorded,
            exempted,
        )


# --- the events of a case ------------------------------------------------------------------


def case_events(
    ledger: Ledger, p: CasePlan, got: dict[type[models.Model], dict[int, dict[str, Any]]]
) -> None:
    officer, agency, cuid = p.staff[0], p.agency, p.public_id
    case = got[Case][p.id]
    first_stage, first_at = p.stages[0]
    ledger.add(
        "case:case:opened",
        first_at,
        officer,
        agency,
        cuid,
        {"case": str(cuid), "synthetic": True},
        [
            (_key(Case, cuid), variant(Case, case, stage=first_stage, closed_at=None)),
            (_key(StageTransition, p.transitions[0][1]), got[StageTransition][p.transitions[0][0]]),
        ],
    )
    ledger.add(
        "case:party:added",
        first_at + dt.timedelta(minutes=5),
        officer,
        agency,
        cuid,
        {"party": str(p.party[1])},
        [(_key(Party, p.party[1]), got[Party][p.party[0]])],
    )
    if p.approval is not None:
        apk, auid, steps = p.approval
        approval = got[Approval][apk]
        ledger.add(
            "case:approval:requested",
            first_at + dt.timedelta(minutes=30),
            officer,
            agency,
            cuid,
            {"approval": str(auid), "gate": "initiation"},
            [(_key(Approval, auid), variant(Approval, approval, status="pending", decided_at=None))],
        )
        for i, (spk, suid, at) in enumerate(steps):
            rows = [(_key(ApprovalStep, suid), got[ApprovalStep][spk])]
            if i == len(steps) - 1:
                rows.append((_key(Approval, auid), approval))
            ledger.add(
                "case:approval:granted",
                at,
                p.staff[2 + i],
                agency,
                cuid,
                {"approval": str(auid), "step": i},
                rows,
            )
    for i, ((stage, at), (tpk, tuid)) in enumerate(zip(p.stages, p.transitions, strict=True)):
        if i:
            last = i == len(p.stages) - 1
            ledger.add(
                "case:stage:advanced",
                at,
                officer,
                agency,
                cuid,
                {"to": stage},
                [
                    (_key(Case, cuid), case if last else variant(Case, case, stage=stage, closed_at=None)),
                    (_key(StageTransition, tuid), got[StageTransition][tpk]),
                ],
            )
        for doc_stage, dpk, duid, vpk, vuid, dat in p.documents:
            if doc_stage == stage:
                ledger.add(
                    "records:document:created",
                    dat,
                    officer,
                    agency,
                    cuid,
                    {"document": str(duid), "stage": stage},
                    [
                        (_key(Document, duid), got[Document][dpk]),
                        (_key(Version, vuid), got[Version][vpk]),
                    ],
                )
    for dpk, duid, starts, met in p.deadlines:
        content = got[Deadline][dpk]
        ledger.add(
            "supervision:deadline:opened",
            starts,
            officer,
            agency,
            cuid,
            {"deadline": str(duid)},
            [(_key(Deadline, duid), variant(Deadline, content, met_at=None))],
        )
        if met is not None:
            ledger.add(
                "supervision:deadline:met",
                met,
                officer,
                agency,
                cuid,
                {"deadline": str(duid)},
                [(_key(Deadline, duid), content)],
            )
    for apk, duid, level, at in p.alerts:
        alert_uid = uuid.UUID(got[Alert][apk]["public_id"])
        ledger.add(
            "supervision:alert:raised",
            at,
            officer,
            agency,
            cuid,
            {"deadline": str(duid), "level": level},
            [(_key(Alert, alert_uid), got[Alert][apk])],
        )


def orders_rows_and_events(
    t: Tables,
    ledger: Ledger,
    o: Org,
    count: int,
    rules: Rules,
    now: dt.datetime,
    rng: random.Random,
    summary: Summary,
) -> None:
    """Rectification orders from each city to its counties (上级): half answered, most of
    those accepted; each with its deadline on the agency."""
    if not o.counties or not count:
        return
    for table in (t.order, t.response, t.review, t.deadline):
        table.start()
    plans = []
    for _ in range(count):
        county = rng.choice(o.counties)
        issuer = next(c for c in o.cities if c.pk == county.parent_id)
        by = o.supervisors[issuer.pk]
        issued = now - dt.timedelta(days=rng.uniform(1, 365 * YEARS))
        due = issued + dt.timedelta(days=30)
        uid = _uuid(rng)
        opk = t.order.add(
            uid,
            county.pk,
            issuer.pk,
            by.pk,
            issued,
            "superior_agency",
            f"{SYNTHETIC}：抽查发现部分案件未按规定记录。",
            "三十日内完成整改并报告。",
            due,
            [],
            [],
            *_cite(rules.rectification),
        )
        answered = rng.random() < 0.6 and issued + dt.timedelta(days=20) < now
        met = issued + dt.timedelta(days=rng.uniform(5, 45)) if answered else None
        if met is not None and met > now:
            met = None
        dl_uid = _uuid(rng)
        dpk = t.deadline.add(
            dl_uid,
            None,
            county.pk,
            "rectification",
            uid.hex,
            "整改期限",
            issued,
            due,
            issued + (due - issued) * WARN_FRACTION,
            *_cite(rules.rectification),
            met,
        )
        response: tuple[int, dt.datetime, int] | None = None
        if met is not None:
            rpk = t.response.add(_uuid(rng), opk, o.staff[county.pk][3].pk, met, "已整改。")
            reviewed = met + dt.timedelta(days=2)
            response = (
                rpk,
                met,
                t.review.add(_uuid(rng), opk, rpk, by.pk, reviewed, "accepted", "验收通过。"),
            )
        plans.append((opk, dpk, county, by, issued, response))
    spans = {tb.model: tb.flush(summary) for tb in (t.order, t.response, t.review, t.deadline)}
    got = {m: contents(m, s) for m, s in spans.items() if s is not None}
    for opk, dpk, county, by, issued, response in plans:
        order = got[RectificationOrder][opk]
        deadline = got[Deadline][dpk]
        ouid = uuid.UUID(order["public_id"])
        ledger.add(
            "supervision:rectification:issued",
            issued,
            by,
            county,
            None,
            {"order": str(ouid)},
            [
                (_key(RectificationOrder, ouid), order),
                (_key(Deadline, uuid.UUID(deadline["public_id"])), variant(Deadline, deadline, met_at=None)),
            ],
        )
        if response is not None:
            r = got[RectificationResponse][response[0]]
            ledger.add(
                "supervision:rectification:responded",
                response[1],
                o.staff[county.pk][3],
                county,
                None,
                {"order": str(ouid)},
                [(_key(RectificationResponse, uuid.UUID(r["public_id"])), r)],
            )
            v = got[RectificationReview][response[2]]
            ledger.add(
                "supervision:rectification:accepted",
                response[1] + dt.timedelta(days=2),
                by,
                county,
                None,
                {"order": str(ouid)},
                [
                    (_key(RectificationReview, uuid.UUID(v["public_id"])), v),
                    (_key(Deadline, uuid.UUID(deadline["public_id"])), deadline),
                ],
            )


# --- the run --------------------------------------------------------------------------------


def _chunks(n: int, size: int) -> Iterator[int]:
    done = 0
    while done < n:
        yield min(size, n - done)
        done += size


def _numbers() -> dict[tuple[int, int], int]:
    """The last case number per synthetic agency and year: the sequence's, or the count
    of its cases where a run was stopped before it wrote the sequence."""
    numbers: dict[tuple[int, int], int] = defaultdict(int)
    synthetic = Case.objects.filter(agency__code__startswith=CODE_PREFIX)
    for row in (
        synthetic.annotate(year=ExtractYear("started_at", tzinfo=dt.UTC))
        .values("agency_id", "year")
        .annotate(n=Count("pk"))
    ):
        numbers[(row["agency_id"], row["year"])] = row["n"]
    for seq in CaseNumberSequence.objects.filter(agency__code__startswith=CODE_PREFIX):
        key = (seq.agency_id, seq.year)
        numbers[key] = max(numbers[key], seq.last)
    return numbers


def build(
    n: int,
    *,
    agencies: int = 100,
    seed: int = 1,
    force: bool = False,
    integrate: bool = True,
    chunk: int = CHUNK,
    progress: Callable[[str], None] = lambda _: None,
) -> Summary:
    """Make the synthetic tree and ``n`` cases (see the module's docstring)."""
    if real_cases_exist() and not force:
        raise Conflict(
            "本站已有真实案件：合成数据只用于性能测量，不得写入生产站点（确需写入请加 --force）。",
            code="real_cases",
        )
    # Seeded by the run and by what the site holds already, so a second run adds new ids.
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM ledger_event")
        rng = random.Random(f"{seed}:{cursor.fetchone()[0]}")  # noqa: S311 - synthetic data, reproducible
    summary = Summary()
    started = time.perf_counter()
    o = build_org(agencies, rng)
    summary.seconds["org"] = round(time.perf_counter() - started, 2)
    progress(f"机构 {len(o.counties) + len(o.cities) + 1} 个（{summary.seconds['org']} 秒）")
    rules = Rules.load()
    now = timezone.now()
    # Counties hold most cases, cities some, the province a few.
    holders = [(a, 8) for a in o.counties] + [(a, 3) for a in o.cities] + [(o.province, 1)]
    weights = [w * rng.uniform(0.3, 1.7) for _, w in holders]
    numbers = _numbers()
    t = Tables()
    bulk_started = time.perf_counter()
    sqlite = connection.vendor == "sqlite"
    saved: tuple[dict[str, int], int] = ({}, 0)
    try:
        for size in _chunks(n, chunk):
            saved = (dict(summary.rows), summary.events)
            with transaction.atomic():
                for table in t.all():
                    table.start()
                ledger = Ledger(rng)
                plans = []
                for agency, _ in rng.choices(holders, weights=weights, k=size):
                    started_at = now - dt.timedelta(seconds=rng.uniform(3600, YEARS * 365 * 86_400))
                    plans.append(
                        CasePlan(
                            0,
                            _uuid(rng),
                            agency,
                            o.staff[agency.pk],
                            started_at,
                            _stages(rng, started_at, now),
                        )
                    )
                plans.sort(key=lambda p: p.started)
                cases_rows(t, plans, numbers, rng)
                parties_rows(t, plans, rng)
                transitions_rows(t, plans, rng)
                approvals_rows(t, plans, rng)
                documents_rows(t, plans, rng)
                deadlines_rows(t, plans, rules, now, rng)
                compliance_rows(t, plans, now, rng)
                spans = {tb.model: tb.flush(summary) for tb in t.all()}
                got = {m: contents(m, s) for m, s in spans.items() if s is not None and m not in DERIVED}
                for p in plans:
                    case_events(ledger, p, got)
                ledger.flush(summary)
            summary.cases += size
            elapsed = time.perf_counter() - bulk_started
            progress(f"案件 {summary.cases}/{n}，事件 {summary.events}（{elapsed:.0f} 秒）")
    except KeyboardInterrupt:
        # Stopped (Ctrl-C, kill -INT): the chunk under way is rolled back; what was
        # written is finished below like a full run, so the site stays consistent.
        summary.rows, summary.events = defaultdict(int, saved[0]), saved[1]
        progress(f"已中断：保留已写入的 {summary.cases} 件，补全收尾步骤。")
    with transaction.atomic():
        ledger = Ledger(rng)
        # One order per 500 cases of the whole synthetic site (a stopped run's cases too).
        cases_now = Case.objects.filter(agency__code__startswith=CODE_PREFIX).count()
        orders_now = RectificationOrder.objects.filter(agency__code__startswith=CODE_PREFIX).count()
        orders = max(1, cases_now // 500 - orders_now)
        orders_rows_and_events(t, ledger, o, orders, rules, now, rng, summary)
        ledger.flush(summary)
        for table in t.all():
            table.finish()
        ledger.finish()
        for (agency_id, year), last in numbers.items():
            CaseNumberSequence.objects.update_or_create(
                agency_id=agency_id, year=year, defaults={"last": last}
            )
        record_event(
            type=SCALE_GENERATED,
            actor=None,
            agency=None,
            payload={"synthetic": True, "cases": n, "agencies": agencies, "seed": seed, "note": SYNTHETIC},
        )
    summary.seconds["bulk"] = round(time.perf_counter() - bulk_started, 2)
    if not sqlite:
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            # VACUUM too (outside a transaction) so that the index-only scans the
            # statistics rely on see a fresh visibility map, as autovacuum would later.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        summary.seconds["analyze"] = round(time.perf_counter() - t0, 2)
    if integrate:
        from quanlu.ledger.sequencer import integrate as run_sequencer

        t0 = time.perf_counter()
        run_sequencer()
        summary.seconds["integrate"] = round(time.perf_counter() - t0, 2)
    summary.seconds["total"] = round(time.perf_counter() - started, 2)
    return summary


def logins() -> dict[str, Officer]:
    """The synthetic accounts that can sign in (for the benchmark): the province's
    supervisor, the province's justice bureau's, and the first county's head."""
    names = {
        "supervisor": f"{CODE_PREFIX}p-supervisor",
        "justice": f"{CODE_PREFIX}justice-supervisor",
        "head": f"{CODE_PREFIX}c01-01-approver",
    }
    found = {
        o.username: o for o in Officer.objects.filter(username__in=names.values()).select_related("agency")
    }
    return {label: found[u] for label, u in names.items() if u in found}
