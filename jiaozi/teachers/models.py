"""Teacher facts kept by schools (§4, §12): the teacher, appraisals, training hours,
breaks and the import jobs that load them. The certificates are in the registry
(``jiaozi.certificates``)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiaozi.core.fields import EncryptedField
from jiaozi.core.models import TimeStampedModel


class Sex(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class PostType(models.TextChoices):
    FULL_TIME = "full_time", _("专任教师")
    DUAL = "dual", _("双肩挑")
    LAB = "lab", _("实验教学")
    MENTAL_HEALTH = "mental_health", _("心理健康教育")
    YOUNG_PIONEERS = "young_pioneers", _("少先队工作")
    EDU_IT = "edu_it", _("教育信息化运维")
    OTHER = "other", _("其他")


class EmploymentType(models.TextChoices):
    PUBLIC_ESTABLISHED = "public_established", _("公办在编")
    PUBLIC_EQUAL_PAY = "public_equal_pay", _("公办聘用同等待遇")
    PRIVATE_HIRED = "private_hired", _("民办聘用")
    OTHER = "other", _("其他")


class Health(models.TextChoices):
    FIT = "fit", _("健康")
    UNFIT = "unfit", _("不适合")


class AppraisalGrade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    QUALIFIED = "qualified", _("合格")
    BASIC = "basic", _("基本合格")
    FAILED = "failed", _("不合格")


class EthicsResult(models.TextChoices):
    PASSED = "passed", _("合格")
    FAILED = "failed", _("不合格")


class Teacher(TimeStampedModel):
    resident_id = EncryptedField(_("身份证号"), index="resident_id", unique=True)
    name = models.CharField(_("姓名"), max_length=64)
    sex = models.CharField(_("性别"), max_length=8, choices=Sex.choices)
    phone = EncryptedField(_("手机号"), index="phone", blank=True, default="")
    school = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="teachers", verbose_name=_("学校")
    )
    post_type = models.CharField(_("岗位类别"), max_length=32, choices=PostType.choices)
    employment_type = models.CharField(_("用工类型"), max_length=32, choices=EmploymentType.choices)
    health = models.CharField(_("身心健康"), max_length=8, choices=Health.choices, default=Health.FIT)
    probation_passed_on = models.DateField(_("试用期满考核合格日期"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("教师")
        verbose_name_plural = _("教师")
        indexes = [models.Index(fields=["school", "name"])]

    def __str__(self) -> str:
        return self.name


class AnnualAppraisal(models.Model):
    # No index of its own: the unique (teacher, year) index starts with teacher and
    # serves every lookup by teacher; a second index would only slow the import.
    teacher = models.ForeignKey(
        Teacher, on_delete=models.CASCADE, related_name="annual_appraisals", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    grade = models.CharField(_("等次"), max_length=16, choices=AppraisalGrade.choices)

    class Meta:
        verbose_name = _("年度考核")
        verbose_name_plural = _("年度考核")
        constraints = [
            models.UniqueConstraint(fields=["teacher", "year"], name="teachers_annual_appraisal_year")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_grade_display()}"


class EthicsAppraisal(models.Model):
    teacher = models.ForeignKey(
        Teacher, on_delete=models.CASCADE, related_name="ethics_appraisals", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    result = models.CharField(_("结果"), max_length=16, choices=EthicsResult.choices)

    class Meta:
        verbose_name = _("师德考核")
        verbose_name_plural = _("师德考核")
        constraints = [
            models.UniqueConstraint(fields=["teacher", "year"], name="teachers_ethics_appraisal_year")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_result_display()}"


class TrainingRecord(models.Model):
    # Served by the (teacher, date) index.
    teacher = models.ForeignKey(
        Teacher, on_delete=models.CASCADE, related_name="training_records", db_index=False
    )
    date = models.DateField(_("日期"))
    hours = models.DecimalField(_("学时"), max_digits=6, decimal_places=1)
    programme = models.CharField(_("项目名称"), max_length=128)

    class Meta:
        verbose_name = _("培训学时")
        verbose_name_plural = _("培训学时")
        indexes = [models.Index(fields=["teacher", "date"])]

    def __str__(self) -> str:
        return f"{self.date} {self.programme} {self.hours}"


class TeachingBreak(models.Model):
    """中止任教: approved study, training, sick or maternity leave do not count against
    registration; unapproved breaks over 180 days in the cycle do."""

    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="teaching_breaks")
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    reason = models.CharField(_("原因"), max_length=128, blank=True)
    approved = models.BooleanField(_("是否批准"), default=False)

    class Meta:
        verbose_name = _("中止任教")
        verbose_name_plural = _("中止任教")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="teachers_break_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.start}–{self.end}"


def _import_upload_to(instance: ImportJob, filename: str) -> str:
    # A random name: the original name may carry personal data and is kept apart.
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return f"teacher-imports/{uuid.uuid4().hex}{suffix[:6]}"


class ImportJob(TimeStampedModel):
    """One upload of the import template, run in the background (§12): status and
    progress for the job page, counts and the error report when done. The uploaded
    file is deleted when the job finishes; the report holds masked values only."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("正在导入")
        SUCCEEDED = "succeeded", _("导入成功")
        REJECTED = "rejected", _("校验未通过，未导入")
        FAILED = "failed", _("导入出错")

    created_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("导入人"),
    )
    institution = models.ForeignKey(
        "orgs.Institution",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("机构"),
    )
    file = models.FileField(_("文件"), upload_to=_import_upload_to, blank=True)
    original_name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    counts = models.JSONField(_("导入数量"), default=dict, blank=True)
    error_total = models.PositiveIntegerField(_("错误数"), default=0)
    errors = models.JSONField(_("错误明细"), default=list, blank=True)
    errors_truncated = models.BooleanField(default=False)
    # Rows loaded with something to check (the certificate type against the school's stage).
    warnings = models.JSONField(_("提示明细"), default=list, blank=True)
    message = models.CharField(_("说明"), max_length=255, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("教师数据导入")
        verbose_name_plural = _("教师数据导入")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["institution", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.REJECTED, self.Status.FAILED)
