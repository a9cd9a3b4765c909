"""The applicant gate of certification's pages at /me/certification/.

The applicant area's own decorator lives in ``jiaozi.applicants``, a layer above
certification; this is the same rule built from the accounts pieces it uses (sign-in
page for the anonymous, the audited 403 for staff, the password page when the password
expired), so the two areas behave alike (docs/decisions/0207)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from jiaozi.accounts.actor import actor_of
from jiaozi.accounts.events import access_denied_event
from jiaozi.accounts.models import User
from jiaozi.accounts.services import password_expired

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def applicant_required(func: V) -> V:
    @never_cache
    @wraps(func)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not isinstance(user, User):
            url = reverse("applicants:login")
            if request.method == "GET":
                url = f"{url}?{urlencode({'next': request.get_full_path()})}"
            return redirect(url)
        if not actor_of(user).is_active_applicant:
            access_denied_event(user=user, path=request.path, reason="not_applicant")
            return render(request, "applicants/not_applicant.html", status=403)
        if password_expired(user):
            return redirect("applicants:password_change")
        return func(request, *args, **kwargs)

    return cast(V, wrapped)


def applicant_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user
