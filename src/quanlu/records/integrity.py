"""Which text-record rows the ledger commits (see quanlu.ledger.records)."""

from quanlu.ledger.records import cover, exempt


def bind() -> None:
    from quanlu.records import models as m

    for model in (m.Document, m.Version, m.Signature, m.Refusal, m.RefusalAttestation, m.Voiding):
        cover(model)
    exempt(m.DocumentNumberSequence, reason="计数器；它分配的文号随每份文书记入日志")
