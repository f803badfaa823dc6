from quanlu.ledger.types import event_type

EXEMPTION_RECORDED = event_type("rulebook:exemption:recorded", "记录音像记录除外情形")
