"""The embedded demo: SQLite, tasks inline, demo personas with documented passwords."""

import datetime as dt

from .base import *  # noqa: F403
from .base import BASE_DIR, env, env_bool

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
# windows are open. Empty turns the move off.
_demo_date = env("JIAOZI_DEMO_DATE", "2024-10-15")
JIAOZI_CLOCK_OFFSET_DAYS = (
    (dt.date.fromisoformat(_demo_date) - dt.date.today()).days if _demo_date else 0  # noqa: DTZ011
)
# `manage.py demo_date YYYY-MM-DD` moves the demo's date by writing this file; it wins
# over JIAOZI_DEMO_DATE, and the running server follows it (jiaozi/core/clock.py).
JIAOZI_CLOCK_DATE_FILE = env("JIAOZI_CLOCK_DATE_FILE", str(BASE_DIR / "var" / "demo-date"))
