"""Staff roles (§1) and which institutions may hold them. Pure data, no database."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SCHOOL_REVIEWER = "school_reviewer", _("学校审查员")
    REGISTRATION_REVIEWER = "registration_reviewer", _("注册审核员")
    CITY_RECHECKER = "city_rechecker", _("市级复核员")
    PROVINCE_REVIEWER = "province_reviewer", _("省级终审员")
    CONFIRMATION_USER = "confirmation_user", _("确认用户")
    CERTIFYING_OFFICER = "certifying_officer", _("认定审核员")
    INSTITUTION_ADMIN = "institution_admin", _("机构管理员")
    PROVINCE_ADMIN = "province_admin", _("省级管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


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
