"""Who may do what with staff accounts. Small pure predicates over already-loaded objects:
no queries, no request, so each rule is tested on its own (tests/test_permissions.py).

Filing (备案) rules, PRODUCT §1 and §9, SECURITY check 6 and 7:
- an institution admin files staff only in its own institution or below it (path prefix);
- never a role ranked above its own (``roles.RANK``);
- only roles the target institution's kind and level can hold (``roles.can_hold``);
- the three admins of 三员分立 (province, security, audit) only by the province admin;
- nobody files, edits, disables or resets themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .actor import is_active_staff, is_staff_account
from .roles import RANK, Role, can_hold

if TYPE_CHECKING:
    from .models import User

__all__ = [
    "can_file_staff",
    "can_manage_staff",
    "can_view_staff",
    "fileable_roles",
    "is_active_staff",
    "is_within",
]

# Roles that file staff. The security admin and the audit admin only read (三员分立).
FILER_ROLES = frozenset({Role.INSTITUTION_ADMIN, Role.PROVINCE_ADMIN})
# The three admins of 三员分立; only the province admin files them.
PROVINCE_ONLY_ROLES = frozenset({Role.PROVINCE_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
# Roles that may open the staff pages at all (list and detail; read-only for the security admin).
STAFF_VIEWER_ROLES = frozenset({Role.INSTITUTION_ADMIN, Role.PROVINCE_ADMIN, Role.SECURITY_ADMIN})


def is_within(institution: Any, ancestor: Any) -> bool:
    """``institution`` is ``ancestor`` or lies below it in the institution tree."""
    if institution is None or ancestor is None:
        return False
    path, root = getattr(institution, "path", ""), getattr(ancestor, "path", "")
    return bool(path and root and path.startswith(root))


def can_view_staff(*, actor: User | None) -> bool:
    """May open the staff list and staff details (always within the jurisdiction)."""
    return is_active_staff(actor) and actor.role in STAFF_VIEWER_ROLES


def can_file_staff(*, actor: User | None, institution: Any, role: str) -> bool:
    """May ``actor`` file a staff account with ``role`` at ``institution``?"""
    if not is_active_staff(actor) or actor.role not in FILER_ROLES:
        return False
    if institution is None or not getattr(institution, "is_active", True):
        return False
    if role not in RANK:
        return False
    if role in PROVINCE_ONLY_ROLES and actor.role != Role.PROVINCE_ADMIN:
        return False
    if RANK[role] > RANK[actor.role]:
        return False
    if not can_hold(role, kind=institution.kind, level=institution.level):
        return False
    return is_within(institution, actor.institution)


def can_manage_staff(*, actor: User | None, target: Any) -> bool:
    """May ``actor`` edit, disable, enable, reset or re-confirm ``target``'s filing?
    The same rule as filing the target afresh, and never oneself."""
    if target is None or not is_staff_account(target):
        return False
    if actor is None or actor.pk == target.pk:
        return False
    return can_file_staff(actor=actor, institution=target.institution, role=target.role)


def fileable_roles(*, actor: User | None, institution: Any) -> list[str]:
    """The roles ``actor`` may file at ``institution``, in the order of ``Role``."""
    return [role for role in Role.values if can_file_staff(actor=actor, institution=institution, role=role)]
