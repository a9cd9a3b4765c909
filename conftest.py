"""Project-wide test fixtures."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator

import pytest

# Playwright's sync API runs an event loop; Django refuses sync ORM calls under one
# unless told it is safe (the browser and the ORM run in different threads).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """Migrations load the reference data (Anhui divisions and bureaus, the 2024
    campaign), but a transactional test flushes every table when it ends. Put the data
    back for each database test, so no test depends on which ran before it."""
    if request.node.get_closest_marker("django_db") is None and not DB_FIXTURES & set(request.fixturenames):
        return
    request.getfixturevalue("_django_db_helper")
    from django.apps import apps

    from jiaozi.orgs.divisions import ensure_province
    from jiaozi.registration.models import Campaign

    ensure_province("anhui")
    if not Campaign.objects.filter(province_code="340000", year=2024).exists():
        importlib.import_module("jiaozi.registration.migrations.0002_anhui_2024_campaign").seed(apps, None)


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language, whatever the one before activated."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
