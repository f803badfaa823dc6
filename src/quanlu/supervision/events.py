from quanlu.ledger.types import event_type

DEADLINE_OPENED = event_type("supervision:deadline:opened", "开始计算期限")
DEADLINE_MET = event_type("supervision:deadline:met", "期限事项完成")
DEADLINE_MOVED = event_type("supervision:deadline:moved", "期限起算事件变更，重新计算期限")
ALERT_RAISED = event_type("supervision:alert:raised", "期限预警")
RECTIFICATION_ISSUED = event_type("supervision:rectification:issued", "下达整改通知")
RECTIFICATION_RESPONDED = event_type("supervision:rectification:responded", "报告整改情况")
RECTIFICATION_ACCEPTED = event_type("supervision:rectification:accepted", "整改验收通过")
RECTIFICATION_RETURNED = event_type("supervision:rectification:returned", "整改退回")
