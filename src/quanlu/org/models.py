"""Agencies (in a hierarchy), the regions justice bureaus supervise, and officers."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class Region(models.Model):
    """An administrative division (省 → 市 → 县); justice bureaus supervise one."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField("行政区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=64)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path of primary keys ("/1/4/9/") so a subtree is one prefix query.
    path = models.CharField(max_length=255, db_index=True, editable=False)

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return self.name


class AgencyKind(models.TextChoices):
    ENFORCEMENT = "enforcement", "行政执法机关"
    JUSTICE = "justice", "司法行政部门"
    # Other departments the law lets supervise enforcement (e.g. 审计、监察): they hold no
    # rulebook and open no cases, like a justice bureau.
    SUPERVISING = "supervising", "其他监督部门"


class AgencyLevel(models.TextChoices):
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    COUNTY = "county", "县级"
    DEPARTMENT = "department", "内设机构"


class Agency(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100, unique=True)
    # Used in case numbers: 遵环罚〔2026〕12号 → prefix 遵环.
    case_prefix = models.CharField("案号前缀", max_length=16, blank=True)
    kind = models.CharField("类别", max_length=16, choices=AgencyKind.choices)
    level = models.CharField("层级", max_length=16, choices=AgencyLevel.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="agencies", verbose_name="行政区划"
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="上级机关",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    rulebook_id = models.CharField("适用规则集", max_length=64, blank=True)
    # 统一社会信用代码 (GB 32100-2015), checked with its check character when given.
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "机关"
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["justice", "supervising"]) | ~Q(rulebook_id=""),
                name="enforcement_agency_has_rulebook",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_justice(self) -> bool:
        return self.kind == AgencyKind.JUSTICE

    @property
    def enforces(self) -> bool:
        return self.kind == AgencyKind.ENFORCEMENT


class AgencySettings(models.Model):
    """The agency's document particulars, one version per change (the latest is in
    force); the archive's 全宗号 and 档号 codes live in ``archive.ArchiveConfiguration``."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="settings_versions", verbose_name="机关"
    )
    version = models.PositiveIntegerField("版本")
    document_name = models.CharField("文书上的机关全称", max_length=100)
    # 遵环〔YYYY〕N号: YYYY is the year, N the sequence number.
    case_number_pattern = models.CharField("案号格式", max_length=64)
    reason = models.CharField("变更原因", max_length=500, blank=True)
    created_by = models.ForeignKey(
        "Officer", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="设置人"
    )
    created_at = models.DateTimeField("设置时间", auto_now_add=True)

    class Meta:
        verbose_name = "机关文书设置"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["agency", "version"], name="one_settings_version")]


class Role(models.TextChoices):
    OFFICER = "officer", "执法人员"
    HANDLER = "handler", "承办人"
    REVIEWER = "reviewer", "审核人"
    LEGAL_REVIEWER = "legal_reviewer", "法制审核人员"
    APPROVER = "approver", "批准人（机关负责人）"
    ARCHIVIST = "archivist", "档案管理人员"
    DEVICE_KEEPER = "device_keeper", "设备管理人员"
    SUPERVISOR = "supervisor", "执法监督人员"
    ADMINISTRATOR = "administrator", "系统管理员"


class Officer(AbstractUser):
    """A person who signs in: an enforcement officer or other agency staff.

    Only officers with a valid certificate (执法证件) may count as enforcement
    officers on site; other staff (archivists, device keepers) may have none.
    """

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    full_name = models.CharField("姓名", max_length=64)
    agency = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officers",
        verbose_name="所属机关",
    )
    certificate_no = models.CharField("执法证件编号", max_length=32, blank=True)
    # The current certificate's 发证机关: numbers are unique per issuing authority, not
    # nationwide (two provinces may both issue No. 0001).
    certificate_issuer = models.CharField("执法证件发证机关", max_length=100, blank=True)
    certificate_valid_from = models.DateField("证件有效期起", null=True, blank=True)
    certificate_valid_until = models.DateField("证件有效期至", null=True, blank=True)
    # Mirrors the current certificate's status (Certificate): a suspended or revoked one
    # signs nothing.
    certificate_suspended = models.BooleanField("证件已暂扣或吊销", default=False)
    # 居民身份证号码 (GB 11643-1999), checked with its check digit when given.
    id_number = models.CharField("身份证号码", max_length=18, blank=True)
    # Set by an administrator's password reset: the next sign-in must choose a new one.
    must_change_password = models.BooleanField("须修改密码", default=False)

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["certificate_issuer", "certificate_no"],
                condition=~Q(certificate_no=""),
                name="unique_certificate_no_per_issuer",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def certificate_valid_on(self, day: dt.date) -> bool:
        if not self.certificate_no or self.certificate_valid_until is None or self.certificate_suspended:
            return False
        start = self.certificate_valid_from or dt.date.min
        return start <= day <= self.certificate_valid_until

    def role_set(self) -> frozenset[str]:
        cached: frozenset[str] | None = getattr(self, "_role_cache", None)
        if cached is None:
            cached = frozenset(
                self.role_grants.filter(revoked_at__isnull=True).values_list("role", flat=True)
            )
            self._role_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set() & set(roles))


class CertificateStatus(models.TextChoices):
    ACTIVE = "active", "有效"
    SUSPENDED = "suspended", "暂扣"
    # Final: a revoked certificate is never restored; the officer needs a new one.
    REVOKED = "revoked", "吊销"


class Certificate(models.Model):
    """An enforcement certificate (执法证件). A renewal is a new row naming the one it
    replaces; the officer's current certificate is the latest."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    officer = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="certificates", verbose_name="持证人"
    )
    number = models.CharField("证件编号", max_length=32)
    issuing_authority = models.CharField("发证机关", max_length=100)
    area = models.CharField("执法区域", max_length=100, blank=True)
    category = models.CharField("执法类别", max_length=100, blank=True)
    valid_from = models.DateField("有效期起", null=True, blank=True)
    valid_until = models.DateField("有效期至")
    # A state that moves (suspension and its lifting), each move its own event.
    status = models.CharField(
        "状态", max_length=16, choices=CertificateStatus.choices, default=CertificateStatus.ACTIVE
    )
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="替换证件"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "执法证件"
        verbose_name_plural = verbose_name
        constraints = [
            # A renewal may keep its number: the pair is unique per validity start.
            models.UniqueConstraint(
                fields=["issuing_authority", "number", "valid_from"], name="unique_certificate_per_issuer"
            )
        ]


class RoleGrant(models.Model):
    """A role held by an officer; revoking sets ``revoked_at`` and keeps the row."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)

    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="role_grants")
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField("授予时间", auto_now_add=True)
    reason = models.CharField("授予原因", max_length=500, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoke_reason = models.CharField("撤销原因", max_length=500, blank=True)

    class Meta:
        verbose_name = "角色"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["officer", "role"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_grant_per_role",
            )
        ]


class ApiToken(models.Model):
    """A bearer token for terminals and scripts; only its SHA-256 is stored."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="api_tokens")
    label = models.CharField("用途", max_length=64)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("签发时间", auto_now_add=True)
    # Tokens issued before expiry existed have none and stay valid until revoked.
    expires_at = models.DateTimeField("有效期至", null=True, blank=True)
    # Like Django's last_login: written at use, outside the ledger (see integrity.py).
    last_used_at = models.DateTimeField("最近使用时间", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = verbose_name


class LoginFailure(models.Model):
    """A failed sign-in, by the username typed (which may name nobody): the count
    behind the lockout. A security log, not agency content.

    Kept, never purged, although only the last window's rows count towards a lock: the
    Cybersecurity Law (网络安全法 art. 21(3)) wants network logs kept at least six months
    and 等保 2.0's security audit wants failed sign-ins among them; most failures lead to
    no lock, so nothing else records them (AccountLock holds only the locks). The table
    grows by one short row per wrong password; every read is one username's recent
    rows (``lock_in_force``, ``login_failure_record``), which the (username, at) index
    answers without reading older ones."""

    username = models.CharField("用户名", max_length=150)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "登录失败记录"
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["username", "at"], name="org_loginfailure_name_at")]


class AccountLock(models.Model):
    """An account locked after repeated failed sign-ins (等保 2.0 登录失败处理), until
    ``until`` or an administrator's unlock."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="locks", verbose_name="人员")
    locked_at = models.DateTimeField("锁定时间", auto_now_add=True)
    until = models.DateTimeField("锁定至")
    failures = models.PositiveIntegerField("失败次数")
    unlocked_at = models.DateTimeField("解锁时间", null=True, blank=True)
    unlocked_by = models.ForeignKey(
        Officer, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="解锁人"
    )
    unlock_reason = models.CharField("解锁原因", max_length=500, blank=True)

    class Meta:
        verbose_name = "账号锁定"
        verbose_name_plural = verbose_name
