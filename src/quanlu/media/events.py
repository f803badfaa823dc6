from quanlu.ledger.types import event_type

MEDIA_INGESTED = event_type("media:record:ingested", "音像记录入库")
MEDIA_LINKED = event_type("media:record:linked", "关联音像记录与执法环节")
MEDIA_ASSIGNED = event_type("media:record:assigned", "音像记录归入案件")
MEDIA_VIEWED = event_type("media:record:viewed", "查看音像记录")
MEDIA_STREAMED = event_type("media:record:streamed", "播放音像记录")
MEDIA_DOWNLOADED = event_type("media:record:downloaded", "下载音像记录")
UPLOAD_STARTED = event_type("media:upload:started", "开始断点续传上传")
UPLOAD_TERMINATED = event_type("media:upload:terminated", "取消未完成的上传")
UPLOAD_EXPIRED = event_type("media:upload:expired", "清除过期未完成的上传")
UPLOAD_FAILED = event_type("media:upload:failed", "上传未通过校验")
GAP_DETECTED = event_type("media:gap:detected", "发现音像记录中断")
GAP_CLOSED = event_type("media:gap:closed", "音像记录中断已由补充片段衔接")
INTERRUPTION_RECORDED = event_type("media:interruption:recorded", "说明音像记录中断原因")
# Kept under the name it had when the rulebooks app recorded exemptions: the ledger's record.
EXEMPTION_RECORDED = event_type("rulebook:exemption:recorded", "记录音像记录除外情形")
