"""Public verification of stamped forms (§7).

A ``VerificationToken`` is what the QR code on a stamped PDF points at. It keeps a
snapshot of what that PDF says (masked holder name, certificate number, type,
conclusion, validity, issuing institution), so the public page can confirm the paper
in hand even after the registry moves on, and compare it with the registry's current
state. It holds no resident ID, phone or full name: the page it feeds is public.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiaozi.teachers.models import Conclusion, QualificationType


class VerificationToken(models.Model):
    # secrets.token_urlsafe(32): 43 characters of [A-Za-z0-9_-], 256 bits.
    token = models.CharField(_("核验码"), max_length=64, unique=True, editable=False)
    certificate = models.ForeignKey(
        "teachers.Certificate",
        on_delete=models.PROTECT,
        related_name="verification_tokens",
        verbose_name=_("证书"),
    )
    certificate_number = models.CharField(_("证书编号"), max_length=17)
    holder_name_masked = models.CharField(_("持证人"), max_length=64)
    qualification_type = models.CharField(_("资格种类"), max_length=1, choices=QualificationType.choices)
    conclusion = models.CharField(_("注册结论"), max_length=16, choices=Conclusion.choices)
    valid_from = models.DateField(_("注册有效期起"), null=True, blank=True)
    valid_to = models.DateField(_("注册有效期止"), null=True, blank=True)
    registered_on = models.DateField(_("注册日期"), null=True, blank=True)
    institution = models.ForeignKey(
        "orgs.Institution",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("注册机构"),
    )
    # The name as printed on the seal: institutions get renamed, the paper does not.
    institution_name = models.CharField(_("注册机构名称"), max_length=128)
    issued_at = models.DateTimeField(_("生成时间"))
    revoked = models.BooleanField(_("已撤销"), default=False)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("核验码")
        verbose_name_plural = _("核验码")
        indexes = [models.Index(fields=["certificate", "-issued_at"], name="cert_vtoken_cert_issued")]

    def __str__(self) -> str:
        # Never the whole token: __str__ ends up in logs and admin breadcrumbs.
        return f"{self.certificate_number} {self.token[:6]}…"
