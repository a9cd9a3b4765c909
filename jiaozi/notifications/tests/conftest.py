from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper


@pytest.fixture(autouse=True)
def outbox(settings: SettingsWrapper, tmp_path: Path) -> Path:
    """Every test writes its SMS and e-mail outbox to its own folder."""
    settings.NOTIFICATION_OUTBOX_DIR = tmp_path / "outbox"
    settings.NOTIFICATION_SMS_BACKEND = "jiaozi.notifications.backends.FileSMSBackend"
    settings.NOTIFICATION_EMAIL_BACKEND = "jiaozi.notifications.backends.FileEmailBackend"
    return tmp_path / "outbox"
