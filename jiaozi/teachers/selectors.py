"""Reads of teacher records, starting from the user's jurisdiction (§9): a school sees
its teachers, a county its schools' teachers, and so on up. Out of scope answers
``NotFound``, the same as missing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import models

from jiaozi.certificates.models import Certificate
from jiaozi.core import idcard
from jiaozi.core.fields import field_lookup
from jiaozi.orgs.jurisdiction import get_visible_or_404, scope_q

from .models import AnnualAppraisal, EthicsAppraisal, ImportJob, Teacher, TeachingBreak, TrainingRecord
from .permissions import can_import_teachers, can_view_teachers

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

NO_CERTIFICATE = "none"


def teacher_list_visible_to(*, user: User) -> models.QuerySet[Teacher]:
    if not can_view_teachers(user=user):
        return Teacher.objects.none()
    return Teacher.objects.filter(scope_q(user, path_field="school__path"))


def teacher_get_visible_to(*, user: User, pk: Any) -> Teacher:
    return get_visible_or_404(teacher_list_visible_to(user=user).select_related("school"), pk=pk)


def teacher_search(
    queryset: models.QuerySet[Teacher],
    *,
    school: str = "",
    post_type: str = "",
    employment_type: str = "",
    certificate_status: str = "",
    q: str = "",
    resident_id: str = "",
) -> models.QuerySet[Teacher]:
    """Narrow an already scoped queryset. ``q`` is (part of) a name; ``resident_id`` a
    complete ID, found through the blind index (the stored IDs are encrypted, so a part
    of an ID cannot be searched)."""
    if school:
        queryset = queryset.filter(school__code=school.strip())
    if post_type:
        queryset = queryset.filter(post_type=post_type)
    if employment_type:
        queryset = queryset.filter(employment_type=employment_type)
    if certificate_status == NO_CERTIFICATE:
        queryset = queryset.filter(~models.Exists(Certificate.objects.filter(teacher=models.OuterRef("pk"))))
    elif certificate_status:
        queryset = queryset.filter(
            models.Exists(
                Certificate.objects.filter(teacher=models.OuterRef("pk"), status=certificate_status)
            )
        )
    q = q.strip()
    if q:
        queryset = queryset.filter(name__contains=q)
    if resident_id:
        queryset = queryset.filter(**field_lookup(Teacher, "resident_id", idcard.normalise(resident_id)))
    return queryset


def teacher_list_for_page(queryset: models.QuerySet[Teacher]) -> models.QuerySet[Teacher]:
    """What the list shows per row, fetched in a fixed number of queries."""
    return (
        queryset.select_related("school")
        .prefetch_related(models.Prefetch("certificates", queryset=Certificate.objects.order_by("number")))
        .order_by("school__code", "name", "pk")
    )


@dataclass
class TeacherRecords:
    certificates: list[Certificate]
    annual: list[AnnualAppraisal]
    ethics: list[EthicsAppraisal]
    training: list[TrainingRecord]
    training_hours: Decimal
    breaks: list[TeachingBreak]


def teacher_records(*, teacher: Teacher) -> TeacherRecords:
    """Everything kept about one (already authorised) teacher, newest first."""
    training = list(TrainingRecord.objects.filter(teacher=teacher).order_by("-date", "programme"))
    return TeacherRecords(
        certificates=list(Certificate.objects.filter(teacher=teacher).order_by("number")),
        annual=list(AnnualAppraisal.objects.filter(teacher=teacher).order_by("-year")),
        ethics=list(EthicsAppraisal.objects.filter(teacher=teacher).order_by("-year")),
        training=training,
        training_hours=sum((t.hours for t in training), Decimal(0)),
        breaks=list(TeachingBreak.objects.filter(teacher=teacher).order_by("-start")),
    )


# --- Import jobs -----------------------------------------------------------------------


def import_job_list_visible_to(*, user: User) -> models.QuerySet[ImportJob]:
    """Jobs started in the user's jurisdiction (a county sees its schools' uploads)."""
    if not can_import_teachers(user=user):
        return ImportJob.objects.none()
    return ImportJob.objects.filter(scope_q(user, path_field="institution__path")).select_related(
        "created_by", "institution"
    )


def import_job_get_visible_to(*, user: User, pk: Any) -> ImportJob:
    return get_visible_or_404(import_job_list_visible_to(user=user), pk=pk)


def import_job_progress(*, job: ImportJob) -> dict[str, Any] | None:
    """The running job's last reported sheet and row count (kept outside the database:
    the import's own transaction holds the writes until it commits)."""
    value = cache.get(progress_key(job.pk))
    return value if isinstance(value, dict) else None


def progress_key(job_id: int) -> str:
    return f"teachers:import-job:{job_id}:progress"
