"""Hooks on Django's sign-in signals, so every sign-in path (our pages, the admin, the
test client) starts the session policy and every sign-out is audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from jiaozi.core import clock

from .events import logout_event
from .middleware import mark_session

if TYPE_CHECKING:
    from .models import User


# 最近登录 follows the one clock (core.clock), as every other date on the pages does:
# Django's own receiver stamps the machine's time.
user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")


@receiver(user_logged_in, dispatch_uid="jiaozi.accounts.last_login")
def _stamp_last_login(sender: Any, user: User, **kwargs: Any) -> None:
    user.last_login = clock.now()
    user.save(update_fields=["last_login"])


@receiver(user_logged_in, dispatch_uid="jiaozi.accounts.mark_session")
def _on_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        mark_session(request, user)


@receiver(user_logged_out, dispatch_uid="jiaozi.accounts.audit_logout")
def _on_logged_out(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if user is None or not getattr(user, "pk", None):
        return
    reason = getattr(request, "jiaozi_logout_reason", "user") if request is not None else "user"
    logout_event(user=user, reason=reason)
