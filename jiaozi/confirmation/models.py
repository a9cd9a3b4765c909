"""Confirmation points (确认点), their opening days and time slots, and the bookings
applicants make for on-site confirmation (PRODUCT §2, §6).

A ``ConfirmationPoint`` is the booking profile of an ``orgs.Institution`` of kind
``confirmation_point`` (the institution its confirmation users are filed in, whose parent
is the certifying authority's bureau); its address and phone are that institution's
public information. A ``TimeSlot`` counts its live bookings in ``booked``; the services
move that counter only by compare-and-set (``booked < capacity``), and a check
constraint keeps it within ``0 … capacity`` as the database's last word. A ``Booking``
names what it is for by reference (``reference_kind`` + ``reference_id``), never by a
foreign key to an app above (docs/decisions/0215)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jiaozi.core.models import TimeStampedModel


class ConfirmationPoint(TimeStampedModel):
    institution = models.OneToOneField(
        "orgs.Institution",
        on_delete=models.PROTECT,
        related_name="confirmation_point",
        verbose_name=_("确认点机构"),
    )
    # The certifying authority (a bureau): the institution's parent, kept here so the
    # authority's points are one indexed lookup.
    authority = models.ForeignKey(
        "orgs.Institution",
        on_delete=models.PROTECT,
        related_name="confirmation_points",
        verbose_name=_("认定机构"),
    )
    directions = models.TextField(_("办理须知"), blank=True, help_text=_("到达方式、须携带的材料等"))
    is_open = models.BooleanField(_("开放预约"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["institution__code"]
        verbose_name = _("确认点")
        verbose_name_plural = _("确认点")

    def __str__(self) -> str:
        return self.institution.name if self.institution_id else super().__str__()

    @property
    def name(self) -> str:
        return self.institution.name


class OpeningDay(models.Model):
    point = models.ForeignKey(ConfirmationPoint, on_delete=models.PROTECT, related_name="days")
    date = models.DateField(_("开放日期"))
    note = models.CharField(_("说明"), max_length=128, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("开放日")
        verbose_name_plural = _("开放日")
        constraints = [
            models.UniqueConstraint(fields=["point", "date"], name="confirmation_day_once_per_point")
        ]

    def __str__(self) -> str:
        return f"{self.point} {self.date:%Y-%m-%d}"


class TimeSlot(models.Model):
    day = models.ForeignKey(OpeningDay, on_delete=models.PROTECT, related_name="slots")
    # Copies of the day's point and date: the lists and the booking page read slots by
    # point and date without a join.
    point = models.ForeignKey(ConfirmationPoint, on_delete=models.PROTECT, related_name="slots")
    date = models.DateField(_("日期"))
    starts_at = models.TimeField(_("开始时间"))
    ends_at = models.TimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("可预约人数"))
    booked = models.PositiveIntegerField(_("已预约人数"), default=0)

    class Meta:
        ordering = ["date", "starts_at"]
        verbose_name = _("时段")
        verbose_name_plural = _("时段")
        indexes = [models.Index(fields=["point", "date"])]
        constraints = [
            models.UniqueConstraint(fields=["day", "starts_at"], name="confirmation_slot_start_once_per_day"),
            models.CheckConstraint(
                condition=Q(booked__lte=F("capacity")), name="confirmation_slot_never_over_booked"
            ),
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="confirmation_slot_starts_before_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


class Booking(TimeStampedModel):
    class Status(models.TextChoices):
        BOOKED = "booked", _("已预约")
        MOVED = "moved", _("已改约")
        CANCELLED = "cancelled", _("已取消")
        CHECKED_IN = "checked_in", _("已签到")
        NO_SHOW = "no_show", _("未到场")

    # A booking holds a place in its slot while it is booked or checked in; one such
    # booking per reference at a time.
    LIVE = (Status.BOOKED, Status.CHECKED_IN)

    reference_kind = models.CharField(_("业务类型"), max_length=32)
    reference_id = models.PositiveBigIntegerField(_("业务编号"))
    label = models.CharField(_("业务说明"), max_length=128, blank=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("申请人")
    )
    slot = models.ForeignKey(TimeSlot, on_delete=models.PROTECT, related_name="bookings")
    point = models.ForeignKey(ConfirmationPoint, on_delete=models.PROTECT, related_name="bookings")
    date = models.DateField(_("日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.BOOKED)
    version = models.PositiveIntegerField(default=1)
    # The random part of the check-in code; the code itself is this value signed (HMAC).
    token = models.CharField(max_length=32, unique=True, editable=False)
    moved_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="moved_to"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("签到确认人"),
    )

    class Meta:
        ordering = ["date", "slot__starts_at", "pk"]
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        indexes = [
            models.Index(fields=["point", "date", "status"]),
            models.Index(fields=["reference_kind", "reference_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reference_kind", "reference_id"],
                condition=Q(status__in=["booked", "checked_in"]),
                name="confirmation_one_live_booking_per_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label or self.reference_kind} @ {self.slot_id}"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE
