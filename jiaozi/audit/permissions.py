"""Who may read the audit log: the audit admin only (三员分立, SECURITY check 7). The
province, security and system admins may not; nobody may change it."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from jiaozi.accounts.roles import Role


def can_read_audit_log(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    # ``is_active_staff`` is the account's own answer (accounts.actor); audit sits below
    # accounts and asks the attribute.
    return bool(getattr(user, "is_active_staff", False) and getattr(user, "role", None) == Role.AUDIT_ADMIN)
