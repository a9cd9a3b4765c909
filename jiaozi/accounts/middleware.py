"""Session policy (SECURITY 3–5): absolute and idle lifetime, the account fingerprint,
the staff second factor and the forced password change.

At sign-in (any path through ``django.contrib.auth.login``, see ``signals.py``) the
session gets the time of sign-in and a fingerprint of the account: its version, password
hash, active flag, kind, role and institution. A request whose session is past the 8-hour
cap, idle too long, or whose account no longer matches the fingerprint (disabled, edited,
password reset) is signed out before the view runs. The check reads only ``request.user``,
which the authentication middleware loads anyway: no extra query.

Then, for staff: without a verified TOTP device (when STAFF_MFA_REQUIRED) the staff pages
redirect to the code page, and an initial or expired password redirects to the password
change page. Outside the staff entrance (the API, the portal) such a half-signed-in staff
session counts as anonymous. See docs/decisions/0012-session-policy.md.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from jiaozi.core import clock

from .actor import is_staff_account
from .services import password_expired

if TYPE_CHECKING:
    from .models import User

AUTH_AT = "jz_auth_at"
SEEN_AT = "jz_seen_at"
FINGERPRINT = "jz_fp"


def fingerprint(user: User) -> str:
    """Changes whenever the account changes in a way that must end its sessions."""
    value = "|".join(
        str(part)
        for part in (
            user.pk,
            user.version,
            user.password,
            user.is_active,
            user.kind,
            user.role,
            user.institution_id,
        )
    )
    return salted_hmac("jiaozi.accounts.session", value, algorithm="sha256").hexdigest()


def mark_session(request: HttpRequest, user: User) -> None:
    """Start the session's clocks and remember the account's fingerprint."""
    now = clock.now().timestamp()
    request.session[AUTH_AT] = now
    request.session[SEEN_AT] = now
    request.session[FINGERPRINT] = fingerprint(user)


def refresh_fingerprint(request: HttpRequest, user: User) -> None:
    """After the user's own change (password change) that should keep the session."""
    request.session[FINGERPRINT] = fingerprint(user)


def end_reason(request: HttpRequest, user: User) -> str | None:
    """Why the session must end now, or None."""
    session = request.session
    auth_at, seen_at, stored = session.get(AUTH_AT), session.get(SEEN_AT), session.get(FINGERPRINT)
    if not isinstance(auth_at, float | int) or not isinstance(seen_at, float | int) or not stored:
        return "account_changed"  # a session we did not start: treat as tampered
    now = clock.now().timestamp()
    if now - auth_at > settings.SESSION_ABSOLUTE_SECONDS:
        return "absolute_timeout"
    if now - seen_at > settings.SESSION_COOKIE_AGE:
        return "idle_timeout"
    if not constant_time_compare(stored, fingerprint(user)):
        return "account_changed"
    return None


def touch_seen(request: HttpRequest) -> None:
    """Move the session's last-seen time to now, at most once per
    ``SESSION_SEEN_REFRESH_SECONDS``: a read-only request within that interval writes
    nothing (no session UPDATE, no commit). The session then ends at most the idle time
    after its last refresh, so never later than the idle time after the last request,
    and at most one interval earlier (docs/decisions/0270-session-last-seen-throttle.md)."""
    now = clock.now().timestamp()
    seen_at = request.session.get(SEEN_AT)
    interval = getattr(settings, "SESSION_SEEN_REFRESH_SECONDS", 60)
    if not isinstance(seen_at, float | int) or not 0 <= now - seen_at < interval:
        request.session[SEEN_AT] = now


def _is_verified(user: User) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def staff_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that also works for htmx requests (which would otherwise swap the
    target page into a fragment)."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @cached_property
    def staff_root(self) -> str:
        return f"/{settings.STAFF_URL_PREFIX}/"

    @cached_property
    def sign_in_paths(self) -> frozenset[str]:
        """Pages a staff member reaches before the second factor."""
        return frozenset(
            reverse(name)
            for name in ("accounts:login", "accounts:logout", "accounts:otp_verify", "accounts:otp_setup")
        )

    @cached_property
    def password_change_path(self) -> str:
        return reverse("accounts:password_change")

    def __call__(self, request: HttpRequest) -> Any:
        user = request.user
        if not user.is_authenticated:
            # The authentication middleware found no usable account behind a signed-in
            # session (disabled, deleted, password changed): drop the session.
            if SESSION_KEY in request.session:
                request.session.flush()
            return self.get_response(request)

        reason = end_reason(request, user)
        if reason is not None:
            # The view then runs anonymous: staff pages redirect to sign-in, the API
            # answers 401. signals.py writes the audit row with this reason.
            request.jiaozi_logout_reason = reason  # type: ignore[attr-defined]
            logout(request)
            return self.get_response(request)
        touch_seen(request)

        if is_staff_account(user):
            response = self._staff_gate(request, user)
            if response is not None:
                return response
        return self.get_response(request)

    def _staff_gate(self, request: HttpRequest, user: User) -> HttpResponse | None:
        path = request.path_info
        in_staff_area = path.startswith(self.staff_root)
        if path in self.sign_in_paths:
            return None
        if settings.STAFF_MFA_REQUIRED and not _is_verified(user):
            if in_staff_area:
                return staff_redirect(request, self._with_next(reverse("accounts:otp_verify"), request))
            request.user = AnonymousUser()
            return None
        if path != self.password_change_path and password_expired(user):
            if in_staff_area:
                return staff_redirect(request, self._with_next(self.password_change_path, request))
            request.user = AnonymousUser()
        return None

    @staticmethod
    def _with_next(url: str, request: HttpRequest) -> str:
        if request.method != "GET" or request.headers.get("HX-Request"):
            return url
        return f"{url}?{urlencode({'next': request.get_full_path()})}"
