"""Running the certification workflow (§6) on the workflow engine: the table is in
``workflow.py``; this module says what certification's words mean to it — who acts at
which level, the batch windows, what each action writes, the step, the audit row, the
applicant's notification and, for 认定通过, the certificate number and the registry.

Checks, in the engine's order: visible (``NotFound``), level (``PermissionDenied``; a
staff member never acts on their own application: ``conflict_of_interest``), stage
(``wrong_stage``), version (``stale_version``), the level's window and the online window
for a first submission (``WindowClosed``), then the inputs (``ValidationFailed``: the
§6 requirements on submission, reasons, the conclusion and the physical exam)."""

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

from jiaozi.accounts.actor import actor_of
from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import AuditItem, audit_record, audit_record_many
from jiaozi.core import workdays
from jiaozi.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from jiaozi.notifications.services import notify, notify_many
from jiaozi.workflow.cas import FirstSet
from jiaozi.workflow.engine import BatchResult, Inputs, Plan, Workflow

from . import rules
from .choices import Health
from .issuing import certificate_grant
from .models import CertificationApplication, CertificationBatch, CertificationStep
from .selectors import application_list_visible_to
from .windows import SHANGHAI, window_check
from .workflow import (
    CERTIFICATION_TABLE,
    REVIEW_LEVELS,
    Action,
    Conclusion,
    ConfirmReason,
    RefuseReason,
    Status,
)
from .workflow import ActingLevel as Level

BATCH_MAX = 5000
REASON_MAX = 2000
DECISION_WORKING_DAYS = 30

# Staff role → (level, the application's FK naming the institution that acts there).
ROLE_LEVEL: dict[str, tuple[str, str]] = {r.role: (r.level, f"{r.holder_field}_id") for r in REVIEW_LEVELS}

AUDIT_KIND: dict[str, AuditKind] = {
    Action.SUBMIT: AuditKind.CERTIFICATION_SUBMITTED,
    Action.RESUBMIT: AuditKind.CERTIFICATION_RESUBMITTED,
    Action.WITHDRAW: AuditKind.CERTIFICATION_WITHDRAWN,
    Action.CONFIRM: AuditKind.CERTIFICATION_CONFIRMED,
    Action.REFUSE_CONFIRMATION: AuditKind.CERTIFICATION_CONFIRM_REFUSED,
    Action.DECIDE: AuditKind.CERTIFICATION_DECIDED,
}

# What the applicant is told (inbox and SMS), by the status reached.
ANNOUNCEMENTS: dict[str, tuple[Any, Any]] = {
    Status.DECISION: (
        gettext_lazy("认定申请已通过现场确认"),
        gettext_lazy("您的教师资格认定申请已通过现场确认，等待认定机构审批。"),
    ),
    Status.CONFIRM_REFUSED: (
        gettext_lazy("认定申请现场确认未通过"),
        gettext_lazy("您的教师资格认定申请现场确认未通过，请查看原因，在现场确认截止前修改后重新确认。"),
    ),
    Status.CERTIFIED: (
        gettext_lazy("教师资格认定通过"),
        gettext_lazy("您的教师资格认定申请已通过，可在申请详情中下载教师资格证书。"),
    ),
    Status.REFUSED: (
        gettext_lazy("教师资格认定未通过"),
        gettext_lazy("您的教师资格认定申请未通过，请查看认定结论说明。"),
    ),
}


@dataclass(frozen=True, slots=True)
class Who:
    user: User | None
    kind: str | None
    pk: int | None = None
    role: str = ""
    institution_id: int | None = None
    resident_bidx: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.kind == User.Kind.STAFF


def who_of(user: User | AnonymousUser | None) -> Who:
    if user is None:
        return Who(user=None, kind=None)
    actor = actor_of(user)
    if actor.user is None or not actor.is_active:
        raise PermissionDenied(_("您的账号不能办理此业务。"))
    return Who(
        user=actor.user,
        kind=actor.kind,
        pk=actor.user_id,
        role=actor.role or "",
        institution_id=actor.institution_id,
        resident_bidx=getattr(actor.user, "resident_id_bidx", None) or None,
    )


class Context:
    """The clock and the batches, read once per call or batch."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.batches: dict[int, CertificationBatch] = {}

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(SHANGHAI).date()

    def batch(self, pk: int) -> CertificationBatch:
        if pk not in self.batches:
            self.batches[pk] = CertificationBatch.objects.get(pk=pk)
        return self.batches[pk]


def facts_of(application: CertificationApplication, *, already_applied: bool = False) -> rules.Facts:
    a = application
    return rules.Facts(
        qualification_type=a.qualification_type,
        subject=a.subject,
        education=a.education,
        birth_date=a.birth_date,
        sex=a.sex,
        mandarin=a.mandarin,
        preschool_major=a.preschool_major,
        title=a.title,
        ntce_type=a.ntce_type,
        ntce_date=a.ntce_date,
        health=a.health,
        commitment=a.commitment,
        already_applied=already_applied,
        sanction=a.sanction,
        sanction_date=a.sanction_date,
    )


def decision_deadline(batch: CertificationBatch) -> dt.date:
    """30 working days after the acceptance period (on-site confirmation) ends, and no
    later than the batch's completion date (§3, §6)."""
    end = batch.confirm_closes_at.astimezone(SHANGHAI).date()
    return min(workdays.add_working_days(end, DECISION_WORKING_DAYS), batch.completes_on)


def reason_of(inputs: Inputs, *, required: bool, codes: type[models.TextChoices]) -> tuple[str, str]:
    """(opinion, reason code): a required reason is a text or a code other than
    ``other`` (whose label then is the opinion); a batch item needs the code."""
    text, code = inputs.reason.strip(), inputs.reason_code.strip()
    if len(text) > REASON_MAX:
        message = _("理由不能超过%(max)d字。") % {"max": REASON_MAX}
        raise ValidationFailed.on_field("reason", message, code="reason_too_long")
    if code and code not in codes.values:
        raise ValidationFailed.on_field("reason_code", _("理由代码无效。"), code="invalid_reason_code")
    if required and inputs.coded and not code:
        message = _("批量操作须为每条申请选择理由代码。")
        raise ValidationFailed.on_field("reason_code", message, code="reason_required")
    if required and not text and (not code or code == "other"):
        raise ValidationFailed.on_field("reason", _("请填写理由。"), code="reason_required")
    if not text and code:
        with translation.override(settings.LANGUAGE_CODE):
            text = str(codes(code).label)
    return text, code


def unmet(reasons: Sequence[str]) -> ValidationFailed:
    """Every unmet requirement: the message names them; each is a field error under
    ``requirements.<reason code>`` so API clients read the §6 codes."""
    from .labels import reason_label

    labels = [str(reason_label(r)) for r in reasons]
    message = _("不符合认定条件：%(reasons)s。") % {"reasons": "；".join(labels)}
    errors = {f"requirements.{code}": [label] for code, label in zip(reasons, labels, strict=True)}
    return ValidationFailed(message, code="requirements_unmet", field_errors=errors, reasons=list(reasons))


class _Certifications(Workflow[CertificationApplication, User | AnonymousUser]):
    model = CertificationApplication
    table = CERTIFICATION_TABLE
    batch_max, chunk, isolated = BATCH_MAX, 500, frozenset({Action.DECIDE})
    msg_unknown_action = gettext_lazy("未知的操作。")
    msg_needs_user = gettext_lazy("此操作须由工作人员或申请人本人办理。")
    msg_not_found = gettext_lazy("申请不存在或不在您的管辖范围内。")
    msg_forbidden = gettext_lazy("您无权对该申请执行此操作。")
    msg_stale = gettext_lazy("该申请已被他人处理或修改，请刷新后重试。")
    msg_duplicate = gettext_lazy("同一申请在批量操作中重复出现。")
    msg_batch_too_large = gettext_lazy("一次批量处理的申请过多。")

    def who(self, user: User | AnonymousUser | None) -> Who:
        return who_of(user)

    def visible(self, who: Who) -> models.QuerySet[CertificationApplication]:
        return application_list_visible_to(user=who.user)

    def load(self, queryset: models.QuerySet[CertificationApplication], pk: Any) -> CertificationApplication:
        return queryset.select_related("batch", "applicant", "authority", "confirmation_point").get(pk=pk)

    def rows(self, queryset: models.QuerySet[CertificationApplication], ids: Sequence[int]) -> dict[int, Any]:
        return {a.pk: a for a in queryset.filter(pk__in=ids).select_related("batch")}

    def context(self, now: dt.datetime, instance: CertificationApplication | None = None) -> Context:
        ctx = Context(now)
        if instance is not None:
            ctx.batches[instance.batch_id] = instance.batch
        return ctx

    def level_of(self, who: Who, row: CertificationApplication, action: str) -> str | None:
        if who.kind == User.Kind.APPLICANT:
            return Level.APPLICANT if who.pk == row.applicant_id else None
        if who.is_staff and who.role in ROLE_LEVEL:
            level, attr = ROLE_LEVEL[who.role]
            held = getattr(row, attr)
            return level if who.institution_id is not None and who.institution_id == held else None
        return None

    def refuse(self, who: Who, row: CertificationApplication) -> None:
        if who.is_staff and who.resident_bidx and who.resident_bidx == getattr(row, "resident_id_bidx", None):
            message = _("不能办理本人的认定申请，请由其他工作人员办理。")
            raise PermissionDenied(message, code="conflict_of_interest")

    def wrong_stage(self, row: CertificationApplication, action: str) -> DomainError:
        message = _("该申请当前状态为「%(status)s」，不能执行「%(action)s」。") % {
            "status": Status(row.status).label,
            "action": Action(action).label,
        }
        return Conflict(message, code="wrong_stage", status=row.status)

    def check_window(self, row: CertificationApplication, window: str, ctx: Context) -> None:
        # A draft is the online application itself: its owner acts on it only while
        # the online window is open (submission is refused outside it, §6).
        if row.status == Status.DRAFT:
            window = "apply"
        window_check(ctx.batch(row.batch_id), window, ctx.now)

    def prepare(self, plan: Plan, inputs: Inputs, ctx: Context, **options: Any) -> None:
        row, action = plan.row, inputs.action
        values = plan.values
        codes = ConfirmReason if action == Action.REFUSE_CONFIRMATION else RefuseReason
        plan.opinion, plan.reason_code = reason_of(inputs, required=plan.transition.needs_reason, codes=codes)
        if action in (Action.SUBMIT, Action.RESUBMIT):
            reasons = rules.requirements_unmet(facts_of(row), on=ctx.today)
            if reasons:
                raise unmet(reasons)
            if not row.photo:
                raise ValidationFailed.on_field("photo", _("请上传本人照片。"), code="photo_required")
            if row.confirmation_point_id is None:
                message = _("请选择确认点。")
                raise ValidationFailed.on_field("confirmation_point", message, code="point_required")
            values |= {
                "submitted_at": FirstSet(ctx.now),
                "check_reasons": reasons,
                "decision_deadline": decision_deadline(ctx.batch(row.batch_id)),
                "confirm_reason_code": "",
            }
        elif action == Action.CONFIRM:
            values |= {"confirmed_at": ctx.now, "confirm_reason_code": "", "confirm_opinion": plan.opinion}
        elif action == Action.REFUSE_CONFIRMATION:
            values |= {"confirm_reason_code": plan.reason_code, "confirm_opinion": plan.opinion}
        elif action == Action.DECIDE:
            conclusion = inputs.conclusion.strip()
            if conclusion not in Conclusion.values:
                message = _("请选择认定结论。")
                raise ValidationFailed.on_field("conclusion", message, code="conclusion_required")
            if conclusion == Conclusion.REFUSED and not plan.opinion:
                message = _("认定未通过须说明理由。")
                raise ValidationFailed.on_field("reason", message, code="reason_required")
            if conclusion == Conclusion.CERTIFIED:
                self._check_certifiable(row)
            plan.target = Status.CERTIFIED if conclusion == Conclusion.CERTIFIED else Status.REFUSED
            values |= {"conclusion": conclusion, "conclusion_reason": plan.opinion, "decided_at": ctx.now}
        plan.details = {"action": action, "from": row.status, "to": plan.target, "version": row.version + 1}
        if plan.reason_code:
            plan.details["reason_code"] = plan.reason_code

    def _check_certifiable(self, row: CertificationApplication) -> None:
        if row.health != Health.FIT:
            message = _("体检结论为合格后方可认定通过，请先登记体检结论。")
            raise ValidationFailed.on_field("conclusion", message, code="health_not_fit")
        on = (row.submitted_at or row.created_at).astimezone(SHANGHAI).date()
        reasons = rules.requirements_unmet(facts_of(row), on=on)
        if reasons:
            raise unmet(reasons)

    def step(self, plan: Plan, who: Who, now: dt.datetime) -> CertificationStep:
        row = plan.row
        return CertificationStep(
            application_id=row.pk,
            action=plan.transition.action,
            # What the checks read: in a single decision ``row`` is the instance,
            # already moved to the target by the time the step is built.
            from_status=plan.details.get("from", row.status),
            to_status=plan.target,
            actor_id=who.pk,
            institution_id=who.institution_id if who.is_staff else None,
            opinion=plan.opinion,
            reason_code=plan.reason_code,
            at=now,
        )

    def audit(self, plans: Sequence[Plan], steps: Sequence[Any], who: Who, instance: Any) -> None:
        kind = AUDIT_KIND[plans[0].transition.action]
        if instance is not None:
            details = plans[0].details | {"step": steps[0].pk}
            institution_id = who.institution_id if who.is_staff else None
            if plans[0].target == Status.CERTIFIED:
                # Written with the certificate's rows, after the serial (``after``).
                plans[0].extra["audit"] = AuditItem(
                    obj=instance, kind=kind, institution_id=institution_id, details=details
                )
                return
            audit_record(
                kind=kind, actor=who.user, institution_id=institution_id, obj=instance, details=details
            )
            return
        label = CertificationApplication._meta.label_lower
        items = [
            AuditItem(
                object_type=label,
                object_id=p.row.pk,
                institution_id=who.institution_id if who.is_staff else None,
                details=p.details | {"step": s.pk},
            )
            for p, s in zip(plans, steps, strict=True)
        ]
        audit_record_many(kind=kind, actor=who.user, items=items)

    def announce(self, plans: Sequence[Plan], instance: CertificationApplication | None) -> None:
        texts = ANNOUNCEMENTS.get(plans[0].target)
        if texts is None:
            return
        with translation.override(settings.LANGUAGE_CODE):
            title, body = str(texts[0]), str(texts[1])
        kind = f"certification_{plans[0].target}"
        if instance is not None:
            link = reverse("certification_applicant:detail", args=[instance.pk])
            notify(user=instance.applicant, kind=kind, title=title, body=body, link=link)
            return
        users = [User(pk=plan.row.applicant_id) for plan in plans]
        notify_many(
            users=users, kind=kind, title=title, body=body, link=reverse("certification_applicant:home")
        )

    def after(self, plan: Plan, instance: CertificationApplication, who: Who) -> None:
        if plan.target == Status.CERTIFIED:
            assert who.user is not None  # only a certifying officer decides
            pending = plan.extra.pop("audit", None)
            certificate_grant(
                application=instance,
                actor=who.user,
                at=instance.decided_at or instance.updated_at,
                audit_items=[pending] if pending is not None else (),
            )


CERTIFICATIONS = _Certifications()


@dataclass(frozen=True, slots=True)
class BatchItem:
    application_id: int
    version: int
    reason_code: str = ""
    reason: str = ""
    conclusion: str = ""


def certification_transition(
    *, actor: User | None, application_id: int, action: str, version: int, reason: str = "",
    reason_code: str = "", conclusion: str = "",
) -> CertificationApplication:  # fmt: skip
    """Take ``action`` on the application; returns it as written."""
    inputs = Inputs(action, version, reason or "", reason_code or "", conclusion or "")
    return CERTIFICATIONS.run(user=actor, pk=application_id, inputs=inputs)


def certification_transition_batch(
    *, actor: User | None, action: str, items: Sequence[BatchItem]
) -> BatchResult:
    """Take ``action`` on many applications, each on its own; failures as (id, code, message)."""
    CERTIFICATIONS.check_action(action, who_of(actor))
    if len(items) > BATCH_MAX:
        message = _("一次最多批量处理%(max)d条申请。") % {"max": BATCH_MAX}
        raise ValidationFailed(message, code="batch_too_large")
    pairs = [
        (i.application_id, Inputs(action, i.version, i.reason, i.reason_code, i.conclusion, "", True))
        for i in items
    ]
    return CERTIFICATIONS.run_batch(user=actor, action=action, items=pairs)


def can_act(*, user: User | AnonymousUser | None, application: CertificationApplication, action: str) -> bool:
    return CERTIFICATIONS.can_act(user=user, instance=application, action=action)


def actions_for(*, user: User | AnonymousUser | None, application: CertificationApplication) -> list[str]:
    return CERTIFICATIONS.actions_for(user=user, instance=application)
