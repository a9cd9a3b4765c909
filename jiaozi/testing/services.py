"""What the tests marked ``services`` share: real processes (gunicorn app servers, a
Celery worker) running ``config.settings.production`` over this test's PostgreSQL
database and the local Redis (issue 13; docs/decisions/0273, 0275)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS = f"redis://{REDIS_HOST}:{REDIS_PORT}"


def redis_up() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_flush(db: int) -> None:
    with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=2) as sock:
        sock.sendall(f"SELECT {db}\r\nFLUSHDB\r\n".encode())
        sock.recv(64)


def require_services() -> None:
    """Skip on SQLite (the test database is in this process's memory); skip without
    Redis, except in CI, where that is a failure."""
    if connection.vendor != "postgresql":
        pytest.skip("real servers share the test database only on PostgreSQL")
    if not redis_up():
        if os.environ.get("CI"):
            pytest.fail("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
        pytest.skip("Redis is not running on 127.0.0.1:6379")


def database_url() -> str:
    s = connection.settings_dict
    user, host, port = s["USER"] or "postgres", s["HOST"] or "127.0.0.1", s["PORT"] or "5432"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_env(
    *, media_root: Path, outbox: Path, broker_db: int, cache_db: int, static_root: Path | None = None
) -> dict[str, str]:
    """The environment of a production process over this test's database, with this
    test process's keys (so both read and write the same encrypted columns and chains).
    An app server needs ``static_root``: the files ``collect_static`` gathered there
    (production serves the hashed names of its manifest)."""
    extra = {"STATIC_ROOT": str(static_root)} if static_root is not None else {}
    return extra | {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": database_url(),
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "STAFF_URL_PREFIX": settings.STAFF_URL_PREFIX,
        "FIELD_ENCRYPTION_KEYS": settings.FIELD_ENCRYPTION_KEYS,
        "FIELD_ENCRYPTION_KEYS_FILE": "",
        "FIELD_ENCRYPTION_ACTIVE_KEY": settings.FIELD_ENCRYPTION_ACTIVE_KEY,
        "BLIND_INDEX_KEY": settings.BLIND_INDEX_KEY,
        "AUDIT_CHAIN_KEY": settings.AUDIT_CHAIN_KEY,
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "COOKIES_SECURE": "0",
        "CELERY_BROKER_URL": f"{REDIS}/{broker_db}",
        "CELERY_RESULT_BACKEND": f"{REDIS}/{broker_db}",
        "REDIS_CACHE_URL": f"{REDIS}/{cache_db}",
        "MEDIA_ROOT": str(media_root),
        "NOTIFICATION_OUTBOX_DIR": str(outbox),
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "0",  # the test database is dropped afterwards: hold nothing
    }


def collect_static(static_root: Path) -> None:
    """``collectstatic`` with production settings into ``static_root``, as a release does
    before its app servers start."""
    env = production_env(
        media_root=static_root.parent / "media", outbox=static_root.parent / "outbox",
        broker_db=13, cache_db=13, static_root=static_root,
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.fail(f"collectstatic failed: {result.stderr[-2000:]}")


@contextmanager
def running(
    argv: list[str], *, env: dict[str, str], log_path: Path, stop_seconds: float = 30
) -> Iterator[subprocess.Popen[bytes]]:
    """A process of the project (``argv`` from the checkout's root), its output to
    ``log_path``; terminated when the block ends, killed if it does not stop in time."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=stop_seconds)
            except subprocess.TimeoutExpired:
                process.kill()


def _healthy(base: str) -> bool:
    # Asked the way the TLS-terminating proxy forwards it (a server redirecting plain
    # HTTP to HTTPS answers its health check too).
    request = urllib.request.Request(f"{base}/healthz", headers={"X-Forwarded-Proto": "https"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 — 127.0.0.1
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


@contextmanager
def app_servers(env: dict[str, str], logs: Path, count: int = 1) -> Iterator[list[str]]:
    """``count`` app servers as deployed (gunicorn, ``deploy/gunicorn.conf.py``) with
    ``env``, each on a free port of 127.0.0.1 and answering ``/healthz`` when the block
    begins; their base URLs. Each server's output goes to ``logs/server-<port>.log``."""
    with ExitStack() as stack:
        started = []
        for _ in range(count):
            port = free_port()
            log_path = logs / f"server-{port}.log"
            process = stack.enter_context(
                running(
                    [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
                    env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
                    log_path=log_path,
                )
            )
            started.append((f"http://127.0.0.1:{port}", process, log_path))
        for base, process, log_path in started:
            deadline = time.monotonic() + 60
            while not _healthy(base):
                if process.poll() is not None:
                    pytest.fail(f"an app server exited: {log_path.read_text(errors='replace')[-2000:]}")
                if time.monotonic() > deadline:
                    pytest.fail(f"{base} did not come up")
                time.sleep(0.3)
        yield [base for base, _process, _log in started]
