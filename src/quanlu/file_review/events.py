from quanlu.ledger.types import event_type

SHEET_CREATED = event_type("file_review:sheet:created", "发布案卷评查标准")
CAMPAIGN_OPENED = event_type("file_review:campaign:opened", "开展案卷评查并抽取案卷")
CASE_SCORED = event_type("file_review:case:scored", "案卷评查评分")
RECTIFICATION_LINKED = event_type("file_review:rectification:issued", "依案卷评查下达整改通知")
CAMPAIGN_CLOSED = event_type("file_review:campaign:closed", "案卷评查结束")
