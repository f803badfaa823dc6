from quanlu.ledger.types import event_type

BLOB_STORED = event_type("blob:blob:stored", "存储内容")
BLOB_DISPOSED = event_type("blob:blob:disposed", "销毁存储内容（保管期满，经批准）")
