"""Which supervision rows the ledger commits (see quanlu.ledger.records)."""

from quanlu.ledger.records import cover, exempt


def bind() -> None:
    from quanlu.supervision import models as m

    for model in (
        m.Deadline,
        m.Alert,
        m.RectificationOrder,
        m.RectificationResponse,
        m.RectificationReview,
        m.RulebookFiling,
        m.RulebookFilingDecision,
        m.LiabilityCase,
        m.LiabilityEntry,
    ):
        cover(model)
    # Derived from the covered facts and rebuilt at will (quanlu supervision refresh).
    reason = "派生数据：由日志所覆盖的案件事实重新计算，可随时重建"
    exempt(m.CaseCompliance, reason=reason)
    exempt(m.ComplianceFinding, reason=reason)
