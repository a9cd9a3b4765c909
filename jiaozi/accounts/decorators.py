"""``staff_required(*roles)`` for staff views.

- anonymous → the staff sign-in page (with ``next``);
- signed in but not staff (an applicant) → the staff sign-in page;
- staff without a verified second factor (when STAFF_MFA_REQUIRED) → the code page;
- staff with an initial or expired password → the password change page;
- staff whose role is not among ``roles`` → 403 page, audited as a denial.

Every answer is ``never_cache`` (``Cache-Control: no-store``): the staff area shows
personal data, and a shared or back-button cache must not keep it.

No roles means any staff role. The session middleware already enforces the second
factor and the password change; checking again here keeps a view safe even if it is
mounted outside the staff prefix."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from .actor import is_staff_account
from .events import access_denied_event
from .middleware import staff_redirect
from .models import User
from .services import password_expired

V = TypeVar("V", bound=Callable[..., HttpResponse])


def _to(request: HttpRequest, name: str) -> HttpResponse:
    url = reverse(name)
    if request.method == "GET" and not request.headers.get("HX-Request"):
        url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    return staff_redirect(request, url)


def forbidden(request: HttpRequest, *, reason: str = "role") -> HttpResponse:
    access_denied_event(user=request.user, path=request.path, reason=reason)
    return render(request, "accounts/forbidden.html", status=403)


def staff_user(request: HttpRequest) -> User:
    """The signed-in account of a page behind ``staff_required`` (or ``applicant_required``),
    typed: those decorators have already turned everyone else away."""
    user = request.user
    if not isinstance(user, User):
        raise DjangoPermissionDenied
    return user


def is_verified(user: User | AnonymousUser) -> bool:
    """The user passed the second factor in this session (django-otp)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def staff_required(*roles: str, allow_expired_password: bool = False) -> Callable[[V], V]:
    """``allow_expired_password`` is for the password change page itself."""

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not isinstance(user, User) or not is_staff_account(user):
                return _to(request, "accounts:login")
            if settings.STAFF_MFA_REQUIRED and not is_verified(user):
                return _to(request, "accounts:otp_verify")
            if not allow_expired_password and password_expired(user):
                return _to(request, "accounts:password_change")
            if roles and user.role not in roles:
                return forbidden(request)
            return view(request, *args, **kwargs)

        return cast(V, never_cache(wrapped))

    return decorator
