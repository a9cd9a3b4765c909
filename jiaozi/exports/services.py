"""Writes of controlled exports (§9): ask, decide, download.

A request states its purpose, its data set and filters, and whether resident IDs and
phones come masked (the default) or in full; its row count is taken when asked. Above the
province's threshold (``oversight.settings.export_threshold``) it waits for a second
person at the requester's institution or above, who approves or rejects with a reason;
only the requester downloads, and only once it may be downloaded. Each decision moves the
row by compare-and-set on ``version`` and writes its audit row in the same transaction;
each download is audited before the first byte leaves, and passes the one export check
(``jiaozi.audit.exports.export_check``) with the recorded approval."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaozi.audit.exports import ExportApproval, export_check
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.orgs.jurisdiction import province_code_of
from jiaozi.oversight.settings import export_threshold
from jiaozi.registration.models import Campaign

from . import datasets, selectors
from .models import ExportRequest
from .xlsx import CONTENT_TYPE, xlsx_chunks

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

PURPOSE_MIN = 4
PURPOSE_MAX = 200
REASON_MAX = 500


@dataclass
class ExportFile:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def export_request_create(
    *,
    actor: User,
    dataset: str,
    campaign_id: Any,
    status: str = "",
    purpose: str,
    unmasked: bool = False,
) -> ExportRequest:
    if not selectors.can_request(actor):
        raise PermissionDenied(_("您没有导出数据的权限。"))
    institution = actor.institution
    assert institution is not None
    purpose = _clean(purpose)
    if len(purpose) < PURPOSE_MIN:
        raise ValidationFailed.on_field(
            "purpose", _("请说明导出用途（至少4个字）。"), code="purpose_required"
        )
    if len(purpose) > PURPOSE_MAX:
        raise ValidationFailed.on_field("purpose", _("导出用途不能超过200个字。"), code="purpose_too_long")
    if dataset not in ExportRequest.Dataset.values:
        raise ValidationFailed.on_field("dataset", _("不支持的导出内容。"), code="invalid_dataset")
    if status and (dataset not in datasets.WITH_STATUS or status not in dict(datasets.STATUS_CHOICES)):
        raise ValidationFailed.on_field("status", _("状态无效。"), code="invalid_status")
    if unmasked and not selectors.can_unmask(actor):
        raise PermissionDenied(_("您的角色不能导出完整的身份证号和手机号。"), code="unmask_forbidden")
    province = province_code_of(institution)
    campaign = (
        Campaign.objects.filter(pk=campaign_id, province_code=province).first() if campaign_id else None
    )
    if campaign is None:
        raise ValidationFailed.on_field("campaign", _("请选择本省的定期注册工作。"), code="invalid_campaign")
    filters = {"status": status} if status else {}
    selection = datasets.Selection(dataset=dataset, institution=institution, campaign=campaign, status=status)
    rows = datasets.row_count(selection)
    threshold = export_threshold(province)
    needs_approval = rows > threshold
    now = clock.now()
    with transaction.atomic():
        request = ExportRequest.objects.create(
            requester=actor,
            institution=institution,
            dataset=dataset,
            campaign=campaign,
            filters=filters,
            purpose=purpose,
            unmasked=unmasked,
            row_count=rows,
            threshold=threshold,
            needs_approval=needs_approval,
            state=ExportRequest.State.PENDING if needs_approval else ExportRequest.State.APPROVED,
            requested_at=now,
        )
        audit_record(
            kind=AuditKind.EXPORT_REQUESTED,
            actor=actor,
            obj=request,
            details={
                "dataset": dataset,
                "campaign": campaign.pk,
                "filters": filters,
                "purpose": purpose,
                "unmasked": unmasked,
                "rows": rows,
                "threshold": threshold,
                "needs_approval": needs_approval,
            },
        )
    return request


def export_request_decide(*, actor: User, pk: Any, version: Any, approve: bool, reason: str) -> ExportRequest:
    """Approve or reject a pending request: a second person at the requester's institution
    or above, with a reason."""
    request = selectors.request_get(user=actor, pk=pk)
    if not selectors.may_decide(actor, request):
        raise PermissionDenied(
            _("导出申请须由申请人以外、同级或上级机构的工作人员审批。"), code="not_an_approver"
        )
    reason = _clean(reason)
    if not reason:
        raise ValidationFailed.on_field("reason", _("请填写审批意见。"), code="reason_required")
    if len(reason) > REASON_MAX:
        raise ValidationFailed.on_field("reason", _("审批意见不能超过500个字。"), code="reason_too_long")
    if request.state != ExportRequest.State.PENDING:
        raise Conflict(_("该导出申请已处理，无需再审批。"), code="export_already_decided")
    state = ExportRequest.State.APPROVED if approve else ExportRequest.State.REJECTED
    now = clock.now()
    with transaction.atomic():
        moved = ExportRequest.objects.filter(
            pk=request.pk, version=version, state=ExportRequest.State.PENDING
        ).update(
            state=state,
            decided_by=actor,
            decided_at=now,
            decision_reason=reason,
            version=F("version") + 1,
        )
        if moved != 1:
            raise Conflict(_("导出申请已被他人处理，请刷新后重试。"), code="stale_version")
        request.refresh_from_db()
        audit_record(
            kind=AuditKind.EXPORT_APPROVED if approve else AuditKind.EXPORT_REJECTED,
            actor=actor,
            obj=request,
            details={"requester": request.requester_id, "rows": request.row_count, "reason": reason},
        )
    return request


def watermark(*, actor: User, at: dt.datetime, purpose: str, request: ExportRequest) -> str:
    return _(
        "导出人：%(name)s（%(username)s，%(institution)s）  导出时间：%(at)s  用途：%(purpose)s  申请编号：%(pk)s"
    ) % {
        "name": getattr(actor, "real_name", ""),
        "username": actor.get_username(),
        "institution": request.institution.name,
        "at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S"),
        "purpose": purpose,
        "pk": request.pk,
    }


def export_download(*, actor: User, pk: Any) -> ExportFile:
    """The requester's file of an approved request. The audit row is written before the
    rows stream; the row count is taken again, and a selection grown above both the
    threshold and what was approved is refused (``export_needs_approval``)."""
    request = selectors.request_get(user=actor, pk=pk)
    if request.requester_id != actor.pk:
        raise PermissionDenied(_("只有申请人本人可以下载导出文件。"), code="not_the_requester")
    if not selectors.can_request(actor) or (request.unmasked and not selectors.can_unmask(actor)):
        raise PermissionDenied(_("您没有导出数据的权限。"))
    if request.state == ExportRequest.State.REJECTED:
        raise Conflict(_("该导出申请已被驳回，不能下载。"), code="export_rejected")
    if request.state != ExportRequest.State.APPROVED:
        raise Conflict(_("该导出申请尚未审批通过，暂不能下载。"), code="export_not_approved")
    if request.institution_id != actor.institution_id:
        raise NotFound(_("导出申请不存在或不在您的管辖范围内。"))
    selection = datasets.Selection.of(request)
    rows = datasets.row_count(selection)
    approval = (
        ExportApproval(
            requester_id=request.requester_id,
            approver_id=request.decided_by_id,
            what=request.dataset,
            max_rows=request.row_count,
        )
        if request.decided_by_id
        else None
    )
    export_check(
        actor=actor,
        what=request.dataset,
        rows=rows,
        obj=request,
        approval=approval,
        threshold=request.threshold,
    )
    at = clock.now()
    with transaction.atomic():
        ExportRequest.objects.filter(pk=request.pk).update(
            downloads=F("downloads") + 1, last_downloaded_at=at
        )
        audit_record(
            kind=AuditKind.EXPORT_DOWNLOADED,
            actor=actor,
            obj=request,
            details={
                "dataset": request.dataset,
                "rows": rows,
                "unmasked": request.unmasked,
                "purpose": request.purpose,
                "approved_by": request.decided_by_id,
            },
        )
    mark = watermark(actor=actor, at=at, purpose=request.purpose, request=request)
    stamp = timezone.localtime(at).strftime("%Y%m%d-%H%M%S")
    return ExportFile(
        filename=f"export-{request.pk}-{stamp}.xlsx",
        content_type=CONTENT_TYPE,
        chunks=xlsx_chunks(
            sheet_title=str(request.get_dataset_display()),
            watermark=mark,
            creator=f"{getattr(actor, 'real_name', '')}（{actor.get_username()}）",
            created=at,
            header=datasets.header(request.dataset),
            rows=datasets.rows(selection, unmasked=request.unmasked),
        ),
    )
