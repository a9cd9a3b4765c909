"""System checks for the core settings (run by ``manage.py check`` and at start-up)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from .clientip import parse_networks


@register()
def trusted_proxies(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    entries = getattr(settings, "TRUSTED_PROXIES", ())
    if isinstance(entries, str) or not all(isinstance(e, str) for e in entries):
        return [Error("TRUSTED_PROXIES must be a list of addresses or CIDR networks.", id="jiaozi_core.E001")]
    try:
        parse_networks(tuple(entries))
    except ValueError as exc:
        return [Error(str(exc), id="jiaozi_core.E001")]
    return []
