"""Which device rows the ledger commits (see quanlu.ledger.records)."""

from quanlu.ledger.records import cover, exempt


def bind() -> None:
    from quanlu.devices import models as m

    for model in (m.Device, m.Checkout, m.DeviceReturn, m.Incident):
        cover(model)
    exempt(m.DeviceNumberSequence, reason="计数器；它分配的编号随每台设备记入日志")
