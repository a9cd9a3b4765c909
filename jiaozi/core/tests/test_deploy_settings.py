"""The production settings (SECURITY.md checks 20 and 21): Django's deployment checklist
passes at warning level, and the transport, cookie and session values are the ones the
checklist asks for. Run in a subprocess, since the production settings module reads its
secrets from the environment at import."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[3]


def _production_env(**extra: str) -> dict[str, str]:
    def rand(n: int) -> str:
        return base64.b64encode(os.urandom(n)).decode()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=rand(48),
        STAFF_URL_PREFIX="ci-prefix-x7",
        FIELD_ENCRYPTION_KEYS=f"k1:{rand(16)}",
        FIELD_ENCRYPTION_ACTIVE_KEY="k1",
        BLIND_INDEX_KEY=rand(32),
        AUDIT_CHAIN_KEY=rand(32),
        PUBLIC_BASE_URL="https://jszg.example.cn",
        DJANGO_ALLOWED_HOSTS="jszg.example.cn",
    )
    env.update(extra)
    return env


def _manage(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_production_env(**extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_at_warning_level_with_production_settings() -> None:
    done = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stderr + done.stdout


def test_check_deploy_fails_when_hsts_is_switched_off() -> None:
    # The check above is not vacuous: a weakened production setting fails it.
    done = _manage("check", "--deploy", "--fail-level", "WARNING", SECURE_HSTS_SECONDS="0")
    assert done.returncode != 0
    assert "security.W004" in done.stderr + done.stdout


_PRINT = """
import json
from django.conf import settings
names = [
    "DEBUG", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT",
    "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS",
    "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_NAME", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "SESSION_COOKIE_AGE",
    "SESSION_ABSOLUTE_SECONDS", "PASSWORD_RESET_TIMEOUT", "AUDIT_RETENTION_DAYS",
    "AXES_FAILURE_LIMIT", "AXES_LOCKOUT_PARAMETERS", "PASSWORD_MAX_AGE_DAYS", "STAFF_MFA_REQUIRED",
    "FIELD_ENCRYPTION_ALGORITHM", "BLIND_INDEX_ALGORITHM", "EXPORT_APPROVAL_THRESHOLD",
]
print(json.dumps({n: getattr(settings, n) for n in names}))
"""


@pytest.fixture(scope="module")
def production() -> dict[str, Any]:
    done = _manage("shell", "-c", _PRINT)
    assert done.returncode == 0, done.stderr
    values: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return values


def test_production_transport_and_cookies(production: dict[str, Any]) -> None:
    assert production["DEBUG"] is False
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert production["SECURE_REFERRER_POLICY"] == "same-origin"
    assert production["X_FRAME_OPTIONS"] == "DENY"
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert production["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["CSRF_COOKIE_HTTPONLY"] is True


def test_production_sessions_passwords_and_retention(production: dict[str, Any]) -> None:
    assert production["SESSION_COOKIE_AGE"] == 30 * 60  # idle
    assert production["SESSION_ABSOLUTE_SECONDS"] == 8 * 3600
    assert production["PASSWORD_RESET_TIMEOUT"] == 30 * 60
    assert production["PASSWORD_MAX_AGE_DAYS"] == 90
    assert production["AXES_FAILURE_LIMIT"] == 5
    assert production["AXES_LOCKOUT_PARAMETERS"] == ["username"]
    assert production["STAFF_MFA_REQUIRED"] is True
    assert production["AUDIT_RETENTION_DAYS"] >= 183
    assert production["FIELD_ENCRYPTION_ALGORITHM"] == "sm4-gcm"
    assert production["BLIND_INDEX_ALGORITHM"] == "hmac-sm3"
    assert production["EXPORT_APPROVAL_THRESHOLD"] > 0


@pytest.mark.django_db
@override_settings(
    SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True
)
def test_hsts_header_on_https_responses(client: Client) -> None:
    response = client.get(reverse("portal:home"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
