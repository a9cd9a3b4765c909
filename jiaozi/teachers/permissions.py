"""Who may read and keep teacher records: small pure predicates (no queries).

Jurisdiction (which teachers) is the selectors' job; these say which roles act at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jiaozi.accounts.actor import is_active_staff
from jiaozi.accounts.roles import REGISTRATION_ROLES, Role
from jiaozi.orgs.models import Institution

from .models import Teacher

# Staff who keep teacher facts or take part in periodic registration (§1) see them —
# except the province (system) admin: under 三员分立 the system admin reads no personal
# data (docs/decisions/0171).
VIEW_ROLES = REGISTRATION_ROLES - {Role.PROVINCE_ADMIN}
# Staff who load the template: school, county and city staff who keep data. Reviewers
# higher up (city rechecker, province reviewer) check, they do not key in.
IMPORT_ROLES = frozenset({Role.SCHOOL_REVIEWER, Role.REGISTRATION_REVIEWER, Role.INSTITUTION_ADMIN})

if TYPE_CHECKING:
    from jiaozi.accounts.models import User
# School staff keep their own teachers' records by hand (§1: 学校审查员 "keeps the
# school's teacher facts").
EDIT_ROLES = frozenset({Role.SCHOOL_REVIEWER, Role.INSTITUTION_ADMIN})


def can_view_teachers(*, user: User | None) -> bool:
    return is_active_staff(user) and user.role in VIEW_ROLES


def can_import_teachers(*, user: User | None) -> bool:
    return is_active_staff(user) and user.role in IMPORT_ROLES


def can_edit_teachers(*, user: User | None) -> bool:
    """School staff only: the records are the school's."""
    return (
        is_active_staff(user)
        and user.role in EDIT_ROLES
        and (institution := user.institution) is not None
        and institution.kind == Institution.Kind.SCHOOL
    )


def can_edit_teacher(*, user: User | None, teacher: Teacher) -> bool:
    return user is not None and can_edit_teachers(user=user) and teacher.school_id == user.institution_id
