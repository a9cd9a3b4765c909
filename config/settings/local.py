"""The embedded demo: SQLite, tasks inline, demo personas with documented passwords."""

import datetime as dt

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
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
