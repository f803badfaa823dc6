from quanlu.ledger.types import event_type

DOCUMENT_CREATED = event_type("records:document:created", "制作文书")
DOCUMENT_UPLOADED = event_type("records:document:uploaded", "上传文书（扫描件或外部文书）")
VERSION_AMENDED = event_type("records:version:amended", "更正文书（新版本）")
SIGNATURE_ADDED = event_type("records:signature:added", "文书签名（盖章、捺手印）")
REFUSAL_RECORDED = event_type("records:refusal:recorded", "记录拒绝签字")
REFUSAL_ATTESTED = event_type("records:refusal:attested", "执法人员签字确认拒签情况")
DOCUMENT_COMPLETED = event_type("records:document:completed", "文书签署完毕")
DOCUMENT_VOIDED = event_type("records:document:voided", "作废未签署的文书")
