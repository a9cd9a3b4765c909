"""How the layers below accounts (core, audit, orgs) name an account without importing
it: Django's own account types, and a protocol for what they read of a staff member.

``accounts.User`` satisfies ``StaffAccount``; ``is_active_staff`` is the account's own
answer (``accounts.actor``), asked here through the attribute (docs/decisions/0142)."""

from __future__ import annotations

from typing import Any, Protocol, TypeGuard

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

# The acting account as the lower layers receive it; None is the public or the system.
Account = AbstractBaseUser | AnonymousUser


class StaffAccount(Protocol):
    @property
    def pk(self) -> Any: ...

    @property
    def role(self) -> str: ...

    @property
    def institution_id(self) -> int | None: ...

    @property
    def institution(self) -> Any: ...  # orgs.Institution, which core cannot name


def active_staff(user: Account | None) -> TypeGuard[StaffAccount]:
    """Signed in, enabled, staff and bound to an institution."""
    return bool(getattr(user, "is_active_staff", False))
