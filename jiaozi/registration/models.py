"""Registration campaigns (§3): one per province and year, with its registration date
and the windows of each step as aware datetimes. Windows are half-open,
``[opens_at, closes_at)``: "至12月15日17时" closes at 17:00:00 sharp."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiaozi.core.models import TimeStampedModel


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
        _("公示天数"), default=7, validators=[MinValueValidator(1)]
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
