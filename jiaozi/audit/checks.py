"""System checks for the audit settings (run by ``manage.py check``)."""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from .guard import FLOOR_DAYS


@register()
def audit_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    days = getattr(settings, "AUDIT_RETENTION_DAYS", FLOOR_DAYS)
    if not isinstance(days, int) or days < FLOOR_DAYS:
        errors.append(
            Error(
                f"AUDIT_RETENTION_DAYS must be an integer of at least {FLOOR_DAYS} (six months).",
                id="jiaozi_audit.E001",
            )
        )
    try:
        key = base64.b64decode(settings.AUDIT_CHAIN_KEY, validate=True)
    except (ValueError, TypeError, AttributeError):
        key = b""
    if len(key) < 16:
        errors.append(Error("AUDIT_CHAIN_KEY must be base64 of at least 16 bytes.", id="jiaozi_audit.E002"))
    return errors
