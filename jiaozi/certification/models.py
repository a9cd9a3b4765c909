"""Certification (认定, PRODUCT §3, §6): the province's batches, the certifying
authorities' codes, the gap-free serial counters, and the applications with their
timeline.

Nothing here assigns ``CertificationApplication.status``: ``workflow.py`` holds the
table and ``transitions.py`` runs it on the workflow engine."""

from __future__ import annotations

from pathlib import PurePosixPath
from uuid import uuid4

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiaozi.certificates.models import QualificationType
from jiaozi.core import clock
from jiaozi.core.fields import EncryptedField
from jiaozi.core.models import TimeStampedModel

from .choices import Education, Health, Mandarin, Sanction, Sex, Title
from .workflow import Action, Status


class CertificationBatch(TimeStampedModel):
    """One certification batch of a province (e.g. 2024 下半年): the announcement (认定公告)
    date, the online application window, the end of on-site confirmation (the
    acceptance period) and the date by which the authorities finish (§3). Managed by the
    province; all times Asia/Shanghai."""

    name = models.CharField(_("批次名称"), max_length=128)
    province_code = models.CharField(_("省级区划代码"), max_length=6)
    year = models.PositiveSmallIntegerField(_("年度"))
    announced_on = models.DateField(_("认定公告发布日期"))
    apply_opens_at = models.DateTimeField(_("网上申报开始"))
    apply_closes_at = models.DateTimeField(_("网上申报截止"))
    confirm_closes_at = models.DateTimeField(_("现场确认截止"))
    completes_on = models.DateField(_("认定工作完成日期"))
    announcement = models.TextField(_("认定公告正文"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("认定批次")
        verbose_name_plural = _("认定批次")
        ordering = ["-apply_opens_at"]
        constraints = [
            models.UniqueConstraint(fields=["province_code", "name"], name="cert_batch_unique_name"),
            models.CheckConstraint(
                condition=Q(apply_opens_at__lt=models.F("apply_closes_at"))
                & Q(apply_closes_at__lte=models.F("confirm_closes_at")),
                name="cert_batch_windows_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AuthorityCode(models.Model):
    """The three digits a certificate number carries for its certifying authority,
    set by the province in a data file (§6) and unique in the database."""

    authority = models.OneToOneField(
        "orgs.Institution",
        on_delete=models.PROTECT,
        related_name="certification_code",
        verbose_name=_("认定机构"),
    )
    code = models.CharField(_("认定机构代码"), max_length=3, unique=True)

    class Meta:
        verbose_name = _("认定机构代码")
        verbose_name_plural = _("认定机构代码")
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{3}$"), name="cert_authority_code_digits")
        ]

    def __str__(self) -> str:
        return self.code


class SerialCounter(models.Model):
    """The last serial a certifying authority gave in a year. Taken under a row lock in
    the approval's transaction, so serials are gap-free and in approval order."""

    authority = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["authority", "year"], name="cert_serial_unique_authority_year")
        ]

    def __str__(self) -> str:
        return f"{self.authority_id}/{self.year}: {self.last}"


def photo_upload_to(instance: CertificationApplication, filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()[:8]
    return f"certification/photos/{clock.today():%Y/%m}/{uuid4().hex}{suffix}"


class CertificationApplication(TimeStampedModel):
    """One person's application for a teacher qualification in a batch (§6)."""

    batch = models.ForeignKey(CertificationBatch, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certification_applications"
    )
    # The calendar year the one-application-per-year rule counts in (the batch's year).
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(_("状态"), max_length=32, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)

    # What is applied for and where.
    qualification_type = models.CharField(_("资格种类"), max_length=1, choices=QualificationType.choices)
    subject = models.CharField(_("任教学科"), max_length=64)
    authority = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="+", verbose_name=_("认定机构")
    )
    confirmation_point = models.ForeignKey(
        "orgs.Institution",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("确认点"),
    )

    # The applicant (snapshot of the real-name account at application).
    name = models.CharField(_("姓名"), max_length=64)
    resident_id = EncryptedField(_("身份证号"), index="resident_id")
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    phone = EncryptedField(_("联系电话"), blank=True, default="")

    # The facts the requirements read (§6).
    education = models.CharField(_("学历"), max_length=16, choices=Education.choices)
    preschool_major = models.BooleanField(_("学前教育专业"), default=False)
    title = models.CharField(_("专业技术职务或职业资格"), max_length=32, choices=Title.choices, blank=True)
    mandarin = models.CharField(_("普通话等级"), max_length=8, choices=Mandarin.choices)
    mandarin_certificate_no = models.CharField(_("普通话证书编号"), max_length=32, blank=True)
    ntce_type = models.CharField(
        _("考试合格证明种类"), max_length=1, choices=QualificationType.choices, blank=True
    )
    ntce_number = models.CharField(_("考试合格证明编号"), max_length=32, blank=True)
    ntce_date = models.DateField(_("考试合格证明日期"), null=True, blank=True)
    commitment = models.BooleanField(_("个人承诺"), default=False)
    # A bar on record (丧失 / 撤销 / 考试作弊) and its date, from the province's records.
    sanction = models.CharField(_("资格处分"), max_length=16, choices=Sanction.choices, blank=True)
    sanction_date = models.DateField(_("处分日期"), null=True, blank=True)
    photo = models.ImageField(_("照片"), upload_to=photo_upload_to, blank=True, max_length=255)

    # Recorded by the certifying authority.
    health = models.CharField(_("体检结论"), max_length=8, choices=Health.choices, blank=True)
    health_hospital = models.CharField(_("体检医院"), max_length=128, blank=True)
    health_recorded_at = models.DateTimeField(null=True, blank=True)

    # The requirement check at submission: every unmet reason code.
    check_reasons = models.JSONField(_("条件核查结果"), default=list, blank=True)
    confirm_reason_code = models.CharField(_("确认未通过原因代码"), max_length=32, blank=True)
    confirm_opinion = models.TextField(_("确认意见"), blank=True)
    conclusion = models.CharField(_("认定结论"), max_length=16, blank=True)
    conclusion_reason = models.TextField(_("认定结论说明"), blank=True)

    submitted_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_deadline = models.DateField(_("认定办理期限"), null=True, blank=True)

    # Issuing (认定通过): the certificate in the registry and its number's serial.
    certificate = models.ForeignKey(
        "certificates.Certificate", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    certificate_number = models.CharField(_("证书编号"), max_length=17, blank=True)
    serial = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("认定申请")
        verbose_name_plural = _("认定申请")
        indexes = [
            models.Index(fields=["authority", "status"], name="cert_app_authority_status"),
            models.Index(fields=["confirmation_point", "status"], name="cert_app_point_status"),
            models.Index(fields=["batch", "status"], name="cert_app_batch_status"),
        ]
        constraints = [
            # At most one application per person per calendar year, withdrawn ones aside (§6).
            models.UniqueConstraint(
                fields=["applicant", "year"],
                condition=~Q(status=Status.WITHDRAWN),
                name="cert_app_one_per_year",
            ),
            models.UniqueConstraint(
                fields=["certificate_number"],
                condition=~Q(certificate_number=""),
                name="cert_app_unique_certificate_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.pk}"

    @property
    def reference(self) -> str:
        """The application number shown to people (申请编号)."""
        return f"RD{self.year}{self.pk:08d}"


class CertificationStep(models.Model):
    """One step of an application's timeline, recorded in the same transaction as the
    transition it follows."""

    application = models.ForeignKey(CertificationApplication, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=32, choices=Action.choices)
    from_status = models.CharField(max_length=32, choices=Status.choices)
    to_status = models.CharField(max_length=32, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opinion = models.TextField(_("意见"), blank=True)
    reason_code = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["application", "at"], name="cert_step_app_at")]

    def __str__(self) -> str:
        return f"{self.application_id} {self.action}"
