"""The health check's parts: each answers "ok" when its service works and
"unavailable" (never an exception, never a detail) when it does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import DatabaseError

from jiaozi.core import health

pytestmark = pytest.mark.django_db


def test_every_part_answers_in_the_embedded_default(media_root: Path) -> None:
    result = health.health()
    assert result.ok
    assert result.checks == {"database": "ok", "cache": "ok", "broker": "inline", "storage": "ok"}
    assert not any((media_root / health.PROBE_DIR).glob("*"))  # the probe file is gone


def test_a_broker_that_does_not_answer_fails_the_check(settings: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # the discard port: refused
    result = health.health()
    assert not result.ok
    assert result.checks["broker"] == "unavailable"
    assert result.checks["database"] == "ok"


def test_a_failing_database_or_storage_is_reported_by_name(media_root: Path) -> None:
    with mock.patch.object(health.connection, "cursor", side_effect=DatabaseError("down")):
        assert health.health().checks["database"] == "unavailable"
    with mock.patch.object(health.default_storage, "save", side_effect=OSError("read-only")):
        result = health.health()
    assert result.checks["storage"] == "unavailable"
    assert not result.ok


def test_a_cache_that_loses_what_it_was_given_fails(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    from django.core.cache import caches

    with mock.patch.object(health, "caches", {"default": caches.create_connection("default")}):
        assert health.check_cache() == "mismatch"
