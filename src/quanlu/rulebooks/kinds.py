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


def _check_when(when: Any) -> None:
    if when is None:
        return
    if not isinstance(when, dict):
        raise ValueError("'when' must be a mapping")
    for key, allowed in (("procedure", PROCEDURES), ("initiation_mode", MODES)):
        for value in when.get(key, []) or []:
            if value not in allowed:
                raise ValueError(f"when.{key}: unknown value {value!r}")
    unknown = set(when) - {"procedure", "initiation_mode", "major"}
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
