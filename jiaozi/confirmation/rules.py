"""Pure rules of booking: the change cut-off and when a booking may be checked in or
marked absent. Plain values in, plain values out (no database)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def change_deadline(
    slot_date: dt.date, *, days_before: int | None = None, at: dt.time | None = None
) -> dt.datetime:
    """The last moment (exclusive) a booking for ``slot_date`` may be made, moved or
    cancelled: ``days_before`` days earlier at ``at``, local time. Defaults come from the
    settings ``CONFIRMATION_CHANGE_DAYS_BEFORE`` (1) and ``CONFIRMATION_CHANGE_AT``
    ("17:00"): the day before, 17:00, when the point prints its list (docs/decisions/0216)."""
    if days_before is None:
        days_before = int(getattr(settings, "CONFIRMATION_CHANGE_DAYS_BEFORE", 1))
    if at is None:
        at = dt.time.fromisoformat(str(getattr(settings, "CONFIRMATION_CHANGE_AT", "17:00")))
    return dt.datetime.combine(slot_date - dt.timedelta(days=days_before), at, tzinfo=_tz())


def may_change(now: dt.datetime, slot_date: dt.date, **options: object) -> bool:
    """True while ``now`` is before the change deadline of ``slot_date``."""
    return now < change_deadline(slot_date, **options)  # type: ignore[arg-type]


def may_check_in(now: dt.datetime, slot_date: dt.date) -> bool:
    """Check-in happens on the booked day (any slot of it: an early or late applicant is
    still the point's to confirm that day)."""
    return now.astimezone(_tz()).date() == slot_date


def may_mark_no_show(now: dt.datetime, slot_date: dt.date, slot_end: dt.time) -> bool:
    """Absence is recorded once the slot is over, never before."""
    return now >= dt.datetime.combine(slot_date, slot_end, tzinfo=_tz())
