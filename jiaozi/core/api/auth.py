"""Who is calling the API: a service account's bearer token, or a staff member's
browser session with a verified second factor (§13, SECURITY 1 and 4).

The token is tried first, so a script that also carries a stale cookie is judged by its
token alone. The session check enforces CSRF on unsafe methods — but only once the
session is known to belong to a signed-in staff member, so an anonymous POST answers 401
rather than a CSRF 403 (docs/decisions/0043).

Service tokens and password expiry belong to ``accounts``, which installs them with
``identity_use`` from its ``AppConfig.ready()``: core names the rule without importing the
app that keeps the accounts (docs/decisions/0147). Until then nobody is authenticated."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import BaseThrottle
from ninja.utils import check_csrf

from .problems import CsrfFailed, PasswordChangeRequired

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_CACHE_ATTR = "_jiaozi_api_auth"


@dataclass(frozen=True)
class Identity:
    """How the API learns who is calling, installed by ``accounts``."""

    # The active service account a bearer token belongs to, or None.
    token_user: Callable[[str], User | None]
    # An initial or expired password, to be changed in the browser first.
    password_expired: Callable[[User], bool]


def _nobody(token: str) -> User | None:
    return None


def _expired(user: User) -> bool:
    return True


# Fail closed until accounts installs the real rules.
_identity = Identity(token_user=_nobody, password_expired=_expired)


def identity_use(identity: Identity) -> None:
    global _identity
    _identity = identity


def _cached(request: HttpRequest, method: str) -> User | None:
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is not None and cached[0] == method:
        return cached[1]
    return None


def _remember(request: HttpRequest, method: str, user: User | None) -> User | None:
    if user is not None:
        setattr(request, _CACHE_ATTR, (method, user))
    return user


def auth_method(request: HttpRequest) -> str:
    """``"token"`` or ``"session"`` once the request is authenticated, else ``""``."""
    cached = getattr(request, _CACHE_ATTR, None)
    return cached[0] if cached else ""


class ServiceTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` of a service account (accounts.ServiceToken)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = _cached(request, "token")
        if user is None:
            user = _remember(request, "token", _identity.token_user(token.strip()))
        if user is not None:
            # Code that reads request.user (audit context, throttles) sees the token's user.
            request.user = user
        return user


def session_staff(request: HttpRequest) -> User | None:
    """The signed-in staff user of this session, with a verified OTP when MFA applies."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if not getattr(user, "is_staff_user", False):
        return None
    if getattr(settings, "STAFF_MFA_REQUIRED", True):
        is_verified = getattr(user, "is_verified", None)
        if not callable(is_verified) or not is_verified():
            return None
    return user  # type: ignore[return-value]


class StaffSessionAuth(APIKeyCookie):
    """The browser session of a staff member (signed in, OTP verified, CSRF enforced)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        # ninja's own check would run before we know whether anyone is signed in.
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = _cached(request, "session") or session_staff(request)
        if user is None:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfFailed()
        if _identity.password_expired(user):
            # An initial or expired password is changed in the browser first (SECURITY 3).
            # The session middleware already treats such a session as anonymous outside
            # the staff area; this keeps the rule if that ever changes.
            raise PasswordChangeRequired()
        return _remember(request, "session", user)


service_token_auth = ServiceTokenAuth()
staff_session_auth = StaffSessionAuth()

# The default for every operation. Order matters: see the module docstring.
API_AUTH: list[Any] = [service_token_auth, staff_session_auth]


def authenticate_request(request: HttpRequest, auths: Sequence[Any] | None = None) -> User | None:
    """Run the API's authentication outside an operation (docs pages, idempotency);
    ``auths`` for an operation with its own list (default ``API_AUTH``).
    May raise ``CsrfFailed`` or ``PasswordChangeRequired`` like the operation would."""
    for auth in API_AUTH if auths is None else auths:
        user = auth(request)
        if user is not None:
            return user  # type: ignore[no-any-return]
    return None


class StaffRateThrottle(BaseThrottle):
    """Per-user request rate (SECURITY 25: bulk search is rate-limited), a fixed window
    counted in the default cache with atomic ``add``/``incr`` so threads and processes
    sharing the cache count together. The rate comes from ``settings.API_THROTTLE_RATE``
    (``"<n>/<s|m|h|d>"``, default ``"1200/m"``; empty disables) and is read per request."""

    _periods: ClassVar[dict[str, int]] = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    _local = threading.local()

    @classmethod
    def parse_rate(cls, rate: str) -> tuple[int, int]:
        count, _, unit = rate.partition("/")
        return int(count), cls._periods[unit.strip()[:1]]

    def allow_request(self, request: HttpRequest) -> bool:
        rate = getattr(settings, "API_THROTTLE_RATE", "1200/m")
        user = getattr(request, "auth", None)
        if not rate or user is None:
            return True
        limit, period = self.parse_rate(rate)
        now = time.time()
        key = f"jiaozi:api-rate:{user.pk}:{period}:{int(now // period)}"
        cache.add(key, 0, timeout=period + 1)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=period + 1)
            used = 1
        if used > limit:
            self._local.wait = period - (now % period)
            return False
        return True

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
