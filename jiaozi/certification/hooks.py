"""What certification contributes to the shared registries, installed from
``CertificationConfig.ready()``: its navigation entries, its dashboard cards, and its
applications as the records confirmation points book (``reference source``
"certification", confirmation's ``references``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiaozi.confirmation.references import Reference, register_reference_source
from jiaozi.core import registry
from jiaozi.core.registry import NavEntry
from jiaozi.core.roles import Role
from jiaozi.core.ui.nav import SECTION_TEACHERS

from .dashboard import certification_cards
from .models import CertificationApplication
from .workflow import Status

KIND = "certification"
# A booking is taken while the application waits for (another) on-site confirmation.
BOOKABLE = frozenset({Status.CONFIRMATION, Status.CONFIRM_REFUSED})

NAV = (
    NavEntry(
        _("认定审批"),
        "certification:queue",
        frozenset({Role.CERTIFYING_OFFICER}),
        "inbox",
        SECTION_TEACHERS,
        210,
    ),
    NavEntry(
        _("认定材料核对"),
        "certification:confirm_queue",
        frozenset({Role.CONFIRMATION_USER}),
        "check",
        SECTION_TEACHERS,
        220,
    ),
)


def _reference(application: CertificationApplication) -> Reference:
    may_book = application.status in BOOKABLE
    return Reference(
        kind=KIND,
        id=application.pk,
        applicant_id=application.applicant_id,
        authority_id=application.authority_id,
        label=f"认定申请 {application.reference}",
        detail_url=reverse("certification:confirm_detail", args=[application.pk]),
        applicant_url=reverse("certification_applicant:detail", args=[application.pk]),
        may_book=may_book,
        reason="" if may_book else str(_("该申请当前不需要现场确认。")),
        point_institution_id=application.confirmation_point_id,
    )


def resolve(kind: str, reference_id: int, user: Any) -> Reference | None:
    application = CertificationApplication.objects.filter(pk=reference_id).first()
    return _reference(application) if application is not None else None


def pending(user: Any) -> list[Reference]:
    if getattr(user, "pk", None) is None:
        return []
    applications = CertificationApplication.objects.filter(applicant_id=user.pk, status__in=BOOKABLE)
    return [_reference(a) for a in applications.order_by("pk")]


def register() -> None:
    for entry in NAV:
        registry.nav_entry_register(entry)
    registry.dashboard_cards_register("certification", certification_cards, order=45)
    register_reference_source(KIND, resolve, pending)
