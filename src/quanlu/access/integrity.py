"""Which access rows the ledger commits (see quanlu.ledger.records)."""

from quanlu.ledger.records import cover


def bind() -> None:
    from quanlu.access import models as m

    for model in (
        m.ConfidentialityMark,
        m.ContentGrant,
        m.CopyRequest,
        m.CopyRequestItem,
        m.CopyDecision,
        m.CopyFulfilment,
        m.ReleaseLine,
    ):
        cover(model)
