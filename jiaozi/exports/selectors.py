"""Reads of controlled exports: who may ask, who may approve, and the lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from jiaozi.accounts.actor import actor_of
from jiaozi.core.errors import NotFound
from jiaozi.core.roles import Role
from jiaozi.registration.permissions import APPLICATION_READ_ROLES

from .models import ExportRequest

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

# Who may export registration applications: the roles that read them (§1).
REQUESTER_ROLES: frozenset[str] = APPLICATION_READ_ROLES
# Who may see full resident IDs and phones: the reviewers, who may reveal them one
# application at a time too (registration.review.services.application_reveal_personal).
UNMASK_ROLES: frozenset[str] = APPLICATION_READ_ROLES
# Who may decide on another person's request: the same duties, or the admin of the
# institution, at the requester's institution or above it.
APPROVER_ROLES: frozenset[str] = APPLICATION_READ_ROLES | {Role.INSTITUTION_ADMIN}


def _staff_in(user: User | None, roles: frozenset[str]) -> bool:
    if user is None:
        return False
    actor = actor_of(user)
    return actor.is_active_staff and actor.role in roles and user.institution is not None


def can_request(user: User | None) -> bool:
    return _staff_in(user, REQUESTER_ROLES)


def can_unmask(user: User | None) -> bool:
    return _staff_in(user, UNMASK_ROLES)


def can_approve(user: User | None) -> bool:
    return _staff_in(user, APPROVER_ROLES)


def may_decide(user: User | None, request: ExportRequest) -> bool:
    """A second person (never the requester) at the request's institution or above it."""
    if not can_approve(user) or user is None or user.pk == request.requester_id:
        return False
    assert user.institution is not None
    return bool(request.institution.path.startswith(user.institution.path))


def requests_of(*, user: User | None) -> QuerySet[ExportRequest]:
    if user is None or not can_request(user):
        return ExportRequest.objects.none()
    return ExportRequest.objects.filter(requester=user).select_related("campaign", "decided_by")


def approval_queue(*, user: User | None) -> QuerySet[ExportRequest]:
    """Pending requests of others at the user's institution or below."""
    if user is None or not can_approve(user):
        return ExportRequest.objects.none()
    assert user.institution is not None
    return (
        ExportRequest.objects.filter(
            state=ExportRequest.State.PENDING, institution__path__startswith=user.institution.path
        )
        .exclude(requester=user)
        .select_related("campaign", "requester", "institution")
        .order_by("requested_at", "pk")
    )


def request_get(*, user: User | None, pk: Any) -> ExportRequest:
    """The requester's own request, or one the user may decide (any state, to see what
    was decided); NotFound otherwise — out of scope and missing answer alike."""
    try:
        found = ExportRequest.objects.select_related(
            "institution", "campaign", "requester", "decided_by"
        ).get(pk=pk)
    except (ExportRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("导出申请不存在或不在您的管辖范围内。")) from None
    if user is not None and (found.requester_id == user.pk or may_decide(user, found)):
        return found
    raise NotFound(_("导出申请不存在或不在您的管辖范围内。"))
