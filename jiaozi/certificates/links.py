"""Absolute links printed on paper: the QR code of a stamped form must work from a
phone, without the request that produced the PDF (a Celery worker renders it)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"


def public_base_url() -> str:
    """PUBLIC_BASE_URL, the public site's scheme and host (no trailing slash)."""
    return str(getattr(settings, "PUBLIC_BASE_URL", "") or DEFAULT_PUBLIC_BASE_URL).rstrip("/")


def verification_url(token: str) -> str:
    """The public verification page of ``token``, absolute: what the QR code carries."""
    return public_base_url() + reverse("certificates:verify_token", kwargs={"token": token})
