"""Reads of certification, starting from the user's duty and jurisdiction (§9):
applicants see their own applications; confirmation users those booked at a
confirmation point within their institution; certifying officers those addressed to an
authority within theirs; anyone else none. Missing and out-of-scope answer alike."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from jiaozi.accounts.actor import actor_of
from jiaozi.accounts.models import User
from jiaozi.core.roles import Role
from jiaozi.core.scoping import get_visible_or_404
from jiaozi.orgs.jurisdiction import scope_q

from .models import CertificationApplication, CertificationBatch, CertificationStep
from .windows import SHANGHAI

DETAIL_RELATED = ("batch", "applicant", "authority", "confirmation_point", "certificate")


def application_list_visible_to(*, user: User | None) -> QuerySet[CertificationApplication]:
    """Where ``user`` may read (and, role permitting, act)."""
    actor = actor_of(user)
    if actor.is_active_applicant:
        return CertificationApplication.objects.filter(applicant_id=actor.user_id)
    if not actor.is_active_staff:
        return CertificationApplication.objects.none()
    if actor.role == Role.CONFIRMATION_USER:
        return CertificationApplication.objects.filter(scope_q(user, path_field="confirmation_point__path"))
    if actor.role == Role.CERTIFYING_OFFICER:
        return CertificationApplication.objects.filter(scope_q(user, path_field="authority__path"))
    return CertificationApplication.objects.none()


def application_get_visible_to(*, user: User | None, pk: Any) -> CertificationApplication:
    queryset = application_list_visible_to(user=user).select_related(*DETAIL_RELATED)
    return get_visible_or_404(queryset, pk=pk)


def application_steps(*, application: CertificationApplication) -> QuerySet[CertificationStep]:
    """The timeline, oldest first (the caller has authorised the application)."""
    return application.steps.select_related("actor", "institution").order_by("at", "pk")


def batch_current(
    *, province_code: str = "340000", at: dt.datetime | None = None
) -> CertificationBatch | None:
    """The batch whose online window is open at ``at``; else the latest announced one."""
    batches = CertificationBatch.objects.filter(province_code=province_code, is_active=True)
    if at is not None:
        open_now = batches.filter(apply_opens_at__lte=at, apply_closes_at__gt=at).first()
        if open_now is not None:
            return open_now
        return batches.filter(announced_on__lte=at.astimezone(SHANGHAI).date()).first()
    return batches.first()


@dataclass(frozen=True, slots=True)
class PortalBatch:
    """A certification batch as the portal's home page lists it (认定公告)."""

    pk: int
    name: str
    announced_on: dt.date
    apply_opens_at: dt.datetime
    apply_closes_at: dt.datetime
    confirm_closes_at: dt.datetime
    completes_on: dt.date
    announcement: str
    link: str


def portal_batches(*, today: dt.date, limit: int = 10) -> list[PortalBatch]:
    """The active batches announced on or before ``today``, newest first: the portal
    shows a batch's announcement from its date on (§3)."""
    link = reverse("certification_applicant:home")
    batches = CertificationBatch.objects.filter(is_active=True, announced_on__lte=today).order_by(
        "-announced_on", "-pk"
    )[:limit]
    return [
        PortalBatch(
            pk=b.pk,
            name=b.name,
            announced_on=b.announced_on,
            apply_opens_at=b.apply_opens_at,
            apply_closes_at=b.apply_closes_at,
            confirm_closes_at=b.confirm_closes_at,
            completes_on=b.completes_on,
            announcement=b.announcement,
            link=link,
        )
        for b in batches
    ]


def applications_of(*, user: User) -> QuerySet[CertificationApplication]:
    """An applicant's own applications, newest first."""
    return (
        CertificationApplication.objects.filter(applicant=user)
        .select_related("batch", "authority", "confirmation_point")
        .order_by("-created_at")
    )


def queue(*, user: User | None, statuses: tuple[str, ...]) -> QuerySet[CertificationApplication]:
    return (
        application_list_visible_to(user=user)
        .filter(Q(status__in=statuses))
        .select_related("batch", "authority", "confirmation_point")
        .order_by("submitted_at", "pk")
    )


def queue_count(*, user: User | None, statuses: tuple[str, ...]) -> int:
    return application_list_visible_to(user=user).filter(status__in=statuses).count()


def overdue(*, user: User | None, today: dt.date) -> QuerySet[CertificationApplication]:
    """Applications still awaiting a decision (or confirmation) after their deadline."""
    from .workflow import Status

    return (
        application_list_visible_to(user=user)
        .filter(
            status__in=(Status.CONFIRMATION, Status.CONFIRM_REFUSED, Status.DECISION),
            decision_deadline__lt=today,
        )
        .select_related("batch", "authority", "confirmation_point")
        .order_by("decision_deadline", "pk")
    )


def overdue_count(*, user: User | None, today: dt.date) -> int:
    return overdue(user=user, today=today).count()
