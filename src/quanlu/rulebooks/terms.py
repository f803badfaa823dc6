"""The words rulebooks are written in: every value a rule's parameters may name, with
its Chinese label. These are the engine's own data, defined once here; the domain apps
build their choices from them (``cases.models.Stage``, the catalogue's stages and
rights), so a label the evaluator prints is the label the case page shows.
"""

from __future__ import annotations

# The stages of a case, in order (cases.models.Stage takes its labels from here).
STAGES = {
    "initiation": "程序启动",
    "investigation": "调查取证",
    "decision": "审查决定",
    "service": "送达",
    "execution": "执行",
    "archiving": "归档管理",
    "closed": "已结案",
}
# The stages a document can belong to (the catalogue's): every stage but the end.
DOC_STAGES = {k: v for k, v in STAGES.items() if k != "closed"}

# The approvals a case asks for (cases.models.ApprovalGate).
GATES = {
    "initiation": "立案（程序启动）审批",
    "decision": "处理决定审批",
    "enforcement": "强制执行审批",
    "closing": "结案审批",
}
PROCEDURES = ("general", "simplified")
# The moves the simplified procedure (简易程序) may take past the general stages, when
# the rulebook opens them (a ``simplified_path`` rule): decided and handed over on the
# spot, then filed. "from->to", with the label the case page shows.
SIMPLIFIED_MOVES = {
    "initiation->service": "当场作出决定，当场交付",
    "service->archiving": "当场交付完毕，转入归档",
}
MODES = ("ex_officio", "on_application", "complaint")
ACTION_TYPES = ("licensing", "penalty", "coercion", "levy", "fee", "inspection")

# Fields of the case record a rule may ask to be filled (their verbose names on Case).
CASE_FIELDS = {
    "source": "案件来源",
    "source_detail": "来源说明",
    "reason": "启动原因",
    "cause": "案由",
    "summary": "基本案情",
    "emergency_reason": "紧急情况说明",
}

# Application intake events (cases.models.ApplicationEventKind).
APPLICATION_EVENTS = {
    "registered": "申请登记",
    "oral": "口头申请",
    "corrected": "当场更正申请材料错误",
    "supplement_notice": "一次性告知需补正的全部内容",
    "supplemented": "申请人补正",
    "receipt": "出具书面凭证或回执",
    "accepted": "受理",
    "rejected": "不予受理",
}

# 告知权利 (REQUIREMENTS.md §5.6; names from the glossary), and how a party is told.
RIGHTS = {
    "statement": "陈述",
    "defense": "申辩",
    "recusal": "申请回避",
    "hearing": "申请听证",
    "reconsideration": "申请行政复议",
    "litigation": "提起行政诉讼",
}
NOTICE_METHODS = {"oral": "口头告知", "written": "书面告知", "oral_and_written": "口头及书面告知"}

SERVICE_METHODS = {
    "direct": "直接送达",
    "postal": "邮寄送达",
    "lodged": "留置送达",
    "entrusted": "委托送达",
    "forwarded": "转交送达",
    "public_notice": "公告送达",
}

# Recording devices (devices.models.DeviceKind; REQUIREMENTS §5.17).
DEVICE_KINDS = {
    "body_worn_recorder": "执法记录仪",
    "camera": "照相机",
    "video_camera": "摄像机",
    "audio_recorder": "录音机",
    "handheld_enforcement_terminal": "手持执法终端",
    "video_surveillance": "视频监控",
    "av_capture_storage_device": "音像资料采集存储设备",
}

# Steps whose audio-visual recording a regulation can require (REQUIREMENTS §5.8);
# an exemption names one of them.
AV_ACTIVITIES = {
    "onsite_inspection": "现场检查（勘验）",
    "sampling": "抽样取证（现场采样）",
    "onsite_inquiry": "现场询问",
    "hearing": "听证",
    "coercive_measure": "行政强制措施",
    "simplified_procedure": "简易程序执法行为",
    "lodged_service": "留置送达",
    "public_notice_service": "公告送达",
    "correction_verification": "改正情况核查（复查）",
    "restore_original_state": "排除妨碍、恢复原状",
}
# How a rule lets a step go without audio-visual recording.
EXEMPTION_POLICIES = ("none", "allowed", "written_reason")
MEDIA_KINDS = {"photo": "照片", "audio": "录音", "video": "录像"}  # media.models.MediaKind
# How a step went without it: unsuitable for recording, or recorded by other means.
EXEMPTION_KINDS = {
    "unsuitable": "不适宜音像记录",
    # "采用音像记录等方式记录送达过程": the step was recorded by other means.
    "equivalent_means": "以音像记录以外的其他方式记录",
}
# The signed document that gives the reason in writing (004 第十四条).
WRITTEN_REASON_TYPE = "av_exemption_reason"

AV_DELAY_REASONS = (
    "continuous_enforcement",
    "off_site_enforcement",
    "remote_area",
    "on_water",
    "poor_transport_access",
)

# What a regulation may be silent about the time of: each subject, the rule kind that
# sets its time limit where a regulation does, and its name. A rulebook whose text sets
# none says so with a ``no_time_limit`` rule citing the governing article, so nothing is
# demanded (no deadline, no reason for lateness) and the difference is data.
NO_LIMIT_SUBJECTS = {
    "av_upload": ("av_upload_deadline", "音像记录储存"),
}

SECRET_CATEGORIES = ("state_secret", "trade_secret", "personal_privacy")
COPY_MODES = ("copy", "inspect")
COPY_APPROVERS = ("agency_head", "none")

# Who a regulation lets order an agency to rectify (责令改正/责令限期整改), by the
# agency's place in the hierarchy; 有关部门 names no body the hierarchy can locate.
RECTIFICATION_ISSUERS = {
    "parent_agency": "上一级行政机关",
    "superior_agency": "上级行政机关",
    "same_level_justice": "本级政府司法行政部门",
    "related_department": "有关部门",
}
