"""What the document catalogue is made of: stages, categories, signatory roles and
field types, and the frozen values a loaded catalogue holds (``DocType`` with its
``FieldSpec`` fields and ``SignatureSlot`` signatures, the ``Policy`` rows, the whole
``Catalogue``). Loading and checking the YAML is ``quanlu.records.catalogue``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quanlu.rulebooks.facts import selects
from quanlu.rulebooks.terms import DOC_STAGES
from quanlu.rulebooks.terms import NOTICE_METHODS as NOTICE_METHODS
from quanlu.rulebooks.terms import RIGHTS as RIGHTS

# A document's stage: the case's stages but the end. The labels, the rights a party is
# told of and how (NOTICE_METHODS, RIGHTS) are the rules engine's words, defined once there.
STAGES = DOC_STAGES
# 001 第十一条 names the kinds of text record; "external" is what others issue.
CATEGORIES = {
    "to_party": "向当事人出具的行政执法文书",
    "investigation": "调查取证文书",
    "internal": "内部审批文书",
    "hearing": "听证文书",
    "service": "送达文书",
    "external": "外部机构出具的文书",
}
LAYOUTS = ("table", "transcript", "notice")
ORIGINS = ("filled", "uploaded")
FIELD_TYPES = {
    "text": "文字",
    "long_text": "长文本",
    "date": "日期",
    "datetime": "日期时间",
    "integer": "整数",
    "money": "金额",
    "choice": "单选",
    "multi_choice": "多选",
    "boolean": "是/否",
    "officer": "执法人员",
    "officers": "执法人员名单",
    "party": "当事人",
    "person": "人员",
    "persons": "人员名单",
    "items": "清单",
    "turns": "发言记录",
    "rights": "告知权利",
}
COLUMN_TYPES = ("text", "integer", "money", "date")

# Signatory roles. An officer role is signed by a signed-in officer who
# re-authenticates; the others sign on a touch screen or on paper.
ROLES: dict[str, tuple[str, bool]] = {
    "officer": ("执法人员", True),
    "handler": ("承办人", True),
    "reviewer": ("审核人", True),
    "legal_reviewer": ("法制审核人员", True),
    "approver": ("批准人（机关负责人）", True),
    "recorder": ("记录人", True),
    "server": ("送达人", True),
    "presiding_officer": ("主持人", True),
    "agency": ("行政执法机关", True),
    "attendee": ("参加人员", True),
    "party": ("当事人", False),
    "interviewee": ("被询问人", False),
    "present_person": ("有关在场人员", False),
    "witness": ("见证人", False),
    "recipient": ("受送达人", False),
    "qualified_signatory": ("符合法定条件的签收人", False),
    "agent": ("委托代理人", False),
    "third_party": ("第三人", False),
    "expert": ("专家", False),
}
KINDS = {
    "signature": "签名",
    "seal": "盖章",
    "fingerprint": "捺手印",
    "straddle_seal": "骑缝章（骑缝手印）",
}


@dataclass(frozen=True)
class Citation:
    source: str
    article: str
    quote: str = ""

    def label(self) -> str:
        return f"{self.source} {self.article}"

    @property
    def regulation(self) -> str:
        return self.source.split("_", 1)[0]


@dataclass(frozen=True)
class Condition:
    """When a field or signature applies, judged on the document's field values."""

    field: str
    op: str  # "in" | "equals" | "present"
    value: Any

    def holds(self, values: dict[str, Any]) -> bool:
        current = values.get(self.field)
        if self.op == "in":
            return current in self.value
        if self.op == "equals":
            return bool(current == self.value)
        return _present(current) == bool(self.value)


def _present(value: Any) -> bool:
    return value not in (None, "", [], {}, False)


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    type: str
    required: bool
    when: Condition | None = None
    options: tuple[tuple[str, str], ...] = ()
    columns: tuple[FieldSpec, ...] = ()
    speakers: tuple[tuple[str, str], ...] = ()
    rights: tuple[str, ...] = ()
    extra_rights: dict[str, tuple[str, ...]] = field(default_factory=dict)
    min_count: int = 0
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 0
    example: Any = None
    # A datetime is when something happened (refused later than now) unless the
    # field is a deadline or an appointment (``future: true``).
    future: bool = False
    # Where a new form takes this field's value from, first found wins: ``party`` (a
    # person block from the case's party, or the relation for a choice), or
    # ``<type>.<field>`` / ``<type>.number`` of the case's latest unvoided document of
    # that type. The officer confirms rather than retypes; the value stays editable.
    fill: tuple[str, ...] = ()

    def applies(self, values: dict[str, Any]) -> bool:
        return self.when is None or self.when.holds(values)

    def option_label(self, value: Any) -> str:
        return dict(self.options).get(value, str(value))

    def rights_for(self, rulebook_id: str) -> tuple[str, ...]:
        return self.rights + self.extra_rights.get(rulebook_id, ())


@dataclass(frozen=True)
class SignatureSlot:
    key: str
    label: str
    roles: tuple[str, ...]
    kinds: tuple[str, ...]
    minimum: int = 1
    from_field: str = ""
    refusal: bool = False
    optional: bool = False
    when: Condition | None = None

    @property
    def officer_slot(self) -> bool:
        return ROLES[self.roles[0]][1]

    def role_labels(self) -> str:
        return "、".join(ROLES[r][0] for r in self.roles)

    def kind_labels(self) -> str:
        return "或".join(KINDS[k] for k in self.kinds)


@dataclass(frozen=True)
class DocType:
    code: str
    title: str
    stage: str
    category: str
    origin: str
    layout: str
    cited_by: tuple[Citation, ...]
    fields: tuple[FieldSpec, ...]
    signatures: tuple[SignatureSlot, ...]
    also_named: tuple[str, ...] = ()
    abbr: str = ""
    numbered: bool = False
    party_record: bool = False
    # Made where the work happens (现场), so the field app offers it offline.
    on_site: bool = False
    page_footer: str = ""
    file: str = ""

    @property
    def stage_label(self) -> str:
        return STAGES[self.stage]

    @property
    def category_label(self) -> str:
        return CATEGORIES[self.category]

    @property
    def uploaded(self) -> bool:
        return self.origin == "uploaded"

    def field(self, key: str) -> FieldSpec:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def flags(self) -> dict[str, Any]:
        return {
            "party_record": self.party_record,
            "category": self.category,
            "stage": self.stage,
            "code": self.code,
        }

    def as_dict(self) -> dict[str, Any]:
        """The type as plain data (``quanlu documents types``, the API)."""
        return {
            "code": self.code,
            "title": self.title,
            "also_named": list(self.also_named),
            "stage": self.stage,
            "stage_label": self.stage_label,
            "category": self.category,
            "category_label": self.category_label,
            "origin": self.origin,
            "layout": self.layout,
            "numbered": self.numbered,
            "party_record": self.party_record,
            "cited_by": [{"source": c.source, "article": c.article} for c in self.cited_by],
            "fields": [_field_dict(f) for f in self.fields],
            "signatures": [
                {
                    "key": s.key,
                    "label": s.label,
                    "roles": list(s.roles),
                    "kinds": list(s.kinds),
                    "min": s.minimum,
                    "from_field": s.from_field,
                    "refusal_allowed": s.refusal,
                    "optional": s.optional,
                    "when": _cond_dict(s.when),
                }
                for s in self.signatures
            ],
            "file": self.file,
        }


def _cond_dict(c: Condition | None) -> dict[str, Any] | None:
    return None if c is None else {"field": c.field, c.op: c.value}


def _field_dict(f: FieldSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"key": f.key, "label": f.label, "type": f.type, "required": f.required}
    if f.when:
        out["when"] = _cond_dict(f.when)
    if f.options:
        out["options"] = [{"value": v, "label": lbl} for v, lbl in f.options]
    if f.columns:
        out["columns"] = [_field_dict(c) for c in f.columns]
    if f.speakers:
        out["speakers"] = [{"value": v, "label": lbl} for v, lbl in f.speakers]
    if f.rights:
        out["rights"] = list(f.rights)
        out["extra_rights"] = {k: list(v) for k, v in f.extra_rights.items()}
    if f.min_count:
        out["min_count"] = f.min_count
    return out


@dataclass(frozen=True)
class Policy:
    rulebooks: tuple[str, ...]
    applies_to: dict[str, Any]
    citation: Citation
    params: dict[str, Any]

    def applies(self, doc_type: DocType, rulebook_id: str) -> bool:
        if rulebook_id not in self.rulebooks:
            return False
        # The same selection as a rule's ``select``: the policy binds the record kinds its
        # article governs (001 第十四条: 调查取证文书, not the hearing record of 第十六条).
        return selects(self.applies_to, doc_type)


@dataclass(frozen=True)
class Catalogue:
    types: dict[str, DocType]
    refusal_default_min: int
    refusal_rules: tuple[Policy, ...]
    amendment_confirmation: tuple[Policy, ...]
    straddle_seal: tuple[Policy, ...]

    def get(self, code: str) -> DocType:
        return self.types[code]

    def by_stage(self) -> list[tuple[str, str, list[DocType]]]:
        return [
            (stage, label, [t for t in self.types.values() if t.stage == stage])
            for stage, label in STAGES.items()
        ]

    def refusal_min_officers(self, doc_type: DocType, rulebook_id: str) -> tuple[int, Citation | None]:
        best, cite = self.refusal_default_min, None
        for p in self.refusal_rules:
            if p.applies(doc_type, rulebook_id) and int(p.params["min_officers"]) > best:
                best, cite = int(p.params["min_officers"]), p.citation
        return best, cite

    def confirmation_policy(self, doc_type: DocType, rulebook_id: str) -> Policy | None:
        return next((p for p in self.amendment_confirmation if p.applies(doc_type, rulebook_id)), None)

    def straddle_policy(self, doc_type: DocType, rulebook_id: str) -> Policy | None:
        return next((p for p in self.straddle_seal if p.applies(doc_type, rulebook_id)), None)
