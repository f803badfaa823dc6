from quanlu.ledger.types import event_type

CREDENTIAL_ENROLLED = event_type("field:credential:enrolled", "登记现场设备签名凭证")
DEVICE_REVOKED = event_type("field:device:revoked", "吊销现场采集设备")
CASE_TAKEN_OFFLINE = event_type("field:case:taken_offline", "案件离线携带")
RECORD_RECEIVED = event_type("field:record:received", "接收现场离线采集记录")
