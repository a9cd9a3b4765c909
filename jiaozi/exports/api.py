"""The export operations of /api/v1/, mounted in ``config/api.py``: ask, decide, status,
download (§9, §13). Each operation calls one service or selector."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from jiaozi.core.api import BodyId, ObjectId, current_user, idempotent, problems, require, text

from . import selectors
from . import services as svc
from .datasets import STATUS_CHOICES
from .models import ExportRequest
from .xlsx import CONTENT_TYPE

router = Router(tags=["exports"])

StatusCode = Literal[tuple(value for value, _label in STATUS_CHOICES)]  # type: ignore[valid-type]


class ExportRequestIn(Schema):
    dataset: Literal["registration_applications", "due_not_applied"] = "registration_applications"
    campaign_id: BodyId
    status: StatusCode | Literal[""] = ""  # type: ignore[valid-type]
    purpose: text(min_length=1, max_length=svc.PURPOSE_MAX) = Field(  # type: ignore[valid-type]
        description="导出用途，必填，至少4个字；写入水印和审计日志"
    )
    unmasked: bool = Field(False, description="导出完整身份证号和手机号（默认脱敏）")


class ExportDecisionIn(Schema):
    version: int = Field(ge=1, le=2**31 - 1)
    reason: text(min_length=1, max_length=svc.REASON_MAX)  # type: ignore[valid-type]


class ExportRequestOut(Schema):
    id: int
    dataset: str
    campaign_id: int | None
    filters: dict[str, str]
    purpose: str
    unmasked: bool
    row_count: int
    threshold: int
    needs_approval: bool
    state: str
    requester_id: int
    requested_at: dt.datetime
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_reason: str
    downloads: int
    version: int


@router.post(
    "/exports",
    response={201: ExportRequestOut, **problems(403, 409)},
    summary="申请导出数据（须说明用途；默认脱敏；超过阈值须他人审批）",
)
@idempotent
def export_request_create(request: HttpRequest, payload: ExportRequestIn) -> Any:
    made = svc.export_request_create(actor=current_user(request), **payload.model_dump())
    return Status(201, made)


@router.get("/exports", response={200: list[ExportRequestOut], **problems(403)}, summary="本人的导出申请")
def export_request_list(request: HttpRequest) -> Any:
    user = current_user(request)
    require(selectors.can_request(user))  # the page's duties
    return list(selectors.requests_of(user=user)[:500])


@router.get(
    "/exports/approvals",
    response={200: list[ExportRequestOut], **problems(403)},
    summary="待本人审批的导出申请",
)
def export_approval_queue(request: HttpRequest) -> Any:
    user = current_user(request)
    require(selectors.can_approve(user))
    return list(selectors.approval_queue(user=user)[:500])


@router.get(
    "/exports/{export_id}", response={200: ExportRequestOut, **problems(404)}, summary="导出申请的状态"
)
def export_request_status(request: HttpRequest, export_id: ObjectId) -> ExportRequest:
    return selectors.request_get(user=current_user(request), pk=export_id)


@router.post(
    "/exports/{export_id}/approve",
    response={200: ExportRequestOut, **problems(403, 404, 409)},
    summary="批准导出申请（申请人以外、同级或上级机构的工作人员）",
)
def export_request_approve(request: HttpRequest, export_id: ObjectId, payload: ExportDecisionIn) -> Any:
    return svc.export_request_decide(
        actor=current_user(request),
        pk=export_id,
        version=payload.version,
        approve=True,
        reason=payload.reason,
    )


@router.post(
    "/exports/{export_id}/reject",
    response={200: ExportRequestOut, **problems(403, 404, 409)},
    summary="驳回导出申请（须填写理由）",
)
def export_request_reject(request: HttpRequest, export_id: ObjectId, payload: ExportDecisionIn) -> Any:
    return svc.export_request_decide(
        actor=current_user(request),
        pk=export_id,
        version=payload.version,
        approve=False,
        reason=payload.reason,
    )


@router.get(
    "/exports/{export_id}/file",
    response={**problems(403, 404, 409)},
    summary="下载导出文件（仅申请人，审批通过后；每次下载记录审计）",
    openapi_extra={
        "responses": {
            200: {
                "description": "xlsx",
                "content": {CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export_file(request: HttpRequest, export_id: ObjectId) -> StreamingHttpResponse:
    export = svc.export_download(actor=current_user(request), pk=export_id)
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
