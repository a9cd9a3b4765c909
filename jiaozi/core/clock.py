"""The one source of "now". Tests move it with ``clock.travel``; the demo can set
JIAOZI_CLOCK_OFFSET_DAYS to play a campaign at another time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

_offset = dt.timedelta(0)


def now() -> dt.datetime:
    extra = dt.timedelta(days=getattr(settings, "JIAOZI_CLOCK_OFFSET_DAYS", 0))
    return timezone.now() + _offset + extra


def local_now() -> dt.datetime:
    return now().astimezone(ZoneInfo(settings.TIME_ZONE))


def today() -> dt.date:
    return local_now().date()


@contextmanager
def travel(to: dt.datetime) -> Iterator[None]:
    global _offset
    saved = _offset
    _offset = to - timezone.now()
    try:
        yield
    finally:
        _offset = saved
