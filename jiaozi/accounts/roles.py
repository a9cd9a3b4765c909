"""Rules about the staff roles (§1): rank, which institutions may hold each role. Pure
data, no database. The role names themselves (``Role``) are shared vocabulary and live in
``jiaozi.core.roles``; this module re-exports them."""

from __future__ import annotations

from jiaozi.core.roles import Role

__all__ = ["ADMIN_ROLES", "HOLDERS", "RANK", "REGISTRATION_ROLES", "REVIEW_ROLES", "Role", "can_hold"]


# Rank for "never above its own role": an admin may file only roles ranked below or
# equal to its own, and the three admins of 三员分立 only by the province admin.
RANK: dict[str, int] = {
    Role.SCHOOL_REVIEWER: 1,
    Role.REGISTRATION_REVIEWER: 1,
    Role.CITY_RECHECKER: 1,
    Role.PROVINCE_REVIEWER: 1,
    Role.CONFIRMATION_USER: 1,
    Role.CERTIFYING_OFFICER: 1,
    Role.INSTITUTION_ADMIN: 2,
    Role.SECURITY_ADMIN: 3,
    Role.AUDIT_ADMIN: 3,
    Role.PROVINCE_ADMIN: 3,
}

ADMIN_ROLES = frozenset({Role.INSTITUTION_ADMIN, Role.PROVINCE_ADMIN})
REVIEW_ROLES = frozenset(
    {
        Role.SCHOOL_REVIEWER,
        Role.REGISTRATION_REVIEWER,
        Role.CITY_RECHECKER,
        Role.PROVINCE_REVIEWER,
        Role.CONFIRMATION_USER,
        Role.CERTIFYING_OFFICER,
    }
)

# Who keeps teacher facts and takes part in periodic registration (§1, §5).
REGISTRATION_ROLES = frozenset(
    {
        Role.SCHOOL_REVIEWER,
        Role.REGISTRATION_REVIEWER,
        Role.CITY_RECHECKER,
        Role.PROVINCE_REVIEWER,
        Role.INSTITUTION_ADMIN,
        Role.PROVINCE_ADMIN,
    }
)

# (institution kind, institution level or None for any level) that may hold each role.
HOLDERS: dict[str, frozenset[tuple[str, str | None]]] = {
    Role.SCHOOL_REVIEWER: frozenset({("school", None)}),
    Role.REGISTRATION_REVIEWER: frozenset(
        {("bureau", "county"), ("bureau", "city"), ("bureau", "province"), ("department", None)}
    ),
    Role.CITY_RECHECKER: frozenset({("bureau", "city")}),
    Role.PROVINCE_REVIEWER: frozenset({("bureau", "province")}),
    Role.CONFIRMATION_USER: frozenset({("confirmation_point", None)}),
    Role.CERTIFYING_OFFICER: frozenset({("bureau", None)}),
    Role.INSTITUTION_ADMIN: frozenset({("bureau", None), ("department", None), ("school", None)}),
    Role.PROVINCE_ADMIN: frozenset({("bureau", "province")}),
    Role.SECURITY_ADMIN: frozenset({("bureau", "province")}),
    Role.AUDIT_ADMIN: frozenset({("bureau", "province")}),
}


def can_hold(role: str, *, kind: str, level: str) -> bool:
    holders = HOLDERS.get(role, frozenset())
    return (kind, level) in holders or (kind, None) in holders
