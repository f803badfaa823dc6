from quanlu.ledger.types import event_type

CASE_OPENED = event_type("case:case:opened", "登记立案（程序启动）")
CASE_ADVANCED = event_type("case:stage:advanced", "进入下一阶段")
PARTY_ADDED = event_type("case:party:added", "登记当事人")
APPROVAL_REQUESTED = event_type("case:approval:requested", "提请审批")
APPROVAL_GRANTED = event_type("case:approval:granted", "审批同意")
APPROVAL_REJECTED = event_type("case:approval:rejected", "审批退回")
COMPLAINT_RECEIVED = event_type("case:complaint:received", "登记投诉举报")
COMPLAINT_INITIATED = event_type("case:complaint:initiated", "投诉举报启动执法程序")
COMPLAINT_DECLINED = event_type("case:complaint:declined", "投诉举报不启动执法程序")
APPLICATION_EVENT = event_type("case:application:recorded", "记录申请办理情况")
ACT_ENDED = event_type("case:act:ended", "记录执法行为终结")
ACT_END_CORRECTED = event_type("case:act:end_corrected", "更正执法行为终结日期")
