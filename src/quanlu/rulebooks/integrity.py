"""Which rulebook rows the ledger commits (see quanlu.ledger.records)."""

from quanlu.ledger.records import cover


def bind() -> None:
    from quanlu.rulebooks.models import Exemption

    cover(Exemption)
