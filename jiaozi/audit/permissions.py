"""Who may read the audit log: the audit admin only (三员分立, SECURITY check 7). The
province, security and system admins may not; nobody may change it."""

from __future__ import annotations

from typing import TypeGuard

from jiaozi.core.accounts import Account, StaffAccount, active_staff
from jiaozi.core.roles import Role


def can_read_audit_log(user: Account | None) -> TypeGuard[StaffAccount]:
    return active_staff(user) and user.role == Role.AUDIT_ADMIN
