"""Parameter validators of the rule kinds the foundation uses.

The rulebooks issue adds the evaluator's kinds here; each is small and tested.
"""

from __future__ import annotations

from typing import Any

from quanlu.rulebooks.loader import parse_duration, rule_kind

STAGES = ("initiation", "investigation", "decision", "service", "execution", "archiving", "closed")
GATES = ("initiation", "decision", "enforcement", "closing")
PROCEDURES = ("general", "simplified")
MODES = ("ex_officio", "on_application", "complaint")
ACTION_TYPES = ("licensing", "penalty", "coercion", "levy", "fee", "inspection")
CASE_FIELDS = ("source", "source_detail", "reason", "cause", "summary", "emergency_reason")


def _check_when(when: Any) -> None:
    if when is None:
        return
    if not isinstance(when, dict):
        raise ValueError("'when' must be a mapping")
    for key, allowed in (("procedure", PROCEDURES), ("initiation_mode", MODES), ("kind", ACTION_TYPES)):
        for value in when.get(key, []) or []:
            if value not in allowed:
                raise ValueError(f"when.{key}: unknown value {value!r}")
    unknown = set(when) - {"procedure", "initiation_mode", "kind", "major"}
    if unknown:
        raise ValueError(f"when: unknown condition(s) {', '.join(sorted(unknown))}")


@rule_kind("approval_required")
def _approval_required(params: dict[str, Any]) -> None:
    """Entering ``stage`` requires a granted approval at ``gate``."""
    if params.get("stage") not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}")
    if params.get("gate") not in GATES:
        raise ValueError(f"gate must be one of {GATES}")
    _check_when(params.get("when"))


@rule_kind("legal_review_required")
def _legal_review_required(params: dict[str, Any]) -> None:
    """An approval at ``gate`` must pass legal review (法制审核) before the approver."""
    if params.get("gate") not in GATES:
        raise ValueError(f"gate must be one of {GATES}")
    _check_when(params.get("when"))


@rule_kind("supplementary_approval_deadline")
def _supplementary_deadline(params: dict[str, Any]) -> None:
    """After an emergency start, the approval is due within ``within`` of the start."""
    parse_duration(params.get("within"))
    if params.get("gate", "initiation") not in GATES:
        raise ValueError(f"gate must be one of {GATES}")


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
    if params.get("stage") is not None and params["stage"] not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}")
    _check_when(params.get("when"))


@rule_kind("complaint_decline_notice")
def _complaint_decline_notice(params: dict[str, Any]) -> None:
    """A named complaint not taken up: the complainant is told, and how is recorded."""
    if params:
        raise ValueError("takes no parameters")


AV_DELAY_REASONS = (
    "continuous_enforcement",
    "off_site_enforcement",
    "remote_area",
    "on_water",
    "poor_transport_access",
)


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
