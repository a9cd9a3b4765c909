"""Running the registration workflow (§5) on the workflow engine: the table is in
``workflow.py``, the check order, compare-and-set and batches in ``jiaozi.workflow``;
this module says what registration's words mean to them — who acts at which level,
which window, what each action writes, the step, the audit row and the notification.

The checks, in order (each failure a ``DomainError`` that changes nothing): visible
(``NotFound``), level (``PermissionDenied``, ``conflict_of_interest``), stage
(``wrong_stage``) and version (``stale_version``), windows (``WindowClosed``,
``notice_running``), reasons / conclusion / override reason / notice
(``ValidationFailed``). Then, in one transaction: the narrow compare-and-set, the
``ApplicationStep``, the audit row, the applicant's notification (SMS / e-mail queued on
commit) and, for the province's approval, ``completion.application_complete``.
See docs/workflow.md, docs/decisions/0080-0089 and 0130-0134.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiaozi.accounts.models import User
from jiaozi.audit.services import AuditItem, audit_record, audit_record_many
from jiaozi.core.errors import ValidationFailed
from jiaozi.notifications.services import notify, notify_many
from jiaozi.workflow.engine import BatchResult, Inputs, Plan, Workflow

from . import transition_checks as checks
from .announcements import ANNOUNCEMENTS, AUDIT_KIND, SMS, Announcement
from .applications.selectors import application_list_in_jurisdiction
from .completion.services import application_complete, application_filing_revoke
from .completion.snapshot import SNAPSHOT_ACTIONS, form_snapshots_take
from .models import Application, ApplicationStep, Notice
from .transition_checks import REASON_MAX, ROLE_LEVEL, Who, WindowCache, row_of, who_of
from .transition_checks import rows as _rows
from .workflow import APPLICATION_TABLE, Action, ReturnReason
from .workflow import ActingLevel as Level

__all__ = [
    "ANNOUNCEMENTS",
    "AUDIT_KIND",
    "REASON_MAX",
    "ROLE_LEVEL",
    "SMS",
    "Announcement",
    "BatchItem",
    "BatchResult",
    "ReturnReason",
    "actions_for",
    "application_transition",
    "application_transition_batch",
    "can_act",
]

BATCH_MAX = 10_000
CHUNK = 1000


# The columns a single transition reads when its caller does not render the result.
NARROW_FIELDS: tuple[str, ...] = (
    *("status", "version", "campaign", "applicant_id", "teacher", "certificate_id", "school_id"),
    *("registration_authority_id", "city_bureau_id", "province_bureau_id", "suggestion"),
    *("conclusion", "conclusion_reason", "override_reason", "notice", "submitted_at"),
    *("step_deadline", "updated_at", "teacher__resident_id_bidx", "teacher__phone_bidx"),
    *("notice__starts_at", "notice__ends_at", "due"),
)


@dataclass(frozen=True, slots=True)
class BatchItem:
    application_id: int
    version: int
    reason_code: str = ""
    reason: str = ""
    conclusion: str = ""
    override_reason: str = ""


def _texts(announcement: Announcement) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):  # the applicant reads them
        return str(announcement.title), str(announcement.body)


class _Applications(Workflow[Application, User | AnonymousUser]):
    model = Application
    table = APPLICATION_TABLE
    batch_max, chunk, isolated = BATCH_MAX, CHUNK, frozenset({Action.PROVINCE_APPROVE})
    msg_unknown_action = gettext_lazy("未知的操作。")
    msg_needs_user = gettext_lazy("此操作须由工作人员或申请人本人办理。")
    msg_not_found = gettext_lazy("申请不存在或不在您的管辖范围内。")
    msg_forbidden = gettext_lazy("您无权对该申请执行此操作。")
    msg_stale = gettext_lazy("该申请已被他人处理或修改，请刷新后重试。")
    msg_duplicate = gettext_lazy("同一申请在批量操作中重复出现。")

    def who(self, user: User | AnonymousUser | None) -> Who:
        return who_of(user)

    def anonymous(self, who: Who) -> bool:
        return who.is_public

    def visible(self, who: Who) -> models.QuerySet[Application]:
        return application_list_in_jurisdiction(user=who.user) if who.user else Application.objects.all()

    def load(self, queryset: models.QuerySet[Application], pk: Any) -> Application:
        related = ("campaign", "teacher", "certificate", "applicant", "school", "registration_authority")
        return queryset.select_related(*related, "city_bureau", "province_bureau", "notice").get(pk=pk)

    def load_narrow(self, queryset: models.QuerySet[Application], pk: Any) -> Application:
        # What row_of, the window checks, prepare's narrow() and the hooks read: no
        # JSON snapshot, free text or encrypted column (docs/decisions/0271).
        return queryset.select_related("campaign", "teacher", "notice").only(*NARROW_FIELDS).get(pk=pk)

    row_of = staticmethod(row_of)  # type: ignore[assignment]

    def rows(self, queryset: models.QuerySet[Application], ids: Sequence[int]) -> dict[int, Any]:
        return _rows(queryset, ids)  # looked up at call time: tests interpose on it

    def context(self, now: dt.datetime, instance: Application | None = None) -> WindowCache:
        windows = WindowCache(now)
        if instance is not None:
            windows.campaigns[instance.campaign_id] = instance.campaign
        return windows

    level_of = staticmethod(checks.level_of)  # type: ignore[assignment]
    refuse = staticmethod(checks.refuse)  # type: ignore[assignment]
    wrong_stage = staticmethod(checks.wrong_stage)  # type: ignore[assignment]
    check_window = staticmethod(checks.check_window)  # type: ignore[assignment]
    timing = staticmethod(checks.timing)  # type: ignore[assignment]
    prepare = staticmethod(checks.prepare)  # type: ignore[assignment]

    def after_set(self, instance: Application, plan: Plan, options: dict[str, Any]) -> None:
        if "notice_id" in plan.values:
            instance.notice = options.get("notice") if plan.values["notice_id"] else None

    def step(self, plan: Plan, who: Who, now: dt.datetime) -> ApplicationStep:
        row = plan.row
        return ApplicationStep(
            application_id=row.pk,
            action=plan.transition.action,
            from_status=row.status,
            to_status=plan.target,
            actor_id=who.pk,
            institution_id=who.institution_id if who.is_staff else None,
            opinion=plan.opinion,
            reason_code=plan.reason_code,
            at=now,
        )

    def _institution(self, plan: Plan, who: Who) -> int | None:
        """The audit chain: the staff member's institution; for the scheduler the
        registration authority whose notice ended; none (the public chains) otherwise."""
        if who.is_staff:
            return who.institution_id
        return plan.row.registration_authority_id if plan.level == Level.SYSTEM else None

    def audit(self, plans: Sequence[Plan], steps: Sequence[Any], who: Who, instance: Any) -> None:
        self._audit(plans, steps, who, instance)
        action = plans[0].transition.action
        if action in SNAPSHOT_ACTIONS:
            # §5 the form is a record: each decision files what the form prints, in the
            # decision's transaction (one set-based read for a batch).
            form_snapshots_take(
                decisions=[
                    (p.row.pk, s, action, self._institution(p, who))
                    for p, s in zip(plans, steps, strict=True)
                ],
                actor=who.user,
                final=action == Action.PROVINCE_APPROVE,
            )

    def _audit(self, plans: Sequence[Plan], steps: Sequence[Any], who: Who, instance: Any) -> None:
        kind = AUDIT_KIND[plans[0].transition.action]
        if instance is not None:
            details = plans[0].details | {"step": steps[0].pk}
            institution_id = self._institution(plans[0], who)
            audit_record(
                kind=kind, actor=who.user, institution_id=institution_id, obj=instance, details=details
            )
            return
        label = Application._meta.label_lower
        items = [
            AuditItem(
                object_type=label,
                object_id=p.row.pk,
                institution_id=self._institution(p, who),
                details=p.details | {"step": s.pk},
            )
            for p, s in zip(plans, steps, strict=True)
        ]
        audit_record_many(kind=kind, actor=who.user, items=items)

    def announce(self, plans: Sequence[Plan], instance: Application | None) -> None:
        announcement = ANNOUNCEMENTS.get(plans[0].transition.action)
        if announcement is None:
            return
        title, body = _texts(announcement)
        common: dict[str, Any] = {
            "kind": announcement.kind,
            "title": title,
            "body": body,
            "channels": announcement.channels,
        }
        if instance is not None:
            link = reverse("applicants:application_detail", args=[instance.pk])
            # The recipient by id: a narrow read has not loaded the account.
            notify(user=User(pk=instance.applicant_id), link=link, **common)
        else:  # a batch shares one link: the applicant's home lists their applications
            users = [User(pk=plan.row.applicant_id) for plan in plans]
            notify_many(users=users, link=reverse("applicants:home"), **common)

    def after(self, plan: Plan, instance: Application, who: Who) -> None:
        if plan.transition.action == Action.PROVINCE_APPROVE:
            # Only the province reviewer takes this action: a signed-in account, never
            # the scheduler or the public.
            assert who.user is not None
            application_complete(application=instance, actor=who.user)
        elif plan.transition.action == Action.REVOKE:
            assert who.user is not None  # the province reviewer (level_of)
            application_filing_revoke(application=instance, actor=who.user, reason=plan.opinion)


APPLICATIONS = _Applications()


def _notice(notice: Notice | int | None) -> Notice | None:
    if notice is None or isinstance(notice, Notice):
        return notice
    return Notice.objects.filter(pk=notice).first()


def application_transition(
    *, actor: User | None, application_id: int, action: str, version: int, reason: str = "",
    reason_code: str = "", conclusion: str = "", override_reason: str = "", notice: Notice | int | None = None,
    full: bool = True,
) -> Application:  # fmt: skip
    """Take ``action`` on the application. ``actor`` None is the public (OBJECT) or the
    scheduler (NOTICE_END); ``notice`` the Notice (or pk) a PUBLISH_NOTICE uses. Returns
    the application as written, related objects loaded; with ``full=False`` (a caller
    that redirects or reloads) it is read with only the columns the checks need."""
    inputs = Inputs(action, version, reason or "", reason_code or "", conclusion or "", override_reason or "")
    return APPLICATIONS.run(user=actor, pk=application_id, inputs=inputs, full=full, notice=_notice(notice))


def application_transition_batch(
    *, actor: User | None, action: str, items: Sequence[BatchItem], notice: Notice | int | None = None
) -> BatchResult:
    """Take ``action`` on many applications; each item succeeds or fails on its own, as
    (id, code, message). A reasoned action needs a ``ReturnReason`` code per item."""
    APPLICATIONS.check_action(action, who_of(actor))  # before the size, as always
    if len(items) > BATCH_MAX:
        message = _("一次最多批量处理%(max)d条申请。") % {"max": BATCH_MAX}
        raise ValidationFailed(message, code="batch_too_large")
    pairs = [
        (
            i.application_id,
            Inputs(action, i.version, i.reason, i.reason_code, i.conclusion, i.override_reason, True),
        )
        for i in items
    ]
    return APPLICATIONS.run_batch(user=actor, action=action, items=pairs, notice=_notice(notice))


def can_act(*, user: User | AnonymousUser | None, application: Application, action: str) -> bool:
    """Whether ``user`` could take ``action`` now (role, level, stage, own application,
    window; not the reasons). Load the campaign, teacher and notice with the application."""
    return APPLICATIONS.can_act(user=user, instance=application, action=action)


def actions_for(*, user: User | AnonymousUser | None, application: Application) -> list[str]:
    """The actions ``user`` could take on ``application`` now, in table order."""
    return APPLICATIONS.actions_for(user=user, instance=application)
