"""The vocabulary of certificate requests on the workflow engine: who acts at which
level, the reasons, the timeline step, the audit row, the notification, and what an
approval does to the registry (``after``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiaozi.accounts.actor import Actor, actor_of
from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core.errors import Conflict, ValidationFailed
from jiaozi.notifications.services import notify
from jiaozi.workflow.engine import Inputs, Plan, Workflow

from .models import RequestStep, ServiceRequest
from .permissions import DECIDE_ROLES
from .workflow import REQUEST_TABLE, RequestAction, RequestKind, RequestLevel, RequestStatus

AUDIT_KIND = {
    RequestAction.SUBMIT: AuditKind.CERTSVC_REQUEST_RESUBMITTED,
    RequestAction.WITHDRAW: AuditKind.CERTSVC_REQUEST_WITHDRAWN,
    RequestAction.RETURN: AuditKind.CERTSVC_REQUEST_RETURNED,
    RequestAction.APPROVE: AuditKind.CERTSVC_REQUEST_APPROVED,
    RequestAction.REJECT: AuditKind.CERTSVC_REQUEST_REJECTED,
}
NOTE_MAX = 500


def requests_visible_to(user: User | None) -> models.QuerySet[ServiceRequest]:
    """The holder's own requests; for certifying officers, those of the authorities in
    their jurisdiction (they decide only their own institution's, see ``level_of``)."""
    actor = actor_of(user)
    if actor.is_applicant and actor.is_active and user is not None:
        return ServiceRequest.objects.filter(applicant_id=user.pk)
    if actor.is_active_staff and actor.role in DECIDE_ROLES and user is not None and user.institution:
        return ServiceRequest.objects.filter(authority__path__startswith=user.institution.path)
    return ServiceRequest.objects.none()


class _Requests(Workflow[ServiceRequest, User | AnonymousUser]):
    model = ServiceRequest
    table = REQUEST_TABLE
    msg_unknown_action = gettext_lazy("未知的操作。")
    msg_needs_user = gettext_lazy("请先登录。")
    msg_not_found = gettext_lazy("申请不存在或不在您的管辖范围内。")
    msg_forbidden = gettext_lazy("您无权办理该申请。")
    msg_stale = gettext_lazy("申请已被他人处理，请刷新后重试。")

    def who(self, user: User | AnonymousUser | None) -> Actor | None:
        actor = actor_of(user)
        return actor if actor.is_authenticated else None

    def visible(self, who: Actor | None) -> models.QuerySet[ServiceRequest]:
        return requests_visible_to(who.user if who is not None else None)

    def load(self, queryset: models.QuerySet[ServiceRequest], pk: Any) -> ServiceRequest:
        return queryset.select_related("certificate", "certificate__teacher", "authority", "applicant").get(
            pk=pk
        )

    def level_of(self, who: Actor | None, row: ServiceRequest, action: str) -> str | None:
        if who is None:
            return None
        if who.is_applicant:
            return RequestLevel.HOLDER if who.user_id == row.applicant_id else None
        if who.is_active_staff and who.role in DECIDE_ROLES and who.institution_id == row.authority_id:
            return RequestLevel.AUTHORITY
        return None

    def wrong_stage(self, row: ServiceRequest, action: str) -> Conflict:
        return Conflict(
            _("申请当前状态为“%(status)s”，不能进行该操作。") % {"status": RequestStatus(row.status).label},
            code="wrong_stage",
        )

    def prepare(self, plan: Plan, inputs: Inputs, ctx: Any, **options: Any) -> None:
        note = " ".join(inputs.reason.split())
        if plan.transition.needs_reason and not note:
            raise ValidationFailed.on_field("reason", _("请填写理由。"), code="reason_required")
        if len(note) > NOTE_MAX:
            raise ValidationFailed.on_field("reason", _("理由不能超过500字。"), code="reason_too_long")
        plan.opinion = note
        row: ServiceRequest = plan.row
        action = plan.transition.action
        if action == RequestAction.APPROVE and row.kind == RequestKind.REPLACEMENT:
            if not options.get("old_returned"):
                raise ValidationFailed.on_field(
                    "old_returned", _("换发须先收回原证书，请确认已收回。"), code="old_not_returned"
                )
            plan.values["old_returned_at"] = ctx
        if action in (RequestAction.APPROVE, RequestAction.REJECT, RequestAction.RETURN):
            plan.values["decision_note"] = note
        if action in (RequestAction.APPROVE, RequestAction.REJECT):
            plan.values["decided_at"] = ctx
            plan.values["decided_by_id"] = plan.extra["actor_id"] = options.get("actor_id")
        if action == RequestAction.SUBMIT:
            plan.values.update(options.get("resubmit_values", {}))
        plan.details = {"action": action, "from": row.status, "to": plan.target, "kind": row.kind}

    def step(self, plan: Plan, who: Actor | None, now: dt.datetime) -> RequestStep:
        return RequestStep(
            request_id=plan.row.pk,
            action=plan.transition.action,
            from_status=plan.row.status,
            to_status=plan.target,
            actor_id=who.user_id if who else None,
            at=now,
            note=plan.opinion,
        )

    def audit(
        self, plans: Sequence[Plan], steps: Sequence[Any], who: Actor | None, instance: ServiceRequest | None
    ) -> None:
        for plan in plans:
            audit_record(
                kind=AUDIT_KIND[RequestAction(plan.transition.action)],
                actor=who.user if who else None,
                institution_id=plan.row.authority_id,
                obj=instance if instance is not None else plan.row,
                details={**plan.details, "certificate_id": plan.row.certificate_id},
            )

    def announce(self, plans: Sequence[Plan], instance: ServiceRequest | None) -> None:
        for plan in plans:
            row: ServiceRequest = instance if instance is not None else plan.row
            action = plan.transition.action
            if action not in (RequestAction.APPROVE, RequestAction.REJECT, RequestAction.RETURN):
                continue
            kind = RequestKind(row.kind).label
            titles = {
                RequestAction.APPROVE: _("您的证书%(kind)s申请已办结") % {"kind": kind},
                RequestAction.REJECT: _("您的证书%(kind)s申请不予办理") % {"kind": kind},
                RequestAction.RETURN: _("您的证书%(kind)s申请需要补正") % {"kind": kind},
            }
            notify(
                user=row.applicant,
                kind=f"certsvc.{action}",
                title=titles[RequestAction(action)],
                body=plan.opinion,
                link=reverse("certservices_applicant:request_detail", args=[row.pk]),
            )

    def after(self, plan: Plan, instance: ServiceRequest, who: Actor | None) -> None:
        if plan.transition.action == RequestAction.APPROVE:
            from .issuing import request_fulfil

            request_fulfil(request=instance, actor=who.user if who else None)


REQUESTS = _Requests()
