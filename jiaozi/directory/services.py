"""Writes of institution set-up: the registration plan and the reminders.

- ``registration_plan_save`` — the actor's own institution's plan for the active
  campaign of its province: created once, then changed by compare-and-set on
  ``version``; audited.
- ``setup_remind`` — the overseer reminds the unfinished institutions in its
  jurisdiction (not its own): each one's institution admins get an inbox message saying
  what is missing; one reminder per institution per ``REMINDER_INTERVAL``; audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.core.roles import Role
from jiaozi.notifications.services import INBOX, notify_many
from jiaozi.registration.models import Campaign
from jiaozi.workflow.cas import compare_and_set

from . import selectors
from .models import RegistrationPlan, SchoolType, SetupReminder
from .permissions import can_keep_plan, can_oversee

MAX_EXPECTED = 100_000
NOTES_MAX = 500
REMINDER_INTERVAL = dt.timedelta(hours=24)
REMINDER_KIND = "directory.setup_reminder"


def _campaign_of(actor: User) -> Campaign:
    campaign = selectors.campaign_for(actor.institution)
    if campaign is None:
        raise NotFound(_("目前没有进行中的定期注册工作，暂不需要填报注册计划。"), code="no_active_campaign")
    return campaign


def _clean_expected(expected: Mapping[str, Any]) -> dict[str, int]:
    unknown = set(expected) - set(SchoolType.values)
    errors: dict[str, str] = {}
    for key in sorted(unknown):
        errors[key] = _("未知的学校类型。")
    cleaned: dict[str, int] = {}
    for school_type in SchoolType:
        raw = expected.get(school_type.value, 0)
        try:
            value = int(raw if raw not in (None, "") else 0)
        except (TypeError, ValueError):
            value = -1
        if isinstance(raw, bool) or not 0 <= value <= MAX_EXPECTED:
            errors[school_type.value] = _("%(type)s的预计人数应为0至%(max)d之间的整数。") % {
                "type": school_type.label,
                "max": MAX_EXPECTED,
            }
        cleaned[school_type.value] = value
    if errors:
        raise ValidationFailed(_("注册计划填写有误。"), code="invalid_plan", field_errors=errors)
    return cleaned


def registration_plan_save(
    *, actor: User, expected: Mapping[str, Any], notes: str = "", version: int | None = None
) -> RegistrationPlan:
    """Save the actor's institution's plan. ``version`` is the one last read (``None``
    for a first plan); a plan saved meanwhile by someone else answers ``stale_version``."""
    if not can_keep_plan(actor=actor):
        raise PermissionDenied(_("只有注册机构的管理员可以填报本机构的注册计划。"))
    institution = actor.institution
    assert institution is not None
    campaign = _campaign_of(actor)
    values = _clean_expected(expected)
    notes = " ".join((notes or "").split())
    if len(notes) > NOTES_MAX:
        raise ValidationFailed.on_field(
            "notes", _("说明不能超过%(n)d个字。") % {"n": NOTES_MAX}, code="notes_too_long"
        )
    total = sum(values.values())
    now = clock.now()
    stale = Conflict(_("注册计划已被他人修改，请刷新后重试。"), code="stale_version")
    with transaction.atomic():
        current = RegistrationPlan.objects.filter(institution=institution, campaign=campaign).first()
        if current is None:
            if version not in (None, 0):
                raise stale
            try:
                with transaction.atomic():
                    plan = RegistrationPlan.objects.create(
                        institution=institution,
                        campaign=campaign,
                        expected=values,
                        total=total,
                        notes=notes,
                        submitted_at=now,
                        submitted_by=actor,
                    )
            except IntegrityError:
                raise stale from None
            before: dict[str, int] = {}
        else:
            if version != current.version:
                raise stale
            before = dict(current.expected)
            moved = compare_and_set(
                RegistrationPlan,
                pk=current.pk,
                expected={"version": version},
                values={
                    "expected": values,
                    "total": total,
                    "notes": notes,
                    "submitted_at": now,
                    "submitted_by_id": actor.pk,
                },
                bump="version",
            )
            if not moved:
                raise stale
            plan = RegistrationPlan.objects.get(pk=current.pk)
        audit_record(
            kind=AuditKind.REGISTRATION_PLAN_SAVED,
            actor=actor,
            obj=plan,
            details={
                "campaign": campaign.pk,
                "total": total,
                "changed": sorted(k for k in values if before.get(k) != values[k]),
                "version": plan.version,
            },
        )
    return plan


@dataclass
class ReminderResult:
    sent: list[int] = field(default_factory=list)
    recently_reminded: list[int] = field(default_factory=list)
    without_admin: list[int] = field(default_factory=list)


MISSING_LABELS = {
    selectors.MISSING_PUBLIC_INFO: gettext_lazy("机构公开信息（地址、咨询电话、办公时间）"),
    selectors.MISSING_PLAN: gettext_lazy("注册计划（各类学校预计注册人数）"),
}


def setup_remind(*, actor: User, institution_ids: Iterable[Any] | None = None) -> ReminderResult:
    """Remind the unfinished institutions in the actor's jurisdiction (all of them, or
    those of ``institution_ids``). Institutions reminded within ``REMINDER_INTERVAL``,
    and those without an active admin to tell, are reported and skipped."""
    if not can_oversee(actor=actor):
        raise PermissionDenied(_("只有省级管理员和上级教育行政部门的管理员可以催办。"))
    campaign = _campaign_of(actor)
    # Never the overseer's own institution: it reminds those below it.
    rows = selectors.setup_list(user=actor, campaign=campaign, status="unfinished").exclude(
        pk=actor.institution_id or 0
    )
    if institution_ids is not None:
        try:
            ids = {int(pk) for pk in institution_ids}
        except (TypeError, ValueError):
            raise ValidationFailed.on_field(
                "institution_ids", _("请选择要催办的机构。"), code="invalid_ids"
            ) from None
        if not ids:
            raise ValidationFailed.on_field(
                "institution_ids", _("请选择要催办的机构。"), code="nothing_selected"
            )
        rows = rows.filter(pk__in=ids)
    now = clock.now()
    result = ReminderResult()
    link = reverse("directory:setup")
    with transaction.atomic():
        targets = list(rows)
        admins: dict[int, list[User]] = {}
        for user in User.objects.filter(
            institution_id__in=[t.pk for t in targets], role=Role.INSTITUTION_ADMIN, is_active=True
        ):
            if user.is_active_staff:
                admins.setdefault(user.institution_id or 0, []).append(user)
        for institution in targets:
            last = getattr(institution, "last_reminded_at", None)
            if last is not None and now - last < REMINDER_INTERVAL:
                result.recently_reminded.append(institution.pk)
                continue
            recipients = admins.get(institution.pk, [])
            if not recipients:
                result.without_admin.append(institution.pk)
                continue
            missing = selectors.missing_of(institution)
            body = _(
                "%(sender)s提醒：%(campaign)s即将开始，贵单位尚未完成：%(items)s。请尽快在“机构公开信息”和“注册准备”中填报。"
            ) % {
                "sender": actor.institution.name if actor.institution else "",
                "campaign": campaign.name,
                "items": "；".join(str(MISSING_LABELS[m]) for m in missing),
            }
            notify_many(
                users=recipients,
                kind=REMINDER_KIND,
                title=_("请完成注册工作准备"),
                body=body,
                link=link,
                channels=[INBOX],
            )
            SetupReminder.objects.create(
                institution=institution,
                campaign=campaign,
                sent_by=actor,
                sent_at=now,
                missing=missing,
                recipients=len(recipients),
            )
            audit_record(
                kind=AuditKind.SETUP_REMINDER_SENT,
                actor=actor,
                obj=institution,
                details={"campaign": campaign.pk, "missing": missing, "recipients": len(recipients)},
            )
            result.sent.append(institution.pk)
    return result
