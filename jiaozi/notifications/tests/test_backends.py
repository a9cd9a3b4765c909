"""The built-in channel backends and their selection by settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core import mail
from pytest_django.fixtures import Settings as SettingsWrapper

from jiaozi.notifications.backends import (
    ConsoleEmailBackend,
    DjangoEmailBackend,
    FileEmailBackend,
    FileSMSBackend,
    OutgoingMessage,
    get_backend,
    mask_address,
)

SMS = OutgoingMessage(
    channel="sms",
    to="13812345678",
    subject="注册结论",
    text="您的定期注册结论为注册合格。身份证 340104199001011234",
    notification_id=7,
    kind="registration.concluded",
)
EMAIL = OutgoingMessage(
    channel="email",
    to="lisi@example.cn",
    subject="注册结论",
    text="注册合格",
    notification_id=8,
    kind="registration.concluded",
)


def test_the_file_sms_backend_appends_masked_json_lines(tmp_path: Path) -> None:
    backend = FileSMSBackend(tmp_path)
    backend.send(SMS)
    backend.send(SMS)
    raw = (tmp_path / "sms.jsonl").read_text(encoding="utf-8")
    lines = [json.loads(line) for line in raw.splitlines()]
    assert len(lines) == 2
    assert lines[0]["to"] == "138****5678"
    assert lines[0]["notification"] == 7
    assert "13812345678" not in raw
    assert "340104199001011234" not in raw
    assert "340104********1234" in lines[0]["text"]


def test_the_file_email_backend_masks_the_address(tmp_path: Path) -> None:
    FileEmailBackend(tmp_path).send(EMAIL)
    line = json.loads((tmp_path / "email.jsonl").read_text(encoding="utf-8"))
    assert line["to"] == "l***@example.cn"


def test_the_console_email_backend_logs_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="jiaozi.notifications")
    ConsoleEmailBackend().send(EMAIL)
    assert "l***@example.cn" in caplog.text
    assert "lisi@example.cn" not in caplog.text


def test_the_django_email_backend_sends_through_django_mail() -> None:
    DjangoEmailBackend().send(EMAIL)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["lisi@example.cn"]
    assert mail.outbox[0].subject == "注册结论"


def test_backends_come_from_settings(settings: SettingsWrapper) -> None:
    settings.NOTIFICATION_SMS_BACKEND = "jiaozi.notifications.backends.ConsoleSMSBackend"
    settings.NOTIFICATION_EMAIL_BACKEND = "jiaozi.notifications.backends.DjangoEmailBackend"
    assert type(get_backend("sms")).__name__ == "ConsoleSMSBackend"
    assert type(get_backend("email")).__name__ == "DjangoEmailBackend"
    settings.NOTIFICATION_SMS_BACKEND = ""
    assert isinstance(get_backend("sms"), FileSMSBackend)


@pytest.mark.parametrize(
    ("channel", "to", "masked"),
    [("sms", "13812345678", "138****5678"), ("email", "a@b.cn", "a***@b.cn"), ("email", "nonsense", "***")],
)
def test_addresses_are_masked(channel: str, to: str, masked: str) -> None:
    assert mask_address(channel, to) == masked
