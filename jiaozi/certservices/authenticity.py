"""证书真伪核验 (§7): a reviewer asks the issuing authority whether a certificate this
system did not issue is authentic; the authority (inside the province) or the requester
(recording the answer of an authority outside it) records authentic / not found /
forged. A forged certificate is flagged and audited; while a check is open, and for ever
once forged, the certificate's registration applications wait
(``authenticity_held_certificates``, read by registration's transition checks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiaozi.accounts.actor import Actor, actor_of
from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.certificates.models import Certificate, CertificateEvent, CertificateStatus
from jiaozi.certificates.services import certificate_revoke
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiaozi.notifications.services import notify, notify_many
from jiaozi.workflow.engine import Inputs, Plan, Workflow

from . import deadlines
from .authority import issuing_authority
from .models import AuthenticityCheck
from .permissions import CHECK_ANSWER_ROLES, CHECK_OPEN_ROLES
from .selectors import certificate_get_visible_to
from .services import authority_officers
from .workflow import CHECK_TABLE, CheckAction, CheckLevel, CheckOutcome, CheckStatus

TEXT_MAX = 500


def checks_visible_to(user: User | None) -> models.QuerySet[AuthenticityCheck]:
    """Checks the user's institution asked for or must answer, and those of the
    institutions below it."""
    actor = actor_of(user)
    if user is None or not actor.is_active_staff or user.institution is None:
        return AuthenticityCheck.objects.none()
    if actor.role not in CHECK_OPEN_ROLES | CHECK_ANSWER_ROLES:
        return AuthenticityCheck.objects.none()
    path = user.institution.path
    return AuthenticityCheck.objects.filter(
        models.Q(requesting_institution__path__startswith=path) | models.Q(authority__path__startswith=path)
    )


def authenticity_held_certificates() -> frozenset[int]:
    """Certificates whose registration must wait: an open check, or one answered
    "forged". One indexed query; the set is small (checks are exceptions)."""
    return frozenset(
        AuthenticityCheck.objects.filter(
            models.Q(status=CheckStatus.OPEN) | models.Q(outcome=CheckOutcome.FORGED)
        ).values_list("certificate_id", flat=True)
    )


def authenticity_check_open(
    *, actor: User, certificate_id: Any, holder_name: str, reason: str, outside_authority: str = ""
) -> AuthenticityCheck:
    """Open a check of a certificate in the reviewer's jurisdiction. The authority is the
    bureau the number names; a number of another province needs the name of its
    issuing authority, whose answer the reviewer records."""
    a = actor_of(actor)
    if not (a.is_active_staff and a.role in CHECK_OPEN_ROLES) or actor.institution is None:
        raise PermissionDenied(_("只有注册审核人员可以发起证书真伪核验。"))
    certificate = certificate_get_visible_to(user=actor, pk=certificate_id)
    if CertificateEvent.objects.filter(certificate=certificate, kind=CertificateEvent.Kind.ISSUED).exists():
        raise Conflict(_("该证书由本系统颁发，无需核验真伪。"), code="issued_in_system")
    errors: dict[str, list[str]] = {}
    name = "".join(holder_name.split())
    if not name or len(name) > 64:
        errors["holder_name"] = [_("请填写证书上的姓名。")]
    reason = " ".join(reason.split())
    if not reason or len(reason) > TEXT_MAX:
        errors["reason"] = [_("请填写核验原因（500字以内）。")]
    authority = issuing_authority(certificate.number)
    outside = " ".join(outside_authority.split())
    if authority is None and not outside:
        errors["outside_authority"] = [_("该证书不是本省颁发的，请填写省外发证机关名称。")]
    if len(outside) > 128:
        errors["outside_authority"] = [_("不能超过128个字。")]
    if errors:
        raise ValidationFailed(_("核验申请填写有误。"), code="invalid_check", field_errors=errors)
    now = clock.now()
    rules = deadlines.rules_for(authority or actor.institution)
    try:
        with transaction.atomic():
            check = AuthenticityCheck.objects.create(
                certificate=certificate,
                holder_name=name,
                reason=reason,
                requester=actor,
                requesting_institution=actor.institution,
                authority=authority,
                outside_authority="" if authority else outside,
                opened_at=now,
                due_on=deadlines.due_on(clock.today(), rules),
            )
            audit_record(
                kind=AuditKind.AUTHENTICITY_CHECK_OPENED,
                actor=actor,
                obj=check,
                details={
                    "certificate_id": certificate.pk,
                    "authority_id": authority.pk if authority else None,
                    "outside": not authority,
                    "due_on": check.due_on,
                },
            )
            if authority is not None:
                notify_many(
                    users=authority_officers(authority.pk),
                    kind="certsvc.check_opened",
                    title=_("新的证书真伪核验请求"),
                    body=_("证书编号 %(number)s，请在 %(due)s 前答复。")
                    % {"number": certificate.number, "due": check.due_on.isoformat()},
                    channels=["inbox"],
                )
    except IntegrityError:
        raise Conflict(_("该证书已有进行中的真伪核验。"), code="duplicate_check") from None
    return check


class _Checks(Workflow[AuthenticityCheck, User | AnonymousUser]):
    model = AuthenticityCheck
    table = CHECK_TABLE
    msg_unknown_action = gettext_lazy("未知的操作。")
    msg_needs_user = gettext_lazy("请先登录。")
    msg_not_found = gettext_lazy("核验不存在或不在您的管辖范围内。")
    msg_forbidden = gettext_lazy("您无权办理该核验。")
    msg_stale = gettext_lazy("核验已被他人处理，请刷新后重试。")
    isolated = frozenset({CheckAction.ANSWER})  # a forged answer also revokes the certificate

    def who(self, user: User | AnonymousUser | None) -> Actor | None:
        actor = actor_of(user)
        return actor if actor.is_authenticated else None

    def visible(self, who: Actor | None) -> models.QuerySet[AuthenticityCheck]:
        return checks_visible_to(who.user if who else None)

    def load(self, queryset: models.QuerySet[AuthenticityCheck], pk: Any) -> AuthenticityCheck:
        return queryset.select_related("certificate", "requester").get(pk=pk)

    def level_of(self, who: Actor | None, row: AuthenticityCheck, action: str) -> str | None:
        if who is None or not who.is_active_staff:
            return None
        if row.authority_id is not None:
            if who.role in CHECK_ANSWER_ROLES and who.institution_id == row.authority_id:
                return CheckLevel.AUTHORITY
        elif who.role in CHECK_OPEN_ROLES and who.institution_id == row.requesting_institution_id:
            # Outside the province: the requester records the answer it received.
            return CheckLevel.AUTHORITY if action == CheckAction.ANSWER else CheckLevel.REQUESTER
        if (
            action == CheckAction.WITHDRAW
            and who.role in CHECK_OPEN_ROLES
            and who.institution_id == row.requesting_institution_id
        ):
            return CheckLevel.REQUESTER
        return None

    def wrong_stage(self, row: AuthenticityCheck, action: str) -> Conflict:
        return Conflict(
            _("核验当前状态为“%(status)s”，不能进行该操作。") % {"status": CheckStatus(row.status).label},
            code="wrong_stage",
        )

    def prepare(self, plan: Plan, inputs: Inputs, ctx: Any, **options: Any) -> None:
        note = " ".join(inputs.reason.split())
        if len(note) > TEXT_MAX:
            raise ValidationFailed.on_field("reason", _("说明不能超过500字。"), code="reason_too_long")
        if plan.transition.needs_reason and not note:
            raise ValidationFailed.on_field("reason", _("请填写理由。"), code="reason_required")
        plan.opinion = note
        if plan.transition.action == CheckAction.ANSWER:
            outcome = inputs.conclusion
            if outcome not in CheckOutcome.values:
                raise ValidationFailed.on_field("outcome", _("请选择核验结果。"), code="outcome_required")
            reference = " ".join(str(options.get("reference", "")).split())
            if not reference or len(reference) > 128:
                raise ValidationFailed.on_field(
                    "reference", _("请填写答复文号或档案编号。"), code="reference_required"
                )
            if outcome != CheckOutcome.AUTHENTIC and not note:
                raise ValidationFailed.on_field(
                    "reason", _("查无此证或伪造须说明核验情况。"), code="reason_required"
                )
            plan.values.update(
                outcome=outcome,
                outcome_note=note,
                reference=reference,
                answered_by_id=options.get("actor_id"),
                answered_at=ctx,
            )
        plan.details = {"action": plan.transition.action, "from": plan.row.status, "to": plan.target}
        if "outcome" in plan.values:
            plan.details["outcome"] = plan.values["outcome"]

    def audit(
        self,
        plans: Sequence[Plan],
        steps: Sequence[Any],
        who: Actor | None,
        instance: AuthenticityCheck | None,
    ) -> None:
        for plan in plans:
            row = instance if instance is not None else plan.row
            kind = (
                AuditKind.AUTHENTICITY_CHECK_ANSWERED
                if plan.transition.action == CheckAction.ANSWER
                else AuditKind.AUTHENTICITY_CHECK_WITHDRAWN
            )
            details = {**plan.details, "certificate_id": row.certificate_id}
            audit_record(kind=kind, actor=who.user if who else None, obj=row, details=details)
            if plan.values.get("outcome") == CheckOutcome.FORGED:
                # The flag: its own audit kind, so the audit admin finds every forged
                # certificate with one filter.
                audit_record(
                    kind=AuditKind.AUTHENTICITY_CHECK_FORGED,
                    actor=who.user if who else None,
                    obj=row,
                    details=details,
                )

    def after(self, plan: Plan, instance: AuthenticityCheck, who: Actor | None) -> None:
        """A forged answer voids the registry's record in the same transaction: the
        certificate is revoked (撤销), so the registry views, the holder's page and the
        public verification (by number and by every QR code) show it as not valid at
        once; its history names the check (decision 0228)."""
        if plan.values.get("outcome") != CheckOutcome.FORGED:
            return
        certificate = Certificate.objects.select_for_update().get(pk=instance.certificate_id)
        if certificate.status != CertificateStatus.VALID:
            return  # already revoked or lost: nothing further to void
        institution = instance.authority or instance.requesting_institution
        certificate_revoke(
            certificate=certificate,
            reason=_("证书真伪核验结论为伪造（答复文号：%(reference)s）。")
            % {"reference": instance.reference},
            actor=who.user if who else None,
            institution=institution,
            source=instance,
            audit_details={"authenticity_check_id": instance.pk},
        )
        instance.certificate = certificate

    def announce(self, plans: Sequence[Plan], instance: AuthenticityCheck | None) -> None:
        for plan in plans:
            row: AuthenticityCheck = instance if instance is not None else plan.row
            if plan.transition.action != CheckAction.ANSWER:
                continue
            notify(
                user=row.requester,
                kind="certsvc.check_answered",
                title=_("证书真伪核验结果：%(outcome)s") % {"outcome": CheckOutcome(row.outcome).label},
                body=_("证书编号 %(number)s。") % {"number": row.certificate.number},
                channels=["inbox"],
            )


CHECKS = _Checks()


def authenticity_check_transition(
    *,
    actor: User,
    check_id: Any,
    action: str,
    version: int,
    outcome: str = "",
    note: str = "",
    reference: str = "",
) -> AuthenticityCheck:
    return CHECKS.run(
        user=actor,
        pk=check_id,
        inputs=Inputs(action=action, version=version, reason=note, conclusion=outcome),
        reference=reference,
        actor_id=actor.pk,
    )


def check_urgency(check: AuthenticityCheck, *, today: dt.date | None = None) -> str:
    if check.status != CheckStatus.OPEN:
        return ""
    return deadlines.urgency(
        check.due_on, deadlines.rules_for(check.authority or check.requesting_institution), today=today
    )
