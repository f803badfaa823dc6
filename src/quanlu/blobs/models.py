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
