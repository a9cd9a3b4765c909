"""Who acts in certificate services: small predicates over the role (no queries).

Which certificates a user sees is the selectors' business (jurisdiction); these say
which roles take part at all (docs/decisions/0220-certificate-services-roles.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jiaozi.accounts.actor import is_active_staff
from jiaozi.accounts.roles import REGISTRATION_ROLES, Role

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

# The registry's readers: staff of periodic registration (who search certificates while
# reviewing) and the certifying officers (who issue them) — not the 三员 admins and not
# the province (system) admin, who reads no personal data (decision 0171).
VIEW_ROLES = (REGISTRATION_ROLES - {Role.PROVINCE_ADMIN}) | {Role.CERTIFYING_OFFICER}
# Correction, reissue and replacement are decided at the issuing authority by its
# certifying officers (§7: "handled by the issuing authority").
DECIDE_ROLES = frozenset({Role.CERTIFYING_OFFICER})
# An authenticity check is opened by the reviewer who needs it (the registration
# reviewer, §7) or a reviewer above; the issuing authority's officer records the outcome.
CHECK_OPEN_ROLES = frozenset({Role.REGISTRATION_REVIEWER, Role.CITY_RECHECKER, Role.PROVINCE_REVIEWER})
CHECK_ANSWER_ROLES = frozenset({Role.CERTIFYING_OFFICER})


def can_view_registry(*, user: User | None) -> bool:
    return is_active_staff(user) and user.role in VIEW_ROLES


def can_decide_requests(*, user: User | None) -> bool:
    return is_active_staff(user) and user.role in DECIDE_ROLES
