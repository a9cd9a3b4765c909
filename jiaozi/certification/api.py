"""The certification operations of /api/v1/ (§6, §13), mounted in ``config/api.py``.

Applicants call with their browser session (CSRF enforced), staff with their token or
session. Every write is one service or transition; retried writes carry an
``Idempotency-Key``, as registration's do. Errors are the services' codes as
problem+json: ``window_closed`` / ``wrong_stage`` / ``stale_version`` 409,
``requirements_unmet`` 400 (with ``reasons``), ``conflict_of_interest`` 403,
``not_found`` 404 (also outside the caller's jurisdiction). Personal data is masked."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from ninja.security import APIKeyCookie
from ninja.utils import check_csrf
from pydantic import Field

from jiaozi.accounts.actor import is_active_applicant
from jiaozi.accounts.models import User
from jiaozi.core import clock
from jiaozi.core.api import API_AUTH, ObjectId, current_user, problems
from jiaozi.core.api.auth import SAFE_METHODS
from jiaozi.core.api.idempotency import idempotent_with
from jiaozi.core.api.problems import CsrfFailed
from jiaozi.core.errors import ValidationFailed
from jiaozi.core.masking import mask_resident_id

from . import services
from .labels import reason_label
from .models import CertificationApplication
from .selectors import application_get_visible_to, application_list_visible_to, batch_current
from .transitions import BatchItem, certification_transition, certification_transition_batch
from .workflow import Action

router = Router(tags=["certification"])
MAX_VERSION = 2**31 - 1


class ApplicantSessionAuth(APIKeyCookie):
    """The browser session of a signed-in applicant; unsafe methods need the CSRF token
    (the same rule as registration's applicant operations)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = getattr(request, "user", None)
        if not is_active_applicant(user):
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfFailed()
        return user


WITH_APPLICANTS: list[Any] = [*API_AUTH, ApplicantSessionAuth()]


class BatchOut(Schema):
    id: int
    name: str
    year: int
    announced_on: dt.date
    apply_opens_at: dt.datetime
    apply_closes_at: dt.datetime
    confirm_closes_at: dt.datetime
    completes_on: dt.date


class CertificationOut(Schema):
    id: int
    reference: str
    version: int
    status: str
    status_label: str
    batch_id: int
    qualification_type: str
    subject: str
    authority_id: int
    confirmation_point_id: int | None
    name: str
    resident_id_masked: str
    education: str
    mandarin: str
    ntce_type: str
    ntce_date: dt.date | None
    commitment: bool
    health: str
    has_photo: bool
    reasons: list[str] = Field(description="§6 原因代码（提交时未满足的条件）")
    reason_labels: list[str]
    confirm_reason_code: str
    conclusion: str
    conclusion_reason: str
    decision_deadline: dt.date | None
    certificate_number: str
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None


def _out(a: CertificationApplication) -> dict[str, Any]:
    return {
        "id": a.pk,
        "reference": a.reference,
        "version": a.version,
        "status": a.status,
        "status_label": str(a.get_status_display()),
        "batch_id": a.batch_id,
        "qualification_type": a.qualification_type,
        "subject": a.subject,
        "authority_id": a.authority_id,
        "confirmation_point_id": a.confirmation_point_id,
        "name": a.name,
        "resident_id_masked": mask_resident_id(a.resident_id),
        "education": a.education,
        "mandarin": a.mandarin,
        "ntce_type": a.ntce_type,
        "ntce_date": a.ntce_date,
        "commitment": a.commitment,
        "health": a.health,
        "has_photo": bool(a.photo),
        "reasons": list(a.check_reasons),
        "reason_labels": [reason_label(r) for r in a.check_reasons],
        "confirm_reason_code": a.confirm_reason_code,
        "conclusion": a.conclusion,
        "conclusion_reason": a.conclusion_reason,
        "decision_deadline": a.decision_deadline,
        "certificate_number": a.certificate_number,
        "submitted_at": a.submitted_at,
        "decided_at": a.decided_at,
    }


class ApplicationIn(Schema):
    qualification_type: Literal["1", "2", "3", "4", "5", "6", "7"]
    subject: str = Field(min_length=1, max_length=64)
    authority_id: int = Field(ge=1, le=MAX_VERSION)
    confirmation_point_id: int | None = Field(None, ge=1, le=MAX_VERSION)
    education: str = Field(max_length=32)
    mandarin: str = Field(max_length=8)
    preschool_major: bool = False
    title: str = Field("", max_length=32)
    mandarin_certificate_no: str = Field("", max_length=32)
    ntce_type: str = Field("", max_length=1)
    ntce_number: str = Field("", max_length=32)
    ntce_date: dt.date | None = None
    commitment: bool = False
    phone: str = Field("", pattern=r"^(1\d{10})?$")

    def data(self) -> services.ApplicationData:
        return services.ApplicationData(**self.model_dump())


class ApplicationUpdateIn(ApplicationIn):
    version: int = Field(ge=1, le=MAX_VERSION)


class VersionIn(Schema):
    version: int = Field(ge=1, le=MAX_VERSION)


class ConfirmIn(VersionIn):
    decision: Literal["confirm", "refuse"]
    reason_code: str = Field("", max_length=32)
    reason: str = Field("", max_length=2000)


class HealthIn(VersionIn):
    health: Literal["fit", "unfit"]
    hospital: str = Field("", max_length=128)


class DecideIn(VersionIn):
    conclusion: Literal["certified", "refused"]
    reason_code: str = Field("", max_length=32)
    reason: str = Field("", max_length=2000)


class BatchDecideItem(Schema):
    application_id: int = Field(ge=1, le=MAX_VERSION)
    version: int = Field(ge=1, le=MAX_VERSION)


class BatchDecideIn(Schema):
    conclusion: Literal["certified", "refused"]
    reason_code: str = Field("", max_length=32)
    items: list[BatchDecideItem] = Field(min_length=1, max_length=5000)


class BatchResultOut(Schema):
    succeeded: list[int]
    failed: list[dict[str, Any]]


def _reload(user: User, pk: int) -> dict[str, Any]:
    return _out(application_get_visible_to(user=user, pk=pk))


@router.get("/certification/batches/current", response={200: BatchOut, **problems(404)}, auth=WITH_APPLICANTS)
def certification_batch_current(request: HttpRequest) -> Any:
    """The batch whose online window is open, else the latest announced one."""
    batch = batch_current(at=clock.now())
    if batch is None:
        from jiaozi.core.errors import NotFound

        raise NotFound("当前没有教师资格认定批次。")
    return batch


@router.get("/certification/applications", response=list[CertificationOut], auth=WITH_APPLICANTS)
def certification_list(request: HttpRequest) -> Any:
    """The caller's applications (applicants), or those in the caller's jurisdiction and
    duty (confirmation users, certifying officers); at most 500, oldest submission first."""
    user = current_user(request)
    rows = application_list_visible_to(user=user).order_by("submitted_at", "pk")[:500]
    return [_out(a) for a in rows]


@router.get(
    "/certification/applications/{certification_id}",
    response={200: CertificationOut, **problems(404)},
    auth=WITH_APPLICANTS,
)
def certification_detail(request: HttpRequest, certification_id: ObjectId) -> Any:
    return _reload(current_user(request), certification_id)


@router.post(
    "/certification/applications",
    response={201: CertificationOut, **problems(403, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：在网上申报期内创建认定申请（草稿）",
)
@idempotent_with(WITH_APPLICANTS)
def certification_start(request: HttpRequest, payload: ApplicationIn) -> Any:
    user = current_user(request)
    batch = batch_current(at=clock.now())
    if batch is None:
        raise ValidationFailed("当前没有教师资格认定批次。", code="no_batch")
    application = services.application_start(user=user, batch=batch, data=payload.data())
    return Status(201, _reload(user, application.pk))


@router.patch(
    "/certification/applications/{certification_id}",
    response={200: CertificationOut, **problems(404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：修改草稿或确认未通过的申请",
)
def certification_update(
    request: HttpRequest, certification_id: ObjectId, payload: ApplicationUpdateIn
) -> Any:
    user = current_user(request)
    data = payload.model_dump(exclude={"version"})
    application = services.application_update(
        user=user, pk=certification_id, version=payload.version, data=services.ApplicationData(**data)
    )
    return _reload(user, application.pk)


@router.post(
    "/certification/applications/{certification_id}/photo",
    response={200: CertificationOut, **problems(404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：上传本人照片（JPG/PNG，≤200KB，295×413～1000×1400）",
)
@idempotent_with(WITH_APPLICANTS)
def certification_photo(
    request: HttpRequest, certification_id: ObjectId, version: int, photo: File[UploadedFile]
) -> Any:
    user = current_user(request)
    services.application_photo_set(user=user, pk=certification_id, version=version, photo=photo)
    return _reload(user, certification_id)


def _act(request: HttpRequest, application_id: int, action: str, version: int, **kw: Any) -> Any:
    user = current_user(request)
    certification_transition(actor=user, application_id=application_id, action=action, version=version, **kw)
    return _reload(user, application_id)


@router.post(
    "/certification/applications/{certification_id}/submit",
    response={200: CertificationOut, **problems(403, 404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：提交申请（网上申报期内；不符合认定条件时返回全部原因代码）",
)
@idempotent_with(WITH_APPLICANTS)
def certification_submit(request: HttpRequest, certification_id: ObjectId, payload: VersionIn) -> Any:
    return _act(request, certification_id, Action.SUBMIT, payload.version)


@router.post(
    "/certification/applications/{certification_id}/resubmit",
    response={200: CertificationOut, **problems(403, 404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：确认未通过后修改并重新提交确认（现场确认截止前）",
)
@idempotent_with(WITH_APPLICANTS)
def certification_resubmit(request: HttpRequest, certification_id: ObjectId, payload: VersionIn) -> Any:
    return _act(request, certification_id, Action.RESUBMIT, payload.version)


@router.post(
    "/certification/applications/{certification_id}/withdraw",
    response={200: CertificationOut, **problems(403, 404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：撤回申请",
)
@idempotent_with(WITH_APPLICANTS)
def certification_withdraw(request: HttpRequest, certification_id: ObjectId, payload: VersionIn) -> Any:
    return _act(request, certification_id, Action.WITHDRAW, payload.version)


@router.post(
    "/certification/applications/{certification_id}/confirmation",
    response={200: CertificationOut, **problems(403, 404, 409)},
    auth=API_AUTH,
    summary="确认用户：现场确认通过（待认定审批）或确认未通过（附原因代码）",
)
@idempotent_with(API_AUTH)
def certification_confirm(request: HttpRequest, certification_id: ObjectId, payload: ConfirmIn) -> Any:
    action = Action.CONFIRM if payload.decision == "confirm" else Action.REFUSE_CONFIRMATION
    return _act(
        request,
        certification_id,
        action,
        payload.version,
        reason_code=payload.reason_code,
        reason=payload.reason,
    )


@router.post(
    "/certification/applications/{certification_id}/health",
    response={200: CertificationOut, **problems(403, 404, 409)},
    auth=API_AUTH,
    summary="认定机构：登记体检结论",
)
@idempotent_with(API_AUTH)
def certification_health(request: HttpRequest, certification_id: ObjectId, payload: HealthIn) -> Any:
    user = current_user(request)
    services.health_record(
        actor=user,
        pk=certification_id,
        version=payload.version,
        health=payload.health,
        hospital=payload.hospital,
    )
    return _reload(user, certification_id)


@router.post(
    "/certification/applications/{certification_id}/decision",
    response={200: CertificationOut, **problems(403, 404, 409)},
    auth=API_AUTH,
    summary="认定机构：作出认定结论（认定通过时生成证书编号并颁发证书）",
)
@idempotent_with(API_AUTH)
def certification_decide(request: HttpRequest, certification_id: ObjectId, payload: DecideIn) -> Any:
    return _act(
        request,
        certification_id,
        Action.DECIDE,
        payload.version,
        conclusion=payload.conclusion,
        reason_code=payload.reason_code,
        reason=payload.reason,
    )


@router.post(
    "/certification/decisions",
    response={200: BatchResultOut, **problems(403)},
    auth=API_AUTH,
    summary="认定机构：批量作出认定结论（逐条成功或失败）",
)
@idempotent_with(API_AUTH)
def certification_batch_decide(request: HttpRequest, payload: BatchDecideIn) -> Any:
    user = current_user(request)
    items = [
        BatchItem(i.application_id, i.version, reason_code=payload.reason_code, conclusion=payload.conclusion)
        for i in payload.items
    ]
    result = certification_transition_batch(actor=user, action=Action.DECIDE, items=items)
    return {
        "succeeded": result.succeeded,
        "failed": [
            {"application_id": pk, "code": code, "message": message} for pk, code, message in result.failed
        ],
    }


@router.get(
    "/certification/applications/{certification_id}/certificate",
    response={200: None, **problems(404, 409)},
    auth=WITH_APPLICANTS,
    summary="持证人：下载教师资格证书（PDF）",
)
def certification_certificate(request: HttpRequest, certification_id: ObjectId) -> HttpResponse:
    name, pdf = services.certificate_pdf_for_holder(user=current_user(request), pk=certification_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
