"""Who may do what with campaigns, the pre-check and the applications: small
predicates, tested alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jiaozi.accounts.actor import is_active_staff
from jiaozi.accounts.roles import REGISTRATION_ROLES, Role
from jiaozi.orgs.jurisdiction import province_code_of
from jiaozi.orgs.models import Level

# Everyone who takes part in periodic registration may read the campaigns and windows.
CAMPAIGN_VIEW_ROLES: frozenset[str] = REGISTRATION_ROLES
CAMPAIGN_MANAGE_ROLES: frozenset[str] = frozenset({Role.PROVINCE_ADMIN})
# School, county and city staff (and the province reviewer) see who is due; the
# institution admin for the registration plan's expected numbers (§2).
PRECHECK_ROLES: frozenset[str] = frozenset(
    {
        Role.SCHOOL_REVIEWER,
        Role.REGISTRATION_REVIEWER,
        Role.CITY_RECHECKER,
        Role.PROVINCE_REVIEWER,
        Role.INSTITUTION_ADMIN,
    }
)

# Who may read an application and its materials besides its applicant: the reviewers of
# the chain's levels, within their jurisdiction — the same on the pages and the API.
# Admins, the 三员 and the certifiers have no duty in a registration and read none
# (docs/decisions/0160).
APPLICATION_READ_ROLES: frozenset[str] = frozenset(
    {
        Role.SCHOOL_REVIEWER,
        Role.REGISTRATION_REVIEWER,
        Role.CITY_RECHECKER,
        Role.PROVINCE_REVIEWER,
    }
)

# The list of applications that cannot finish inside their level's window (§5): every
# reviewing level sees its jurisdiction's.
AT_RISK_ROLES: frozenset[str] = APPLICATION_READ_ROLES

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiaozi.accounts.models import User


def can_manage_campaigns(*, actor: User | None, province_code: str) -> bool:
    """A province admin of the province bureau of ``province_code``."""
    return (
        is_active_staff(actor)
        and actor.role in CAMPAIGN_MANAGE_ROLES
        and (institution := actor.institution) is not None
        and institution.level == Level.PROVINCE
        and province_code_of(institution) == province_code
    )


def can_view_precheck(*, actor: User | None) -> bool:
    return is_active_staff(actor) and actor.role in PRECHECK_ROLES


def can_read_applications(*, actor: User | AnonymousUser | None) -> bool:
    """A staff member whose role reviews registrations (jurisdiction is checked by the
    selectors)."""
    return is_active_staff(actor) and actor.role in APPLICATION_READ_ROLES
