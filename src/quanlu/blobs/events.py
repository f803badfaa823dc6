from quanlu.ledger.types import event_type

BLOB_STORED = event_type("blob:blob:stored", "存储内容")
