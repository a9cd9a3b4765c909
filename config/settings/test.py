"""Test settings: fast hashing, eager tasks, the same security rules as production."""

from .base import *  # noqa: F403
from .base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
DEMO_MODE = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "jiaozi.core.staticfiles.StaffAdminStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
STAFF_URL_PREFIX = "staff-test"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": ""}  # in memory

# Transactional tests flush the database; the audit guard lets that one command through
# (jiaozi/audit/management/commands/flush.py). Never set this outside tests.
AUDIT_FLUSH_ALLOWED = True
