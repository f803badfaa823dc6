from quanlu.ledger.types import event_type

DEADLINE_OPENED = event_type("supervision:deadline:opened", "开始计算期限")
DEADLINE_MET = event_type("supervision:deadline:met", "期限事项完成")
ALERT_RAISED = event_type("supervision:alert:raised", "期限预警")
