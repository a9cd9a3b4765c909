"""Reads of confirmation points, slots and bookings. Staff reads start from the user's
jurisdiction (the point institution's path); the applicant's from the applicant.

The selectors the apps above call (certification's pages and services):
``points_for_authority``, ``booking_for_reference`` and ``checked_in``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from jiaozi.accounts.models import User
from jiaozi.core import clock
from jiaozi.core.errors import NotFound
from jiaozi.core.fields import field_lookup
from jiaozi.core.scoping import get_visible_or_404
from jiaozi.orgs.jurisdiction import scope_q

from . import rules, tokens
from .models import Booking, ConfirmationPoint, OpeningDay, TimeSlot
from .permissions import can_view_points, is_booking_applicant

# ── for the apps above ─────────────────────────────────────────────────────────────


def points_for_authority(authority: Any, *, open_only: bool = True) -> models.QuerySet[ConfirmationPoint]:
    """The confirmation points of a certifying authority (an ``orgs.Institution`` or its
    id), open ones only unless ``open_only`` is False."""
    authority_id = getattr(authority, "pk", authority)
    points = ConfirmationPoint.objects.filter(authority_id=authority_id, institution__is_active=True)
    if open_only:
        points = points.filter(is_open=True)
    return points.select_related("institution").order_by("institution__code")


def booking_for_reference(kind: str, reference_id: int) -> Booking | None:
    """The reference's current booking: the live one (booked or checked in), else the
    latest (cancelled, absent); None when it was never booked."""
    bookings = Booking.objects.filter(reference_kind=kind, reference_id=reference_id).select_related(
        "slot", "point__institution"
    )
    live = bookings.filter(status__in=Booking.LIVE).first()
    return live or bookings.order_by("-created_at", "-pk").first()


def checked_in(kind: str, reference_id: int) -> bool:
    """True when the reference's live booking has been checked in at its point."""
    return Booking.objects.filter(
        reference_kind=kind, reference_id=reference_id, status=Booking.Status.CHECKED_IN
    ).exists()


# ── staff ─────────────────────────────────────────────────────────────────────────


def point_list_visible_to(*, user: Any) -> models.QuerySet[ConfirmationPoint]:
    if not can_view_points(actor=user):
        return ConfirmationPoint.objects.none()
    return (
        ConfirmationPoint.objects.filter(scope_q(user, path_field="institution__path"))
        .select_related("institution", "authority")
        .order_by("institution__path")
    )


def point_get_visible_to(*, user: Any, pk: Any) -> ConfirmationPoint:
    return get_visible_or_404(point_list_visible_to(user=user), pk=pk)


def point_of_user(*, user: Any) -> ConfirmationPoint:
    """The point a confirmation user is filed at."""
    institution_id = getattr(user, "institution_id", None)
    return get_visible_or_404(point_list_visible_to(user=user), institution_id=institution_id)


def day_list(*, point: ConfirmationPoint, since: dt.date | None = None) -> models.QuerySet[OpeningDay]:
    days = OpeningDay.objects.filter(point=point)
    if since is not None:
        days = days.filter(date__gte=since)
    return days.prefetch_related(models.Prefetch("slots", TimeSlot.objects.order_by("starts_at")))


def day_get_visible_to(*, user: Any, pk: Any) -> OpeningDay:
    return get_visible_or_404(
        OpeningDay.objects.filter(scope_q(user, path_field="point__institution__path")).select_related(
            "point__institution"
        ),
        pk=pk,
    )


def slot_get_visible_to(*, user: Any, pk: Any) -> TimeSlot:
    return get_visible_or_404(
        TimeSlot.objects.filter(scope_q(user, path_field="point__institution__path")).select_related(
            "point__institution", "day"
        ),
        pk=pk,
    )


def booking_list_visible_to(*, user: Any) -> models.QuerySet[Booking]:
    if not can_view_points(actor=user):
        return Booking.objects.none()
    return Booking.objects.filter(scope_q(user, path_field="point__institution__path")).select_related(
        "slot", "point__institution", "applicant"
    )


def booking_get_visible_to(*, user: Any, pk: Any) -> Booking:
    return get_visible_or_404(booking_list_visible_to(user=user), pk=pk)


def booking_day_list(*, user: Any, point: ConfirmationPoint, date: dt.date) -> models.QuerySet[Booking]:
    """The day's list of a point: every booking of that date but those moved away or
    cancelled, by slot."""
    return (
        booking_list_visible_to(user=user)
        .filter(point=point, date=date)
        .exclude(status__in=[Booking.Status.MOVED, Booking.Status.CANCELLED])
        .order_by("slot__starts_at", "pk")
    )


def booking_counts_of_day(*, user: Any, point: ConfirmationPoint, date: dt.date) -> dict[str, int]:
    rows = (
        booking_day_list(user=user, point=point, date=date)
        .order_by()
        .values("status")
        .annotate(n=models.Count("pk"))
    )
    return {row["status"]: row["n"] for row in rows}


def booking_get_by_code(*, user: Any, code: str) -> Booking:
    """The booking a check-in code names, inside the user's jurisdiction. A malformed or
    forged code is ``ValidationFailed``; a valid one of another point, ``NotFound``."""
    nonce = tokens.nonce_of(code)
    return get_visible_or_404(booking_list_visible_to(user=user), token=nonce)


def booking_list_by_resident_id(*, user: Any, point: ConfirmationPoint, resident_id: str) -> list[Booking]:
    """The point's live or absent bookings whose applicant has this resident ID (blind
    index; the number itself is never stored in clear nor searched by prefix)."""
    lookup = {
        f"applicant__{key}": value for key, value in field_lookup(User, "resident_id", resident_id).items()
    }
    return list(
        booking_list_visible_to(user=user)
        .filter(point=point, **lookup)
        .exclude(status__in=[Booking.Status.MOVED, Booking.Status.CANCELLED])
        .order_by("-date", "slot__starts_at")[:20]
    )


# ── the applicant ─────────────────────────────────────────────────────────────────


def booking_list_of_applicant(*, user: Any) -> models.QuerySet[Booking]:
    if not getattr(user, "is_authenticated", False):
        return Booking.objects.none()
    return (
        Booking.objects.filter(applicant_id=user.pk)
        .exclude(status=Booking.Status.MOVED)
        .select_related("slot", "point__institution")
        .order_by("-date", "-pk")
    )


def booking_get_of_applicant(*, user: Any, pk: Any) -> Booking:
    booking = get_visible_or_404(
        Booking.objects.filter(applicant_id=getattr(user, "pk", None)).select_related(
            "slot", "point__institution"
        ),
        pk=pk,
    )
    if not is_booking_applicant(actor=user, applicant_id=booking.applicant_id):
        raise NotFound("记录不存在或不在您的管辖范围内。")
    return booking


def slots_bookable(
    *, authority_id: int, point_institution_id: int | None = None, now: dt.datetime | None = None
) -> models.QuerySet[TimeSlot]:
    """Slots an applicant may still book at the authority's open points: before their
    change deadline and not full."""
    now = now or clock.now()
    slots = TimeSlot.objects.filter(
        point__authority_id=authority_id,
        point__is_open=True,
        point__institution__is_active=True,
        booked__lt=models.F("capacity"),
        date__gte=clock.today(),
    )
    if point_institution_id is not None:
        slots = slots.filter(point__institution_id=point_institution_id)
    # The deadline depends only on the date: drop the dates whose deadline has passed.
    first_open = clock.today()
    while not rules.may_change(now, first_open):
        first_open += dt.timedelta(days=1)
    return (
        slots.filter(date__gte=first_open)
        .select_related("point__institution")
        .order_by("point__institution__code", "date", "starts_at")
    )
