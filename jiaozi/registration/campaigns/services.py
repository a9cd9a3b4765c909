"""Writes for periodic registration: campaigns (created and changed by the province
admin, audited) and the audited pre-check export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiaozi.core.masking import mask_name

from ..labels import DUE_LABELS, SUGGESTION_LABELS, reason_labels
from ..models import Campaign, WindowAction
from ..permissions import can_manage_campaigns, can_view_precheck
from ..precheck import selectors
from ..precheck.selectors import PrecheckFilters
from .windows import window_errors

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
    "is_active",
)


def _local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(ZoneInfo(settings.TIME_ZONE))


def campaign_validate(*, year: int, values: dict[str, Any]) -> None:
    """Raise ``ValidationFailed`` (with ``fields``) when the settings do not hold
    together: window order (see ``windows.window_errors``), the system window in the
    campaign's year, a positive training requirement and notice period."""
    fields: dict[str, str] = {}
    for field, message in window_errors(values):
        fields.setdefault(field, message)
    opens_at = values.get("system_opens_at")
    if opens_at is not None and _local(opens_at).year != year:
        fields.setdefault("system_opens_at", _("系统开放时间应在%(year)d年内。") % {"year": year})
    registration_date = values.get("registration_date")
    # The registration date starts the new validity; it is the campaign's year's date
    # or early in the next year, never before the system opens.
    if registration_date is not None:
        if registration_date.year not in (year, year + 1):
            fields.setdefault(
                "registration_date", _("定期注册日期应在%(year)d年或次年年初。") % {"year": year}
            )
        elif opens_at is not None and registration_date < _local(opens_at).date():
            fields.setdefault("registration_date", _("定期注册日期不能早于系统开放日期。"))
    hours = values.get("training_hours_required")
    if hours is not None and Decimal(hours) <= 0:
        fields.setdefault("training_hours_required", _("培训学时要求应大于0。"))
    notice_days = values.get("notice_days")
    if notice_days is not None and not 1 <= int(notice_days) <= 30:
        fields.setdefault("notice_days", _("公示天数应在1至30天之间。"))
    if fields:
        raise ValidationFailed(_("注册工作的设置有误，请检查标出的项目。"), fields=fields)


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
        return _local(value).isoformat()
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


def campaign_create(*, actor: Any, year: int, province_code: str | None = None, **values: Any) -> Campaign:
    """Create a campaign of the actor's province (province admin only), audited.

    ``values`` holds every field of ``EDITABLE_FIELDS`` except the defaulted
    ``training_hours_required`` (360), ``notice_days`` (7) and ``is_active`` (False)."""
    province_code = province_code or selectors.province_code_of(getattr(actor, "institution", None))
    if not can_manage_campaigns(actor=actor, province_code=province_code):
        raise PermissionDenied(_("只有本省的省级管理员可以设置注册工作。"))
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"campaign_create() got unexpected fields: {sorted(unknown)}")
    values.setdefault("training_hours_required", Decimal(360))
    values.setdefault("notice_days", 7)
    values.setdefault("is_active", False)
    missing = [field for field in EDITABLE_FIELDS if values.get(field) is None]
    if missing:
        raise ValidationFailed(_("请填写注册工作的全部设置。"), fields={f: _("必填。") for f in missing})
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


def campaign_update(*, actor: Any, campaign_id: int, version: int, **changes: Any) -> Campaign:
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


# --- Export of the pre-check screen ---------------------------------------------------

EXPORT_FORMATS = ("csv", "xlsx")
EXPORT_HEADER = ("证书编号", "姓名", "身份证号", "学校", "注册类型", "建议结论", "原因")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ExportFile:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


def _cell(value: str) -> str:
    # A cell starting with a formula character is run by spreadsheets (CSV injection).
    return "'" + value if value.startswith(_FORMULA_START) else value


def _watermark(actor: Any, at: dt.datetime, purpose: str) -> str:
    return _("导出人：%(name)s（%(username)s）  导出时间：%(at)s  用途：%(purpose)s") % {
        "name": getattr(actor, "real_name", ""),
        "username": actor.get_username(),
        "at": _local(at).strftime("%Y-%m-%d %H:%M:%S"),
        "purpose": purpose,
    }


def _export_rows(*, actor: Any, campaign: Campaign, filters: PrecheckFilters) -> Iterator[tuple[str, ...]]:
    for item in selectors.precheck_export_items(user=actor, campaign=campaign, filters=filters):
        yield (
            item.certificate_number,
            _cell(item.teacher_name),
            item.resident_id_masked,
            _cell(item.school_name),
            str(DUE_LABELS.get(item.due, item.due)),
            str(SUGGESTION_LABELS.get(item.suggestion, item.suggestion)),
            "；".join(reason_labels(item.reasons)),
        )


def _csv_chunks(watermark: str, rows: Iterator[tuple[str, ...]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # The BOM lets spreadsheet programs read the Chinese text as UTF-8.
    buffer.write("\ufeff")
    writer.writerow((_cell(watermark),))
    writer.writerow(EXPORT_HEADER)
    for index, row in enumerate(rows, 1):
        writer.writerow(row)
        if index % 1000 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_chunks(watermark: str, rows: Iterator[tuple[str, ...]]) -> Iterator[bytes]:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("注册预审"))
    sheet.append([watermark])
    sheet.append(list(EXPORT_HEADER))
    for row in rows:
        sheet.append(list(row))
    # openpyxl writes the zip at the end; spool to a temporary file so memory stays
    # flat, then stream the file out.
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(64 * 1024):
            yield chunk


def precheck_export(
    *, actor: Any, campaign: Campaign, filters: PrecheckFilters, purpose: str, fmt: str = "csv"
) -> ExportFile:
    """Export the pre-check screen (IDs masked) for a stated purpose: the audit row is
    written first, then the file streams; every file carries who exported it and when."""
    if not can_view_precheck(actor=actor):
        raise PermissionDenied(_("您没有导出注册预审名单的权限。"))
    purpose = " ".join((purpose or "").split())
    if len(purpose) < 4:
        raise ValidationFailed(
            _("请说明导出用途（至少4个字）。"), fields={"purpose": _("请说明导出用途（至少4个字）。")}
        )
    if fmt not in EXPORT_FORMATS:
        raise ValidationFailed(_("不支持的导出格式。"), fields={"fmt": _("不支持的导出格式。")})
    at = clock.now()
    audit_record(
        kind=AuditKind.EXPORT,
        actor=actor,
        obj=campaign,
        details={
            "what": "registration_precheck",
            "format": fmt,
            "purpose": purpose,
            "filters": {
                "school": filters.school,
                "due": filters.due,
                "suggestion": filters.suggestion,
                "reason": filters.reason,
                # A name typed into the search box is personal data: keep it masked.
                "q": filters.q if filters.q.isdigit() else mask_name(filters.q),
            },
        },
    )
    watermark = _watermark(actor, at, purpose)
    rows = _export_rows(actor=actor, campaign=campaign, filters=filters)
    stamp = _local(at).strftime("%Y%m%d-%H%M%S")
    if fmt == "xlsx":
        return ExportFile(
            filename=f"registration-precheck-{stamp}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            chunks=_xlsx_chunks(watermark, rows),
        )
    return ExportFile(
        filename=f"registration-precheck-{stamp}.csv",
        content_type="text/csv; charset=utf-8",
        chunks=_csv_chunks(watermark, rows),
    )
