"""Certificate services (§7): correction, reissue and replacement requests with their
materials and steps; the province's processing deadline; authenticity checks of
certificates not in the system; the holder's share links; the public lookup log.

Nothing here holds a resident ID or a phone: the holder is an account, the certificate
a foreign key, and an off-system certificate is described by its number and the masked
name the reviewer typed."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiaozi.core.models import TimeStampedModel

from .workflow import CheckOutcome, CheckStatus, RequestAction, RequestKind, RequestStatus

DEFAULT_PROCESSING_DAYS = 20
DEFAULT_REMINDER_DAYS = 5


class ServiceSetting(models.Model):
    """The province's rules for certificate requests: how many working days the issuing
    authority has (default 20, §7 "不得借故拖延"), and how many working days before the
    deadline the reminders start. One row per province bureau; absent means defaults."""

    province = models.OneToOneField(
        "orgs.Institution", on_delete=models.PROTECT, related_name="+", verbose_name=_("省级教育行政部门")
    )
    processing_days = models.PositiveSmallIntegerField(
        _("办理时限（工作日）"), default=DEFAULT_PROCESSING_DAYS
    )
    reminder_days = models.PositiveSmallIntegerField(_("提前提醒（工作日）"), default=DEFAULT_REMINDER_DAYS)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(_("修改时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("证书服务设置")
        verbose_name_plural = _("证书服务设置")

    def __str__(self) -> str:
        return f"{self.province_id}: {self.processing_days}"


class ServiceRequest(TimeStampedModel):
    """One correction, reissue or replacement request of a holder, handled by the
    certificate's issuing authority (docs/decisions/0222-certificate-requests.md)."""

    kind = models.CharField(_("申请类型"), max_length=16, choices=RequestKind.choices)
    certificate = models.ForeignKey(
        "certificates.Certificate", on_delete=models.PROTECT, related_name="+", verbose_name=_("证书")
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    authority = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="+", verbose_name=_("发证机关")
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )
    version = models.PositiveIntegerField(default=1)
    reason = models.TextField(_("申请事由"), max_length=500)
    # Correction: the fields to change, {"field": [as recorded, as requested]}.
    corrections = models.JSONField(_("更正内容"), default=dict, blank=True)
    # Reissue: where and when the loss notice (遗失声明) was published.
    loss_notice_medium = models.CharField(_("遗失声明刊登媒体"), max_length=128, blank=True)
    loss_notice_date = models.DateField(_("遗失声明刊登日期"), null=True, blank=True)
    # Replacement: the authority confirms it holds the damaged original.
    old_returned_at = models.DateTimeField(_("原证书收回时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    due_on = models.DateField(_("办理期限"))
    reminded_on = models.DateField(_("最近提醒日期"), null=True, blank=True)
    decided_at = models.DateTimeField(_("办理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("经办人"),
    )
    decision_note = models.CharField(_("办理意见"), max_length=500, blank=True)
    # The new paper (a PDF with the remarks page), rendered on approval.
    paper = models.FileField(_("新证书电子文本"), upload_to="certservices/papers/%Y/%m/", blank=True)
    # The QR token printed on that paper; revoked when a later request issues another.
    paper_token = models.ForeignKey(
        "certificates.VerificationToken",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("核验码"),
    )

    class Meta:
        verbose_name = _("证书业务申请")
        verbose_name_plural = _("证书业务申请")
        indexes = [
            models.Index(fields=["authority", "status", "due_on"], name="certsvc_req_queue"),
            models.Index(fields=["status", "due_on"], name="certsvc_req_due"),
            models.Index(fields=["applicant", "-submitted_at"], name="certsvc_req_applicant"),
        ]
        constraints = [
            # One open request per certificate and kind: a second is a duplicate.
            models.UniqueConstraint(
                fields=["certificate", "kind"],
                condition=models.Q(status__in=["submitted", "returned"]),
                name="certsvc_one_open_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.certificate_id} {self.status}"


class RequestStep(models.Model):
    """One step of a request's timeline (who did what, when, why)."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(
        _("操作"), max_length=16, choices=[("create", _("提交申请")), *RequestAction.choices]
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    at = models.DateTimeField(_("时间"))
    note = models.CharField(_("意见"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")

    def __str__(self) -> str:
        return f"{self.request_id} {self.action}"


class RequestMaterial(models.Model):
    """Evidence of a request: a scan of an ID card or a document for a correction, the
    loss notice for a reissue, a photo of the damaged certificate for a replacement."""

    class Kind(models.TextChoices):
        EVIDENCE = "evidence", _("更正证明材料")
        LOSS_NOTICE = "loss_notice", _("遗失声明")
        DAMAGED = "damaged", _("原证书照片")

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="materials")
    kind = models.CharField(_("材料类型"), max_length=16, choices=Kind.choices)
    file = models.FileField(upload_to="certservices/materials/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=128)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"


class AuthenticityCheck(TimeStampedModel):
    """证书真伪核验: a reviewer asks the issuing authority whether a certificate in the
    registry that this system did not issue (imported, or from another province) is
    authentic. While it is open, and for ever when the answer is "forged", the
    certificate's registration applications wait (decision 0224)."""

    certificate = models.ForeignKey(
        "certificates.Certificate", on_delete=models.PROTECT, related_name="+", verbose_name=_("证书")
    )
    # What the reviewer has in hand, as printed on the paper (the authority checks it).
    holder_name = models.CharField(_("证书上的姓名"), max_length=64)
    reason = models.CharField(_("核验原因"), max_length=500)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发起人")
    )
    requesting_institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="+", verbose_name=_("发起机构")
    )
    # Inside the province: the bureau the number names. Outside: its name as recorded.
    authority = models.ForeignKey(
        "orgs.Institution",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("发证机关"),
    )
    outside_authority = models.CharField(_("省外发证机关"), max_length=128, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=CheckStatus.choices, default=CheckStatus.OPEN)
    version = models.PositiveIntegerField(default=1)
    opened_at = models.DateTimeField(_("发起时间"))
    due_on = models.DateField(_("答复期限"))
    outcome = models.CharField(_("核验结果"), max_length=16, choices=CheckOutcome.choices, blank=True)
    outcome_note = models.CharField(_("核验说明"), max_length=500, blank=True)
    # The reference of the answer (an archive record, or the other province's letter).
    reference = models.CharField(_("答复文号"), max_length=128, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("答复人"),
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("证书真伪核验")
        verbose_name_plural = _("证书真伪核验")
        indexes = [
            models.Index(fields=["authority", "status"], name="certsvc_check_authority"),
            models.Index(fields=["certificate", "status"], name="certsvc_check_certificate"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate"], condition=models.Q(status="open"), name="certsvc_one_open_check"
            ),
            models.CheckConstraint(
                condition=models.Q(authority__isnull=False) | ~models.Q(outside_authority=""),
                name="certsvc_check_has_authority",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certificate_id} {self.status} {self.outcome}"

    @property
    def inside(self) -> bool:
        return self.authority_id is not None

    @property
    def holds(self) -> bool:
        return self.status == CheckStatus.OPEN or self.outcome == CheckOutcome.FORGED


class ShareLink(models.Model):
    """A holder's time-limited link to their certificate's public verification
    (decision 0226). The token is shown once, at creation; only its SHA-256 is kept, so
    neither the database nor its backups can rebuild a working link. ``hint`` (the
    first characters) lets the holder tell their links apart. Expired or revoked, the
    link answers exactly like one that never existed."""

    certificate = models.ForeignKey(
        "certificates.Certificate", on_delete=models.PROTECT, related_name="+", verbose_name=_("证书")
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("持证人")
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(_("链接标识"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("创建时间"))
    expires_at = models.DateTimeField(_("失效时间"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("证书分享链接")
        verbose_name_plural = _("证书分享链接")
        indexes = [models.Index(fields=["holder", "certificate", "-created_at"], name="certsvc_share_holder")]

    def __str__(self) -> str:
        # Never the token (it is not kept); the hint only.
        return f"{self.certificate_id} {self.hint}…"

    def active_at(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
