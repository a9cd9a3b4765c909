"""Reads of institutions, starting from the user's jurisdiction (§9)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from jiaozi.core.accounts import Account
from jiaozi.core.errors import NotFound

from .jurisdiction import get_visible_or_404, scope_q
from .models import Division, Institution

# Institutions that decide registration conclusions for schools (注册机构): the ones that
# review at least one school. Data-driven, like the routing: whoever is a school's parent.
_REVIEWS_SCHOOLS = models.Exists(
    Institution.objects.filter(parent=models.OuterRef("pk"), kind=Institution.Kind.SCHOOL, is_active=True)
)
_HAS_PUBLIC_INFO = ~models.Q(address="") & ~models.Q(phone="") & ~models.Q(office_hours="")


def institution_list_visible_to(*, user: Account | None) -> models.QuerySet[Institution]:
    """The user's own institution and everything below it."""
    return Institution.objects.filter(scope_q(user, path_field="path")).select_related("division", "parent")


def institution_get_visible_to(*, user: Account | None, pk: Any) -> Institution:
    """One institution in the user's jurisdiction; ``NotFound`` for missing and out of
    scope alike."""
    return get_visible_or_404(institution_list_visible_to(user=user), pk=pk)


def institution_search(
    queryset: models.QuerySet[Institution],
    *,
    kind: str = "",
    level: str = "",
    division: str = "",
    q: str = "",
) -> models.QuerySet[Institution]:
    """Narrow an already scoped queryset by the list filters. ``division`` matches
    institutions in that division or any division below it."""
    if kind:
        queryset = queryset.filter(kind=kind)
    if level:
        queryset = queryset.filter(level=level)
    if division:
        queryset = queryset.filter(
            models.Q(division_id=division)
            | models.Q(division__parent_id=division)
            | models.Q(division__parent__parent_id=division)
        )
    q = q.strip()
    if q:
        queryset = queryset.filter(models.Q(name__contains=q) | models.Q(code__startswith=q))
    return queryset


def registration_institution_list_visible_to(*, user: Account | None) -> models.QuerySet[Institution]:
    """注册机构 in the user's jurisdiction: active bureaus and departments that review
    at least one active school."""
    return (
        institution_list_visible_to(user=user)
        .filter(kind__in=[Institution.Kind.BUREAU, Institution.Kind.DEPARTMENT], is_active=True)
        .filter(_REVIEWS_SCHOOLS)
    )


def registration_institution_list_missing_public_info(
    *, user: Account | None
) -> models.QuerySet[Institution]:
    """The registration institutions in scope that have not filled address, phone and
    office hours — the province's "who has not" list (§2)."""
    return registration_institution_list_visible_to(user=user).exclude(_HAS_PUBLIC_INFO)


def institution_has_public_info(institution: Institution) -> bool:
    return bool(institution.address and institution.phone and institution.office_hours)


def division_list_for_filter(*, user: Account | None) -> models.QuerySet[Division]:
    """Divisions a user can filter by: the province and cities of its own division and
    the divisions below its institution's division."""
    institution = getattr(user, "institution", None)
    if institution is None:
        return Division.objects.none()
    code = institution.division_id
    return Division.objects.filter(
        models.Q(code=code) | models.Q(parent_id=code) | models.Q(parent__parent_id=code)
    ).order_by("code")


def school_get_by_code(code: str, *, user: Account | None = None) -> Institution:
    """The active school with this code (教育部学校标识码); with ``user``, only inside the
    user's jurisdiction. ``NotFound`` otherwise."""
    queryset = Institution.objects.filter(kind=Institution.Kind.SCHOOL, is_active=True).select_related(
        "parent", "division"
    )
    if user is not None:
        queryset = queryset.filter(scope_q(user, path_field="path"))
    try:
        return queryset.get(code=code.strip())
    except Institution.DoesNotExist:
        raise NotFound(_("学校不存在或不在您的管辖范围内。"), code="school_not_found") from None


def bureau_for_division(code: str) -> Institution:
    """The education bureau of a division (its code is the division code)."""
    try:
        return Institution.objects.select_related("division").get(kind=Institution.Kind.BUREAU, code=code)
    except Institution.DoesNotExist:
        raise NotFound(_("该行政区划没有教育行政部门。"), code="bureau_not_found") from None
