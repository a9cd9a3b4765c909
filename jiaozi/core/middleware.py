"""Keeps the current request's actor and client address for the audit log."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class RequestContext:
    ip: str | None
    user_id: int | None
    user_agent: str


_current: ContextVar[RequestContext | None] = ContextVar("jiaozi_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def client_ip(request: HttpRequest) -> str | None:
    # Behind the production proxy, REMOTE_ADDR is set by it (see docs/deploy).
    return request.META.get("REMOTE_ADDR")


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
