"""Who may do what with institutions: small pure predicates over the actor and the
institution (no queries)."""

from __future__ import annotations

from jiaozi.core.accounts import Account, active_staff
from jiaozi.core.roles import Role

from .models import Institution

ADMIN_ROLES = frozenset({Role.INSTITUTION_ADMIN, Role.PROVINCE_ADMIN})
# Who gets the "who has not filled public info" list: the province admin for the whole
# province, and institution admins for their own region (to chase their counties).
PUBLIC_INFO_OVERVIEW_ROLES = frozenset({Role.PROVINCE_ADMIN, Role.INSTITUTION_ADMIN})


def can_edit_public_info(*, actor: Account | None, institution: Institution) -> bool:
    """An institution's own admin fills its public info; superiors only guide (the
    notice asks them to 指导, not to fill in for them)."""
    return active_staff(actor) and actor.role in ADMIN_ROLES and actor.institution_id == institution.pk


def can_create_institution(*, actor: Account | None, parent: Institution) -> bool:
    """An admin creates institutions below its own or a subordinate institution."""
    if not active_staff(actor) or actor.role not in ADMIN_ROLES:
        return False
    return parent.path.startswith(actor.institution.path)


def can_view_public_info_overview(*, actor: Account | None) -> bool:
    return active_staff(actor) and actor.role in PUBLIC_INFO_OVERVIEW_ROLES
