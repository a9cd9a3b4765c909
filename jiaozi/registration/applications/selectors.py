"""Reads of registration applications, starting from the user's duty and jurisdiction
(§9): reviewers of the chain's levels see the applications of schools inside their
institution's subtree, applicants their own; other staff (admins, the 三员, certifiers)
none; everything else answers "not found", the same as missing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiaozi.accounts.actor import is_active_applicant
from jiaozi.accounts.models import User
from jiaozi.core.errors import NotFound
from jiaozi.orgs.jurisdiction import get_visible_or_404, scope_q
from jiaozi.orgs.models import Institution

from ..models import Application, ApplicationStep, Campaign
from ..permissions import can_read_applications
from ..workflow import HOLDER, TERMINAL, WINDOW_OF, Actor, Status

DETAIL_RELATED: tuple[str, ...] = (
    "campaign",
    "teacher",
    "certificate",
    "applicant",
    "school",
    "registration_authority",
    "city_bureau",
    "province_bureau",
    "notice",
)


def application_list_in_jurisdiction(*, user: User | None) -> QuerySet[Application]:
    """Where a user may act, whatever their role: staff the applications of schools
    within their institution, applicants their own. For the workflow, which refuses
    the wrong role with its own 403; reads use ``application_list_visible_to``."""
    if is_active_applicant(user):
        return Application.objects.filter(applicant=user)
    return Application.objects.filter(scope_q(user, path_field="school__path"))


def application_list_visible_to(*, user: User | None) -> QuerySet[Application]:
    """Reviewers: the applications of schools within their institution (a prefix match
    on the school's path); applicants: their own; anyone else — staff of another duty
    included — none."""
    if not is_active_applicant(user) and not can_read_applications(actor=user):
        return Application.objects.none()
    return application_list_in_jurisdiction(user=user)


def application_get_visible_to(*, user: User | None, pk: Any) -> Application:
    """One application with its chain, teacher, certificate and notice loaded; NotFound
    when missing or out of the user's jurisdiction."""
    return get_visible_or_404(application_list_visible_to(user=user).select_related(*DETAIL_RELATED), pk=pk)


def application_get_for_applicant(*, user: User | None, pk: Any) -> Application:
    """The applicant's own application; NotFound for anyone else's (and for staff)."""
    if not is_active_applicant(user):
        raise NotFound(_("申请不存在。"))
    return get_visible_or_404(
        Application.objects.filter(applicant=user).select_related(*DETAIL_RELATED), pk=pk
    )


def application_get_active_for_certificate(*, campaign: Campaign, certificate_id: int) -> Application | None:
    """The certificate's active (not withdrawn) application in ``campaign``, if any."""
    return (
        Application.objects.filter(campaign=campaign, certificate_id=certificate_id)
        .exclude(status=Status.WITHDRAWN)
        .first()
    )


def application_get_active_for_teacher(*, campaign: Campaign, teacher_id: int) -> Application | None:
    """The teacher's active (not withdrawn) application in ``campaign``, whichever
    certificate it is for (§4: one per person per campaign)."""
    return (
        Application.objects.filter(campaign=campaign, teacher_id=teacher_id)
        .exclude(status=Status.WITHDRAWN)
        .select_related("certificate")
        .first()
    )


def deadline_for(
    *, status: str, campaign: Campaign, notice_ends_at: dt.datetime | None
) -> dt.datetime | None:
    """Until when the level holding an application in ``status`` may act on it: the
    close of that level's window, or the end of the notice."""
    holder = HOLDER.get(status)
    if holder is None:
        return None
    if holder == Actor.PUBLIC:
        return notice_ends_at
    return campaign.window(WINDOW_OF[holder])[1]


# --- Timeline ------------------------------------------------------------------------------

# The stages an application passes, in order, and the statuses in which each holds it.
STAGES: tuple[tuple[str, frozenset[str]], ...] = (
    (Actor.APPLICANT, frozenset({Status.DRAFT, Status.RETURNED})),
    (Actor.SCHOOL, frozenset({Status.SCHOOL_REVIEW})),
    (Actor.REGISTRATION, frozenset({Status.REGISTRATION_REVIEW, Status.CONCLUDED})),
    (Actor.PUBLIC, frozenset({Status.NOTICE, Status.NOTICE_PAUSED})),
    (Actor.CITY, frozenset({Status.CITY_RECHECK})),
    (Actor.PROVINCE, frozenset({Status.PROVINCE_REVIEW})),
)
STAGE_LABELS: dict[str, Promise] = {
    Actor.APPLICANT: gettext_lazy("本人申请"),
    Actor.SCHOOL: gettext_lazy("学校审查"),
    Actor.REGISTRATION: gettext_lazy("注册机构审核"),
    Actor.PUBLIC: gettext_lazy("结果公示"),
    Actor.CITY: gettext_lazy("市级复核"),
    Actor.PROVINCE: gettext_lazy("省级终审"),
}


@dataclass(frozen=True)
class TimelineStage:
    level: str  # workflow.Actor value
    label: str
    institution: Institution | None
    state: str  # "done", "current", "pending" (or "closed" for a withdrawn application)


@dataclass(frozen=True)
class Timeline:
    steps: list[ApplicationStep]
    # The level holding the application now (workflow.Actor value), None when it is
    # completed or withdrawn; the institution when a staff level holds it.
    holder: str | None
    holder_label: str
    holder_institution: Institution | None
    deadline: dt.datetime | None
    stages: list[TimelineStage]


def _institution_of(application: Application, level: str) -> Institution | None:
    by_level: dict[str, Institution | None] = {
        Actor.SCHOOL: application.school,
        Actor.REGISTRATION: application.registration_authority,
        Actor.CITY: application.city_bureau,
        Actor.PROVINCE: application.province_bureau,
    }
    return by_level.get(level)


def application_timeline(*, application: Application) -> Timeline:
    """Each step taken (oldest first, with actor and institution), who holds the
    application now and until when, and the stages of its chain (no city stage for a
    chain without one). Reads the application's chain, campaign and notice (loaded by
    ``application_get_*``) and one query for the steps."""
    # In the order they were taken: transitions of one application are serialised by its
    # compare-and-set, so ids follow commit order even when clocks were moved.
    steps = list(application.steps.select_related("actor", "institution").order_by("pk"))
    status = application.status
    holder = HOLDER.get(status)
    if holder == Actor.REGISTRATION and status == Status.NOTICE_PAUSED:
        holder_label = _("注册机构（处理公示异议）")
    else:
        holder_label = str(STAGE_LABELS[holder]) if holder else ""
    notice_ends_at = application.notice.ends_at if application.notice_id and application.notice else None
    stages: list[TimelineStage] = []
    current = next((i for i, (_level, statuses) in enumerate(STAGES) if status in statuses), None)
    for index, (level, _statuses) in enumerate(STAGES):
        if level == Actor.CITY and not application.has_city_step:
            continue
        if status == Status.COMPLETED:
            state = "done"
        elif status == Status.WITHDRAWN:
            state = "closed"
        elif current is not None and index < current:
            state = "done"
        elif index == current:
            state = "current"
        else:
            state = "pending"
        stages.append(
            TimelineStage(
                level=level,
                label=str(STAGE_LABELS[level]),
                institution=_institution_of(application, level),
                state=state,
            )
        )
    return Timeline(
        steps=steps,
        holder=None if status in TERMINAL else holder,
        holder_label=holder_label,
        holder_institution=_institution_of(application, holder) if holder else None,
        deadline=deadline_for(status=status, campaign=application.campaign, notice_ends_at=notice_ends_at),
        stages=stages,
    )
