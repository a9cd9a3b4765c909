"""Who may do what at a confirmation point: small pure predicates over the acting user
and the point (no queries; the caller has already scoped the point)."""

from __future__ import annotations

from typing import Any

from jiaozi.accounts.actor import actor_of
from jiaozi.core.roles import Role

# The admins of a certifying authority define its points, days and slots (§1: the
# institution admin "sets its confirmation points"); the province admin is the admin of
# the province bureau, the authority of type 7.
ADMIN_ROLES = frozenset({Role.INSTITUTION_ADMIN, Role.PROVINCE_ADMIN})
# Roles that read the points and bookings inside their jurisdiction (read only).
VIEW_ROLES = frozenset(
    {Role.INSTITUTION_ADMIN, Role.PROVINCE_ADMIN, Role.CONFIRMATION_USER, Role.CERTIFYING_OFFICER}
)


def can_view_points(*, actor: Any) -> bool:
    a = actor_of(actor)
    return a.is_active_staff and a.role in VIEW_ROLES


def can_manage_authority_points(*, actor: Any, authority_id: int) -> bool:
    """The admin of the certifying authority itself (not of a superior: the notice has
    each authority set its own points)."""
    a = actor_of(actor)
    return a.is_active_staff and a.role in ADMIN_ROLES and a.institution_id == authority_id


def can_work_at_point(*, actor: Any, point_institution_id: int) -> bool:
    """A confirmation user filed at that point checks applicants in."""
    a = actor_of(actor)
    return a.is_active_staff and a.role == Role.CONFIRMATION_USER and a.institution_id == point_institution_id


def is_booking_applicant(*, actor: Any, applicant_id: int) -> bool:
    a = actor_of(actor)
    return a.is_active_applicant and a.user_id == applicant_id
