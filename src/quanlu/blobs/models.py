"""The registry of stored blobs: size and digests, recorded once per content."""

from __future__ import annotations

from django.db import models


class Blob(models.Model):
    sha256 = models.CharField("SHA-256", max_length=64, primary_key=True)
    size = models.BigIntegerField("字节数")
    sm3 = models.CharField("SM3", max_length=64, blank=True)
    # Computed at ingest so that archive packages (BagIt SHA-512 manifests) reuse it
    # instead of reading every byte again.
    sha512 = models.CharField("SHA-512", max_length=128, blank=True)
    stored_at = models.DateTimeField("存储时间", auto_now_add=True)

    class Meta:
        verbose_name = "存储内容"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.sha256[:12]}… ({self.size} B)"


class Tombstone(models.Model):
    """What remains of a blob whose bytes were disposed of at the end of their retention:
    its digests and size (the row of ``Blob`` stays too), who disposed of it, and on whose
    authority. The bytes are gone; the hashes, and the ledger events naming them, stay forever.
    Written only by ``blob_dispose``, in the transaction of the ``blob:blob:disposed`` event."""

    blob = models.OneToOneField(
        Blob, primary_key=True, on_delete=models.PROTECT, related_name="tombstone", verbose_name="存储内容"
    )
    size = models.BigIntegerField("字节数")
    sm3 = models.CharField("SM3", max_length=64, blank=True)
    sha512 = models.CharField("SHA-512", max_length=128, blank=True)
    reason = models.CharField("销毁依据", max_length=500)
    # What authorised it: {"disposition": uuid, "approvals": [officer uuids], ...}.
    authority = models.JSONField("审批依据", default=dict)
    disposed_by = models.ForeignKey(
        "org.Officer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="执行人",
    )
    disposed_at = models.DateTimeField("销毁时间")

    class Meta:
        verbose_name = "销毁记录（墓碑）"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.blob_id[:12]}… 已销毁"
