"""Reads of staff accounts. Every query starts from the reader's jurisdiction (§9): a
staff user sees staff of its own institution and of the institutions below it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiaozi.orgs.jurisdiction import get_visible_or_404, scope_q
from jiaozi.orgs.models import Institution

from .mfa import DEMO_DEVICE_NAME
from .models import User


def staff_list_visible_to(
    *,
    user: User,
    institution: Institution | None = None,
    role: str = "",
    active: bool | None = None,
    search: str = "",
) -> QuerySet[User]:
    """Staff within ``user``'s jurisdiction, optionally narrowed to the subtree of
    ``institution``, one role, active or disabled accounts, and a name or username."""
    qs = (
        User.objects.filter(kind=User.Kind.STAFF)
        .filter(scope_q(user, path_field="institution__path"))
        .select_related("institution")
        .order_by("institution__path", "username")
    )
    if institution is not None:
        qs = qs.filter(institution__path__startswith=institution.path)
    if role:
        qs = qs.filter(role=role)
    if active is not None:
        qs = qs.filter(is_active=active)
    search = search.strip()
    if search:
        qs = qs.filter(Q(real_name__icontains=search) | Q(username__icontains=search))
    return qs


def staff_get_visible_to(*, user: User, pk: Any) -> User:
    """One staff account in ``user``'s jurisdiction; ``NotFound`` for missing and
    out-of-scope alike."""
    return get_visible_or_404(
        User.objects.filter(kind=User.Kind.STAFF)
        .filter(scope_q(user, path_field="institution__path"))
        .select_related("institution", "filed_by"),
        pk=pk,
    )


def institution_list_for_staff_pages(*, user: User) -> QuerySet[Institution]:
    """Institutions ``user`` may pick in staff filters and the filing form."""
    return Institution.objects.filter(scope_q(user), is_active=True).order_by("path")


def institution_get_for_staff_pages(*, user: User, code: str) -> Institution:
    return get_visible_or_404(institution_list_for_staff_pages(user=user), code=code)


def institution_get_by_code(*, code: str) -> Institution | None:
    """Any active institution by code, for filing: whether the actor may file there is
    the service's decision (403), not a lookup miss."""
    return Institution.objects.filter(code=code.strip(), is_active=True).first()


def totp_device_for(*, user: User, confirmed: bool = True) -> TOTPDevice | None:
    """The user's TOTP device (the oldest confirmed one; or the pending enrolment).
    Outside DEMO_MODE demo devices do not count (see mfa.usable)."""
    qs = TOTPDevice.objects.filter(user=user, confirmed=confirmed)
    if not settings.DEMO_MODE:
        qs = qs.exclude(name=DEMO_DEVICE_NAME)
    return qs.order_by("pk").first()
