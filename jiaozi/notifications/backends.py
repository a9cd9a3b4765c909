"""Outside channels for notifications, chosen by dotted path in settings:

    NOTIFICATION_SMS_BACKEND   = "jiaozi.notifications.backends.FileSMSBackend"    (default)
    NOTIFICATION_EMAIL_BACKEND = "jiaozi.notifications.backends.FileEmailBackend"  (default)
    NOTIFICATION_OUTBOX_DIR    = BASE_DIR / "var" / "outbox"                       (default)

A province plugs in its SMS gateway by writing a class with ``send(message)`` that
raises on failure (the task records the failure and retries). The built-in backends
stand in for a gateway: they write or log what would be sent, with the phone number
or address masked and the text passed through the log redaction — an outbox is a
log, and logs never hold a phone number or an ID in clear (SECURITY 19).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from jiaozi.core import clock
from jiaozi.core.logging import redact
from jiaozi.core.masking import mask_phone

logger = logging.getLogger("jiaozi.notifications")

DEFAULT_BACKENDS = {
    "sms": "jiaozi.notifications.backends.FileSMSBackend",
    "email": "jiaozi.notifications.backends.FileEmailBackend",
}
SETTINGS = {"sms": "NOTIFICATION_SMS_BACKEND", "email": "NOTIFICATION_EMAIL_BACKEND"}


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    channel: str
    to: str  # the phone number or e-mail address, in clear: for the gateway only
    subject: str
    text: str
    notification_id: int
    kind: str


class Backend(Protocol):
    def send(self, message: OutgoingMessage) -> None: ...


def mask_address(channel: str, to: str) -> str:
    if channel == "sms":
        return mask_phone(to)
    local, _, domain = to.partition("@")
    return (local[:1] + "***@" + domain) if domain else "***"


def _record(message: OutgoingMessage) -> dict[str, object]:
    return {
        "at": clock.now().isoformat(),
        "channel": message.channel,
        "to": mask_address(message.channel, message.to),
        "notification": message.notification_id,
        "kind": message.kind,
        "subject": redact(message.subject),
        "text": redact(message.text),
    }


class ConsoleSMSBackend:
    """Logs the SMS (masked) at INFO instead of sending it."""

    def send(self, message: OutgoingMessage) -> None:
        record = _record(message)
        logger.info("SMS to %s: %s", record["to"], record["text"])


class ConsoleEmailBackend:
    """Logs the e-mail (masked) at INFO instead of sending it."""

    def send(self, message: OutgoingMessage) -> None:
        record = _record(message)
        logger.info("E-mail to %s: %s — %s", record["to"], record["subject"], record["text"])


class _FileBackend:
    filename = ""
    _lock = threading.Lock()

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(
            directory
            or getattr(settings, "NOTIFICATION_OUTBOX_DIR", None)
            or settings.BASE_DIR / "var" / "outbox"
        )

    def send(self, message: OutgoingMessage) -> None:
        line = json.dumps(_record(message), ensure_ascii=False)
        self.directory.mkdir(parents=True, exist_ok=True)
        # One JSON object per line, appended: readable with `tail -f`, safe for
        # concurrent senders in one process.
        with self._lock, (self.directory / self.filename).open("a", encoding="utf-8") as outbox:
            outbox.write(line + "\n")


class FileSMSBackend(_FileBackend):
    """Appends each SMS (masked) to <outbox>/sms.jsonl. The demo's and tests' gateway."""

    filename = "sms.jsonl"


class FileEmailBackend(_FileBackend):
    """Appends each e-mail (masked) to <outbox>/email.jsonl."""

    filename = "email.jsonl"


class DjangoEmailBackend:
    """Sends through Django's mail (EMAIL_BACKEND, SMTP in production)."""

    def send(self, message: OutgoingMessage) -> None:
        send_mail(message.subject, message.text, None, [message.to], fail_silently=False)


@cache
def _backend_class(path: str) -> type[Backend]:
    return import_string(path)  # type: ignore[no-any-return]


def get_backend(channel: str) -> Backend:
    """The configured backend of ``channel`` ("sms" or "email")."""
    path = getattr(settings, SETTINGS[channel], "") or DEFAULT_BACKENDS[channel]
    return _backend_class(path)()
