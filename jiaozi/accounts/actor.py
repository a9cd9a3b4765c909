"""The acting identity: who is acting, as one typed, frozen value.

``actor_of(user)`` answers for a user (or ``None``/``AnonymousUser``: the public, the
scheduler) and keeps the answer on the user object, recomputed only when the account's
kind, role, active flag or institution change on that object. ``ActorMiddleware`` puts
it on every request as ``request.actor`` (lazily: nothing is read until used).

"Is this an active staff user" is written here once (``is_active_staff``); permission
predicates everywhere ask it. A review level is a workflow's own vocabulary, so the
workflow app registers its role → level map (``register_levels``) and callers ask
``actor.level_in("registration")`` (docs/decisions/0142)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeGuard, cast

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from .models import User, active_staff_state
from .roles import Role

if TYPE_CHECKING:
    from jiaozi.orgs.models import Institution

_CACHE_ATTR = "_jiaozi_actor"

# workflow name → role → that workflow's level name ("school", "registration", ...).
_LEVELS: dict[str, dict[str, str]] = {}


def register_levels(workflow: str, levels: Mapping[str, str]) -> None:
    """A workflow app names the level each staff role acts at (AppConfig.ready())."""
    _LEVELS[workflow] = dict(levels)


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    kind: User.Kind | None
    is_active: bool
    role: Role | None
    institution_id: int | None
    _user: User | None = field(default=None, repr=False, compare=False)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_staff(self) -> bool:
        """A staff account (工作人员), not Django's admin-site flag."""
        return self.kind == User.Kind.STAFF

    @property
    def is_applicant(self) -> bool:
        return self.kind == User.Kind.APPLICANT

    @property
    def is_active_staff(self) -> bool:
        """Signed in, enabled, staff and bound to an institution: the precondition of
        every staff permission."""
        return active_staff_state(
            authenticated=self.is_authenticated,
            is_active=self.is_active,
            kind=self.kind,
            institution_id=self.institution_id,
        )

    @property
    def is_active_applicant(self) -> bool:
        return self.is_authenticated and self.is_active and self.is_applicant

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset({self.role}) if self.role is not None else frozenset()

    def has_role(self, *roles: str) -> bool:
        return self.is_staff and self.role is not None and self.role in roles

    def level_in(self, workflow: str) -> str | None:
        """The level an active staff user acts at in ``workflow``, else None."""
        if not self.is_active_staff or self.role is None:
            return None
        return _LEVELS.get(workflow, {}).get(self.role)

    @cached_property
    def institution(self) -> Institution | None:
        """The staff member's institution (one query unless the user already holds it)."""
        if self._user is None or self.institution_id is None:
            return None
        return self._user.institution

    @property
    def institution_path(self) -> str:
        return self.institution.path if self.institution is not None else ""

    @property
    def user(self) -> User | None:
        return self._user


ANONYMOUS = Actor(user_id=None, kind=None, is_active=False, role=None, institution_id=None)


def _key(user: object) -> tuple[Any, ...]:
    return (
        getattr(user, "pk", None),
        getattr(user, "kind", None),
        getattr(user, "role", ""),
        getattr(user, "is_active", False),
        getattr(user, "institution_id", None),
    )


def actor_of(user: User | AnonymousUser | None) -> Actor:
    """The acting identity of ``user``; ``None`` and ``AnonymousUser`` are the public.
    Reads only the user's own columns (no query)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    key = _key(user)
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None and cached[0] == key:
        return cast(Actor, cached[1])
    user_id, kind, role, is_active, institution_id = key
    actor = Actor(
        user_id=user_id,
        kind=User.Kind(kind) if kind in User.Kind.values else None,
        is_active=bool(is_active),
        role=Role(role) if role in Role.values else None,
        institution_id=institution_id,
        _user=cast(User, user),
    )
    setattr(user, _CACHE_ATTR, (key, actor))
    return actor


def is_active_staff(user: User | AnonymousUser | None) -> TypeGuard[User]:
    """Signed in, enabled, staff and bound to an institution."""
    return actor_of(user).is_active_staff


def is_staff_account(user: User | AnonymousUser | None) -> bool:
    """Signed in with a staff account (active or not, with or without an institution)."""
    return actor_of(user).is_staff


def is_applicant(user: User | AnonymousUser | None) -> bool:
    return actor_of(user).is_applicant


def is_active_applicant(user: User | AnonymousUser | None) -> TypeGuard[User]:
    """Signed in with an enabled applicant account."""
    return actor_of(user).is_active_applicant


class ActorMiddleware:
    """``request.actor``: the acting identity, resolved once per request, after the
    session policy has decided who the request runs as."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = SimpleLazyObject(lambda: actor_of(getattr(request, "user", None)))  # type: ignore[attr-defined]
        return self.get_response(request)


def request_actor(request: HttpRequest) -> Actor:
    """``request.actor``, typed; also for requests built without the middleware."""
    return actor_of(getattr(request, "user", None))
