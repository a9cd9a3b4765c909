"""Who may read the audit log: the audit admin only (三员分立, SECURITY check 7). The
province, security and system admins may not; nobody may change it."""

from __future__ import annotations

from typing import Any

from jiaozi.core.roles import Role


def can_read_audit_log(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "kind", None) == "staff"
        and getattr(user, "role", None) == Role.AUDIT_ADMIN
        and getattr(user, "institution_id", None) is not None
    )
