"""Who may write announcements: small predicates over the actor (no queries).

The admins of an education bureau — the province admin at the province bureau, the
institution admins of city and county bureaus — write their own institution's
announcements. Superiors read their subordinates' (a city sees its counties'), never
write them: an announcement speaks in its institution's name (docs/decisions/0231)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jiaozi.core.accounts import Account, active_staff
from jiaozi.core.roles import Role

if TYPE_CHECKING:
    from .models import Announcement

AUTHOR_ROLES = frozenset({Role.PROVINCE_ADMIN, Role.INSTITUTION_ADMIN})
BUREAU = "bureau"


def can_author(*, actor: Account | None) -> bool:
    """An admin of an education bureau (province, city or county)."""
    if not active_staff(actor) or actor.role not in AUTHOR_ROLES:
        return False
    institution = actor.institution
    return institution is not None and institution.kind == BUREAU


def can_manage(*, actor: Account | None, announcement: Announcement) -> bool:
    """The announcement's own institution's admin."""
    return can_author(actor=actor) and getattr(actor, "institution_id", None) == announcement.institution_id
