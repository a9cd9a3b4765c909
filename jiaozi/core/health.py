"""Health checks for the load balancer and monitoring (``/healthz``): the database, the
shared cache, the broker and the file storage each answer, quickly, or the server is
reported unhealthy (docs/operations.md, docs/decisions/0273).

Each check returns ``"ok"`` or a short, non-sensitive word for what failed; the detail
goes to the log (through the redacting filter), never to the answer. In the embedded
default the broker is in memory and tasks run inline: the broker check then says
``"inline"`` and does not fail.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2
PROBE_DIR = "health"


@dataclass(frozen=True)
class Health:
    ok: bool
    checks: dict[str, str]
    seconds: float


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_cache() -> str:
    cache = caches["default"]
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    value = cache.get(key)
    cache.delete(key)
    return "ok" if value == "1" else "mismatch"


def check_broker() -> str:
    url = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False) or url.startswith("memory://"):
        return "inline"
    from kombu import Connection

    with Connection(url, connect_timeout=TIMEOUT_SECONDS, transport_options={"max_retries": 0}) as conn:
        conn.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)
    return "ok"


def check_storage() -> str:
    """Write, read back and delete a small file where uploads and documents go (a
    shared volume or an S3-compatible store in production)."""
    name = default_storage.save(f"{PROBE_DIR}/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        with default_storage.open(name) as handle:
            body = handle.read()
    finally:
        default_storage.delete(name)
    return "ok" if body == b"ok" else "mismatch"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "storage": check_storage,
}


def health() -> Health:
    """Run every check; one failing does not stop the others."""
    started = time.monotonic()
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception:  # any failure is "unavailable"; the log has the detail
            logger.exception("health check: %s unavailable", name)
            results[name] = "unavailable"
    ok = all(value in {"ok", "inline"} for value in results.values())
    return Health(ok=ok, checks=results, seconds=time.monotonic() - started)
