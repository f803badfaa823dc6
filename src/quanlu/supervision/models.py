"""Deadlines that the law sets, with the rule that sets them; alerts derive from them;
rectification orders a supervising agency issues to an agency it supervises."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models

from quanlu.cases.models import Case
from quanlu.org.models import Agency, Officer
from quanlu.rulebooks import loader


class AlertLevel(models.TextChoices):
    NONE = "none", "正常"
    YELLOW = "yellow", "黄牌预警"
    RED = "red", "红牌逾期"


class Deadline(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    # Empty for a deadline set on the agency rather than a case (a rectification order's).
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="deadlines")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类别", max_length=48)
    # What the deadline is about within the case when there can be several of a kind
    # (a media record's upload, a correction order's re-check); empty for one per case.
    subject = models.CharField("对象", max_length=64, blank=True, default="")
    title = models.CharField("事项", max_length=200)
    starts_at = models.DateTimeField("起算时间")
    due_at = models.DateTimeField("期限")
    warn_at = models.DateTimeField("预警时间")
    rulebook_id = models.CharField(max_length=64)
    rule_id = models.CharField(max_length=64)
    article = models.CharField("条款", max_length=64)
    quote = models.TextField("条文")
    met_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "期限"
        verbose_name_plural = verbose_name
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "subject"], name="one_deadline_per_case_kind_subject"
            )
        ]
        # Open deadlines per agency by due time: the red/yellow counts and the to-do lists
        # read only these, a small share of all deadlines once a site is years old.
        indexes = [
            models.Index(
                fields=["agency", "due_at"], condition=models.Q(met_at__isnull=True), name="deadline_open"
            )
        ]

    @property
    def citation_label(self) -> str:
        """《规定标题》第X条, for people (``article`` keeps the regulation's file name)."""
        return loader.citation_label(self.article, self.rulebook_id)

    def level(self, now: dt.datetime) -> str:
        if self.met_at is not None:
            return AlertLevel.RED if self.met_at > self.due_at else AlertLevel.NONE
        if now > self.due_at:
            return AlertLevel.RED
        if now >= self.warn_at:
            return AlertLevel.YELLOW
        return AlertLevel.NONE

    def status_label(self, now: dt.datetime) -> str:
        if self.met_at is not None:
            return "逾期完成" if self.met_at > self.due_at else "按期完成"
        if now > self.due_at:
            return "已逾期"
        if now >= self.warn_at:
            return "即将到期"
        return "未到期"


class Alert(models.Model):
    """A yellow or red alert raised once per deadline and level by the sweep."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    deadline = models.ForeignKey(Deadline, on_delete=models.PROTECT, related_name="alerts")
    level = models.CharField("级别", max_length=8, choices=AlertLevel.choices)
    raised_at = models.DateTimeField("预警时间")

    class Meta:
        verbose_name = "预警"
        verbose_name_plural = verbose_name
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(fields=["deadline", "level"], name="one_alert_per_deadline_level")
        ]
        # The alerts list is read newest first (bench/bench_supervision.py at scale).
        indexes = [models.Index(fields=["-raised_at"], name="alert_raised")]


class RectificationStatus(models.TextChoices):
    ISSUED = "issued", "待整改"
    RESPONDED = "responded", "待验收"
    RETURNED = "returned", "退回重新整改"
    ACCEPTED = "accepted", "已验收"


class RectificationOrder(models.Model):
    """整改通知: a supervising agency orders an agency it supervises to correct what
    it found (SUP-04), under the rule of the agency's rulebook that allows it.

    Append-only: responses and reviews are rows of their own; the status derives from them.
    """

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="rectification_orders", verbose_name="整改机关"
    )
    issuer_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name="下达机关"
    )
    issued_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="下达人")
    issued_at = models.DateTimeField("下达时间")
    # Which clause of the rule the issuer stands on (superior_agency, same_level_justice, …).
    issuer_basis = models.CharField("下达依据", max_length=32)
    findings = models.TextField("发现的问题")
    requirements = models.TextField("整改要求")
    due_at = models.DateTimeField("整改期限", null=True, blank=True)
    # Snapshots at issue: the cases named and the evaluator's unmet findings with citations.
    cases = models.JSONField("涉及案件", default=list, blank=True)
    rule_findings = models.JSONField("规则检查发现", default=list, blank=True)
    rulebook_id = models.CharField(max_length=64)
    rule_id = models.CharField(max_length=64)
    article = models.CharField("条款", max_length=64)
    quote = models.TextField("条文")

    class Meta:
        verbose_name = "整改通知"
        verbose_name_plural = verbose_name
        ordering = ["-issued_at"]

    @property
    def citation_label(self) -> str:
        return loader.citation_label(self.article, self.rulebook_id)

    def latest_response(self) -> RectificationResponse | None:
        return self.responses.order_by("-responded_at", "-pk").first()

    @property
    def status(self) -> str:
        response = self.latest_response()
        if response is None:
            return RectificationStatus.ISSUED
        review = response.reviews.first()
        if review is None:
            return RectificationStatus.RESPONDED
        return (
            RectificationStatus.ACCEPTED
            if review.outcome == ReviewOutcome.ACCEPTED
            else RectificationStatus.RETURNED
        )

    def get_status_display(self) -> str:
        return str(RectificationStatus(self.status).label)


class RectificationResponse(models.Model):
    """The ordered agency's head reports the corrective measures taken."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(RectificationOrder, on_delete=models.PROTECT, related_name="responses")
    responded_by = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="+", verbose_name="报告人"
    )
    responded_at = models.DateTimeField("报告时间")
    measures = models.TextField("整改措施及结果")

    class Meta:
        verbose_name = "整改情况报告"
        verbose_name_plural = verbose_name
        ordering = ["responded_at", "pk"]


class ReviewOutcome(models.TextChoices):
    ACCEPTED = "accepted", "验收通过"
    RETURNED = "returned", "退回重新整改"


class RectificationReview(models.Model):
    """The issuing agency's verdict on one response: accepted (the order closes) or returned."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(RectificationOrder, on_delete=models.PROTECT, related_name="reviews")
    response = models.ForeignKey(RectificationResponse, on_delete=models.PROTECT, related_name="reviews")
    reviewed_by = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="+", verbose_name="验收人"
    )
    reviewed_at = models.DateTimeField("验收时间")
    outcome = models.CharField("结论", max_length=16, choices=ReviewOutcome.choices)
    opinion = models.TextField("意见", blank=True)

    class Meta:
        verbose_name = "整改验收"
        verbose_name_plural = verbose_name
        ordering = ["reviewed_at", "pk"]
        constraints = [
            # A response is judged once, and an order is accepted at most once, even
            # under concurrent reviews.
            models.UniqueConstraint(fields=["response"], name="one_review_per_rectification_response"),
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(outcome="accepted"),
                name="one_acceptance_per_rectification",
            ),
        ]


class RulebookFiling(models.Model):
    """An agency files the recording rules it applies (its bound rulebook version) with
    the body its regulation names (004 第三十二条: 本级政府司法行政部门). A new version is
    a new filing; a returned filing is answered by filing again."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="rulebook_filings", verbose_name="报备机关"
    )
    filed_with = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name="备案机关"
    )
    rulebook_id = models.CharField("规则集", max_length=64)
    rulebook_version = models.PositiveIntegerField("规则集版本")
    document_number = models.CharField("报备文号", max_length=100)
    attachment_sha256 = models.CharField("报备文本（SHA-256）", max_length=64, blank=True)
    attachment_name = models.CharField("报备文本文件名", max_length=200, blank=True)
    filed_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="报送人")
    filed_at = models.DateTimeField("报送时间")
    rule_id = models.CharField("依据规则", max_length=64)
    article = models.CharField("依据条文", max_length=200)

    class Meta:
        verbose_name = "记录制度备案"
        verbose_name_plural = verbose_name
        ordering = ["filed_at", "pk"]


class FilingOutcome(models.TextChoices):
    ACKNOWLEDGED = "acknowledged", "予以备案"
    RETURNED = "returned", "退回"


class RulebookFilingDecision(models.Model):
    """The filing body's answer: acknowledged (备案) or returned with the reason."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    filing = models.ForeignKey(RulebookFiling, on_delete=models.PROTECT, related_name="decisions")
    decided_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="审查人")
    decided_at = models.DateTimeField("审查时间")
    outcome = models.CharField("结论", max_length=16, choices=FilingOutcome.choices)
    reason = models.TextField("意见", blank=True)

    class Meta:
        verbose_name = "记录制度备案审查"
        verbose_name_plural = verbose_name
        # A filing is answered once, even under concurrent answers.
        constraints = [models.UniqueConstraint(fields=["filing"], name="one_decision_per_rulebook_filing")]


class LiabilityCase(models.Model):
    """责任追究: a supervising body's record of a violation of the recording rules by an
    agency or its staff, on a ground the agency's regulation lists, with the persons
    concerned and the evidence. What follows (decisions, closure) is appended as entries."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="liability_cases", verbose_name="涉及机关"
    )
    opened_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="立案人")
    opening_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name="监督机关"
    )
    opened_at = models.DateTimeField("立案时间")
    ground = models.CharField("违反情形", max_length=32)
    rulebook_id = models.CharField("规则集", max_length=64)
    rule_id = models.CharField("依据规则", max_length=64)
    article = models.CharField("依据条文", max_length=200)
    item_text = models.TextField("条文所列情形")
    facts = models.TextField("违法事实")
    # [{"officer": public id or "", "name": ..., "role": "leader" | "direct"}]
    persons = models.JSONField("责任人员", default=list)
    # [{"kind": "event" | "verification" | "case", "ref": ..., "label": ...}]
    evidence = models.JSONField("证据", default=list)

    class Meta:
        verbose_name = "责任追究"
        verbose_name_plural = verbose_name
        ordering = ["-opened_at", "pk"]


class LiabilityEntryKind(models.TextChoices):
    DECISION = "decision", "处理决定"
    CLOSURE = "closure", "结案"


class LiabilityEntry(models.Model):
    """A decision on a liability case (责令改正、处分建议、移送司法机关…) or its closure."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(LiabilityCase, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField("类别", max_length=16, choices=LiabilityEntryKind.choices)
    text = models.TextField("内容")
    by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="经办人")
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "责任追究处理"
        verbose_name_plural = verbose_name
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(kind="closure"), name="one_closure_per_liability_case"
            )
        ]


class ComplianceStatus(models.TextChoices):
    """How a case stands against one rule, as the evaluator judges it now. ``pending`` is
    the evaluator's "not applicable yet": the rule applies to the case but is not due —
    its stage not entered, or its deadline still running."""

    MET = "met", "符合"
    UNMET = "unmet", "不符合"
    PENDING = "pending", "尚未到期"
    NOT_APPLICABLE = "not_applicable", "不适用"


class CaseCompliance(models.Model):
    """The rulebook evaluation of one case, materialised (``supervision.compliance``):
    the counts of its findings by status and the audio-visual steps, so that supervisors'
    pages and statistics read grouped rows instead of judging every case on each request.

    Derived, rebuildable data, not a record: refreshed after each commit that changes the
    case's facts and by ``quanlu supervision refresh``, replacing the rows in place. The
    ledger commits the facts it is derived from, not this."""

    case = models.OneToOneField(Case, primary_key=True, on_delete=models.CASCADE, related_name="compliance")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    # Copied from the case so the period filter needs no join at a million cases.
    started_at = models.DateTimeField("程序启动时间")
    rulebook_id = models.CharField("规则集", max_length=64)
    rulebook_version = models.PositiveIntegerField("规则集版本")
    evaluated_at = models.DateTimeField("检查时间")
    # When time alone will change the judgement (the earliest running deadline); the
    # worker refreshes the case then. Empty when nothing is running.
    refresh_at = models.DateTimeField("下次检查时间", null=True, blank=True, db_index=True)
    met = models.PositiveIntegerField("符合", default=0)
    unmet = models.PositiveIntegerField("不符合", default=0)
    pending = models.PositiveIntegerField("尚未到期", default=0)
    not_applicable = models.PositiveIntegerField("不适用", default=0)
    # Steps (documents) that an applicable av_required rule asks to be recorded in audio
    # and video, counted once per rule and step: with a recording, excused by a recorded
    # exemption, or neither.
    av_required = models.PositiveIntegerField("应音像记录环节", default=0)
    av_recorded = models.PositiveIntegerField("已音像记录环节", default=0)
    av_exempted = models.PositiveIntegerField("依规免于音像记录环节", default=0)

    class Meta:
        verbose_name = "案件合规检查结果"
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["agency", "started_at"], name="compliance_agency_started")]


class ComplianceFinding(models.Model):
    """One rule's outcome for one case, materialised with its citation and message
    (derived, rebuildable: see ``CaseCompliance``). ``since`` is when the case first
    stood so against the rule (kept across refreshes while the status holds)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="compliance_findings")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField("程序启动时间")
    rulebook_id = models.CharField("规则集", max_length=64)
    rulebook_version = models.PositiveIntegerField("规则集版本")
    rule_id = models.CharField("规则", max_length=64)
    kind = models.CharField("规则类型", max_length=64)
    severity = models.CharField("严重程度", max_length=8)
    source = models.CharField("规定文件", max_length=200)
    article = models.CharField("条款", max_length=64)
    status = models.CharField("结论", max_length=16, choices=ComplianceStatus.choices)
    since = models.DateTimeField("起始时间")
    message = models.TextField("说明", blank=True)
    satisfy = models.TextField("如何满足", blank=True)
    # What the finding is about (document public ids, "type:<code>"), to withhold a
    # message quoting a marked record from a reader who may not read it.
    subjects = models.JSONField("涉及记录", default=list, blank=True)

    class Meta:
        verbose_name = "案件合规检查发现"
        verbose_name_plural = verbose_name
        ordering = ["case", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "rule_id"], name="one_finding_per_case_rule")]
        indexes = [
            models.Index(fields=["agency", "status", "rule_id"], name="finding_agency_status_rule"),
            models.Index(fields=["status", "agency", "started_at"], name="finding_status_agency_start"),
        ]

    @property
    def citation_label(self) -> str:
        return loader.citation_label(f"{self.source} {self.article}", self.rulebook_id)
