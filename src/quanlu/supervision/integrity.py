"""Which supervision rows the ledger commits (see quanlu.ledger.records)."""

from quanlu.ledger.records import cover


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
