"""Reads of certificate services (§7): the holder's certificates, the staff registry
list in a jurisdiction and its search, one certificate with its history.

Staff see a certificate when its holder's school lies in their jurisdiction, or when a
bureau in their jurisdiction issued it (the number says which, see ``authority``):
the school's side reviews registration, the issuing authority serves the certificate.
Out of scope answers ``NotFound``, the same as missing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from jiaozi.certificates.models import Certificate, CertificateEvent, CertificateStatus, Conclusion
from jiaozi.certificates.selectors import certificate_history
from jiaozi.core import clock, idcard, workdays
from jiaozi.core.fields import field_lookup
from jiaozi.core.scoping import get_visible_or_404
from jiaozi.orgs.jurisdiction import province_code_of
from jiaozi.teachers.models import Teacher

from . import deadlines
from .authority import authority_keys_within
from .models import RequestMaterial, RequestStep, ServiceRequest, ServiceSetting
from .permissions import can_view_registry
from .transitions import requests_visible_to
from .workflow import RequestStatus

if TYPE_CHECKING:
    from jiaozi.accounts.models import User


class Validity:
    """Where a certificate's registration stands today, in words for the holder."""

    INVALID = "invalid"  # the certificate is revoked (撤销) or lost (丧失)
    UNREGISTERED = "unregistered"  # never registered
    VALID = "valid"  # 注册合格 and still within its validity
    EXPIRED = "expired"  # 注册合格 once, but the validity has ended
    NOT_QUALIFIED = "not_qualified"  # last conclusion 暂缓注册 / 注册不合格


VALIDITY_LABELS = {
    Validity.INVALID: _("证书已失效"),
    Validity.UNREGISTERED: _("尚未注册"),
    Validity.VALID: _("注册有效"),
    Validity.EXPIRED: _("注册有效期已届满"),
    Validity.NOT_QUALIFIED: _("未取得注册合格"),
}


def validity_of(certificate: Certificate, *, today: dt.date | None = None) -> str:
    """The holder's one-word answer: may this certificate be used for teaching today?
    (Pure over the certificate's fields.)"""
    today = today or clock.today()
    if certificate.status != CertificateStatus.VALID:
        return Validity.INVALID
    if not certificate.last_conclusion:
        return Validity.UNREGISTERED
    if certificate.valid_to is not None and certificate.valid_to >= today:
        return Validity.VALID
    if certificate.valid_to is not None:
        return Validity.EXPIRED
    return Validity.NOT_QUALIFIED


@dataclass(frozen=True, slots=True)
class CertificateView:
    certificate: Certificate
    validity: str

    @property
    def validity_label(self) -> str:
        return str(VALIDITY_LABELS[self.validity])

    @property
    def conclusion_label(self) -> str:
        value = self.certificate.last_conclusion
        return str(Conclusion(value).label) if value else ""


# --- The holder ------------------------------------------------------------------------


def holder_teacher(*, user: User) -> Teacher | None:
    """The teacher record the applicant has confirmed as theirs (the applicant area's
    link, read through its reverse relation so this app does not depend on the area)."""
    if not getattr(user, "is_applicant_user", False):
        return None
    return Teacher.objects.filter(applicant_link__user=user).select_related("school").first()


def holder_certificates(*, user: User) -> list[CertificateView]:
    """The signed-in holder's certificates, newest number first (one query)."""
    rows = Certificate.objects.filter(teacher__applicant_link__user=user).order_by("-number")
    today = clock.today()
    return [CertificateView(row, validity_of(row, today=today)) for row in rows]


def holder_certificate_get(*, user: User, pk: Any) -> Certificate:
    """One of the holder's own certificates; anyone else's answers NotFound."""
    return get_visible_or_404(
        Certificate.objects.filter(teacher__applicant_link__user=user).select_related("teacher"), pk=pk
    )


# --- Staff -----------------------------------------------------------------------------


def certificate_list_visible_to(*, user: User) -> models.QuerySet[Certificate]:
    """Certificates in ``user``'s jurisdiction: held by a teacher of a school in it, or
    issued by a bureau in it."""
    if not can_view_registry(user=user):
        return Certificate.objects.none()
    institution = user.institution
    if institution is None:
        return Certificate.objects.none()
    held = models.Q(teacher__school__path__startswith=institution.path)
    keys = authority_keys_within(institution.path)
    if not keys:
        return Certificate.objects.filter(held)
    return Certificate.objects.annotate(issuer_key=Substr("number", 5, 5)).filter(
        held | models.Q(issuer_key__in=keys)
    )


def certificate_search(
    queryset: models.QuerySet[Certificate],
    *,
    number: str = "",
    name: str = "",
    status: str = "",
    resident_id: str = "",
) -> models.QuerySet[Certificate]:
    """Narrow a scoped queryset: ``number`` whole or its beginning, ``name`` (part of)
    the holder's name, ``resident_id`` a complete ID through the blind index (the stored
    IDs are encrypted: a part of one cannot be searched)."""
    number = number.strip()
    if number:
        queryset = queryset.filter(number__startswith=number)
    name = "".join(name.split())
    if name:
        queryset = queryset.filter(teacher__name__contains=name)
    if status:
        queryset = queryset.filter(status=status)
    if resident_id:
        lookup = field_lookup(Teacher, "resident_id", idcard.normalise(resident_id))
        queryset = queryset.filter(**{f"teacher__{key}": value for key, value in lookup.items()})
    return queryset


def certificate_list_for_page(queryset: models.QuerySet[Certificate]) -> models.QuerySet[Certificate]:
    return queryset.select_related("teacher", "teacher__school")


def certificate_get_visible_to(*, user: User, pk: Any) -> Certificate:
    return get_visible_or_404(certificate_list_for_page(certificate_list_visible_to(user=user)), pk=pk)


@dataclass(frozen=True, slots=True)
class CertificateDossier:
    """One certificate for its page: the record, where it stands, and its history."""

    view: CertificateView
    events: list[CertificateEvent]


def certificate_dossier(*, certificate: Certificate) -> CertificateDossier:
    """After the caller authorised ``certificate``: its validity and full history."""
    return CertificateDossier(
        view=CertificateView(certificate, validity_of(certificate)),
        events=certificate_history(certificate=certificate),
    )


# --- Requests ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueCounts:
    open: int
    due_soon: int
    overdue: int


def request_list_visible_to(*, user: User) -> models.QuerySet[ServiceRequest]:
    return requests_visible_to(user).select_related("certificate", "certificate__teacher", "authority")


def request_queue(
    *, user: User, status: str = "", kind: str = "", overdue: bool = False
) -> models.QuerySet[ServiceRequest]:
    """The authority's queue: open requests first, the nearest deadline first."""
    queryset = request_list_visible_to(user=user)
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    if overdue:
        queryset = queryset.filter(status=RequestStatus.SUBMITTED, due_on__lt=clock.today())
    return (
        queryset.order_by("due_on", "pk")
        if status == RequestStatus.SUBMITTED or overdue
        else queryset.order_by("-submitted_at", "-pk")
    )


def request_get_visible_to(*, user: User, pk: Any) -> ServiceRequest:
    return get_visible_or_404(
        request_list_visible_to(user=user).select_related("applicant", "decided_by", "paper_token"), pk=pk
    )


def request_steps(*, request: ServiceRequest) -> list[RequestStep]:
    return list(request.steps.select_related("actor").order_by("at", "id"))


def request_materials(*, request: ServiceRequest) -> list[RequestMaterial]:
    return list(request.materials.order_by("uploaded_at", "id"))


def request_counts(*, user: User) -> QueueCounts:
    """Open, due-soon and overdue requests in the user's queue (one query)."""
    today = clock.today()
    rules = deadlines.rules_for(user.institution)
    soon = workdays.add_working_days(today, rules.reminder_days)
    row = (
        requests_visible_to(user)
        .filter(status=RequestStatus.SUBMITTED)
        .aggregate(
            open=models.Count("pk"),
            due_soon=models.Count("pk", filter=models.Q(due_on__gte=today, due_on__lte=soon)),
            overdue=models.Count("pk", filter=models.Q(due_on__lt=today)),
        )
    )
    return QueueCounts(open=row["open"], due_soon=row["due_soon"], overdue=row["overdue"])


def holder_requests(*, user: User) -> list[ServiceRequest]:
    return list(
        ServiceRequest.objects.filter(applicant=user)
        .select_related("certificate")
        .order_by("-submitted_at", "-pk")
    )


def holder_request_get(*, user: User, pk: Any) -> ServiceRequest:
    return get_visible_or_404(
        ServiceRequest.objects.filter(applicant=user).select_related(
            "certificate", "authority", "certificate__teacher"
        ),
        pk=pk,
    )


def service_setting_for(*, user: User) -> dict[str, int]:
    """The province's current rules, as the settings form's initial data."""
    rules = deadlines.rules_for(user.institution)
    row = ServiceSetting.objects.filter(province__code=province_code_of(user.institution)).first()
    return {
        "processing_days": rules.processing_days,
        "reminder_days": rules.reminder_days,
        "version": row.version if row else 0,
    }
