"""Which file-review rows the ledger commits (see quanlu.ledger.records)."""

from quanlu.ledger.records import cover


def bind() -> None:
    from quanlu.file_review import models as m

    for model in (m.ReviewSheet, m.Campaign, m.SampledCase, m.CaseScore, m.ItemScore, m.ReviewRectification):
        cover(model)
