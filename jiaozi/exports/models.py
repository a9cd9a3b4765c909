"""Controlled exports (§9): a staff user's request to export one data set for a stated
purpose, its row count at request time, and — above the province's threshold — a
second person's decision before the requester may download."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportRequest(models.Model):
    class Dataset(models.TextChoices):
        REGISTRATION_APPLICATIONS = "registration_applications", _("定期注册申请")
        DUE_NOT_APPLIED = "due_not_applied", _("应注册未申请的教师（漏报）")

    class State(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("可下载")
        REJECTED = "rejected", _("已驳回")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    # The requester's institution when asking: the scope of the rows and of the approvers.
    institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="+", verbose_name=_("组织机构")
    )
    dataset = models.CharField(_("导出内容"), max_length=32, choices=Dataset.choices)
    campaign = models.ForeignKey(
        "registration.Campaign",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("定期注册工作"),
    )
    # {"status": "..."}: codes only, never personal data.
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    purpose = models.CharField(_("导出用途"), max_length=200)
    unmasked = models.BooleanField(_("导出完整身份证号和手机号"), default=False)
    row_count = models.PositiveIntegerField(_("行数"))
    threshold = models.PositiveIntegerField(_("审批阈值"))
    needs_approval = models.BooleanField(_("须审批"), default=False)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices)
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_reason = models.CharField(_("审批意见"), max_length=500, blank=True)
    downloads = models.PositiveIntegerField(_("下载次数"), default=0)
    last_downloaded_at = models.DateTimeField(_("最近下载时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["state", "requested_at"], name="exports_state_idx")]
        verbose_name = _("导出申请")
        verbose_name_plural = _("导出申请")

    def __str__(self) -> str:
        return f"{self.get_dataset_display()} #{self.pk}"
