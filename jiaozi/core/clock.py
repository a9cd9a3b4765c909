"""The one source of "now". Tests move it with ``clock.travel``; the demo plays a
campaign at another date: ``JIAOZI_CLOCK_OFFSET_DAYS`` (fixed when the settings load) or
``JIAOZI_CLOCK_DATE_FILE``, a file holding the date "today" is (``YYYY-MM-DD``), which
``manage.py demo_date`` writes and every process reads again when it changes — so the
server follows a moved date without a restart (docs/decisions/0261).

Everything that stamps a time — workflow dates, account creation, sign-ins, uploads,
``auto_now`` columns (``core.fields.ClockDateTimeField``) — reads this clock, so the
pages never show two different "todays"."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

# The travels in force, oldest first: (token, offset). ``now()`` follows the newest. A
# travel leaving removes its own entry, so travels that end out of order (threads racing
# inside their own travels, fixtures closed in another order) never leave a moved clock.
_travels: list[tuple[int, dt.timedelta]] = []
_travels_lock = threading.Lock()
_tokens = itertools.count()
# (path, mtime_ns) → the date the file holds; read again only when the file changes.
_file_seen: tuple[str, int] | None = None
_file_date: dt.date | None = None


def _file_day() -> dt.date | None:
    """The date ``JIAOZI_CLOCK_DATE_FILE`` holds, or None (no such setting, no file, or
    not a date)."""
    global _file_seen, _file_date
    path = str(getattr(settings, "JIAOZI_CLOCK_DATE_FILE", "") or "")
    if not path:
        return None
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return None
    if _file_seen != (path, mtime):
        try:
            with open(path, encoding="utf-8") as fh:
                _file_date = dt.date.fromisoformat(fh.read().strip())
        except (OSError, ValueError):
            _file_date = None
        _file_seen = (path, mtime)
    return _file_date


def configured_offset() -> dt.timedelta:
    """How far the settings move the clock from the machine's (whole days)."""
    day = _file_day()
    if day is not None:
        real_today = timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()
        return dt.timedelta(days=(day - real_today).days)
    return dt.timedelta(days=getattr(settings, "JIAOZI_CLOCK_OFFSET_DAYS", 0))


def _travel_offset() -> dt.timedelta:
    travels = _travels
    return travels[-1][1] if travels else dt.timedelta(0)


def now() -> dt.datetime:
    return timezone.now() + _travel_offset() + configured_offset()


def local_now() -> dt.datetime:
    return now().astimezone(ZoneInfo(settings.TIME_ZONE))


def today() -> dt.date:
    return local_now().date()


@contextmanager
def travel(to: dt.datetime) -> Iterator[None]:
    """Inside the block, ``now()`` is ``to`` (and runs on from there), whatever the
    settings' offset."""
    token = next(_tokens)
    with _travels_lock:
        _travels.append((token, to - timezone.now() - configured_offset()))
    try:
        yield
    finally:
        with _travels_lock:
            _travels[:] = [entry for entry in _travels if entry[0] != token]


def travels_in_force() -> int:
    """How many travels have begun and not ended (the test suite checks none is left)."""
    return len(_travels)


def travels_end_all() -> None:
    with _travels_lock:
        _travels.clear()
