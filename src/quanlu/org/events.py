from quanlu.ledger.types import event_type

REGION_CREATED = event_type("org:region:created", "登记行政区划")
AGENCY_CREATED = event_type("org:agency:created", "登记机关")
OFFICER_CREATED = event_type("org:officer:created", "登记人员")
OFFICER_DEACTIVATED = event_type("org:officer:deactivated", "停用人员账号")
ROLE_GRANTED = event_type("org:role:granted", "授予角色")
ROLE_REVOKED = event_type("org:role:revoked", "撤销角色")
TOKEN_CREATED = event_type("org:token:created", "签发接口令牌")
TOKEN_REVOKED = event_type("org:token:revoked", "吊销接口令牌")
