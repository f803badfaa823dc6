"""Which field-capture rows the ledger commits (see quanlu.ledger.records)."""

from quanlu.ledger.records import cover


def bind() -> None:
    from quanlu.field import models as m

    for model in (m.FieldDevice, m.FieldCredential, m.DeviceRevocation, m.Takeout, m.Receipt):
        cover(model)
