"""Reads for the public portal. Only public information leaves here: institution names,
regions and the public contact details the institutions publish themselves (§8)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from jiaozi.orgs.models import Division, Institution, Level

# The institutions a teacher contacts about registration: education bureaus and the
# 主管部门 that review the schools under them.
DIRECTORY_KINDS = (Institution.Kind.BUREAU, Institution.Kind.DEPARTMENT)


def directory_list(*, city: str = "", keyword: str = "") -> QuerySet[Institution]:
    """Active bureaus and departments, province first, then each city with its counties."""
    qs = Institution.objects.filter(is_active=True, kind__in=DIRECTORY_KINDS).select_related(
        "division", "division__parent"
    )
    if city:
        qs = qs.filter(Q(division__code=city) | Q(division__parent__code=city))
    if keyword:
        qs = qs.filter(name__icontains=keyword)
    return qs.order_by("path")


def directory_cities() -> QuerySet[Division]:
    return Division.objects.filter(level=Level.CITY).order_by("code")
