"""Writes for registration campaigns: created and changed by the province admin,
audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiaozi.orgs.jurisdiction import province_code_of

from .. import rules
from ..models import MIN_NOTICE_DAYS, Campaign, WindowAction, default_required_materials
from ..permissions import can_manage_campaigns
from . import selectors
from .windows import window_errors

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

WINDOW_FIELDS: tuple[str, ...] = tuple(
    f"{action}_{edge}_at" for action in WindowAction.values for edge in ("opens", "closes")
)
# What the province admin sets; the province and the year identify the campaign.
EDITABLE_FIELDS: tuple[str, ...] = (
    "name",
    "registration_date",
    *WINDOW_FIELDS,
    "training_hours_required",
    "notice_days",
    "review_request_days",
    "required_materials",
    "is_active",
)


def local_time(value: dt.datetime) -> dt.datetime:
    """The time in the site's zone (Asia/Shanghai), as forms show it and audits record it."""
    return value.astimezone(ZoneInfo(settings.TIME_ZONE))


def campaign_validate(*, year: int, values: dict[str, Any]) -> None:
    """Raise ``ValidationFailed`` (with ``fields``) when the settings do not hold
    together: window order (see ``windows.window_errors``), the system window in the
    campaign's year, a positive training requirement and notice period."""
    fields: dict[str, str] = {}
    for field, message in window_errors(values):
        fields.setdefault(field, message)
    opens_at = values.get("system_opens_at")
    if opens_at is not None and local_time(opens_at).year != year:
        fields.setdefault("system_opens_at", _("系统开放时间应在%(year)d年内。") % {"year": year})
    registration_date = values.get("registration_date")
    # The registration date starts the new validity; it is the campaign's year's date
    # or early in the next year, never before the system opens.
    if registration_date is not None:
        if registration_date.year not in (year, year + 1):
            fields.setdefault(
                "registration_date", _("定期注册日期应在%(year)d年或次年年初。") % {"year": year}
            )
        elif opens_at is not None and registration_date < local_time(opens_at).date():
            fields.setdefault("registration_date", _("定期注册日期不能早于系统开放日期。"))
    hours = values.get("training_hours_required")
    if hours is not None and Decimal(hours) <= 0:
        fields.setdefault("training_hours_required", _("培训学时要求应大于0。"))
    notice_days = values.get("notice_days")
    if notice_days is not None and not MIN_NOTICE_DAYS <= int(notice_days) <= 30:
        fields.setdefault("notice_days", _("公示期不少于7个自然日，且不超过30天。"))
    review_days = values.get("review_request_days")
    if review_days is not None and not 1 <= int(review_days) <= 60:
        fields.setdefault("review_request_days", _("申请复核期限应在1至60天之间。"))
    required = values.get("required_materials")
    if required is not None and not _materials_setting_ok(required):
        fields.setdefault("required_materials", _("须提交的材料设置无效。"))
    if fields:
        raise ValidationFailed(_("注册工作的设置有误，请检查标出的项目。"), field_errors=fields)


def _materials_setting_ok(value: Any) -> bool:
    """{registration type: [material kind, …]} with known types and kinds, no repeats."""
    if not isinstance(value, dict):
        return False
    for due, kinds in value.items():
        if due not in rules.DUE_TO_APPLY or not isinstance(kinds, list):
            return False
        if len(set(kinds)) != len(kinds) or any(k not in rules.REQUIRABLE_MATERIALS for k in kinds):
            return False
    return True


def _check_active_unique(*, province_code: str, exclude_pk: int | None) -> None:
    others = Campaign.objects.filter(province_code=province_code, is_active=True)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    other = others.first()
    if other is not None:
        raise Conflict(
            _("本省已有启用的注册工作「%(name)s」，请先停用它。") % {"name": other.name},
            code="campaign_active_exists",
        )


def _audit_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return local_time(value).isoformat()
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


def campaign_create(*, actor: User, year: int, province_code: str | None = None, **values: Any) -> Campaign:
    """Create a campaign of the actor's province (province admin only), audited.

    ``values`` holds every field of ``EDITABLE_FIELDS`` except the defaulted
    ``training_hours_required`` (360), ``notice_days`` (7) and ``is_active`` (False)."""
    province_code = province_code or province_code_of(getattr(actor, "institution", None))
    if not can_manage_campaigns(actor=actor, province_code=province_code):
        raise PermissionDenied(_("只有本省的省级管理员可以设置注册工作。"))
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"campaign_create() got unexpected fields: {sorted(unknown)}")
    values.setdefault("training_hours_required", Decimal(360))
    values.setdefault("notice_days", 7)
    values.setdefault("review_request_days", 15)
    values.setdefault("required_materials", default_required_materials())
    values.setdefault("is_active", False)
    missing = [field for field in EDITABLE_FIELDS if values.get(field) is None]
    if missing:
        raise ValidationFailed(
            _("请填写注册工作的全部设置。"), field_errors={f: _("必填。") for f in missing}
        )
    campaign_validate(year=year, values=values)
    if Campaign.objects.filter(province_code=province_code, year=year).exists():
        raise Conflict(_("本省%(year)d年的注册工作已存在。") % {"year": year}, code="campaign_exists")
    if values["is_active"]:
        _check_active_unique(province_code=province_code, exclude_pk=None)
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(province_code=province_code, year=year, **values)
            audit_record(
                kind=AuditKind.CAMPAIGN_CREATED,
                actor=actor,
                obj=campaign,
                details={"year": year, "province_code": province_code}
                | {field: _audit_value(values[field]) for field in EDITABLE_FIELDS},
            )
    except IntegrityError:
        # A concurrent create or activation won the race on a unique constraint.
        raise Conflict(_("注册工作已被他人同时修改，请刷新后重试。"), code="campaign_conflict") from None
    return campaign


def campaign_update(*, actor: User, campaign_id: int, version: int, **changes: Any) -> Campaign:
    """Change a campaign's settings by compare-and-set on ``version``, audited with the
    old and new value of every changed field."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"campaign_update() got unexpected fields: {sorted(unknown)}")
    campaign = selectors.campaign_get_visible_to(user=actor, pk=campaign_id)
    if not can_manage_campaigns(actor=actor, province_code=campaign.province_code):
        raise PermissionDenied(_("只有本省的省级管理员可以设置注册工作。"))
    merged = {field: getattr(campaign, field) for field in EDITABLE_FIELDS} | {
        field: value for field, value in changes.items() if value is not None
    }
    campaign_validate(year=campaign.year, values=merged)
    changed = {field: merged[field] for field in EDITABLE_FIELDS if merged[field] != getattr(campaign, field)}
    if merged["is_active"] and not campaign.is_active:
        _check_active_unique(province_code=campaign.province_code, exclude_pk=campaign.pk)
    try:
        with transaction.atomic():
            updated = Campaign.objects.filter(pk=campaign.pk, version=version).update(
                **changed, version=F("version") + 1, updated_at=clock.now()
            )
            if updated != 1:
                raise Conflict(_("该注册工作已被他人修改，请刷新后重试。"), code="stale_version")
            audit_record(
                kind=AuditKind.CAMPAIGN_UPDATED,
                actor=actor,
                obj=campaign,
                details={
                    "changes": {
                        field: [_audit_value(getattr(campaign, field)), _audit_value(value)]
                        for field, value in changed.items()
                    }
                },
            )
    except IntegrityError:
        raise Conflict(_("注册工作已被他人同时修改，请刷新后重试。"), code="campaign_conflict") from None
    return Campaign.objects.get(pk=campaign.pk)
