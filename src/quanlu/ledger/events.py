from quanlu.ledger.types import event_type

ANCHOR_EXPORTED = event_type("ledger:anchor:exported", "导出检查点供外部锚定")
ANCHOR_VERIFIED = event_type("ledger:anchor:verified", "核验外部锚定的检查点")
VERIFICATION_COMPLETED = event_type("ledger:verification:completed", "完成日志完整性校验")
