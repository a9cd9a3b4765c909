"""``holder_required`` for the holder's pages at /me/certificates/.

The same rules as the applicant area's own pages (that area sits above this app, so its
decorator cannot be imported here): anonymous → the applicant sign-in page, a staff
account → 403 (audited), an expired password → the password page. Every page behind it
is about a person: never cached."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from jiaozi.accounts.actor import actor_of
from jiaozi.accounts.events import access_denied_event
from jiaozi.accounts.models import User
from jiaozi.accounts.services import password_expired

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def holder_required(view: V) -> V:
    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not isinstance(user, User):
            url = reverse("applicants:login")
            if request.method == "GET":
                url = f"{url}?{urlencode({'next': request.get_full_path()})}"
            return redirect(url)
        if not actor_of(user).is_active_applicant:
            access_denied_event(user=user, path=request.path, reason="not_applicant")
            response: HttpResponse = render(request, "applicants/not_applicant.html", status=403)
            return response
        if password_expired(user):
            return redirect("applicants:password_change")
        return view(request, *args, **kwargs)

    return cast(V, wrapped)


def holder_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user
