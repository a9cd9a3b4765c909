"""Working days (工作日) by China's official calendar: weekends off, public holidays off,
adjusted working days (调休) worked. The calendar is ``core/data/cn_working_calendar.csv``
(each year from the State Council's notice; the file names its sources).

Deadlines counted in working days — the 30 working days of a certification decision, the
20 of a certificate correction — use :func:`add_working_days`; the time taken, with
:func:`working_days_between`. A date in a year the file does not cover is counted by
weekends alone, and :func:`covers` says whether a year is covered so that a screen or a
check can warn that the calendar needs that year's notice.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import cache
from pathlib import Path

CALENDAR_FILE = Path(__file__).resolve().parent / "data" / "cn_working_calendar.csv"


@cache
def _calendar() -> tuple[frozenset[dt.date], frozenset[dt.date], frozenset[int]]:
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    with CALENDAR_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            day = dt.date.fromisoformat(row["date"])
            kind = row["kind"]
            if kind == "holiday":
                holidays.add(day)
            elif kind == "workday":
                workdays.add(day)
            else:
                raise ValueError(f"{CALENDAR_FILE.name}: unknown kind {kind!r} on {day}")
    years = frozenset(d.year for d in holidays | workdays)
    return frozenset(holidays), frozenset(workdays), years


def covers(year: int) -> bool:
    """Whether the calendar holds the official holidays of ``year``."""
    return year in _calendar()[2]


def is_working_day(day: dt.date) -> bool:
    holidays, workdays, _years = _calendar()
    if day in workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted):
    Friday 2024-09-13 + 2 is Wednesday 2024-09-18 (the Saturday between is worked, the
    Monday and Tuesday are 中秋节). ``days`` = 0 gives ``start``."""
    if days < 0:
        raise ValueError("days must be ≥ 0")
    day = start
    left = days
    while left:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` ≤ ``start``):
    the inverse of :func:`add_working_days`."""
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
