"""Cases, parties, stage transitions, approvals, complaints and application intake."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from quanlu.org.models import Agency, Officer
from quanlu.rulebooks.terms import APPLICATION_EVENTS, GATES, STAGES


class EnforcementKind(models.TextChoices):
    LICENSING = "licensing", "行政许可"
    PENALTY = "penalty", "行政处罚"
    COERCION = "coercion", "行政强制"
    LEVY = "levy", "行政征收征用"
    FEE = "fee", "行政收费"
    INSPECTION = "inspection", "行政检查"


class Procedure(models.TextChoices):
    GENERAL = "general", "一般程序"
    SIMPLIFIED = "simplified", "简易程序"


class InitiationMode(models.TextChoices):
    EX_OFFICIO = "ex_officio", "依职权启动"
    ON_APPLICATION = "on_application", "依申请启动"
    COMPLAINT = "complaint", "投诉、举报"


class CaseSource(models.TextChoices):
    ROUTINE = "routine", "日常管理"
    INSPECTION = "inspection", "监督检查"
    DISCOVERED = "discovered", "调查发现"
    COMPLAINT = "complaint", "投诉、举报"
    REFERRAL = "referral", "上级交办、部门移送"
    APPLICATION = "application", "当事人申请"
    OTHER = "other", "其他"


class Stage(models.TextChoices):
    # The labels are the rules engine's (one definition: the evaluator prints them too).
    INITIATION = "initiation", STAGES["initiation"]
    INVESTIGATION = "investigation", STAGES["investigation"]
    DECISION = "decision", STAGES["decision"]
    SERVICE = "service", STAGES["service"]
    EXECUTION = "execution", STAGES["execution"]
    ARCHIVING = "archiving", STAGES["archiving"]
    CLOSED = "closed", STAGES["closed"]


STAGE_ORDER: list[str] = [s.value for s in Stage]


class Case(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("案号", max_length=64, unique=True)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="cases", verbose_name="办案机关"
    )
    rulebook_id = models.CharField("适用规则集", max_length=64)
    kind = models.CharField("执法类别", max_length=16, choices=EnforcementKind.choices)
    procedure = models.CharField("程序", max_length=16, choices=Procedure.choices)
    initiation_mode = models.CharField("启动方式", max_length=16, choices=InitiationMode.choices)
    source = models.CharField("案件来源", max_length=16, choices=CaseSource.choices)
    source_detail = models.CharField("来源说明", max_length=500, blank=True)
    cause = models.CharField("案由", max_length=200)
    reason = models.TextField("启动原因", max_length=2000)
    summary = models.TextField("基本案情", max_length=5000, blank=True)
    is_major = models.BooleanField("重大行政执法决定", default=False)
    emergency = models.BooleanField("情况紧急先行启动", default=False)
    emergency_reason = models.TextField("紧急情况说明", max_length=2000, blank=True)
    stage = models.CharField("阶段", max_length=16, choices=Stage.choices, default=Stage.INITIATION)
    lead_officer = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="lead_cases", verbose_name="承办人"
    )
    opened_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="登记人")
    opened_at = models.DateTimeField("登记时间")
    started_at = models.DateTimeField("程序启动时间")
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    # A client-chosen key: the same form submitted twice opens one case.
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = "案件"
        verbose_name_plural = verbose_name
        ordering = ["-opened_at"]
        # Measured at scale (bench/bench_supervision.py): the case list walks the newest
        # cases of the visible agencies without sorting them all, and the statistics'
        # counts by kind, procedure and stage per agency and period read this index
        # alone (an index-only scan) instead of every case row.
        indexes = [
            models.Index(fields=["-opened_at"], name="case_opened"),
            models.Index(fields=["agency", "-opened_at"], name="case_agency_opened"),
            models.Index(
                fields=["agency", "started_at", "stage", "kind", "procedure"], name="case_statistics"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.cause}"


class CaseNumberSequence(models.Model):
    """The last case number used per agency and year (案号 run without gaps)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "year"], name="one_sequence_per_agency_year")
        ]


class ActEndKind(models.TextChoices):
    EXECUTED = "executed", "执行完毕"
    CONCLUDED = "concluded", "办结（无需执行）"
    TERMINATED = "terminated", "程序终止"


class ActEnd(models.Model):
    """The day the enforcement act ended (行政执法行为终结): every regulation counts the
    archive deadline from it. One per case; a correction is a new row replacing the
    current one (``replaces``), with its reason — never an edit."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="act_ends")
    ended_on = models.DateField("执法行为终结日期")
    kind = models.CharField("终结情形", max_length=16, choices=ActEndKind.choices)
    note = models.TextField("说明", max_length=2000, blank=True)
    # A row is replaced at most once, so the corrections of a case form one line.
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    correction_reason = models.TextField("更正理由", max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="+", verbose_name="记录人"
    )
    recorded_at = models.DateTimeField("记录时间")
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = "执法行为终结"
        verbose_name_plural = verbose_name
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(replaces__isnull=True), name="one_act_end_per_case"
            )
        ]


class PartyKind(models.TextChoices):
    PERSON = "person", "自然人"
    ORGANISATION = "organisation", "法人或其他组织"


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", "居民身份证"
    USCC = "uscc", "统一社会信用代码"
    PASSPORT = "passport", "护照"
    OTHER = "other", "其他证件"


class Party(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="parties")
    kind = models.CharField("类别", max_length=16, choices=PartyKind.choices)
    name = models.CharField("名称或姓名", max_length=200)
    id_type = models.CharField("证件类型", max_length=16, choices=IdType.choices)
    id_number = models.CharField("证件号码", max_length=64)
    legal_representative = models.CharField("法定代表人（负责人）", max_length=64, blank=True)
    address = models.CharField("住所（地址）", max_length=300, blank=True)
    phone = models.CharField("联系电话", max_length=32, blank=True)
    added_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField("登记时间")
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = "当事人"
        verbose_name_plural = verbose_name
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "id_type", "id_number"], name="party_once_per_case")
        ]

    def __str__(self) -> str:
        return self.name


class StageTransition(models.Model):
    """The history of a case's stages; ``Case.stage`` is the latest row's ``to_stage``."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="transitions")
    from_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=Stage.choices)
    actor = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField(max_length=2000, blank=True)

    class Meta:
        verbose_name = "阶段变更"
        verbose_name_plural = verbose_name
        ordering = ["at", "id"]


class ApprovalGate(models.TextChoices):
    INITIATION = "initiation", GATES["initiation"]
    DECISION = "decision", GATES["decision"]
    ENFORCEMENT = "enforcement", GATES["enforcement"]
    CLOSING = "closing", GATES["closing"]


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "审批中"
    GRANTED = "granted", "已批准"
    REJECTED = "rejected", "已退回"


class StepRole(models.TextChoices):
    REVIEW = "review", "审核"
    LEGAL_REVIEW = "legal_review", "法制审核"
    APPROVE = "approve", "批准"


class Approval(models.Model):
    """One request through the chain 承办人 → 审核人 → (法制审核) → 批准人."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="approvals")
    gate = models.CharField("审批事项", max_length=16, choices=ApprovalGate.choices)
    supplementary = models.BooleanField("补报", default=False)
    chain = models.JSONField("审批环节")  # list of StepRole values, fixed at request time
    requested_by = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="+", verbose_name="承办人"
    )
    requested_at = models.DateTimeField("提请时间")
    opinion = models.TextField("承办人意见", max_length=2000)
    reasons = models.TextField("理由", max_length=5000)
    status = models.CharField(
        "状态", max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    decided_at = models.DateTimeField("办结时间", null=True, blank=True)
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = "审批"
        verbose_name_plural = verbose_name
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "gate"], condition=Q(status="pending"), name="one_pending_approval_per_gate"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_gate_display()}（{self.get_status_display()}）"

    def next_step_index(self) -> int:
        return self.steps.count()

    def next_role(self) -> str | None:
        if self.status != ApprovalStatus.PENDING:
            return None
        index = self.next_step_index()
        return self.chain[index] if index < len(self.chain) else None


class StepOutcome(models.TextChoices):
    GRANTED = "granted", "同意"
    REJECTED = "rejected", "不同意（退回）"


class SignatureMethod(models.TextChoices):
    PASSWORD = "password", "密码确认签名"
    TOKEN = "token", "接口令牌签名"


class ApprovalStep(models.Model):
    """One signed opinion in the chain; (approval, index) is unique, so of two people
    acting on the same step at once exactly one is recorded."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)

    approval = models.ForeignKey(Approval, on_delete=models.PROTECT, related_name="steps")
    index = models.PositiveSmallIntegerField()
    role = models.CharField("环节", max_length=16, choices=StepRole.choices)
    actor = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="签署人")
    outcome = models.CharField("结论", max_length=16, choices=StepOutcome.choices)
    opinion = models.TextField("意见", max_length=2000)
    signed_at = models.DateTimeField("签署时间")
    signature_method = models.CharField("签名方式", max_length=16, choices=SignatureMethod.choices)

    class Meta:
        verbose_name = "审批步骤"
        verbose_name_plural = verbose_name
        ordering = ["approval", "index"]
        constraints = [models.UniqueConstraint(fields=["approval", "index"], name="one_record_per_step")]


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", "已登记"
    INITIATED = "initiated", "已启动执法程序"
    DECLINED = "declined", "不启动执法程序"


class Complaint(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="complaints")
    named = models.BooleanField("实名", default=False)
    complainant_name = models.CharField("投诉人、举报人", max_length=100, blank=True)
    complainant_contact = models.CharField("联系方式", max_length=100, blank=True)
    channel = models.CharField("受理渠道", max_length=32)
    content = models.TextField("投诉、举报内容", max_length=5000)
    received_at = models.DateTimeField("接收时间")
    recorder = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="记录人")
    status = models.CharField(
        max_length=16, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED
    )
    case = models.OneToOneField(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="complaint"
    )
    decline_reason = models.TextField("不启动理由", max_length=2000, blank=True)
    notified_at = models.DateTimeField("告知时间", null=True, blank=True)
    notify_method = models.CharField("告知方式", max_length=32, blank=True)
    notify_content = models.TextField("告知内容", max_length=2000, blank=True)
    decided_by = models.ForeignKey(Officer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = "投诉举报"
        verbose_name_plural = verbose_name
        ordering = ["-received_at"]


class ApplicationEventKind(models.TextChoices):
    REGISTERED = "registered", APPLICATION_EVENTS["registered"]
    ORAL = "oral", APPLICATION_EVENTS["oral"]
    CORRECTED = "corrected", APPLICATION_EVENTS["corrected"]
    SUPPLEMENT_NOTICE = "supplement_notice", APPLICATION_EVENTS["supplement_notice"]
    SUPPLEMENTED = "supplemented", APPLICATION_EVENTS["supplemented"]
    RECEIPT = "receipt", APPLICATION_EVENTS["receipt"]
    ACCEPTED = "accepted", APPLICATION_EVENTS["accepted"]
    REJECTED = "rejected", APPLICATION_EVENTS["rejected"]


class ApplicationEvent(models.Model):
    """Intake of an application (INIT-02/03); each is its own row, in order."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="application_events")
    kind = models.CharField("事项", max_length=24, choices=ApplicationEventKind.choices)
    detail = models.TextField("说明", max_length=5000, blank=True)
    items = models.JSONField("补正事项", default=list, blank=True)
    at = models.DateTimeField("时间")
    recorder = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "申请事项"
        verbose_name_plural = verbose_name
        ordering = ["at", "id"]
