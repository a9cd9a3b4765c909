"""Production: PostgreSQL, Celery on Redis, HTTPS. Secrets have no defaults."""

from .base import *  # noqa: F403
from .base import DATABASES, env, env_bool, env_int

DEBUG = False
DEMO_MODE = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
STAFF_URL_PREFIX = env("STAFF_URL_PREFIX").strip("/")
# The keys come from a key file outside the source tree or from the environment.
FIELD_ENCRYPTION_KEYS_FILE = env("FIELD_ENCRYPTION_KEYS_FILE", "")
FIELD_ENCRYPTION_KEYS = env("FIELD_ENCRYPTION_KEYS", "" if FIELD_ENCRYPTION_KEYS_FILE else None)
FIELD_ENCRYPTION_ACTIVE_KEY = env("FIELD_ENCRYPTION_ACTIVE_KEY")
BLIND_INDEX_KEY = env("BLIND_INDEX_KEY")
AUDIT_CHAIN_KEY = env("AUDIT_CHAIN_KEY")

CELERY_BROKER_URL = env("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/1")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Secure cookies (HTTPS only). COOKIES_SECURE=0 is for `make cluster` on 127.0.0.1 over
# plain HTTP, never for a server others reach (deploy/cluster.py).
SESSION_COOKIE_SECURE = env_bool("COOKIES_SECURE", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_NAME = "__Host-jiaozi_session" if SESSION_COOKIE_SECURE else "jiaozi_session"

# One cache for every app server: rate limits, lockouts and throttles must count across
# processes.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("REDIS_CACHE_URL", "redis://127.0.0.1:6379/2"),
    }
}
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL")

# Connections kept across requests (docs/decisions/0272): ten minutes unless the pool is on.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3" and not DATABASES["default"]["OPTIONS"]:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 600)
