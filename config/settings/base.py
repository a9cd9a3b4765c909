"""Settings shared by every environment. Every value comes from the environment;
`.env.example` documents each one. Production (production.py) has no defaults for
secrets."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _load_dotenv(path: Path) -> None:
    """KEY=VALUE lines of ``.env``, when present; the real environment wins."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            os.environ.setdefault(key.strip(), value.strip())


_load_dotenv(BASE_DIR / ".env")


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"Set the environment variable {name}.")
    return value


def env_bool(name: str, default: bool) -> bool:
    return env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# --- Core -------------------------------------------------------------------
SECRET_KEY = env("DJANGO_SECRET_KEY", "insecure-development-key-change-me-0123456789")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
# Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For is believed; empty:
# the direct peer is the client. docs/deployment.md, jiaozi/core/clientip.py.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # runserver serves static files through WhiteNoise too, not through staticfiles'
    # own handler (which would serve /static/admin/… to anyone).
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_htmx",
    "ninja",  # Swagger UI templates and static files, served locally (no CDN)
    "bootstrap",
    "jiaozi.core",
    "jiaozi.audit",
    "jiaozi.orgs",
    "jiaozi.accounts",
    "jiaozi.workspace",
    "jiaozi.portal",
    "jiaozi.teachers",
    "jiaozi.registration",
    "jiaozi.certificates",
    "jiaozi.notifications",
    "jiaozi.applicants",
    "jiaozi.confirmation",
    "jiaozi.certification",
    "jiaozi.certservices",
    "jiaozi.announcements",
    "jiaozi.directory",
    "jiaozi.oversight",
    "jiaozi.exports",
    "jiaozi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "jiaozi.core.staticfiles.StaticFilesMiddleware",  # WhiteNoise; admin files under the staff prefix
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "jiaozi.core.middleware.RequestContextMiddleware",
    "jiaozi.accounts.middleware.SessionPolicyMiddleware",
    "jiaozi.accounts.actor.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "jiaozi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jiaozi.core.context_processors.site",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# sqlite:///path (WAL, immediate transactions) by default; postgres://… in production.
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'jiaozi.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of one
        # failing half-way with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }
else:
    # Connections kept (docs/decisions/0272): a new PostgreSQL connection per request
    # costs more than the request's own SQL. Either each worker keeps its connection for
    # DB_CONN_MAX_AGE seconds (checked before reuse), or psycopg's pool (DB_POOL=1) lends
    # one per request from a pool per process; the pool wants DB_CONN_MAX_AGE 0.
    _pool = env_bool("DB_POOL", False)
    DATABASES["default"]["OPTIONS"] = (
        {"pool": {"min_size": 2, "max_size": env_int("DB_POOL_MAX", 16), "timeout": 10}} if _pool else {}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if _pool else env_int("DB_CONN_MAX_AGE", 0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and authentication -------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    # Django's common-password list, also with digits/symbols around and look-alikes.
    {"NAME": "jiaozi.accounts.passwords.CommonPasswordVariantValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "jiaozi.accounts.passwords.CharacterClassValidator"},
    {"NAME": "jiaozi.accounts.passwords.NoIdentityInPasswordValidator"},
    {"NAME": "jiaozi.accounts.passwords.MaximumLengthValidator"},
]
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 90)
PASSWORD_RESET_TIMEOUT = 30 * 60

# Staff sign-in requires a verified TOTP device (MLPS 8.1.4.1d, ASVS 6.3.3).
STAFF_MFA_REQUIRED = env_bool("STAFF_MFA_REQUIRED", True)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Jiaozi 教资")
STAFF_INACTIVE_DISABLE_DAYS = env_int("STAFF_INACTIVE_DISABLE_DAYS", 90)

# Lock per username (not per IP) for 30 minutes after 5 failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "jiaozi.accounts.views.lockout_response"
# The lockout records and rate-limits by the same client address as everything else
# (jiaozi/core/clientip.py), never by a header a client can set.
AXES_CLIENT_IP_CALLABLE = "jiaozi.core.middleware.client_ip"

# Sessions: idle 30 minutes, absolute cap 8 hours. The last-seen time (and with it the
# session row's expiry and the cookie's) moves at most once a minute: a signed-in GET
# within that minute writes nothing (docs/decisions/0270).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_SEEN_REFRESH_SECONDS = env_int("SESSION_SEEN_REFRESH_SECONDS", 60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "jiaozi_session"
CSRF_COOKIE_HTTPONLY = True
LOGIN_URL = "accounts:login"

# --- The staff entrance -----------------------------------------------------
# The notice forbids disclosing the system's address: the staff entrance and the
# admin live under a configurable, unguessable prefix that no public page links to.
STAFF_URL_PREFIX = env("STAFF_URL_PREFIX", "staff-7q2m9x4k").strip("/")

# --- Personal data at rest --------------------------------------------------
# Keys are base64. FIELD_ENCRYPTION_KEYS="k1:<base64 16 bytes>,k0:<…>"; the active key
# encrypts new values, the others still decrypt old ones.
FIELD_ENCRYPTION_ALGORITHM = env("FIELD_ENCRYPTION_ALGORITHM", "sm4-gcm")
FIELD_ENCRYPTION_KEYS = env("FIELD_ENCRYPTION_KEYS", "dev1:ZGV2LWtleS0xLWppYW96aQ==")
# Or a key file outside the source tree (one ``id:base64`` a line); it wins over the
# variable. ``manage.py rotate_keys`` moves every stored value to the active key.
FIELD_ENCRYPTION_KEYS_FILE = env("FIELD_ENCRYPTION_KEYS_FILE", "")
FIELD_ENCRYPTION_ACTIVE_KEY = env("FIELD_ENCRYPTION_ACTIVE_KEY", "dev1")
# hmac-sm3 or hmac-sha256; changing it means re-indexing every encrypted column.
BLIND_INDEX_ALGORITHM = env("BLIND_INDEX_ALGORITHM", "hmac-sm3")
BLIND_INDEX_KEY = env("BLIND_INDEX_KEY", "ZGV2LWJsaW5kLWluZGV4LWtleS1qaWFvemktMDAwMDA=")
AUDIT_CHAIN_KEY = env("AUDIT_CHAIN_KEY", "ZGV2LWF1ZGl0LWNoYWluLWtleS1qaWFvemktMDAwMDA=")

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "jiaozi" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "jiaozi" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "jiaozi.core.staticfiles.StaffAdminManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
WHITENOISE_USE_FINDERS = False

# --- Security headers -------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Background work ----------------------------------------------------------
# Without a broker the tasks run inline (the embedded default); production sets Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True

# --- API ----------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 200

# --- Logging ------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "jiaozi.core.logging.RedactFilter"}},
    "formatters": {
        "plain": {
            "()": "jiaozi.core.logging.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        # runserver's request log: Django's format, redacted (an ID in a query is not logged).
        "server": {
            "()": "jiaozi.core.logging.RedactingServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        "server": {"class": "logging.StreamHandler", "formatter": "server", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Replaces Django's own handlers (an unredacted console in DEBUG, mail_admins):
        # everything under "django" goes through the redacting root handler.
        "django": {"level": "INFO"},
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
}

# --- Site -------------------------------------------------------------------
# The department running the system (footer 主办单位) and the public address used in
# QR codes of stamped forms.
SITE_ORGANIZER = env("SITE_ORGANIZER", "安徽省教育厅")
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# --- Retention, re-confirmation, limits -------------------------------------------
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 183)
STAFF_RECONFIRM_DAYS = env_int("STAFF_RECONFIRM_DAYS", 365)
# Confirmation bookings may be made, moved or cancelled until this many days before the
# booked day, at this local time (docs/decisions/0216).
CONFIRMATION_CHANGE_DAYS_BEFORE = env_int("CONFIRMATION_CHANGE_DAYS_BEFORE", 1)
CONFIRMATION_CHANGE_AT = env("CONFIRMATION_CHANGE_AT", "17:00")
API_THROTTLE_RATE = env("API_THROTTLE_RATE", "1200/m")
# (hits, seconds) for the public verification pages.
VERIFY_TOKEN_RATE_LIMIT = (env_int("VERIFY_TOKEN_RATE_HITS", 30), 60)
VERIFY_LOOKUP_RATE_LIMIT = (env_int("VERIFY_LOOKUP_RATE_HITS", 10), 60)
VERIFY_LOOKUP_NUMBER_RATE_LIMIT = (env_int("VERIFY_LOOKUP_NUMBER_RATE_HITS", 20), 3600)
OBJECTION_IP_RATE_LIMIT = (env_int("OBJECTION_IP_RATE_HITS", 5), 3600)
OBJECTION_APPLICATION_RATE_LIMIT = (env_int("OBJECTION_APPLICATION_RATE_HITS", 20), 86400)
REGISTRATION_MATERIAL_MAX_BYTES = env_int("REGISTRATION_MATERIAL_MAX_BYTES", 5 * 1024 * 1024)
REGISTRATION_MATERIAL_MAX_FILES = env_int("REGISTRATION_MATERIAL_MAX_FILES", 30)
# An export of more rows than this needs a second person's approval (SECURITY.md check 25;
# jiaozi/audit/exports.py). Every export path calls the one check; see docs/security.md.
EXPORT_APPROVAL_THRESHOLD = env_int("EXPORT_APPROVAL_THRESHOLD", 10_000)
TEACHER_IMPORT_MAX_BYTES = env_int("TEACHER_IMPORT_MAX_BYTES", 200 * 1024 * 1024)
# What an uploaded .xlsx or .zip may inflate to (zip bombs; jiaozi/teachers/importing/limits.py):
# all members together, one worksheet or CSV file, the shared-string table, any other
# part read whole, and the number of members.
TEACHER_IMPORT_MAX_INFLATED_BYTES = env_int("TEACHER_IMPORT_MAX_INFLATED_BYTES", 2048 * 1024 * 1024)
TEACHER_IMPORT_MAX_SHEET_BYTES = env_int("TEACHER_IMPORT_MAX_SHEET_BYTES", 1024 * 1024 * 1024)
TEACHER_IMPORT_MAX_SHARED_STRINGS_BYTES = env_int(
    "TEACHER_IMPORT_MAX_SHARED_STRINGS_BYTES", 128 * 1024 * 1024
)
TEACHER_IMPORT_MAX_PART_BYTES = env_int("TEACHER_IMPORT_MAX_PART_BYTES", 16 * 1024 * 1024)
TEACHER_IMPORT_MAX_MEMBERS = env_int("TEACHER_IMPORT_MAX_MEMBERS", 1000)

# --- Notifications and documents ------------------------------------------------
NOTIFICATION_SMS_BACKEND = env("NOTIFICATION_SMS_BACKEND", "jiaozi.notifications.backends.FileSMSBackend")
NOTIFICATION_EMAIL_BACKEND = env(
    "NOTIFICATION_EMAIL_BACKEND", "jiaozi.notifications.backends.FileEmailBackend"
)
NOTIFICATION_OUTBOX_DIR = env("NOTIFICATION_OUTBOX_DIR", str(BASE_DIR / "var" / "outbox"))
# A licensed TrueType CJK font to embed in PDFs instead of the standard STSong-Light.
CERTIFICATE_PDF_FONT_FILE = env("CERTIFICATE_PDF_FONT_FILE", "")

# --- Scheduled jobs (Celery beat in production; `run_due_jobs` by cron otherwise) ----
# Each app registers its periodic jobs (jiaozi.core.jobs) from its AppConfig.ready();
# config/celery.py gives beat one entry per registered job when beat starts. Cron can
# run ``manage.py run_due_jobs`` instead; the jobs are safe to overlap.

# --- Load test -----------------------------------------------------------------
# Mounts the bare one-insert view the load test measures as its floor (make cluster
# turns it on for its scratch database; never on a real installation).
LOAD_FLOOR_VIEW = env_bool("LOAD_FLOOR_VIEW", False)

# --- Demo ---------------------------------------------------------------------
DEMO_MODE = env_bool("DEMO_MODE", False)

# SECURITY.md asks for a per-username lock (an attacker varying IPs must not get more
# tries); axes warns because it prefers per-IP. Bulk guessing per IP is rate-limited
# separately.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
