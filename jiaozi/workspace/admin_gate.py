"""The Django admin answers 404 to everyone but a signed-in, active, MFA-verified
superuser (SECURITY check 23): the public must not even learn that an admin exists
under the staff prefix, so there is no admin login page either — superusers sign in
at the staff entrance first."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiaozi.accounts.models import User


def may_use_admin(user: User | AnonymousUser | None) -> bool:
    if user is None or not user.is_authenticated or not user.is_active or not user.is_superuser:
        return False
    if getattr(settings, "STAFF_MFA_REQUIRED", True):
        is_verified = getattr(user, "is_verified", None)  # set by django_otp's middleware
        return bool(is_verified and is_verified())
    return True


def _gate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_use_admin(getattr(request, "user", None)):
            raise Http404
        return view(request, *args, **kwargs)

    return gated


def _wrap(patterns: list[URLPattern | URLResolver]) -> None:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _wrap(pattern.url_patterns)
        else:
            pattern.callback = _gate(pattern.callback)


def gated_admin_urls(urls: tuple[list[Any], str, str]) -> tuple[list[Any], str, str]:
    """``path(f"{staff}/admin/", gated_admin_urls(admin.site.urls))``."""
    patterns, app_name, namespace = urls
    _wrap(patterns)
    return patterns, app_name, namespace
