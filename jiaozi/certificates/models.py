"""The certificate registry (§4, §6, §7): the teacher qualification certificate, its
status, its registration record, one history event per change, and the verification
tokens behind the QR codes on stamped paper.

``Certificate`` kept its table (``teachers_certificate``) when it moved here from the
teachers app: docs/decisions/0135-certificate-registry-app.md.

A ``VerificationToken`` is what the QR code on a stamped PDF points at. It keeps a
snapshot of what that PDF says (masked holder name, certificate number, type,
conclusion, validity, issuing institution), so the public page can confirm the paper
in hand even after the registry moves on, and compare it with the registry's current
state. It holds no resident ID, phone or full name: the page it feeds is public.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiaozi.core.models import TimeStampedModel


class QualificationType(models.TextChoices):
    """资格种类 with the digit used in certificate numbers (§6)."""

    KINDERGARTEN = "1", _("幼儿园")
    PRIMARY = "2", _("小学")
    JUNIOR = "3", _("初级中学")
    SENIOR = "4", _("高级中学")
    VOCATIONAL = "5", _("中等职业学校")
    VOCATIONAL_PRACTICE = "6", _("中职实习指导")
    HIGHER = "7", _("高等学校")


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("有效")
    REVOKED = "revoked", _("撤销")
    LOST = "lost", _("丧失")


class Conclusion(models.TextChoices):
    QUALIFIED = "qualified", _("注册合格")
    DEFERRED = "deferred", _("暂缓注册")
    UNQUALIFIED = "unqualified", _("注册不合格")


class Certificate(TimeStampedModel):
    """A teacher qualification certificate in the registry, with its registration
    record: the last conclusion, the registration date and the validity of the last
    注册合格. Every change to it writes a ``CertificateEvent``."""

    number = models.CharField(_("证书编号"), max_length=17, unique=True)
    teacher = models.ForeignKey("teachers.Teacher", on_delete=models.PROTECT, related_name="certificates")
    qualification_type = models.CharField(_("资格种类"), max_length=1, choices=QualificationType.choices)
    subject = models.CharField(_("任教学科"), max_length=64, blank=True)
    status = models.CharField(
        _("证书状态"), max_length=16, choices=CertificateStatus.choices, default=CertificateStatus.VALID
    )
    last_conclusion = models.CharField(
        _("上次注册结论"), max_length=16, choices=Conclusion.choices, blank=True
    )
    valid_from = models.DateField(_("注册有效期起"), null=True, blank=True)
    valid_to = models.DateField(_("注册有效期止"), null=True, blank=True)
    registered_on = models.DateField(_("注册日期"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        # The table keeps the name it had in the teachers app (decision 0135).
        db_table = "teachers_certificate"
        verbose_name = _("教师资格证书")
        verbose_name_plural = _("教师资格证书")
        indexes = [models.Index(fields=["status", "valid_to"], name="teachers_ce_status_a20040_idx")]

    def __str__(self) -> str:
        return self.number


class CertificateEvent(models.Model):
    """One change to a certificate, kept for ever: what happened, when, who acted (the
    user and the institution they acted for), which record of which app caused it, and
    the fields that changed as ``{"field": [before, after]}``.

    The source is a reference (``source_type`` is a model label such as
    ``registration.application``, ``source_id`` its key), not a foreign key: the
    registry sits below the apps that change it and must not depend on them
    (docs/decisions/0136-certificate-history-events.md)."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("颁发")
        REGISTERED = "registered", _("注册备案")
        CORRECTED = "corrected", _("更正")
        REISSUED = "reissued", _("补发")
        REPLACED = "replaced", _("换发")
        REVOKED = "revoked", _("撤销")

    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="events", verbose_name=_("证书"), db_index=False
    )
    kind = models.CharField(_("事件"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    institution = models.ForeignKey(
        "orgs.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("办理机构"),
    )
    source_type = models.CharField(_("来源类型"), max_length=64, blank=True)
    source_id = models.PositiveBigIntegerField(_("来源编号"), null=True, blank=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)

    class Meta:
        verbose_name = _("证书变更记录")
        verbose_name_plural = _("证书变更记录")
        # A certificate's history in order; also serves every lookup by certificate.
        indexes = [models.Index(fields=["certificate", "at", "id"], name="cert_event_cert_at")]

    def __str__(self) -> str:
        return f"{self.certificate_id} {self.kind} {self.at:%Y-%m-%d}"


class VerificationToken(models.Model):
    class Document(models.TextChoices):
        # What the QR code is printed on: the public page names it, and only a
        # registration form's token says which institution registered the certificate.
        FORM = "form", _("定期注册申请表")
        PAPER = "paper", _("教师资格证书")

    # secrets.token_urlsafe(32): 43 characters of [A-Za-z0-9_-], 256 bits.
    token = models.CharField(_("核验码"), max_length=64, unique=True, editable=False)
    certificate = models.ForeignKey(
        Certificate,
        on_delete=models.PROTECT,
        related_name="verification_tokens",
        verbose_name=_("证书"),
    )
    document = models.CharField(
        _("载体"), max_length=8, choices=Document.choices, default=Document.FORM, editable=False
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
