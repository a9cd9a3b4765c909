"""Institution set-up before a campaign (PRODUCT §2): each registration institution's
registration plan (expected numbers by school type) for a campaign, and the reminders a
superior sends to those that have not finished. The public info itself (address, phone,
office hours) lives on ``orgs.Institution`` and is kept by ``orgs``' service."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SchoolType(models.TextChoices):
    """The school types a plan counts by (the notice's 学段 grouping)."""

    KINDERGARTEN = "kindergarten", _("幼儿园")
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初级中学")
    SENIOR = "senior", _("高级中学")
    VOCATIONAL = "vocational", _("中等职业学校")
    SPECIAL = "special", _("特殊教育学校")


class RegistrationPlan(models.Model):
    """How many teachers an institution expects to register in a campaign, by school
    type. One per institution and campaign; saved again while the campaign runs."""

    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey("registration.Campaign", on_delete=models.PROTECT, related_name="+")
    # {school type: expected number}; every SchoolType key present.
    expected = models.JSONField(_("预计注册人数"), default=dict)
    total = models.PositiveIntegerField(_("合计"), default=0)
    notes = models.CharField(_("说明"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("注册计划")
        verbose_name_plural = _("注册计划")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "campaign"], name="directory_plan_institution_campaign"
            )
        ]

    def __str__(self) -> str:
        return f"{self.institution_id}/{self.campaign_id}"

    def lines(self) -> list[tuple[str, str, int]]:
        return [(value, str(label), int(self.expected.get(value, 0))) for value, label in SchoolType.choices]


class SetupReminder(models.Model):
    """A reminder sent to an institution that had not finished its set-up."""

    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey("registration.Campaign", on_delete=models.PROTECT, related_name="+")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()
    missing = models.JSONField(default=list)  # what was missing when sent
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["institution", "campaign", "sent_at"], name="directory_reminder_idx")]

    def __str__(self) -> str:
        return f"{self.institution_id}@{self.sent_at:%Y-%m-%d %H:%M}"
