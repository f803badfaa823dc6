from quanlu.ledger.types import event_type

MARK_ADDED = event_type("access:mark:added", "标注涉密记录（国家秘密、商业秘密、个人隐私）")
MARK_LIFTED = event_type("access:mark:lifted", "解除涉密标注")
GRANT_ISSUED = event_type("access:grant:issued", "机关负责人批准查看涉密记录内容")
COPY_REGISTERED = event_type("access:copy_request:registered", "登记当事人复制（查阅）申请")
COPY_APPROVED = event_type("access:copy_request:approved", "同意复制（查阅）申请")
COPY_REFUSED = event_type("access:copy_request:refused", "不同意复制（查阅）申请")
COPY_FULFILLED = event_type("access:copy_request:fulfilled", "提供复制件（记录提供和不予提供的内容）")
