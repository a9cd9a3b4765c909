from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .fields import ClockDateTimeField, EncryptedField


class TimeStampedModel(models.Model):
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IdempotencyRecord(models.Model):
    """The stored answer to a creating POST sent with an ``Idempotency-Key`` (§13).

    Written in the same transaction as the work it describes, so a failed request leaves
    no record and a retried one is answered from here instead of being done twice. The
    unique constraint on (user, key) lets exactly one of two concurrent duplicates win.
    The stored body may carry personal data or an initial password, so it is encrypted
    at rest and the record expires after 24 hours (docs/decisions/0042)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    content_type = models.CharField(max_length=128, blank=True)
    response_body = EncryptedField(blank=True, default="")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("幂等请求记录")
        verbose_name_plural = _("幂等请求记录")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key[:8]}…)"
