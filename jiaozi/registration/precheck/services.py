"""Writes for the registration pre-check: the audited export of the staff screen."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from jiaozi.audit.exports import export_check
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.core.errors import PermissionDenied, ValidationFailed
from jiaozi.core.masking import mask_name
from jiaozi.core.spreadsheet import safe_row, xlsx_row

from ..campaigns.services import local_time as _local
from ..labels import DUE_LABELS, SUGGESTION_LABELS, reason_labels
from ..models import Campaign
from ..permissions import can_view_precheck
from . import selectors
from .selectors import PrecheckFilters

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

EXPORT_FORMATS = ("csv", "xlsx")
EXPORT_WHAT = "registration_precheck"
EXPORT_HEADER = ("证书编号", "姓名", "身份证号", "学校", "注册类型", "建议结论", "原因")


@dataclass
class ExportFile:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


def _watermark(actor: User, at: dt.datetime, purpose: str) -> str:
    return _("导出人：%(name)s（%(username)s）  导出时间：%(at)s  用途：%(purpose)s") % {
        "name": getattr(actor, "real_name", ""),
        "username": actor.get_username(),
        "at": _local(at).strftime("%Y-%m-%d %H:%M:%S"),
        "purpose": purpose,
    }


def _export_rows(*, actor: User, campaign: Campaign, filters: PrecheckFilters) -> Iterator[tuple[str, ...]]:
    for item in selectors.precheck_export_items(user=actor, campaign=campaign, filters=filters):
        yield (
            item.certificate_number,
            item.teacher_name,
            item.resident_id_masked,
            item.school_name,
            str(DUE_LABELS.get(item.due, item.due)),
            str(SUGGESTION_LABELS.get(item.suggestion, item.suggestion)),
            "；".join(reason_labels(item.reasons)),
        )


def _csv_chunks(watermark: str, rows: Iterator[tuple[str, ...]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # The BOM lets spreadsheet programs read the Chinese text as UTF-8.
    buffer.write("\ufeff")
    # Every text cell, the watermark (it quotes the stated purpose) included, is one
    # no spreadsheet evaluates: a name typed "=HYPERLINK(…)" stays text (CSV injection,
    # core/spreadsheet.py).
    writer.writerow(safe_row((watermark,)))
    writer.writerow(EXPORT_HEADER)
    for index, row in enumerate(rows, 1):
        writer.writerow(safe_row(row))
        if index % 1000 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_chunks(watermark: str, rows: Iterator[tuple[str, ...]]) -> Iterator[bytes]:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("注册预审"))
    sheet.append(xlsx_row(sheet, (watermark,)))
    sheet.append(xlsx_row(sheet, EXPORT_HEADER))
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    # openpyxl writes the zip at the end; spool to a temporary file so memory stays
    # flat, then stream the file out.
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(64 * 1024):
            yield chunk


def precheck_export(
    *, actor: User, campaign: Campaign, filters: PrecheckFilters, purpose: str, fmt: str = "csv"
) -> ExportFile:
    """Export the pre-check screen (IDs masked) for a stated purpose: the audit row is
    written first, then the file streams; every file carries who exported it and when.
    More rows than the approval threshold are refused (``export_check``)."""
    if not can_view_precheck(actor=actor):
        raise PermissionDenied(_("您没有导出注册预审名单的权限。"))
    purpose = " ".join((purpose or "").split())
    if len(purpose) < 4:
        raise ValidationFailed.on_field("purpose", _("请说明导出用途（至少4个字）。"))
    if fmt not in EXPORT_FORMATS:
        raise ValidationFailed.on_field("fmt", _("不支持的导出格式。"))
    export_check(
        actor=actor,
        what=EXPORT_WHAT,
        rows=selectors.precheck_export_count(user=actor, campaign=campaign, filters=filters),
        obj=campaign,
    )
    at = clock.now()
    audit_record(
        kind=AuditKind.EXPORT,
        actor=actor,
        obj=campaign,
        details={
            "what": EXPORT_WHAT,
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
