"""``staff_required`` for apps below ``accounts`` (``orgs``, ``audit``).

The check itself — signed in as staff, second factor verified, password not expired,
role among ``roles``, an audited 403 otherwise — belongs to ``accounts``, which installs
it from its ``AppConfig.ready()`` with ``staff_required_use``. A view decorated here
looks the check up on its first request, when every app is ready, so the lower apps name
the rule without importing the app that enforces it. Until a check is installed every
request is refused (fail closed). See docs/decisions/0147-role-names-and-access-hooks.md."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar, cast

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

V = TypeVar("V", bound=Callable[..., HttpResponse])


class StaffRequired(Protocol):
    def __call__(self, *roles: str, allow_expired_password: bool = False) -> Callable[[V], V]: ...


_installed: StaffRequired | None = None


def staff_required_use(check: StaffRequired) -> None:
    """Install the staff check (``accounts`` does, in ``ready()``)."""
    global _installed
    _installed = check


def staff_required(*roles: str, allow_expired_password: bool = False) -> Callable[[V], V]:
    """Like ``jiaozi.accounts.decorators.staff_required``; no roles means any staff role."""

    def decorator(view: V) -> V:
        checked: list[Callable[..., HttpResponse]] = []

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not checked:
                if _installed is None:
                    raise ImproperlyConfigured("no staff check installed (is jiaozi.accounts installed?)")
                checked.append(_installed(*roles, allow_expired_password=allow_expired_password)(view))
            return checked[0](request, *args, **kwargs)

        return cast(V, wrapped)

    return decorator
