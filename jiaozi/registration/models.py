"""Registration campaigns (§3): one per province and year, with its registration date
and the windows of each step as aware datetimes. Windows are half-open,
``[opens_at, closes_at)``: "至12月15日17时" closes at 17:00:00 sharp."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiaozi.certificates.models import Conclusion
from jiaozi.core.fields import EncryptedField
from jiaozi.core.models import TimeStampedModel

from . import rules
from .workflow import Action, Status

# §5: the notice runs at least seven natural days; the province may set more.
MIN_NOTICE_DAYS = 7


def default_required_materials() -> dict[str, list[str]]:
    """§4's list per registration type: every type the six materials, a first
    registration also the probation-pass proof."""
    return {due: list(kinds) for due, kinds in rules.DEFAULT_REQUIRED_MATERIALS.items()}


class WindowAction(models.TextChoices):
    """The steps a window governs; the label names the window in messages."""

    SYSTEM = "system", _("系统开放")
    APPLY = "apply", _("本人申请")
    SCHOOL_REVIEW = "school_review", _("学校审查")
    REVIEW = "review", _("县级审核")
    RECHECK = "recheck", _("市级复核")
    FINAL_REVIEW = "final_review", _("省级终审")


class Campaign(TimeStampedModel):
    name = models.CharField(_("名称"), max_length=128)
    # GB/T 2260 code of the province (340000 for Anhui).
    province_code = models.CharField(_("省级区划代码"), max_length=6)
    year = models.PositiveSmallIntegerField(_("年度"))
    registration_date = models.DateField(
        _("定期注册日期"), help_text=_("注册合格者的新有效期自此日起算五年，注册周期以此日为终点")
    )

    system_opens_at = models.DateTimeField(_("系统开放时间"))
    system_closes_at = models.DateTimeField(_("系统关闭时间"))
    apply_opens_at = models.DateTimeField(_("本人申请开始"))
    apply_closes_at = models.DateTimeField(_("本人申请截止"))
    school_review_opens_at = models.DateTimeField(_("学校审查开始"))
    school_review_closes_at = models.DateTimeField(_("学校审查截止"))
    review_opens_at = models.DateTimeField(_("县级审核开始"))
    review_closes_at = models.DateTimeField(_("县级审核截止"))
    recheck_opens_at = models.DateTimeField(_("市级复核开始"))
    recheck_closes_at = models.DateTimeField(_("市级复核截止"))
    final_review_opens_at = models.DateTimeField(_("省级终审开始"))
    final_review_closes_at = models.DateTimeField(_("省级终审截止"))

    training_hours_required = models.DecimalField(
        _("培训学时要求"),
        max_digits=6,
        decimal_places=1,
        default=Decimal(360),
        validators=[MinValueValidator(Decimal(1))],
        help_text=_("一个注册周期内应完成的培训学时（国家规定不少于360学时）"),
    )
    notice_days = models.PositiveSmallIntegerField(
        _("公示天数"),
        default=7,
        validators=[MinValueValidator(MIN_NOTICE_DAYS)],
        help_text=_("自然日，不少于7天；由省级设置，审核人员不能更改"),
    )
    # §5 申请复核: natural days after the notice ends in which an applicant concluded
    # 暂缓注册 or 注册不合格 may ask the level above to review the conclusion.
    review_request_days = models.PositiveSmallIntegerField(
        _("申请复核期限（天）"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("公示期满后，结论为暂缓注册或注册不合格的申请人可在此期限内申请复核"),
    )
    # Registration type (rules.Due value) → the Material kinds submission requires (§4).
    required_materials = models.JSONField(
        _("各注册类型须提交的材料"), default=default_required_materials, blank=True
    )
    is_active = models.BooleanField(
        _("启用"), default=False, help_text=_("同一省份同一时间只能有一项启用的注册工作")
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-year", "province_code"]
        verbose_name = _("定期注册工作")
        verbose_name_plural = _("定期注册工作")
        constraints = [
            models.UniqueConstraint(
                fields=["province_code", "year"], name="registration_campaign_province_year"
            ),
            models.UniqueConstraint(
                fields=["province_code"],
                condition=models.Q(is_active=True),
                name="registration_campaign_one_active_per_province",
            ),
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{action}_closes_at__gt": models.F(f"{action}_opens_at")}),
                    name=f"registration_campaign_{action}_window_ordered",
                )
                for action in WindowAction.values
            ],
        ]

    def __str__(self) -> str:
        return self.name

    def window(self, action: str) -> tuple[dt.datetime, dt.datetime]:
        """(opens_at, closes_at) of the window governing ``action``."""
        action = WindowAction(action)
        return getattr(self, f"{action}_opens_at"), getattr(self, f"{action}_closes_at")


class WindowExtension(models.Model):
    """A province's extension of one step window (§5 "deadlines cascade") for the
    applications whose review chain includes ``institution`` (its school, registration
    authority, city or province bureau): the window closes at ``closes_at`` instead of
    the campaign's close. Granted and revoked by the province admin with a reason,
    audited; a revoked row stays as the record. At most one live extension per
    (campaign, institution, window)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="extensions")
    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    window = models.CharField(_("环节"), max_length=32, choices=WindowAction.choices)
    closes_at = models.DateTimeField(_("延长至"))
    reason = models.TextField(_("延长理由"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField()
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.TextField(_("撤销理由"), blank=True)

    class Meta:
        ordering = ["-granted_at", "-pk"]
        verbose_name = _("办理时间延长")
        verbose_name_plural = _("办理时间延长")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "institution", "window"],
                condition=models.Q(revoked_at__isnull=True),
                name="registration_one_live_extension",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "window", "revoked_at"], name="registration_ext_live")]

    def __str__(self) -> str:
        return f"{self.institution_id} {self.window} → {self.closes_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class Application(TimeStampedModel):
    """A periodic (or first) registration application for one certificate in one
    campaign. Its status changes only through workflow.py via services."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registration_applications"
    )
    teacher = models.ForeignKey("teachers.Teacher", on_delete=models.PROTECT, related_name="applications")
    certificate = models.ForeignKey(
        "certificates.Certificate", on_delete=models.PROTECT, related_name="applications"
    )
    # The review chain, fixed at submission (orgs.routing.review_chain).
    school = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    registration_authority = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    city_bureau = models.ForeignKey(
        "orgs.Institution", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    province_bureau = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    # Path of the registration authority, for jurisdiction prefix matches of the
    # county and above; school staff match on school.
    status = models.CharField(_("状态"), max_length=32, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
    due = models.CharField(_("注册类型"), max_length=32)
    suggestion = models.CharField(_("系统建议"), max_length=16, blank=True)
    suggestion_reasons = models.JSONField(_("建议理由"), default=list, blank=True)
    conclusion = models.CharField(_("注册结论"), max_length=16, choices=Conclusion.choices, blank=True)
    conclusion_reason = models.TextField(_("结论说明"), blank=True)
    override_reason = models.TextField(_("不采纳系统建议的理由"), blank=True)
    notice = models.ForeignKey(
        "Notice", null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    facts = models.JSONField(_("申请时的教师信息快照"), default=dict, blank=True)
    # What the applicant fills in on the form (application_update_draft), pre-filled
    # from the records at start; editable only in draft and after a return.
    phone = EncryptedField(_("联系电话"), blank=True, default="")
    address = EncryptedField(_("通讯地址"), blank=True, default="")
    post = models.CharField(_("现任岗位（职务）"), max_length=64, blank=True)
    work_history = models.TextField(_("近五年工作经历"), blank=True)
    notes = models.TextField(_("个人说明"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    step_deadline = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("定期注册申请")
        verbose_name_plural = _("定期注册申请")
        constraints = [
            # A double submit leaves one active application per certificate and campaign.
            models.UniqueConstraint(
                fields=["campaign", "certificate"],
                condition=~models.Q(status="withdrawn"),
                name="registration_one_active_application",
            ),
            # §4 "one per person": a teacher files at most one application per campaign,
            # whichever of their certificates it is for.
            models.UniqueConstraint(
                fields=["campaign", "teacher"],
                condition=~models.Q(status="withdrawn"),
                name="registration_one_application_per_teacher",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "school"]),
            models.Index(fields=["status", "registration_authority"]),
            models.Index(fields=["status", "city_bureau"]),
            models.Index(fields=["campaign", "status"]),
            # Reviewer queues (registration/review/selectors.py, docs/decisions/0106): each level's
            # 待办 is "holder = my institution AND status IN (…)" ordered by the step
            # deadline; these cover the filter, the order, the overdue count and (with the
            # id as last key) the page's ids, so PostgreSQL answers from the index alone.
            models.Index(
                fields=["school", "status", "step_deadline", "id"], name="registration_app_school_todo"
            ),
            models.Index(
                fields=["registration_authority", "status", "step_deadline", "id"],
                name="registration_app_auth_todo",
            ),
            models.Index(
                fields=["city_bureau", "status", "step_deadline", "id"], name="registration_app_city_todo"
            ),
            models.Index(
                fields=["province_bureau", "status", "step_deadline", "id"],
                name="registration_app_province_todo",
            ),
            # 全部 / 已办 newest first, per school of the jurisdiction (drafts filtered in the index).
            models.Index(fields=["school", "status", "updated_at", "id"], name="registration_app_school_upd"),
        ]

    def __str__(self) -> str:
        return f"{self.certificate_id} {self.get_status_display()}"

    @property
    def has_city_step(self) -> bool:
        return self.city_bureau_id is not None


class ApplicationStep(models.Model):
    """One transition of an application: the timeline and each level's opinion."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=32, choices=Action.choices)
    from_status = models.CharField(max_length=32, choices=Status.choices)
    to_status = models.CharField(max_length=32, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    institution = models.ForeignKey(
        "orgs.Institution", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opinion = models.TextField(_("意见"), blank=True)
    reason_code = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            # A reviewer queue's 已办: the applications an institution acted on (review/selectors.py).
            models.Index(fields=["institution", "action", "application"], name="registration_step_done_by"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.action}"


def material_upload_to(instance: Material, filename: str) -> str:
    # Random names, never the uploader's: nothing guessable, nothing personal in paths.
    return f"registration/materials/{uuid.uuid4().hex}"


class Material(models.Model):
    """An uploaded material (PDF, JPEG or PNG, checked by content). Stored under a
    random name in MEDIA_ROOT (outside the web root) and served only through a
    permission check."""

    class Kind(models.TextChoices):
        APPLICATION_FORM = "application_form", _("定期注册申请表")
        CERTIFICATE = "certificate", _("教师资格证书")
        CONTRACT = "contract", _("聘用合同")
        ETHICS_STATEMENT = "ethics_statement", _("学校师德表现证明")
        APPRAISALS = "appraisals", _("五年年度考核证明")
        TRAINING = "training", _("培训学时证明")
        PROBATION_PROOF = "probation_proof", _("试用期满考核合格证明")
        REVIEW_EVIDENCE = "review_evidence", _("申请复核的证明材料")
        OTHER = "other", _("其他")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    kind = models.CharField(_("材料类型"), max_length=32, choices=Kind.choices)
    file = models.FileField(upload_to=material_upload_to, max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class Notice(models.Model):
    """A public notice (公示) of registration conclusions, published by a registration
    authority for a batch of applications. The SHA-256 of the published list is kept as
    proof of what was published."""

    class State(models.TextChoices):
        OPEN = "open", _("公示中")
        CLOSED = "closed", _("已结束")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="notices")
    authority = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("标题"), max_length=200)
    starts_at = models.DateTimeField(_("公示开始"))
    ends_at = models.DateTimeField(_("公示结束"), db_index=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entries = models.JSONField(_("公示名单"), default=list)  # masked rows as published
    list_sha256 = models.CharField(max_length=64)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title


class Objection(models.Model):
    """异议: real-name or anonymous, with contact. Freezes its application until the
    registration reviewer resolves it."""

    class State(models.TextChoices):
        OPEN = "open", _("待处理")
        UPHELD = "upheld", _("异议成立")
        DISMISSED = "dismissed", _("异议不成立")

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="objections")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="objections")
    anonymous = models.BooleanField(_("匿名"), default=False)
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    contact = EncryptedField(_("联系方式"), blank=True, default="")
    content = models.TextField(_("异议内容"))
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    submitted_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    resolution = models.TextField(_("处理意见"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.notice_id}/{self.application_id} {self.state}"


def registration_form_upload_to(instance: RegistrationForm, filename: str) -> str:
    # A random name: the file carries the full resident ID, so nothing about the holder
    # may show in its path.
    return f"registration/forms/{uuid.uuid4().hex}.pdf"


class RegistrationForm(models.Model):
    """The stamped 《教师资格定期注册申请表》 of a completed application (§5 Completion).

    Created with its verification token in the transaction that files the conclusion;
    the PDF itself is rendered after commit by a Celery task, which fills ``file``,
    ``sha256`` and ``size`` once (compare-and-set on an empty ``sha256``). Stored under
    a random name in MEDIA_ROOT (outside the web root) and served only through
    ``completion.application_form_pdf``."""

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="registration_form"
    )
    # The token the form's QR code carries; one form, one token.
    token = models.OneToOneField(
        "certificates.VerificationToken", on_delete=models.PROTECT, related_name="registration_form"
    )
    file = models.FileField(upload_to=registration_form_upload_to, max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("定期注册申请表")
        verbose_name_plural = _("定期注册申请表")

    def __str__(self) -> str:
        return f"{self.application_id} {self.sha256[:12]}"

    @property
    def is_rendered(self) -> bool:
        return bool(self.sha256 and self.file)


class FormSnapshot(models.Model):
    """What the stamped form prints, as it stood when one level decided (§5 "the form is
    a record"): taken in the transaction of each decision (school approval, conclusion,
    city recheck, province approval) and filed with the application. The PDF is
    rendered from the latest one only, never from the live records, so a record
    changed after filing does not change the form. ``data`` is canonical JSON,
    encrypted at rest (it carries the resident ID, phone and address)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="form_snapshots")
    # The decision it was taken at; none for a snapshot filed for an application
    # completed before snapshots existed (taken once, at its first rendering).
    step = models.OneToOneField(
        ApplicationStep, null=True, blank=True, on_delete=models.PROTECT, related_name="form_snapshot"
    )
    action = models.CharField(max_length=32, choices=Action.choices, blank=True)
    taken_at = models.DateTimeField()
    data = EncryptedField(_("申请表内容"))
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["taken_at", "pk"]
        verbose_name = _("申请表快照")
        verbose_name_plural = _("申请表快照")
        indexes = [models.Index(fields=["application", "taken_at"], name="registration_snapshot_latest")]

    def __str__(self) -> str:
        return f"{self.application_id} {self.action} {self.sha256[:12]}"
