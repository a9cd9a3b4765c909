"""``applicant_required`` for the applicant area's views.

- anonymous → the applicant sign-in page (with ``next``);
- a staff account → 403: staff never use the applicant area, and the page they get
  links nowhere into the staff entrance;
- an applicant whose password is older than the rotation period → the password page.

Every page behind it carries personal data, so it is also ``never_cache``
(``Cache-Control: no-store``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast, overload
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from jiaozi.accounts.actor import actor_of
from jiaozi.accounts.events import access_denied_event
from jiaozi.accounts.models import User
from jiaozi.accounts.services import password_expired

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def is_applicant(user: User | AnonymousUser | None) -> bool:
    return actor_of(user).is_active_applicant


def login_redirect(request: HttpRequest) -> HttpResponse:
    url = reverse("applicants:login")
    if request.method == "GET":
        url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    return redirect(url)


def not_for_staff(request: HttpRequest) -> HttpResponse:
    access_denied_event(user=request.user, path=request.path, reason="not_applicant")
    return render(request, "applicants/not_applicant.html", status=403)


@overload
def applicant_required(view: V) -> V: ...
@overload
def applicant_required(*, allow_expired_password: bool = False) -> Callable[[V], V]: ...
def applicant_required(view: V | None = None, *, allow_expired_password: bool = False) -> Any:
    def decorator(func: V) -> V:
        @never_cache
        @wraps(func)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not isinstance(user, User):
                return login_redirect(request)
            if not is_applicant(user):
                return not_for_staff(request)
            if not allow_expired_password and password_expired(user):
                return redirect("applicants:password_change")
            return func(request, *args, **kwargs)

        return cast(V, wrapped)

    if view is not None:
        return decorator(view)
    return decorator
