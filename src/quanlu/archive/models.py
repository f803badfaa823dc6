"""Dossiers (案卷), their items and checks, the agency's archive settings, legal holds and
disposition (销毁) with two approvals.

Nothing is deleted: a dossier assembled again is a new version that supersedes the old one;
a sealed dossier only ever moves on to "disposed", and then its items keep their hashes.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.db.models import Q

from quanlu.cases.models import Case
from quanlu.org.models import Agency, Officer


class Retention(models.TextChoices):
    # GLOSSARY: 保管期限 永久 · 定期30年 · 定期10年.
    PERMANENT = "permanent", "永久"
    Y30 = "y30", "定期30年"
    Y10 = "y10", "定期10年"


RETENTION_YEARS = {Retention.Y30: 30, Retention.Y10: 10}
# DA/T 22-2015 保管期限代码 (docs/notes/archiving.md §2.5 marks them [M]; shown in the 档号).
RETENTION_CODES = {Retention.PERMANENT: "Y", Retention.Y30: "D30", Retention.Y10: "D10"}
# The label bag-info.txt carries (archive.package.RETENTION).
RETENTION_BAG_LABELS = {Retention.PERMANENT: "永久", Retention.Y30: "30年", Retention.Y10: "10年"}


class ArchiveSettings(models.Model):
    """An agency's archive settings (ARC-06: the agency sets retention by its enforcement risk).
    A change is a new row; the latest applies to dossiers assembled after it."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", verbose_name="机关")
    fonds_code = models.CharField("全宗号", max_length=16)
    fonds_name = models.CharField("全宗名称", max_length=100)
    category_code = models.CharField("门类代码", max_length=8)
    unit_code = models.CharField("机构（问题）代码", max_length=8)
    retention_general = models.CharField("一般程序案件保管期限", max_length=16, choices=Retention.choices)
    retention_simplified = models.CharField("简易程序案件保管期限", max_length=16, choices=Retention.choices)
    retention_major = models.CharField(
        "重大行政执法决定案件保管期限", max_length=16, choices=Retention.choices
    )
    retention_terminated = models.CharField(
        "未作出决定即终结的案件保管期限", max_length=16, choices=Retention.choices
    )
    changed_by = models.ForeignKey(
        Officer, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="设置人"
    )
    changed_at = models.DateTimeField("设置时间")

    class Meta:
        verbose_name = "档案设置"
        verbose_name_plural = verbose_name
        ordering = ["-changed_at", "-id"]


class ArchiveNumberSequence(models.Model):
    """The last 件号 used per agency, year and retention (档号 run without gaps)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    retention = models.CharField(max_length=16, choices=Retention.choices)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "year", "retention"], name="one_archive_sequence_per_agency_year_retention"
            )
        ]


class DossierStatus(models.TextChoices):
    ASSEMBLED = "assembled", "已组卷，待封卷"
    SUPERSEDED = "superseded", "已重新组卷（旧版本）"
    SEALED = "sealed", "已归档（封卷）"
    DISPOSED = "disposed", "已销毁（保留目录与摘要）"


# The one table of dossier states: what may follow what.
DOSSIER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    DossierStatus.ASSEMBLED: (DossierStatus.SUPERSEDED, DossierStatus.SEALED),
    DossierStatus.SUPERSEDED: (),
    DossierStatus.SEALED: (DossierStatus.DISPOSED,),
    DossierStatus.DISPOSED: (),
}
CURRENT_STATUSES = (DossierStatus.ASSEMBLED, DossierStatus.SEALED, DossierStatus.DISPOSED)


class Dossier(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="dossiers", verbose_name="案件")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", verbose_name="机关")
    version = models.PositiveIntegerField("组卷版本")
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    status = models.CharField("状态", max_length=16, choices=DossierStatus.choices)
    title = models.CharField("案卷题名", max_length=300)
    retention = models.CharField("保管期限", max_length=16, choices=Retention.choices)
    retention_reason = models.CharField("保管期限说明", max_length=500, blank=True)
    archive_number = models.CharField("档号", max_length=64, blank=True)
    fonds_code = models.CharField("全宗号", max_length=16)
    fonds_name = models.CharField("全宗名称", max_length=100)
    category_code = models.CharField("门类代码", max_length=8)
    unit_code = models.CharField("机构（问题）代码", max_length=8)
    start_date = models.DateField("起始日期")
    end_date = models.DateField("终止日期")
    documents = models.PositiveIntegerField("文书件数", default=0)
    media = models.PositiveIntegerField("音像记录件数", default=0)
    pages = models.PositiveIntegerField("文书页数", default=0)
    assembled_by = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="+", verbose_name="立卷人"
    )
    assembled_at = models.DateTimeField("组卷时间")
    sealed_by = models.ForeignKey(
        Officer, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="检查人"
    )
    sealed_at = models.DateTimeField("归档时间", null=True, blank=True)
    # The ledger checkpoint the dossier was sealed against (printed on the 备考表).
    checkpoint_origin = models.CharField("日志来源", max_length=255, blank=True)
    checkpoint_size = models.BigIntegerField("检查点树大小", null=True, blank=True)
    checkpoint_root = models.CharField("检查点根哈希", max_length=64, blank=True)
    checkpoint_note = models.TextField("签名检查点", blank=True)
    checkpoint_key = models.TextField("日志公钥", blank=True)
    disposed_at = models.DateTimeField("销毁时间", null=True, blank=True)

    class Meta:
        verbose_name = "案卷"
        verbose_name_plural = verbose_name
        ordering = ["-assembled_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="one_dossier_version_number_per_case"),
            # One current dossier per case: older versions are "superseded".
            models.UniqueConstraint(
                fields=["case"], condition=~Q(status="superseded"), name="one_current_dossier_per_case"
            ),
            models.UniqueConstraint(
                fields=["agency", "archive_number"],
                condition=~Q(archive_number=""),
                name="archive_number_unique_per_agency",
            ),
        ]

    def __str__(self) -> str:
        return self.archive_number or f"{self.case.number} 案卷（第{self.version}版）"

    @property
    def sealed(self) -> bool:
        return self.status in (DossierStatus.SEALED, DossierStatus.DISPOSED)

    def retention_until(self) -> dt.date | None:
        """The first day after the retention period: counted in whole years from 1 January
        after the year the case closed (periods of archives run by calendar year). None for
        permanent dossiers and for cases not closed yet."""
        years = RETENTION_YEARS.get(Retention(self.retention))
        if years is None or self.case.closed_at is None:
            return None
        from django.utils import timezone

        closed_year = timezone.localtime(self.case.closed_at).year
        return dt.date(closed_year + 1 + years, 1, 1)


class ItemKind(models.TextChoices):
    COVER = "cover", "案卷封面"
    INDEX = "index", "卷内目录"
    DOCUMENT = "document", "文书"
    MEDIA = "media", "音像记录"
    NOTE = "note", "卷内备考表"
    METADATA = "metadata", "元数据"
    REPORT = "report", "四性检测报告"
    REPORT_JSON = "report_json", "四性检测报告（数据）"


class DossierItem(models.Model):
    """One file of the dossier, in package order; documents and media also form one line of
    the 卷内目录 (``index_no`` = 顺序号)."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveIntegerField("排列顺序")
    index_no = models.PositiveIntegerField("顺序号", null=True, blank=True)
    kind = models.CharField("类别", max_length=16, choices=ItemKind.choices)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.BigIntegerField("字节数")
    media_type = models.CharField("格式", max_length=64)
    bag_path = models.CharField("包内路径", max_length=500)
    title = models.CharField("题名", max_length=300)
    doc_number = models.CharField("文号", max_length=64, blank=True)
    responsible = models.CharField("责任者", max_length=200, blank=True)
    date = models.DateField("日期", null=True, blank=True)
    pages = models.PositiveIntegerField("页数", default=0)
    page_from = models.PositiveIntegerField("起始页号", null=True, blank=True)
    page_to = models.PositiveIntegerField("终止页号", null=True, blank=True)
    source_uid = models.UUIDField("来源记录", null=True, blank=True)
    source_version = models.PositiveIntegerField("来源版本", null=True, blank=True)
    # The record's own bytes: differs from sha256 only where an uploaded PDF was converted to
    # PDF/A-2b for the dossier (the original stays in the system, named here and in the XML).
    source_sha256 = models.CharField("原件摘要", max_length=64, blank=True)
    # Audio-visual items: 事项、时间、地点、方式、执法人员、设备编号 (001 第二十八条), duration.
    av = models.JSONField("音像记录说明", default=dict, blank=True)
    note = models.CharField("备注", max_length=500, blank=True)

    class Meta:
        verbose_name = "卷内文件"
        verbose_name_plural = verbose_name
        ordering = ["dossier", "position"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "position"], name="one_item_per_position"),
            models.UniqueConstraint(fields=["dossier", "bag_path"], name="one_item_per_bag_path"),
        ]


class CheckGroup(models.TextChoices):
    # GLOSSARY: 四性检测 真实性 · 完整性 · 可用性 · 安全性.
    AUTHENTICITY = "authenticity", "真实性"
    INTEGRITY = "integrity", "完整性"
    USABILITY = "usability", "可用性"
    SECURITY = "security", "安全性"


class CheckResult(models.TextChoices):
    PASS = "pass", "通过"
    FAIL = "fail", "不通过"
    NA = "na", "不适用"


class DossierCheck(models.Model):
    """One 四性检测 item (DA/T 70, 归档 stage) as run when the dossier was sealed."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="checks")
    code = models.CharField("检测编号", max_length=16)
    group = models.CharField("类别", max_length=16, choices=CheckGroup.choices)
    name = models.CharField("检测项目", max_length=100)
    result = models.CharField("结果", max_length=8, choices=CheckResult.choices)
    message = models.TextField("说明", max_length=5000)
    at = models.DateTimeField("检测时间")

    class Meta:
        verbose_name = "四性检测结果"
        verbose_name_plural = verbose_name
        ordering = ["dossier", "id"]


class LegalHold(models.Model):
    """A hold (诉讼、复议、审计、监督检查 …) on a case's records: while active, nothing of the
    case may be disposed of, whatever the retention period says."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="legal_holds", verbose_name="案件")
    reason = models.TextField("保全事由", max_length=2000)
    placed_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="设置人")
    placed_at = models.DateTimeField("设置时间")
    released_by = models.ForeignKey(
        Officer, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="解除人"
    )
    released_at = models.DateTimeField("解除时间", null=True, blank=True)
    release_reason = models.TextField("解除理由", max_length=2000, blank=True)

    class Meta:
        verbose_name = "保全（禁止销毁）"
        verbose_name_plural = verbose_name
        ordering = ["-placed_at", "-id"]

    @property
    def active(self) -> bool:
        return self.released_at is None


class DispositionStatus(models.TextChoices):
    PENDING = "pending", "待批准"
    APPROVED = "approved", "已批准，待执行"
    REJECTED = "rejected", "未批准"
    EXECUTED = "executed", "已销毁"


class DispositionRequest(models.Model):
    """A request to dispose of a dossier at the end of its retention (鉴定 → 审批 → 销毁清册):
    two approvals by different approvers, then the archivist executes it."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="dispositions")
    reason = models.TextField("鉴定意见", max_length=2000)
    status = models.CharField("状态", max_length=16, choices=DispositionStatus.choices)
    requested_by = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="+", verbose_name="申请人"
    )
    requested_at = models.DateTimeField("申请时间")
    decided_at = models.DateTimeField("审批完成时间", null=True, blank=True)
    executed_by = models.ForeignKey(
        Officer, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="执行人"
    )
    executed_at = models.DateTimeField("执行时间", null=True, blank=True)
    register_sha256 = models.CharField("销毁清册摘要", max_length=64, blank=True)
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = "销毁申请"
        verbose_name_plural = verbose_name
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier"],
                condition=Q(status__in=["pending", "approved"]),
                name="one_open_disposition_per_dossier",
            )
        ]


class ApprovalOutcome(models.TextChoices):
    APPROVED = "approved", "同意销毁"
    REJECTED = "rejected", "不同意"


class DispositionApproval(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(DispositionRequest, on_delete=models.PROTECT, related_name="approvals")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="审批人")
    outcome = models.CharField("结论", max_length=16, choices=ApprovalOutcome.choices)
    opinion = models.TextField("意见", max_length=2000)
    signature_method = models.CharField("签名方式", max_length=16)
    signed_at = models.DateTimeField("签署时间")

    class Meta:
        verbose_name = "销毁审批"
        verbose_name_plural = verbose_name
        ordering = ["signed_at", "id"]
        constraints = [
            # The same person cannot approve twice: of two concurrent attempts one is recorded.
            models.UniqueConstraint(fields=["request", "officer"], name="one_approval_per_officer")
        ]


class PackageExport(models.Model):
    """One archive package written from a sealed dossier (``quanlu archive export``)."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="exports")
    path = models.CharField("导出位置", max_length=1000)
    exported_by = models.ForeignKey(
        Officer, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="导出人"
    )
    exported_at = models.DateTimeField("导出时间")
    files = models.PositiveIntegerField("文件数")
    bytes = models.BigIntegerField("字节数")
    payload_oxum = models.CharField(max_length=64)
    checkpoint_size = models.BigIntegerField("检查点树大小")
    checkpoint_root = models.CharField("检查点根哈希", max_length=64)
    seal = models.JSONField("标签清单摘要", default=dict)
    # The package as the one tar file the archivist downloads (archive/tarstream.py): the
    # tar is deterministic, so its digest, taken once at export, is that of every download
    # of the unchanged folder. Empty for exports made before downloads existed.
    tar_sha256 = models.CharField("下载文件 SHA-256", max_length=64, blank=True, default="")
    tar_bytes = models.BigIntegerField("下载文件字节数", default=0)

    class Meta:
        verbose_name = "档案包导出"
        verbose_name_plural = verbose_name
        ordering = ["-exported_at", "-id"]
