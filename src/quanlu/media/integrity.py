"""Which audio-visual rows the ledger commits (see quanlu.ledger.records)."""

from quanlu.ledger.records import cover, exempt


def bind() -> None:
    from quanlu.media import models as m

    for model in (m.MediaRecord, m.MediaLink, m.Gap, m.Interruption, m.InterruptionSignature):
        cover(model)
    # Moved from the rulebooks app: its rows keep the label the ledger has always named them by.
    cover(m.Exemption, label="rulebooks.exemption")
    exempt(
        m.Upload,
        # Rewritten with every chunk of an upload in progress (offset, expiry).
        reason="进行中的断点续传状态（偏移量、过期时间），每收到一段就改写；上传完成后成为音像记录，连同内容摘要记入日志",
    )
