"""Everything that can happen to a case: ``grep -r "def case_\\|def party_\\|def approval_" cases/services/``.

Each service is atomic, checks who may act, validates its input with Chinese
messages, and appends its ledger event in the same transaction. One module a section:
``common`` (the transitions table, the registries other apps add to, who may act),
``case`` (open, advance), ``parties``, ``approvals`` and ``intake`` (complaints and
applications). The services are re-exported here: ``from quanlu.cases.services import
case_advance``.
"""

from quanlu.cases.services.approvals import approval_grant, approval_reject, approval_request
from quanlu.cases.services.case import _case_open, case_act_end, case_advance, case_open
from quanlu.cases.services.common import (
    CASE_WORKERS,
    CLOSING_CHECKS,
    DEADLINE_KEEPERS,
    GATE_STAGES,
    ON_CLOSED,
    STEP_ROLES,
    TRANSITIONS,
    DeadlineKeeper,
    Transition,
    allowed_transitions,
    deadlines_refresh,
    transitions_for,
)
from quanlu.cases.services.intake import (
    application_event_record,
    complaint_decline,
    complaint_initiate,
    complaint_register,
)
from quanlu.cases.services.parties import party_add

__all__ = [
    "CASE_WORKERS",
    "CLOSING_CHECKS",
    "DEADLINE_KEEPERS",
    "GATE_STAGES",
    "ON_CLOSED",
    "STEP_ROLES",
    "TRANSITIONS",
    "DeadlineKeeper",
    "Transition",
    "_case_open",
    "allowed_transitions",
    "application_event_record",
    "approval_grant",
    "approval_reject",
    "approval_request",
    "case_act_end",
    "case_advance",
    "case_open",
    "complaint_decline",
    "complaint_initiate",
    "complaint_register",
    "deadlines_refresh",
    "party_add",
    "transitions_for",
]
