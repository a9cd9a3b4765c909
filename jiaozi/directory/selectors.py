"""Reads of institution set-up and the public directory.

Staff: ``setup_list`` — the registration institutions in the user's jurisdiction with
what each has done for a campaign (public info, plan, confirmation points, last
reminder), one query whatever the number of institutions.

Public: ``public_directory`` — the education bureaus and the registration institutions
with the contact details they published, searchable by city, county and name; each with
its active confirmation points (PRODUCT §2, §8). Only public information leaves here."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from jiaozi.core.accounts import Account
from jiaozi.core.errors import NotFound
from jiaozi.orgs.models import Division, Institution, Level
from jiaozi.orgs.selectors import registration_institution_list_visible_to
from jiaozi.registration.campaigns.selectors import campaign_get_active
from jiaozi.registration.models import Campaign

from .models import RegistrationPlan, SetupReminder
from .permissions import can_oversee

HAS_PUBLIC_INFO = ~models.Q(address="") & ~models.Q(phone="") & ~models.Q(office_hours="")
MISSING_PUBLIC_INFO = "public_info"
MISSING_PLAN = "plan"


def campaign_for(institution: Institution | None) -> Campaign | None:
    """The active registration campaign of the institution's province."""
    if institution is None:
        return None
    return campaign_get_active(province_code=str(institution.division_id)[:2] + "0000")


def plan_for(*, institution: Institution, campaign: Campaign | None) -> RegistrationPlan | None:
    if campaign is None:
        return None
    return RegistrationPlan.objects.filter(institution=institution, campaign=campaign).first()


def _points() -> models.QuerySet[Institution]:
    return Institution.objects.filter(
        parent=models.OuterRef("pk"), kind=Institution.Kind.CONFIRMATION_POINT, is_active=True
    )


def setup_list(
    *, user: Account | None, campaign: Campaign, status: str = "", q: str = "", division: str = ""
) -> models.QuerySet[Institution]:
    """Registration institutions in scope, annotated: ``has_public_info``, ``plan_total``
    (None without a plan), ``point_count``, ``last_reminded_at``. ``status`` narrows to
    ``unfinished`` or ``finished``."""
    if not can_oversee(actor=user):
        return Institution.objects.none()
    plans = RegistrationPlan.objects.filter(institution=models.OuterRef("pk"), campaign=campaign)
    reminders = SetupReminder.objects.filter(institution=models.OuterRef("pk"), campaign=campaign)
    queryset = (
        registration_institution_list_visible_to(user=user)
        .annotate(
            has_public_info=models.ExpressionWrapper(HAS_PUBLIC_INFO, output_field=models.BooleanField()),
            plan_total=models.Subquery(plans.values("total")[:1]),
            plan_submitted_at=models.Subquery(plans.values("submitted_at")[:1]),
            point_count=Coalesce(
                models.Subquery(
                    _points().order_by().values("parent").annotate(n=models.Count("pk")).values("n")[:1]
                ),
                0,
            ),
            last_reminded_at=models.Subquery(reminders.order_by("-sent_at").values("sent_at")[:1]),
        )
        .select_related("division", "parent")
    )
    finished = HAS_PUBLIC_INFO & models.Q(plan_total__isnull=False)
    if status == "unfinished":
        queryset = queryset.exclude(finished)
    elif status == "finished":
        queryset = queryset.filter(finished)
    if division:
        queryset = queryset.filter(models.Q(division_id=division) | models.Q(division__parent_id=division))
    q = q.strip()
    if q:
        queryset = queryset.filter(name__contains=q)
    return queryset.order_by("path")


def missing_of(row: Institution) -> list[str]:
    """What an annotated ``setup_list`` row still lacks."""
    missing = []
    if not getattr(row, "has_public_info", False):
        missing.append(MISSING_PUBLIC_INFO)
    if getattr(row, "plan_total", None) is None:
        missing.append(MISSING_PLAN)
    return missing


def setup_summary(queryset: models.QuerySet[Institution]) -> dict[str, int]:
    """Counts over an annotated ``setup_list`` (before paging)."""
    totals = queryset.aggregate(
        institutions=models.Count("pk"),
        public_info=models.Count("pk", filter=HAS_PUBLIC_INFO),
        plans=models.Count("pk", filter=models.Q(plan_total__isnull=False)),
        finished=models.Count("pk", filter=HAS_PUBLIC_INFO & models.Q(plan_total__isnull=False)),
        expected=Coalesce(models.Sum("plan_total"), 0),
    )
    return {key: int(value or 0) for key, value in totals.items()}


def confirmation_points_of(institution: Institution) -> list[Institution]:
    return list(
        Institution.objects.filter(
            parent=institution, kind=Institution.Kind.CONFIRMATION_POINT, is_active=True
        ).order_by("code")
    )


# --- Public ------------------------------------------------------------------------

# Who a teacher contacts: the education bureaus at every level and the 主管部门.
DIRECTORY_KINDS = (Institution.Kind.BUREAU, Institution.Kind.DEPARTMENT)


def public_directory(*, city: str = "", county: str = "", keyword: str = "") -> models.QuerySet[Institution]:
    """Active bureaus and departments, province first, then each city with its counties,
    with their active confirmation points prefetched (``points``)."""
    queryset = Institution.objects.filter(is_active=True, kind__in=DIRECTORY_KINDS).select_related(
        "division", "division__parent"
    )
    if county:
        queryset = queryset.filter(division_id=county)
    elif city:
        queryset = queryset.filter(models.Q(division_id=city) | models.Q(division__parent_id=city))
    keyword = keyword.strip()
    if keyword:
        queryset = queryset.filter(name__contains=keyword)
    points = Institution.objects.filter(kind=Institution.Kind.CONFIRMATION_POINT, is_active=True).order_by(
        "code"
    )
    return queryset.prefetch_related(models.Prefetch("children", queryset=points, to_attr="points")).order_by(
        "path"
    )


def public_cities() -> models.QuerySet[Division]:
    return Division.objects.filter(level=Level.CITY).order_by("code")


def public_counties(*, city: str = "") -> models.QuerySet[Division]:
    queryset = Division.objects.filter(level=Level.COUNTY).select_related("parent")
    if city:
        queryset = queryset.filter(parent_id=city)
    return queryset.order_by("code")


def institution_in_scope(*, user: Account | None, pk: Any) -> Institution:
    """A registration institution in the overseer's jurisdiction (``NotFound`` otherwise)."""
    try:
        return registration_institution_list_visible_to(user=user).get(pk=pk)
    except (Institution.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("机构不存在或不在您的管辖范围内。")) from None
