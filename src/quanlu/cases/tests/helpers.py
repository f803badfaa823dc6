"""What the case service tests share."""

from quanlu.cases.models import Stage
from quanlu.ledger.models import Event


def events_of(case, type_=None):
    qs = Event.objects.filter(case_uid=case.public_id)
    return list(qs.filter(type=type_) if type_ else qs)


# The stages a case passes through to reach each stage.
PATH_TO = {
    Stage.INITIATION: [],
    Stage.INVESTIGATION: [Stage.INVESTIGATION],
    Stage.DECISION: [Stage.INVESTIGATION, Stage.DECISION],
    Stage.SERVICE: [Stage.INVESTIGATION, Stage.DECISION, Stage.SERVICE],
    Stage.EXECUTION: [Stage.INVESTIGATION, Stage.DECISION, Stage.SERVICE, Stage.EXECUTION],
    Stage.ARCHIVING: [Stage.INVESTIGATION, Stage.DECISION, Stage.SERVICE, Stage.EXECUTION, Stage.ARCHIVING],
    Stage.CLOSED: [
        Stage.INVESTIGATION,
        Stage.DECISION,
        Stage.SERVICE,
        Stage.EXECUTION,
        Stage.ARCHIVING,
        Stage.CLOSED,
    ],
}


def case_at(world, stage):
    """A case brought to ``stage`` with every approval the rulebook wants."""
    case = world.open_case()
    for step in PATH_TO[stage]:
        if step == Stage.INVESTIGATION:
            world.grant_gate(case, "initiation")
        if step == Stage.SERVICE:
            world.grant_gate(case, "decision")
        world.advance(case, step)
    return case
