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
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "机关"
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="justice") | ~Q(rulebook_id=""),
                name="enforcement_agency_has_rulebook",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_justice(self) -> bool:
        return self.kind == AgencyKind.JUSTICE


class Role(models.TextChoices):
    OFFICER = "officer", "执法人员"
    HANDLER = "handler", "承办人"
    REVIEWER = "reviewer", "审核人"
    LEGAL_REVIEWER = "legal_reviewer", "法制审核人员"
    APPROVER = "approver", "批准人（机关负责人）"
    ARCHIVIST = "archivist", "档案管理人员"
    DEVICE_KEEPER = "device_keeper", "设备管理人员"
    SUPERVISOR = "supervisor", "执法监督人员"


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
    certificate_valid_from = models.DateField("证件有效期起", null=True, blank=True)
    certificate_valid_until = models.DateField("证件有效期至", null=True, blank=True)

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["certificate_no"], condition=~Q(certificate_no=""), name="unique_certificate_no"
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def certificate_valid_on(self, day: dt.date) -> bool:
        if not self.certificate_no or self.certificate_valid_until is None:
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


class RoleGrant(models.Model):
    """A role held by an officer; revoking sets ``revoked_at`` and keeps the row."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)

    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="role_grants")
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField("授予时间", auto_now_add=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

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
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = verbose_name
