"""Processing deadlines of certificate requests (§7 "不得借故拖延"): the province's
number of working days (default 20) counted by the official calendar
(``core.workdays``), from the day the request was submitted — or submitted again after a
return, since the authority cannot act on an incomplete request (decision 0222)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from jiaozi.core import clock, workdays
from jiaozi.orgs.jurisdiction import province_code_of
from jiaozi.orgs.models import Institution

from .models import DEFAULT_PROCESSING_DAYS, DEFAULT_REMINDER_DAYS, ServiceSetting


@dataclass(frozen=True, slots=True)
class Rules:
    processing_days: int = DEFAULT_PROCESSING_DAYS
    reminder_days: int = DEFAULT_REMINDER_DAYS


def rules_for(institution: Institution | None) -> Rules:
    """The rules of the province ``institution`` lies in (defaults when it set none)."""
    code = province_code_of(institution)
    row = ServiceSetting.objects.filter(province__code=code).only("processing_days", "reminder_days").first()
    if row is None:
        return Rules()
    return Rules(processing_days=row.processing_days, reminder_days=row.reminder_days)


def due_on(start: dt.date, rules: Rules) -> dt.date:
    """The last day the authority may take: ``processing_days`` working days after
    ``start`` (``start`` itself not counted)."""
    return workdays.add_working_days(start, rules.processing_days)


def reminder_from(due: dt.date, rules: Rules) -> dt.date:
    """The first day of reminders: ``reminder_days`` working days before ``due``."""
    day = due
    left = rules.reminder_days
    while left > 0:
        day -= dt.timedelta(days=1)
        if workdays.is_working_day(day):
            left -= 1
    return day


class Urgency:
    OVERDUE = "overdue"  # past the deadline and still open
    DUE_SOON = "due_soon"  # within the reminder period
    ON_TIME = "on_time"


def urgency(due: dt.date, rules: Rules, *, today: dt.date | None = None) -> str:
    today = today or clock.today()
    if today > due:
        return Urgency.OVERDUE
    if today >= reminder_from(due, rules):
        return Urgency.DUE_SOON
    return Urgency.ON_TIME
