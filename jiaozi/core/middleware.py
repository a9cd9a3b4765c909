"""Keeps the current request's actor and client address for the audit log."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from . import clientip


@dataclass(frozen=True)
class RequestContext:
    ip: str | None
    user_id: int | None
    user_agent: str


_current: ContextVar[RequestContext | None] = ContextVar("jiaozi_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or, when that peer is one of
    ``settings.TRUSTED_PROXIES``, the right-most X-Forwarded-For hop that is not a
    trusted proxy (jiaozi.core.clientip). Everything that counts or records an
    address calls this: rate limits, the sign-in lockout, the audit log."""
    return clientip.resolve(
        request.META.get("REMOTE_ADDR"),
        request.META.get("HTTP_X_FORWARDED_FOR"),
        getattr(settings, "TRUSTED_PROXIES", ()),
    )


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        token = _current.set(
            RequestContext(
                ip=client_ip(request),
                user_id=user.pk if user is not None and user.is_authenticated else None,
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
            )
        )
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
