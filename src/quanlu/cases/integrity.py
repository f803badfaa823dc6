"""Which case rows the ledger commits (see quanlu.ledger.records)."""

from quanlu.ledger.records import cover, exempt


def bind() -> None:
    from quanlu.cases import models as m

    for model in (
        m.Case,
        m.Party,
        m.StageTransition,
        m.Approval,
        m.ApprovalStep,
        m.Complaint,
        m.ApplicationEvent,
        m.ActEnd,
    ):
        cover(model)
    exempt(m.CaseNumberSequence, reason="计数器；它分配的案号随每个案件记入日志")
