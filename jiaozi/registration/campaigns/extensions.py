"""Per-institution, per-level window extensions (§5 "deadlines cascade"): the province
admin grants a step window a later close for the applications whose review chain runs
through one institution, with a reason; and revokes it, with a reason. Both are
compare-and-set writes audited in the same transaction; a revoked extension stays as
the record of what was allowed and when."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.orgs.jurisdiction import province_code_of
from jiaozi.orgs.models import Institution

from ..models import Campaign, WindowAction, WindowExtension
from ..permissions import can_manage_campaigns
from . import selectors
from .windows import STEP_ORDER, format_moment, local_time_text

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

REASON_MAX = 500
# The step windows an extension may move (the system window is the province's own).
EXTENDABLE: tuple[str, ...] = tuple(str(w) for w in STEP_ORDER)


def _require_manager(actor: User, campaign: Campaign) -> None:
    if not can_manage_campaigns(actor=actor, province_code=campaign.province_code):
        raise PermissionDenied(_("只有本省的省级管理员可以延长或撤销办理时间。"))


def _clean_reason(reason: str | None, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed.on_field(field, _("请填写理由。"), code="reason_required")
    if len(text) > REASON_MAX:
        message = _("理由不能超过%(max)d字。") % {"max": REASON_MAX}
        raise ValidationFailed.on_field(field, message, code="reason_too_long")
    return text


def extension_list(*, actor: User, campaign_id: int) -> QuerySet[WindowExtension]:
    """The campaign's extensions, live and revoked, newest first (province staff)."""
    campaign = selectors.campaign_get_visible_to(user=actor, pk=campaign_id)
    return WindowExtension.objects.filter(campaign=campaign).select_related(
        "institution", "granted_by", "revoked_by"
    )


def extension_grant(
    *,
    actor: User,
    campaign_id: int,
    institution_id: Any,
    window: str,
    closes_at: dt.datetime,
    reason: str,
) -> WindowExtension:
    """Extend ``window`` until ``closes_at`` for the chains through the institution.
    The new close is after the campaign's and no later than the system's close; one
    live extension per (institution, window) — revoke it to grant another."""
    campaign = selectors.campaign_get_visible_to(user=actor, pk=campaign_id)
    _require_manager(actor, campaign)
    fields: dict[str, str] = {}
    if window not in EXTENDABLE:
        fields["window"] = _("请选择要延长的环节。")
    try:
        institution = Institution.objects.get(pk=int(institution_id))
    except (Institution.DoesNotExist, TypeError, ValueError):
        institution = None
    if institution is None or province_code_of(institution) != campaign.province_code:
        fields["institution"] = _("机构不存在或不属于本省。")
    text = (reason or "").strip()
    if not text:
        fields["reason"] = _("请填写理由。")
    elif len(text) > REASON_MAX:
        fields["reason"] = _("理由不能超过%(max)d字。") % {"max": REASON_MAX}
    if "window" not in fields:
        base = campaign.window(window)[1]
        system_closes = campaign.window(WindowAction.SYSTEM)[1]
        if closes_at is None or closes_at <= base:
            fields["closes_at"] = _("延长后的截止时间须晚于原截止时间%(closes)s。") % {
                "closes": format_moment(base)
            }
        elif closes_at > system_closes:
            fields["closes_at"] = _("延长后的截止时间不能晚于系统关闭时间%(closes)s。") % {
                "closes": format_moment(system_closes)
            }
    if fields:
        raise ValidationFailed(_("延长办理时间的设置有误，请检查标出的项目。"), field_errors=fields)
    assert institution is not None
    now = clock.now()
    try:
        with transaction.atomic():
            extension = WindowExtension.objects.create(
                campaign=campaign,
                institution=institution,
                window=window,
                closes_at=closes_at,
                reason=text,
                granted_by=actor,
                granted_at=now,
            )
            audit_record(
                kind=AuditKind.REGISTRATION_WINDOW_EXTENDED,
                actor=actor,
                institution_id=institution.pk,
                obj=extension,
                details={
                    "campaign": campaign.pk,
                    "institution": institution.pk,
                    "window": window,
                    "closes_at": local_time_text(closes_at),
                    "original_closes_at": local_time_text(campaign.window(window)[1]),
                    "reason": text,
                },
            )
    except IntegrityError:
        raise Conflict(
            _("该机构的%(window)s已有有效的延长，请先撤销后再重新设置。")
            % {"window": WindowAction(window).label},
            code="extension_exists",
        ) from None
    return extension


def extension_revoke(*, actor: User, extension_id: Any, reason: str) -> WindowExtension:
    """Revoke a live extension (compare-and-set on ``revoked_at`` being empty)."""
    try:
        extension = WindowExtension.objects.select_related("campaign").get(pk=int(extension_id))
    except (WindowExtension.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("延长记录不存在。")) from None
    campaign = selectors.campaign_get_visible_to(user=actor, pk=extension.campaign_id)
    _require_manager(actor, campaign)
    text = _clean_reason(reason, "revoke_reason")
    now = clock.now()
    with transaction.atomic():
        updated = WindowExtension.objects.filter(pk=extension.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=actor, revoke_reason=text
        )
        if updated != 1:
            raise Conflict(_("该延长已被撤销。"), code="extension_revoked")
        audit_record(
            kind=AuditKind.REGISTRATION_WINDOW_EXTENSION_REVOKED,
            actor=actor,
            institution_id=extension.institution_id,
            obj=extension,
            details={
                "campaign": extension.campaign_id,
                "institution": extension.institution_id,
                "window": extension.window,
                "closes_at": local_time_text(extension.closes_at),
                "reason": text,
            },
        )
    extension.refresh_from_db()
    return extension
