"""Who keeps and who oversees an institution's set-up: small predicates, no queries.

An institution's own admin fills its registration plan (as it fills its public info in
``orgs``); the province admin, and the institution admins of a city for the counties
below it, see who has not finished and remind them (docs/decisions/0235)."""

from __future__ import annotations

from jiaozi.core.accounts import Account, active_staff
from jiaozi.core.roles import Role

ADMIN_ROLES = frozenset({Role.INSTITUTION_ADMIN, Role.PROVINCE_ADMIN})
# Institutions that keep a plan: the registration institutions (bureaus and 主管部门).
PLAN_KINDS = frozenset({"bureau", "department"})


def can_keep_plan(*, actor: Account | None) -> bool:
    if not active_staff(actor) or actor.role not in ADMIN_ROLES:
        return False
    institution = actor.institution
    return institution is not None and institution.kind in PLAN_KINDS


def can_oversee(*, actor: Account | None) -> bool:
    """The set-up overview and reminders: the province admin, and a bureau's institution
    admin for the institutions below it."""
    if not active_staff(actor) or actor.role not in ADMIN_ROLES:
        return False
    institution = actor.institution
    return institution is not None and institution.kind == "bureau"
