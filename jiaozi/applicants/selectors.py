"""Reads of the applicant area. An applicant reads only their own data: the account,
the teacher record whose resident ID is theirs, that teacher's certificates, and their
own applications and messages. Nothing here takes an id from outside without scoping
it to the signed-in applicant."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from jiaozi.accounts.models import User
from jiaozi.certificates.models import Certificate
from jiaozi.core import idcard
from jiaozi.core.masking import mask_resident_id
from jiaozi.notifications.models import Notification
from jiaozi.notifications.selectors import notification_count_unread, notification_list_for
from jiaozi.orgs.jurisdiction import province_code_of
from jiaozi.registration.campaigns.selectors import campaign_context, campaign_get_active
from jiaozi.registration.campaigns.windows import window_is_open, window_states
from jiaozi.registration.labels import DUE_LABELS, SUGGESTION_LABELS, reason_labels
from jiaozi.registration.models import Application, Campaign
from jiaozi.registration.precheck.facts import evaluate_teachers, teacher_rows
from jiaozi.registration.rules import DUE_TO_APPLY, Precheck
from jiaozi.registration.workflow import ACTIVE
from jiaozi.teachers.models import Teacher

from .models import TeacherLink

RECENT_MESSAGES = 3


def resident_id_lookup(value: str) -> dict[str, str]:
    """Filter kwargs finding users by resident ID (the blind index)."""
    return User._meta.get_field("resident_id").lookup(value)  # type: ignore[attr-defined, no-any-return]


def _phone_lookup(value: str) -> dict[str, str]:
    return User._meta.get_field("phone").lookup(value)  # type: ignore[attr-defined, no-any-return]


def applicant_for_sign_in(*, identifier: str) -> User | None:
    """The applicant account an identifier names: a resident ID, a phone number, or the
    generated username. Staff accounts are never found here (they sign in at the staff
    entrance only)."""
    value = (identifier or "").strip()
    if not value:
        return None
    applicants = User.objects.filter(kind=User.Kind.APPLICANT)
    rid = idcard.normalise(value)
    if idcard.is_valid(rid):
        return applicants.filter(**resident_id_lookup(rid)).first()
    if len(value) == 11 and value.isascii() and value.isdigit():
        found = list(applicants.filter(**_phone_lookup(value))[:2])
        # Two accounts on one phone (signed up before the check existed): neither is
        # chosen, the ID or the username still works.
        return found[0] if len(found) == 1 else None
    return applicants.filter(username=value).first()


def applicant_teacher(*, user: User) -> Teacher | None:
    """The teacher record filed under the applicant's resident ID, if any."""
    bidx = getattr(user, "resident_id_bidx", None)
    if not bidx or user.kind != User.Kind.APPLICANT:
        return None
    return Teacher.objects.select_related("school", "school__parent").filter(resident_id_bidx=bidx).first()


def applicant_link(*, user: User) -> TeacherLink | None:
    return (
        TeacherLink.objects.select_related("teacher", "teacher__school", "teacher__school__parent")
        .filter(user=user)
        .first()
    )


def applicant_campaign(*, teacher: Teacher | None) -> Campaign | None:
    """The active campaign of the province the teacher's school is in."""
    if teacher is None:
        return None
    return campaign_get_active(province_code=province_code_of(teacher.school))


@dataclass
class CertificateStatus:
    """One certificate with what the rules say about it in the active campaign."""

    certificate: Certificate
    result: Precheck | None
    application: Application | None = None

    @property
    def due_label(self) -> str:
        return str(DUE_LABELS.get(self.result.due, self.result.due)) if self.result else ""

    @property
    def is_due(self) -> bool:
        return bool(self.result and self.result.due in DUE_TO_APPLY)

    @property
    def suggestion_label(self) -> str:
        if not self.result or not self.result.suggestion:
            return ""
        return str(SUGGESTION_LABELS.get(self.result.suggestion, self.result.suggestion))

    @property
    def reasons(self) -> list[str]:
        return reason_labels(self.result.reasons) if self.result else []


def certificate_statuses(
    *, user: User, teacher: Teacher, campaign: Campaign | None
) -> list[CertificateStatus]:
    """The teacher's certificates, each with its due line and suggestion in
    ``campaign`` (the rules run over the same facts loader as the staff pre-check) and
    the applicant's active application for it."""
    certificates = list(Certificate.objects.filter(teacher=teacher).order_by("number"))
    results: dict[int, Precheck] = {}
    active: dict[int, Application] = {}
    if campaign is not None:
        ctx = campaign_context(campaign)
        results = {
            row.certificate_id: row.result
            for row in evaluate_teachers(teacher_rows([teacher.pk]), ctx)
            if row.certificate_id is not None
        }
        for application in Application.objects.filter(
            applicant=user, campaign=campaign, status__in=ACTIVE
        ).order_by("-created_at"):
            active.setdefault(application.certificate_id, application)
    return [CertificateStatus(c, results.get(c.pk), active.get(c.pk)) for c in certificates]


def applicant_applications(*, user: User) -> QuerySet[Application]:
    """The applicant's own applications, newest first."""
    return (
        Application.objects.filter(applicant=user)
        .select_related("campaign", "certificate", "school")
        .order_by("-created_at", "-pk")
    )


@dataclass
class Overview:
    """Everything the applicant's home page shows."""

    user: User
    teacher: Teacher | None
    link: TeacherLink | None
    campaign: Campaign | None
    windows: list[dict[str, object]] = field(default_factory=list)
    apply_open: bool = False
    certificates: list[CertificateStatus] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)
    unread: int = 0
    messages: list[Notification] = field(default_factory=list)

    @property
    def linked(self) -> bool:
        return self.link is not None

    @property
    def masked_resident_id(self) -> str:
        return mask_resident_id(self.user.resident_id)


def applicant_overview(*, user: User) -> Overview:
    """The home page: the teacher record (only once linked), the certificates with
    whether and why they are due, the campaign windows, the applications and the inbox."""
    link = applicant_link(user=user)
    # Before the link nothing depends on whether a record is filed under the account's
    # resident ID (not even the campaign of its province): somebody signed up with
    # another person's ID learns nothing (docs/decisions/0170).
    teacher = link.teacher if link is not None else None
    campaign = applicant_campaign(teacher=teacher)
    overview = Overview(user=user, teacher=teacher, link=link, campaign=campaign)
    if campaign is not None:
        overview.windows = window_states(campaign=campaign)
        overview.apply_open = window_is_open(campaign=campaign, action="apply")
    if link is not None and teacher is not None:
        overview.certificates = certificate_statuses(user=user, teacher=teacher, campaign=campaign)
    overview.applications = list(applicant_applications(user=user))
    overview.unread = notification_count_unread(user=user)
    overview.messages = list(notification_list_for(user=user)[:RECENT_MESSAGES])
    return overview


def applicant_profile(*, user: User) -> dict[str, Any]:
    """The applicant's own personal data, in full (PIPL art. 45: it is theirs)."""
    link = applicant_link(user=user)
    teacher = link.teacher if link is not None else None
    return {
        "user": user,
        "link": link,
        "teacher": teacher,
        "certificates": list(Certificate.objects.filter(teacher=teacher).order_by("number"))
        if teacher
        else [],
        "appraisals": list(teacher.annual_appraisals.order_by("-year")) if teacher else [],
        "ethics": list(teacher.ethics_appraisals.order_by("-year")) if teacher else [],
        "training": list(teacher.training_records.order_by("-date")) if teacher else [],
        "breaks": list(teacher.teaching_breaks.order_by("-start")) if teacher else [],
    }
