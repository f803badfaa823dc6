"""Which archive rows the ledger commits (see quanlu.ledger.records)."""

from quanlu.ledger.records import cover, exempt


def bind() -> None:
    from quanlu.archive import models as m

    for model in (
        m.ArchiveSettings,
        m.Dossier,
        m.DossierItem,
        m.DossierCheck,
        m.LegalHold,
        m.DispositionRequest,
        m.DispositionApproval,
        m.PackageExport,
    ):
        cover(model)
    exempt(m.ArchiveNumberSequence, reason="计数器；它分配的档号随每个案卷记入日志")
