"""Parameter validators of the rule kinds, one per kind (``@rule_kind``).

A rule kind is a mechanism in code; a rulebook rule is that mechanism with
parameters. Each validator refuses parameters the evaluator could not honour, so a
bad rulebook fails at load with the file and the rule named, never at judgement.
The judges live in ``evaluators.py`` (cases, approvals, deadlines),
``evaluators_records.py`` (text records), ``evaluators_av.py`` (audio-visual) and
``evaluators_access.py`` (copies and confidentiality). Document types and their fields
are checked against the catalogue records registers (``providers.catalogue``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from quanlu.rulebooks.params import parse_duration, rule_kind
from quanlu.rulebooks.providers import catalogue
from quanlu.rulebooks.terms import (
    ACTION_TYPES,
    APPLICATION_EVENTS,
    AV_ACTIVITIES,
    AV_DELAY_REASONS,
    CASE_FIELDS,
    COPY_APPROVERS,
    COPY_MODES,
    DEVICE_KINDS,
    DOC_STAGES,
    EXEMPTION_POLICIES,
    GATES,
    MEDIA_KINDS,
    MODES,
    NO_LIMIT_SUBJECTS,
    PROCEDURES,
    RECTIFICATION_ISSUERS,
    RIGHTS,
    SECRET_CATEGORIES,
    SERVICE_METHODS,
    SIMPLIFIED_MOVES,
    STAGES,
)

# ---------------------------------------------------------------- shared checks


def _only(params: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(params) - set(allowed)
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(sorted(unknown))}")


def _check_when(when: Any) -> None:
    if when is None:
        return
    if not isinstance(when, dict):
        raise ValueError("'when' must be a mapping")
    for key, allowed in (
        ("procedure", PROCEDURES),
        ("initiation_mode", MODES),
        ("kind", ACTION_TYPES),
        ("entered", STAGES),
    ):
        values = when.get(key, []) or []
        if key in when and not isinstance(values, list):
            raise ValueError(f"when.{key} must be a list")
        for value in values:
            if value not in allowed:
                raise ValueError(f"when.{key}: unknown value {value!r}")
    for key in ("major", "emergency"):
        if key in when and not isinstance(when[key], bool):
            raise ValueError(f"when.{key} must be true or false")
    unknown = set(when) - {"procedure", "initiation_mode", "kind", "major", "emergency", "entered"}
    if unknown:
        raise ValueError(f"when: unknown condition(s) {', '.join(sorted(unknown))}")


def _check_stage(params: dict[str, Any], *, required: bool) -> None:
    stage = params.get("stage")
    if stage is None:
        if required:
            raise ValueError(f"stage must be one of {tuple(STAGES)} (or a list of them)")
        return
    stages = [stage] if isinstance(stage, str) else stage
    if not isinstance(stages, list) or not stages or any(s not in STAGES for s in stages):
        raise ValueError(f"stage must be one of {tuple(STAGES)} (or a list of them)")


def _doc_types(codes: Any, what: str = "documents") -> list[str]:
    if not isinstance(codes, list) or not codes:
        raise ValueError(f"{what} must be a non-empty list of document types")
    known = catalogue().types
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValueError(f"{what}: unknown document type(s) {', '.join(map(str, unknown))}")
    return [str(c) for c in codes]


def _field_keys(types: list[str]) -> set[str]:
    known = catalogue().types
    return {f.key for t in types for f in known[t].fields}


def _check_where(where: Any, types: list[str]) -> None:
    """``where``: one condition or a list of them (all must hold) on a document's
    fields: ``{field, in: [...]}``, ``{field, equals: v}`` or ``{field, present: bool}``."""
    if where is None:
        return
    conditions = where if isinstance(where, list) else [where]
    keys = _field_keys(types) if types else None
    for cond in conditions:
        if not isinstance(cond, dict) or "field" not in cond:
            raise ValueError("where: each condition needs a field")
        ops = [op for op in ("in", "equals", "present") if op in cond]
        if len(ops) != 1 or set(cond) - {"field", *ops}:
            raise ValueError("where: each condition takes exactly one of in, equals, present")
        if ops[0] == "in" and (not isinstance(cond["in"], list) or not cond["in"]):
            raise ValueError("where.in must be a non-empty list")
        if keys is not None and cond["field"] not in keys:
            raise ValueError(f"where: no field {cond['field']!r} in {', '.join(types)}")


def _check_select(params: dict[str, Any]) -> list[str]:
    """Which documents a rule judges: ``documents`` (types), or ``select`` by the
    catalogue's flags (stages, categories, party_record), less the types in ``except``
    (those another article governs). Returns the types named."""
    if ("documents" in params) == ("select" in params):
        raise ValueError("give either documents or select")
    if "documents" in params:
        types = _doc_types(params["documents"])
    else:
        select = params["select"]
        if not isinstance(select, dict) or not select:
            raise ValueError("select must be a mapping of stages, categories, party_record")
        _only(select, ("stages", "categories", "party_record", "except"))
        if "except" in select:
            _doc_types(select["except"], "select.except")
        for key, allowed in (("stages", set(DOC_STAGES)), ("categories", catalogue().categories)):
            for value in select.get(key, []) or []:
                if value not in allowed:
                    raise ValueError(f"select.{key}: unknown value {value!r}")
        if "party_record" in select and not isinstance(select["party_record"], bool):
            raise ValueError("select.party_record must be true or false")
        types = []
    _check_where(params.get("where"), types)
    return types


def _check_fields(fields: Any, types: list[str]) -> None:
    if not isinstance(fields, list) or not fields:
        raise ValueError("fields must be a non-empty list")
    if types:
        keys = _field_keys(types)
        unknown = [f for f in fields if f not in keys]
        if unknown:
            raise ValueError(f"fields: no field(s) {', '.join(map(str, unknown))} in {', '.join(types)}")


def _check_bool(params: dict[str, Any], *keys: str) -> None:
    for key in keys:
        if key in params and not isinstance(params[key], bool):
            raise ValueError(f"{key} must be true or false")


def _check_int(params: dict[str, Any], key: str, *, minimum: int = 1) -> None:
    value = params.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{key} must be a whole number of at least {minimum}")


# ---------------------------------------------------------------- cases and approvals


@rule_kind("approval_required")
def _approval_required(params: dict[str, Any]) -> None:
    """Entering ``stage`` requires a granted approval at ``gate``."""
    if params.get("stage") not in STAGES:
        raise ValueError(f"stage must be one of {tuple(STAGES)}")
    if params.get("gate") not in GATES:
        raise ValueError(f"gate must be one of {tuple(GATES)}")
    _check_when(params.get("when"))


@rule_kind("approval_chain")
def _approval_chain(params: dict[str, Any]) -> None:
    """The regulation orders the approval at ``gate``: 承办人 proposes, 审核人 reviews,
    批准人 approves, each a different person. Enforced as each step is signed
    (cases.services.approvals): a step out of turn or a second step by the same person
    is refused citing this rule. ``documents``: the forms that record the chain on
    paper (the internal approval form); one person signing two of its steps is refused
    citing this rule too (records.services.signatures)."""
    _only(params, ("gate", "documents"))
    if params.get("gate") not in GATES:
        raise ValueError(f"gate must be one of {tuple(GATES)}")
    docs = params.get("documents", [])
    if not isinstance(docs, list) or not all(isinstance(d, str) for d in docs):
        raise ValueError("documents must be a list of document type codes")


@rule_kind("legal_review_required")
def _legal_review_required(params: dict[str, Any]) -> None:
    """An approval at ``gate`` must pass legal review (法制审核) before the approver."""
    if params.get("gate") not in GATES:
        raise ValueError(f"gate must be one of {tuple(GATES)}")
    _check_when(params.get("when"))


@rule_kind("supplementary_approval_deadline")
def _supplementary_deadline(params: dict[str, Any]) -> None:
    """After an emergency start, the approval is due within ``within`` of the start."""
    parse_duration(params.get("within"))
    if params.get("gate", "initiation") not in GATES:
        raise ValueError(f"gate must be one of {tuple(GATES)}")


@rule_kind("archive_deadline")
def _archive_deadline(params: dict[str, Any]) -> None:
    """Records form a dossier and are archived within ``within`` of the end of the action."""
    parse_duration(params.get("within"))


@rule_kind("case_fields_required")
def _case_fields_required(params: dict[str, Any]) -> None:
    """Fields of the case record that must be filled (e.g. 案件来源, 启动原因)."""
    fields = params.get("fields")
    if not fields or not isinstance(fields, list):
        raise ValueError("fields must be a non-empty list")
    unknown = [f for f in fields if f not in CASE_FIELDS]
    if unknown:
        raise ValueError(f"unknown case field(s) {', '.join(map(str, unknown))}")
    _check_stage(params, required=False)
    _check_when(params.get("when"))


@rule_kind("complaint_decline_notice")
def _complaint_decline_notice(params: dict[str, Any]) -> None:
    """A named complaint not taken up: the complainant is told, and how is recorded."""
    if params:
        raise ValueError("takes no parameters")


@rule_kind("complaint_recorded")
def _complaint_recorded(params: dict[str, Any]) -> None:
    """A case started on a complaint carries the complaint's record: who complained
    (when named), what about, who recorded it, and how it was handled."""
    _only(params, ("stage", "when"))
    _check_stage(params, required=True)
    _check_when(params.get("when"))


@rule_kind("application_recorded")
def _application_recorded(params: dict[str, Any]) -> None:
    """An application's intake is recorded: each of ``events`` (a list of groups,
    any event of a group will do), and with ``single_supplement_notice`` the
    supplement notice is given once (一次性告知)."""
    _only(params, ("events", "single_supplement_notice", "stage", "when"))
    groups = params.get("events", [])
    if not isinstance(groups, list):
        raise ValueError("events must be a list of groups of events")
    for group in groups:
        if not isinstance(group, list) or not group or any(e not in APPLICATION_EVENTS for e in group):
            raise ValueError(f"events: each group is a non-empty list of {', '.join(APPLICATION_EVENTS)}")
    _check_bool(params, "single_supplement_notice")
    if not groups and not params.get("single_supplement_notice"):
        raise ValueError("name events to record, or single_supplement_notice")
    _check_stage(params, required=True)
    _check_when(params.get("when"))


# ---------------------------------------------------------------- text records


@rule_kind("documents_required")
def _documents_required(params: dict[str, Any]) -> None:
    """Entering ``stage`` requires documents of these types, complete (their
    signature set satisfied): ``mode`` all (default) or any. With ``if``, only when
    the case has a document of the trigger types (matching its ``where``); with
    ``before``, the required ones must have been made before the trigger."""
    _only(params, ("documents", "mode", "if", "before", "stage", "when"))
    _doc_types(params.get("documents"))
    if params.get("mode", "all") not in ("all", "any"):
        raise ValueError("mode must be all or any")
    trigger = params.get("if")
    if trigger is not None:
        if not isinstance(trigger, dict):
            raise ValueError("if must be a mapping with documents (and where)")
        _only(trigger, ("documents", "where"))
        types = _doc_types(trigger.get("documents"), "if.documents")
        _check_where(trigger.get("where"), types)
    elif params.get("before"):
        raise ValueError("before needs if")
    _check_bool(params, "before")
    _check_stage(params, required=True)
    _check_when(params.get("when"))


@rule_kind("document_fields_required")
def _document_fields_required(params: dict[str, Any]) -> None:
    """Fields a regulation asks a document type to carry (where the catalogue has
    them optional), on each such document of the case; ``complete`` also asks its
    signature set; ``speakers`` asks a transcript's turns to include those speakers."""
    _only(params, ("documents", "select", "where", "fields", "complete", "speakers", "stage", "when"))
    types = _check_select(params)
    _check_fields(params.get("fields"), types)
    _check_bool(params, "complete")
    speakers = params.get("speakers")
    if speakers is not None and (not isinstance(speakers, list) or not speakers):
        raise ValueError("speakers must be a non-empty list")
    _check_stage(params, required=False)
    _check_when(params.get("when"))


@rule_kind("documents_signed")
def _documents_signed(params: dict[str, Any]) -> None:
    """Every document in scope has its required signature set (签名、盖章、捺手印, or
    a refusal attested by as many officers as the regulation asks)."""
    _only(params, ("documents", "select", "where", "stage", "when"))
    _check_select(params)
    _check_stage(params, required=True)
    _check_when(params.get("when"))


@rule_kind("officers_present")
def _officers_present(params: dict[str, Any]) -> None:
    """Each document in scope lists at least ``min`` officers whose certificates were
    valid on the day of the activity; with ``certificate_shown``, each showed it."""
    _only(params, ("documents", "where", "min", "certificate_shown", "stage", "when"))
    types = _doc_types(params.get("documents"))
    _check_where(params.get("where"), types)
    _check_int(params, "min")
    _check_bool(params, "certificate_shown")
    _check_stage(params, required=True)
    _check_when(params.get("when"))


@rule_kind("refusals_attested")
def _refusals_attested(params: dict[str, Any]) -> None:
    """A refusal to sign is noted in the document and signed by ``min_officers`` officers."""
    _only(params, ("documents", "select", "where", "min_officers", "stage", "when"))
    _check_select(params)
    if params.get("min_officers") is None:
        raise ValueError("min_officers is required")
    _check_int(params, "min_officers")
    _check_stage(params, required=True)
    _check_when(params.get("when"))


@rule_kind("rights_notified")
def _rights_notified(params: dict[str, Any]) -> None:
    """The party was told of each of ``rights`` and the record says how; with
    ``exercise_recorded``, how the party used each right is recorded too."""
    _only(params, ("rights", "documents", "exercise_recorded", "stage", "when"))
    rights = params.get("rights")
    if not isinstance(rights, list) or not rights or any(r not in RIGHTS for r in rights):
        raise ValueError(f"rights must be a non-empty list of {', '.join(RIGHTS)}")
    _doc_types(params.get("documents"))
    _check_bool(params, "exercise_recorded")
    _check_stage(params, required=True)
    _check_when(params.get("when"))


@rule_kind("service_method")
def _service_method(params: dict[str, Any]) -> None:
    """Each 送达回证 of the ``methods`` is complete (the catalogue's signature set for
    the method: 送达人, 受送达人 or 见证人), carries ``fields``, and the case keeps
    the ``documents`` the regulation names for it (邮寄登记、付邮凭证、回执、公告)."""
    _only(params, ("methods", "fields", "documents", "stage", "when"))
    methods = params.get("methods")
    if not isinstance(methods, list) or not methods or any(m not in SERVICE_METHODS for m in methods):
        raise ValueError(f"methods must be a non-empty list of {', '.join(SERVICE_METHODS)}")
    if "fields" in params:
        _check_fields(params["fields"], ["service_receipt"])
    if "documents" in params:
        _doc_types(params["documents"])
    _check_stage(params, required=True)
    _check_when(params.get("when"))


@rule_kind("demand_before_enforcement")
def _demand_before_enforcement(params: dict[str, Any]) -> None:
    """Before an enforcement decision or a court application (``enforcement``), a
    催告书 was made (``demand``); with ``served``, served on the party (a 送达回证
    naming it) before; with ``overdue``, the enforcement came after its deadline."""
    _only(params, ("demand", "enforcement", "served", "overdue", "stage", "when"))
    _doc_types([params.get("demand", "demand_notice")], "demand")
    _doc_types(params.get("enforcement"), "enforcement")
    _check_bool(params, "served", "overdue")
    _check_stage(params, required=True)
    _check_when(params.get("when"))


def _check_correction(params: dict[str, Any]) -> None:
    order = params.get("order", "rectification_order")
    verification = params.get("verification", "rectification_verification")
    _doc_types([order], "order")
    _doc_types([verification], "verification")
    _check_where(params.get("where"), [order])
    _check_when(params.get("when"))


@rule_kind("correction_recheck_deadline")
def _correction_recheck_deadline(params: dict[str, Any]) -> None:
    """Each correction order (责令改正) is re-checked by its due date (按期): a
    deadline per order, yellow before and red after."""
    _only(params, ("order", "verification", "where", "when"))
    _check_correction(params)


@rule_kind("correction_rechecked")
def _correction_rechecked(params: dict[str, Any]) -> None:
    """Each correction order has its written re-check (核查/复查) record naming it."""
    _only(params, ("order", "verification", "where", "stage", "when"))
    _check_correction(params)
    _check_stage(params, required=True)


@rule_kind("rules_filing")
def _rules_filing(params: dict[str, Any]) -> None:
    """The agency files its own recording rules with a named body (备案, GEN-14)."""
    _only(params, ("filed_with",))
    if params.get("filed_with") != "same_level_justice":
        raise ValueError("'filed_with' must be same_level_justice (本级政府司法行政部门)")


# The violations of the recording rules for which the regulations hold someone liable
# (SUP-05..09), by what was done; each rulebook lists those its article names.
LIABILITY_GROUNDS = {
    "no_system": "未建立记录制度",
    "not_recorded": "未记录或未按规定记录",
    "not_archived": "未按规定归档保存",
    "destroyed_altered": "毁损、删除、修改记录",
    "leaked": "泄露记录信息",
    "not_stored": "未按规定储存或维护致记录损毁、丢失",
    "other": "其他违反记录规定造成严重后果",
}


@rule_kind("liability")
def _liability(params: dict[str, Any]) -> None:
    """Who is held liable for which violation of the recording rules: the grounds the
    article lists, each with its item number and words (责任追究)."""
    _only(params, ("grounds",))
    grounds = params.get("grounds")
    if not isinstance(grounds, list) or not grounds:
        raise ValueError("'grounds' must list the article's items")
    for g in grounds:
        if not isinstance(g, dict) or set(g) != {"code", "item", "text"}:
            raise ValueError("each ground needs code, item and text")
        if g["code"] not in LIABILITY_GROUNDS:
            raise ValueError(f"unknown liability ground {g['code']!r}")


@rule_kind("rectification_order")
def _rectification_order(params: dict[str, Any]) -> None:
    """A supervising body may order the agency to rectify (SUP-04): who may issue,
    and whether the order must set a time limit (责令限期整改, erratum M3)."""
    _only(params, ("issuers", "time_limit"))
    issuers = params.get("issuers")
    if not isinstance(issuers, list) or not issuers:
        raise ValueError("'issuers' must list who may order rectification")
    unknown = [i for i in issuers if i not in RECTIFICATION_ISSUERS]
    if unknown:
        raise ValueError(f"unknown issuer(s) {', '.join(map(str, unknown))}")
    if not isinstance(params.get("time_limit"), bool):
        raise ValueError("'time_limit' must be true or false")


@rule_kind("file_complete")
def _file_complete(params: dict[str, Any]) -> None:
    """The case file is complete and in order (收集齐全，规范整理): every document
    complete, every audio-visual record filed under a step, no approval pending."""
    _only(params, ("stage", "when"))
    _check_stage(params, required=True)
    _check_when(params.get("when"))


# ---------------------------------------------------------------- audio-visual records


@rule_kind("av_upload_deadline")
def _av_upload_deadline(params: dict[str, Any]) -> None:
    """An audio-visual record is stored within ``within`` of its completion; where the
    rulebook allows it (``after_return``), work of one of the ``reasons`` (连续、异地、
    边远、水上、交通不便) may store it within ``after_return`` of returning instead."""
    parse_duration(params.get("within"))
    unknown = set(params) - {"within", "after_return", "reasons"}
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(sorted(unknown))}")
    if params.get("after_return") is None:
        if params.get("reasons"):
            raise ValueError("reasons need after_return")
        return
    parse_duration(params["after_return"])
    reasons = params.get("reasons")
    if not reasons or not isinstance(reasons, list):
        raise ValueError("after_return needs a non-empty list of reasons")
    bad = [r for r in reasons if r not in AV_DELAY_REASONS]
    if bad:
        raise ValueError(
            f"unknown reason(s) {', '.join(map(str, bad))} (known: {', '.join(AV_DELAY_REASONS)})"
        )


@rule_kind("no_time_limit")
def _no_time_limit(params: dict[str, Any]) -> None:
    """The regulation sets no time limit for ``subject`` (the article that governs it
    is cited): no deadline is made, and no reason for lateness is asked."""
    _only(params, ("subject",))
    if params.get("subject") not in NO_LIMIT_SUBJECTS:
        raise ValueError(f"subject must be one of {', '.join(NO_LIMIT_SUBJECTS)}")


@rule_kind("av_required")
def _av_required(params: dict[str, Any]) -> None:
    """The step each document in scope records (``activity``) has audio-visual records
    (linked to that document, or made during its recorded time), by a device of
    ``device_kinds`` if given, unless an exemption is recorded that ``exemption``
    allows: none, allowed (不适宜音像记录), or written_reason (and the reason is
    written down and signed). ``equivalent_means`` admits "音像记录等方式"."""
    _only(
        params,
        ("activity", "documents", "where", "exemption", "equivalent_means", "device_kinds", "stage", "when"),
    )
    if params.get("activity") not in AV_ACTIVITIES:
        raise ValueError(f"activity must be one of {', '.join(AV_ACTIVITIES)}")
    types = _doc_types(params.get("documents"))
    _check_where(params.get("where"), types)
    if params.get("exemption", "none") not in EXEMPTION_POLICIES:
        raise ValueError(f"exemption must be one of {', '.join(EXEMPTION_POLICIES)}")
    _check_bool(params, "equivalent_means")
    kinds = params.get("device_kinds")
    if kinds is not None and (
        not isinstance(kinds, list) or not kinds or any(k not in DEVICE_KINDS for k in kinds)
    ):
        raise ValueError(f"device_kinds must be a non-empty list of {', '.join(DEVICE_KINDS)}")
    _check_stage(params, required=True)
    _check_when(params.get("when"))


@rule_kind("av_prior_notice")
def _av_prior_notice(params: dict[str, Any]) -> None:
    """Where a step of these documents was recorded, the record says the other side
    was told beforehand (``field``, a yes/no field of the document)."""
    _only(params, ("documents", "field", "stage", "when"))
    types = _doc_types(params.get("documents"))
    field = params.get("field", "av_notice")
    missing = [t for t in types if field not in _field_keys([t])]
    if missing:
        raise ValueError(f"field {field!r} is not in {', '.join(missing)}")
    _check_stage(params, required=True)
    _check_when(params.get("when"))


@rule_kind("av_gaps_explained")
def _av_gaps_explained(params: dict[str, Any]) -> None:
    """Every pause in a recorded step is explained; a written explanation is signed
    by ``min_signers`` officers."""
    _only(params, ("min_signers", "stage", "when"))
    _check_int(params, "min_signers")
    _check_stage(params, required=True)
    _check_when(params.get("when"))


@rule_kind("av_linked")
def _av_linked(params: dict[str, Any]) -> None:
    """Every audio-visual record of the case is tied to its text record (音像记录应当
    与文字记录相衔接): linked to a document, or made within a document's recorded time."""
    _only(params, ("stage", "when"))
    _check_stage(params, required=True)
    _check_when(params.get("when"))


@rule_kind("av_classified")
def _av_classified(params: dict[str, Any]) -> None:
    """Every audio-visual record can be stored by its classification keys: 名称、记录
    设备编号、执法人员信息、使用时间、案件当事人、案由名称."""
    _only(params, ("stage", "when"))
    _check_stage(params, required=True)
    _check_when(params.get("when"))


# ---------------------------------------------------------------- access and confidentiality


def _check_categories(params: dict[str, Any]) -> None:
    categories = params.get("categories", list(SECRET_CATEGORIES))
    if (
        not isinstance(categories, list)
        or not categories
        or any(c not in SECRET_CATEGORIES for c in categories)
    ):
        raise ValueError(f"categories must be a non-empty list of {', '.join(SECRET_CATEGORIES)}")


@rule_kind("copy_request_approval")
def _copy_request_approval(params: dict[str, Any]) -> None:
    """A party may ask for copies (``modes``: copy, inspect) of a case's records; the
    request is released only after ``approver`` (agency_head: the role 批准人, called
    ``approver_title`` in the regulation) agrees. ``none``: the regulation names no
    approver and refers to ``handled_under``; the agency head then decides, stating
    the basis. Checked when the access services act."""
    _only(params, ("modes", "approver", "approver_title", "handled_under"))
    modes = params.get("modes", ["copy"])
    if not isinstance(modes, list) or not modes or any(m not in COPY_MODES for m in modes):
        raise ValueError(f"modes must be a non-empty list of {', '.join(COPY_MODES)}")
    if params.get("approver") not in COPY_APPROVERS:
        raise ValueError(f"approver must be one of {', '.join(COPY_APPROVERS)}")
    if params["approver"] == "agency_head" and not params.get("approver_title"):
        raise ValueError("approver agency_head needs approver_title (the regulation's words)")
    if params["approver"] == "none" and not params.get("handled_under"):
        raise ValueError("approver none needs handled_under (the rules the regulation refers to)")


@rule_kind("confidential_exclusion")
def _confidential_exclusion(params: dict[str, Any]) -> None:
    """Copying excludes records that must be kept confidential by law (依法应保密的
    除外): a record carrying a live mark of ``categories`` is withheld, citing the rule."""
    _only(params, ("categories",))
    _check_categories(params)


@rule_kind("confidentiality_managed")
def _confidentiality_managed(params: dict[str, Any]) -> None:
    """Records involving ``categories`` are marked, and their content is served only
    to the case's own staff whose role needs it (or whom the agency head approved)."""
    _only(params, ("categories",))
    _check_categories(params)


# ---------------------------------------------------------------- facts the texts ask recorded


@rule_kind("av_disc_archived")
def _av_disc_archived(params: dict[str, Any]) -> None:
    """Each recording of ``media_kinds`` used as evidence (tied to a text record) is
    listed on a signed disc label (``documents``) whose row gives each of ``labels``
    (记录的事项、时间、地点、方式、执法人员)."""
    _only(params, ("documents", "labels", "media_kinds", "stage", "when"))
    types = _doc_types(params.get("documents"))
    labels = params.get("labels")
    columns = {key for t in types for f in catalogue().types[t].fields for key, _ in f.columns}
    if not isinstance(labels, list) or not labels:
        raise ValueError("labels must be a non-empty list of the label's columns")
    if any(k not in columns for k in labels):
        raise ValueError(f"labels: not columns of {', '.join(types)}")
    kinds = params.get("media_kinds", ["audio", "video"])
    if not isinstance(kinds, list) or not kinds or any(k not in MEDIA_KINDS for k in kinds):
        raise ValueError(f"media_kinds must be a non-empty list of {', '.join(MEDIA_KINDS)}")
    _check_stage(params, required=True)
    _check_when(params.get("when"))


@rule_kind("document_fact_recorded")
def _document_fact_recorded(params: dict[str, Any]) -> None:
    """Each document in scope records a yes/no fact the regulation asks for as ``equals``
    (运用移动执法系统: yes); a scanned paper form is read by people."""
    _only(params, ("documents", "field", "equals", "stage", "when"))
    types = _doc_types(params.get("documents"))
    field = params.get("field")
    missing = [t for t in types if field not in _field_keys([t])]
    if not isinstance(field, str) or missing:
        raise ValueError(f"field {field!r} is not in {', '.join(missing or types)}")
    _check_bool(params, "equals")
    _check_stage(params, required=True)
    _check_when(params.get("when"))


@rule_kind("legal_review_recorded")
def _legal_review_recorded(params: dict[str, Any]) -> None:
    """Whenever the legal office reviewed (an approval granted through 法制审核), the case
    keeps its written review record (``documents``) carrying ``fields`` and signed —
    whether or not the decision is a major one."""
    _only(params, ("documents", "fields", "stage", "when"))
    types = _doc_types(params.get("documents"))
    _check_fields(params.get("fields"), types)
    _check_stage(params, required=True)
    _check_when(params.get("when"))


@rule_kind("simplified_path")
def _simplified_path(params: dict[str, Any]) -> None:
    """The simplified procedure's own path: the ``moves`` past the general stages it may
    take (terms.SIMPLIFIED_MOVES), and the rules of this rulebook that belong to the
    general procedure only (``general_only``), which a simplified case is not judged by."""
    _only(params, ("moves", "general_only"))
    moves = params.get("moves")
    if not isinstance(moves, list) or not moves or any(m not in SIMPLIFIED_MOVES for m in moves):
        raise ValueError(f"moves must be a non-empty list of {', '.join(SIMPLIFIED_MOVES)}")
    general_only = params.get("general_only", [])
    if not isinstance(general_only, list) or any(not isinstance(r, str) for r in general_only):
        raise ValueError("general_only must be a list of rule ids")
