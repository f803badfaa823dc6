"""Text records (文字记录): documents, their versions, signatures and refusals.

Nothing here is changed after it is written: a correction is a new version that
names the one it replaces, the fields it changes and why. Rendered PDF/DOCX and
signature images live in the blob store and are referenced by SHA-256.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from quanlu.cases.models import Case
from quanlu.org.models import Agency, Officer


class Origin(models.TextChoices):
    FILLED = "filled", "系统制作"
    UPLOADED = "uploaded", "上传（扫描件或外部文书）"


class Document(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents", verbose_name="案件")
    type_code = models.CharField("文书类型", max_length=64, db_index=True)
    title = models.CharField("文书名称", max_length=100)
    stage = models.CharField("阶段", max_length=16)
    origin = models.CharField("来源", max_length=16, choices=Origin.choices)
    number = models.CharField("文号", max_length=64, blank=True)
    issuer = models.CharField("出具机构", max_length=200, blank=True)
    created_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="制作人")
    created_at = models.DateTimeField("制作时间")
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = "文书"
        verbose_name_plural = verbose_name
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.title}{'（' + self.number + '）' if self.number else ''}"


class DocumentNumberSequence(models.Model):
    """The last 文号 serial per agency, document abbreviation and year."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    abbr = models.CharField(max_length=16)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "abbr", "year"], name="one_doc_sequence_per_agency_abbr_year"
            )
        ]


class Version(models.Model):
    """One state of a document's content. Version 1 is what was made; each later
    one is an amendment naming the version it replaces."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField("版本")
    fields = models.JSONField("内容", default=dict)
    content_sha256 = models.CharField("内容摘要", max_length=64)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    changed_fields = models.JSONField("更正的栏目", default=list, blank=True)
    reason = models.TextField("更正理由", max_length=2000, blank=True)
    created_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("时间")
    signature_method = models.CharField("签名方式", max_length=16, blank=True)
    # The rendering of this version as made (unsigned): what is printed for paper signing.
    pdf_sha256 = models.CharField("PDF摘要", max_length=64, blank=True)
    docx_sha256 = models.CharField("DOCX摘要", max_length=64, blank=True)
    page_count = models.PositiveIntegerField("页数", default=0)
    # An uploaded document's file (scan or born-digital PDF).
    file_sha256 = models.CharField("文件摘要", max_length=64, blank=True)
    file_type = models.CharField("文件类型", max_length=64, blank=True)
    file_name = models.CharField("原文件名", max_length=200, blank=True)
    # Set once, when this version's required signature set is first satisfied,
    # with the rendering as signed (signatures, seal and refusal notes on it).
    completed_at = models.DateTimeField("签署完毕时间", null=True, blank=True)
    signed_pdf_sha256 = models.CharField("签署后PDF摘要", max_length=64, blank=True)
    signed_docx_sha256 = models.CharField("签署后DOCX摘要", max_length=64, blank=True)

    class Meta:
        verbose_name = "文书版本"
        verbose_name_plural = verbose_name
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="one_version_number_per_document")
        ]


class SignatureKind(models.TextChoices):
    SIGNATURE = "signature", "签名"
    SEAL = "seal", "盖章"
    FINGERPRINT = "fingerprint", "捺手印"
    STRADDLE_SEAL = "straddle_seal", "骑缝章（骑缝手印）"


class CaptureMethod(models.TextChoices):
    PASSWORD = "password", "密码确认签名"
    TOKEN = "token", "接口令牌签名"
    TOUCH = "touch", "触屏手写签名"
    PAPER = "paper", "纸质签名页扫描"
    # Signed offline with the officer's PIN-protected key enrolled on a field device;
    # the server verified the ECDSA signature on receipt (quanlu.field).
    DEVICE_KEY = "device_key", "现场设备密钥签名"


class Signature(models.Model):
    """A mark on a document: an officer's re-authenticated signature, the agency
    seal applied by an officer, or a person's mark captured on a touch screen or
    on a signed paper page (the image is stored as a blob)."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="signatures")
    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="signatures")
    slot = models.CharField("签署栏", max_length=64)
    role = models.CharField("身份", max_length=32)
    kind = models.CharField("方式", max_length=16, choices=SignatureKind.choices)
    officer = models.ForeignKey(Officer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField("签署人", max_length=100)
    method = models.CharField("签署途径", max_length=16, choices=CaptureMethod.choices)
    image_sha256 = models.CharField("签名图像摘要", max_length=64, blank=True)
    image_type = models.CharField(max_length=32, blank=True)
    recorded_by = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="+", verbose_name="记录人"
    )
    signed_at = models.DateTimeField("签署时间")
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = "签名"
        verbose_name_plural = verbose_name
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "slot", "officer", "kind"],
                condition=Q(officer__isnull=False),
                name="officer_signs_a_slot_once_per_version",
            )
        ]


class Refusal(models.Model):
    """A person's refusal to sign, noted in the document with the reason; officers
    attest it (at least two where the regulation asks, 001 第十四条)."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="refusals")
    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="refusals")
    slot = models.CharField("签署栏", max_length=64)
    role = models.CharField("身份", max_length=32)
    person_name = models.CharField("拒签人", max_length=100)
    reason = models.TextField("拒签理由及情况", max_length=2000)
    recorded_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "拒绝签字"
        verbose_name_plural = verbose_name
        ordering = ["recorded_at", "id"]


class RefusalAttestation(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    refusal = models.ForeignKey(Refusal, on_delete=models.PROTECT, related_name="attestations")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+")
    method = models.CharField("签署途径", max_length=16, choices=CaptureMethod.choices)
    signed_at = models.DateTimeField("签署时间")

    class Meta:
        verbose_name = "拒签见证"
        verbose_name_plural = verbose_name
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["refusal", "officer"], name="one_attestation_per_officer")
        ]


class Voiding(models.Model):
    """A draft made by mistake, voided with the reason (作废). The document and its
    versions stay as they were, readable; the rules no longer look at it. Only an
    unsigned document may be voided: a signed one is corrected by a new version."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    document = models.OneToOneField(
        Document, on_delete=models.PROTECT, related_name="voiding", verbose_name="文书"
    )
    reason = models.TextField("作废理由", max_length=2000)
    voided_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="作废人")
    voided_at = models.DateTimeField("作废时间")

    class Meta:
        verbose_name = "文书作废"
        verbose_name_plural = verbose_name
        ordering = ["voided_at", "id"]
