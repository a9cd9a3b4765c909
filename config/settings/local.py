"""The embedded demo: SQLite, tasks inline, demo personas with documented passwords."""

import datetime as dt
from zoneinfo import ZoneInfo

from .base import *  # noqa: F403
from .base import BASE_DIR, TIME_ZONE, env, env_bool

# The demo is reachable by whoever can reach the machine: it runs with its real Chinese
# error pages, never Django's technical ones (a technical 404 lists every URL pattern,
# the staff entrance included). DJANGO_DEBUG=1 is for a developer's own machine only.
DEBUG = env_bool("DJANGO_DEBUG", False)
DEMO_MODE = env_bool("DEMO_MODE", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "jiaozi.core.staticfiles.StaffAdminStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# The demo plays the Anhui 2024 campaign: "today" is moved to JIAOZI_DEMO_DATE so its
# windows are open. Empty turns the move off. The offset counts from the date in the
# project's time zone (not the machine's): in Shanghai the day starts at 16:00 UTC.
_demo_date = env("JIAOZI_DEMO_DATE", "2024-10-15")
_here_today = dt.datetime.now(ZoneInfo(TIME_ZONE)).date()
JIAOZI_CLOCK_OFFSET_DAYS = (dt.date.fromisoformat(_demo_date) - _here_today).days if _demo_date else 0
# `manage.py demo_date YYYY-MM-DD` moves the demo's date by writing this file; it wins
# over JIAOZI_DEMO_DATE, and the running server follows it (jiaozi/core/clock.py).
JIAOZI_CLOCK_DATE_FILE = env("JIAOZI_CLOCK_DATE_FILE", str(BASE_DIR / "var" / "demo-date"))
