"""API for registration applications (§5, §13): every action of the applicant pages, the
reviewer queues, the public notice and the stamped form, as operations under /api/v1/.

Who calls what:
- service tokens and staff browser sessions (the API's default) — reviewer actions,
  batches, notices, objections;
- applicants with their browser session (``ApplicantSessionAuth``, CSRF enforced) —
  start, edit, submit, withdraw, resubmit, materials; they also read their own
  applications, timelines and stamped forms through the same operations as staff;
- the public, anonymously and rate-limited — an objection to a published notice.

Each operation parses input, calls one service or selector, and renders. Errors are the
services' ``DomainError`` codes as problem+json: ``wrong_stage`` / ``stale_version`` /
``window_closed`` 409, ``reason_required`` 400, ``conflict_of_interest`` 403,
``not_found`` 404 (also for anything outside the caller's jurisdiction).
Personal data is masked; the stamped form (full resident ID) is an audited download.
See docs/api.md and docs/decisions/0121-0123.
"""

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status
from ninja.security import APIKeyCookie
from ninja.utils import check_csrf
from pydantic import Field

from jiaozi.accounts.models import User
from jiaozi.core.api import API_AUTH, ObjectId, Page, current_user, idempotent, problems, text
from jiaozi.core.api.auth import SAFE_METHODS
from jiaozi.core.api.idempotency import idempotent_with
from jiaozi.core.api.problems import CsrfFailed, problem_response
from jiaozi.core.api.schemas import MAX_ID
from jiaozi.core.errors import ValidationFailed
from jiaozi.core.masking import mask_phone, mask_resident_id
from jiaozi.core.middleware import client_ip
from jiaozi.core.ratelimit import RateLimited
from jiaozi.teachers.models import Conclusion

from .. import completion, notices, transitions
from ..labels import DUE_LABELS, SUGGESTION_LABELS, reason_labels
from ..models import Application, ApplicationStep, Material, Notice, Objection
from ..review import selectors as queues
from ..workflow import Action
from ..workflow import Status as AppStatus
from . import materials
from . import services as applications
from .selectors import (
    application_get_visible_to,
    application_list_visible_to,
    application_timeline,
)

router = Router(tags=["registration-applications"])

# --- Authentication -----------------------------------------------------------------


class ApplicantSessionAuth(APIKeyCookie):
    """The browser session of a signed-in applicant (kind ``applicant``). Unsafe methods
    need the CSRF token in ``X-CSRFToken``, as for staff sessions."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        # Checked below, once we know the session is an applicant's (an anonymous POST
        # answers 401, not a CSRF 403).
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or not user.is_active
            or getattr(user, "kind", None) != User.Kind.APPLICANT
        ):
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfFailed()
        return user  # type: ignore[return-value]


applicant_session_auth = ApplicantSessionAuth()
# Operations applicants call too; staff keep their token and session.
WITH_APPLICANTS: list[Any] = [*API_AUTH, applicant_session_auth]

MAX_VERSION = 2**31 - 1
# Free text of opinions and reasons: several lines allowed, no other control characters.
MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
BATCH_MAX = 2000


def _version_field() -> Any:
    return Field(ge=1, le=MAX_VERSION, description="上次读取到的版本号（乐观锁）")


# --- Output schemas -----------------------------------------------------------------------


class AppInstitutionOut(Schema):
    id: int
    code: str
    name: str


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else ""


class ApplicationRowFields(Schema):
    """One application as lists show it (the queue's columns)."""

    id: int
    version: int
    status: str = Field(description="workflow 状态代码，见 docs/workflow.md")
    status_label: str
    certificate_number: str
    teacher_name: str
    resident_id_masked: str = Field(description="身份证号（脱敏）")
    school_id: int
    school_name: str
    registration_authority_id: int
    city_bureau_id: int | None
    province_bureau_id: int
    due: str
    due_label: str
    suggestion: str
    suggestion_label: str
    suggestion_reasons: list[str]
    conclusion: str
    conclusion_label: str
    submitted_at: dt.datetime | None
    step_deadline: dt.datetime | None
    updated_at: dt.datetime


class ApplicationRowOut(ApplicationRowFields):
    """A list row, resolved from the application (``application_queue`` loads the
    teacher, certificate and school with it)."""

    @staticmethod
    def resolve_status_label(obj: Application) -> str:
        return _label(AppStatus, obj.status)

    @staticmethod
    def resolve_certificate_number(obj: Application) -> str:
        return obj.certificate.number

    @staticmethod
    def resolve_teacher_name(obj: Application) -> str:
        return obj.teacher.name

    @staticmethod
    def resolve_resident_id_masked(obj: Application) -> str:
        return mask_resident_id(obj.teacher.resident_id)

    @staticmethod
    def resolve_school_name(obj: Application) -> str:
        return obj.school.name

    @staticmethod
    def resolve_due_label(obj: Application) -> str:
        return str(DUE_LABELS.get(obj.due, ""))

    @staticmethod
    def resolve_suggestion_label(obj: Application) -> str:
        return str(SUGGESTION_LABELS.get(obj.suggestion, ""))

    @staticmethod
    def resolve_suggestion_reasons(obj: Application) -> list[str]:
        return [str(code) for code in obj.suggestion_reasons or []]

    @staticmethod
    def resolve_conclusion_label(obj: Application) -> str:
        return _label(Conclusion, obj.conclusion)


class MaterialOut(Schema):
    id: int
    kind: str
    kind_label: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime

    @staticmethod
    def resolve_kind_label(obj: Material) -> str:
        return _label(Material.Kind, obj.kind)


class ApplicationOut(ApplicationRowFields):
    """One application with everything its detail page shows (personal data masked)."""

    campaign_id: int
    campaign_name: str
    certificate_id: int
    qualification_type: str
    subject: str
    school: AppInstitutionOut
    registration_authority: AppInstitutionOut
    city_bureau: AppInstitutionOut | None
    province_bureau: AppInstitutionOut
    phone_masked: str = Field(description="联系电话（脱敏）")
    address: str
    post: str
    work_history: str
    notes: str
    reason_labels: list[str]
    conclusion_reason: str
    override_reason: str
    notice_id: int | None
    completed_at: dt.datetime | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    materials: list[MaterialOut]
    actions: list[str] = Field(description="调用者此刻可以办理的操作（workflow Action 代码）")
    form_pdf_available: bool = Field(description="已办结备案，可下载盖章的定期注册申请表")


class StepOut(Schema):
    id: int
    action: str
    action_label: str
    from_status: str
    to_status: str
    institution: AppInstitutionOut | None
    opinion: str
    reason_code: str
    at: dt.datetime


class StageOut(Schema):
    level: str
    label: str
    institution: AppInstitutionOut | None
    state: Literal["done", "current", "pending", "closed"]


class TimelineOut(Schema):
    application_id: int
    status: str
    holder: str | None = Field(description="当前办理环节（workflow Actor 代码）；已办结或撤回时为空")
    holder_label: str
    holder_institution: AppInstitutionOut | None
    deadline: dt.datetime | None
    stages: list[StageOut]
    steps: list[StepOut]


class BatchFailureOut(Schema):
    application_id: int
    code: str
    message: str


class BatchOut(Schema):
    succeeded: list[int]
    failed: list[BatchFailureOut]


class NoticeOut(Schema):
    id: int
    title: str
    authority_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    state: str
    list_sha256: str = Field(description="公示名单的 SHA-256（发布凭证）")
    entry_count: int
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_entry_count(obj: Notice) -> int:
        return len(obj.entries or [])


class ObjectionOut(Schema):
    id: int
    notice_id: int
    application_id: int
    application_version: int = Field(description="处理异议时提交的申请版本号")
    teacher_name: str
    school_name: str
    anonymous: bool
    name: str
    contact_masked: str
    content: str
    state: str
    submitted_at: dt.datetime
    resolution: str
    resolved_at: dt.datetime | None

    @staticmethod
    def resolve_application_version(obj: Objection) -> int:
        return obj.application.version

    @staticmethod
    def resolve_teacher_name(obj: Objection) -> str:
        return obj.application.teacher.name

    @staticmethod
    def resolve_school_name(obj: Objection) -> str:
        return obj.application.school.name

    @staticmethod
    def resolve_contact_masked(obj: Objection) -> str:
        return notices.mask_contact(obj.contact)


class ObjectionReceiptOut(Schema):
    id: int
    state: str
    submitted_at: dt.datetime


# --- Input schemas ------------------------------------------------------------------------


# The queue's sort keys, ascending or (with "-") descending.
SortKey = StrEnum(  # type: ignore[misc]
    "SortKey",
    {f"{name}{key}": f"{sign}{key}" for key in queues.SORTS for sign, name in (("", ""), ("-", "desc_"))},
)


class ApplicationFilters(Schema):
    tab: queues.Tab = Field(queues.Tab.ALL, description="todo 待办 / done 已办 / all 全部（工作人员）")
    authority: int | None = Field(None, ge=1, le=MAX_ID, description="注册机构（机构编号）")
    school: int | None = Field(None, ge=1, le=MAX_ID, description="学校（机构编号）")
    status: AppStatus | None = None
    due: Literal["first", "periodic", "after_deferral"] | None = None
    suggestion: Literal["qualified", "deferred", "unqualified"] | None = None
    overdue: bool = Field(False, description="只看超过本环节办理期限的")
    q: text(max_length=64) = Field(  # type: ignore[valid-type]
        "", description="姓名包含，或证书编号（17 位精确、不足 17 位为前缀）。身份证号不得出现在网址中。"
    )
    sort: SortKey | None = Field(None, description="排序字段，前加 - 为倒序")


class StartIn(Schema):
    certificate_id: int = Field(ge=1, le=MAX_ID, description="本人的教师资格证书（证书编号）")


class DraftIn(Schema):
    """Fields left out keep their value."""

    version: int = _version_field()
    phone: text(max_length=20) | None = None  # type: ignore[valid-type]
    address: text(max_length=200) | None = None  # type: ignore[valid-type]
    post: text(max_length=64) | None = None  # type: ignore[valid-type]
    work_history: text(max_length=2000, pattern=MULTILINE) | None = None  # type: ignore[valid-type]
    notes: text(max_length=2000, pattern=MULTILINE) | None = None  # type: ignore[valid-type]


class VersionIn(Schema):
    version: int = _version_field()


ReviewAction = Literal[
    "school_approve",
    "conclude",
    "revise",
    "city_approve",
    "province_approve",
    "return_to_applicant",
    "return_down",
]


class TransitionIn(Schema):
    """A reviewer's action. Returns and 暂缓/不合格 conclusions need ``reason``;
    ``conclude`` needs ``conclusion``, and ``override_reason`` when it differs from the
    system's suggestion."""

    action: ReviewAction
    version: int = _version_field()
    reason: text(max_length=transitions.REASON_MAX, pattern=MULTILINE) = ""  # type: ignore[valid-type]
    reason_code: transitions.ReturnReason | None = None
    conclusion: Conclusion | None = None
    override_reason: text(max_length=transitions.REASON_MAX, pattern=MULTILINE) = ""  # type: ignore[valid-type]


class BatchItemIn(Schema):
    application_id: int = Field(ge=1, le=MAX_ID)
    version: int = _version_field()
    reason_code: transitions.ReturnReason | None = None
    reason: text(max_length=transitions.REASON_MAX, pattern=MULTILINE) = ""  # type: ignore[valid-type]
    conclusion: Conclusion | None = None
    override_reason: text(max_length=transitions.REASON_MAX, pattern=MULTILINE) = ""  # type: ignore[valid-type]


class BatchIn(Schema):
    """The same action on many applications; each item succeeds or fails on its own. A
    reasoned action needs a coded ``reason_code`` per item."""

    action: ReviewAction
    items: list[BatchItemIn] = Field(min_length=1, max_length=BATCH_MAX)


class NoticePublishIn(Schema):
    application_ids: list[int] = Field(min_length=1, max_length=notices.NOTICE_MAX_ENTRIES)
    days: int | None = Field(
        None, ge=1, le=notices.NOTICE_MAX_DAYS, description="公示天数（默认按注册工作设置）"
    )


class ObjectionResolveIn(Schema):
    upheld: bool = Field(description="true 异议成立（须修改结论并重新公示）；false 异议不成立（继续公示）")
    resolution: text(min_length=1, max_length=2000, pattern=MULTILINE)  # type: ignore[valid-type]
    conclusion: Conclusion | None = Field(None, description="异议成立时修改后的注册结论")
    version: int = Field(ge=1, le=MAX_VERSION, description="申请的版本号（见异议列表 application_version）")


class ObjectionFilters(Schema):
    state: Objection.State | None = None


class ObjectionIn(Schema):
    application_id: int = Field(ge=1, le=MAX_ID, description="公示名单中的申请编号")
    anonymous: bool = False
    name: text(max_length=notices.OBJECTION_NAME_MAX) = ""  # type: ignore[valid-type]
    contact: text(max_length=100) = Field("", description="联系电话或电子邮箱")  # type: ignore[valid-type]
    content: text(  # type: ignore[valid-type]
        min_length=1, max_length=notices.OBJECTION_CONTENT_MAX, pattern=MULTILINE
    )


# --- Rendering helpers --------------------------------------------------------------------


def _institution(institution: Any) -> dict[str, Any] | None:
    if institution is None:
        return None
    return {"id": institution.pk, "code": institution.code, "name": institution.name}


def _detail(application: Application, user: Any) -> dict[str, Any]:
    """The detail answer: the row's fields plus the chain, the form, the materials and
    what the caller may do now."""
    row = ApplicationRowOut.from_orm(application).model_dump()
    return row | {
        "campaign_id": application.campaign_id,
        "campaign_name": application.campaign.name,
        "certificate_id": application.certificate_id,
        "qualification_type": application.certificate.qualification_type,
        "subject": application.certificate.subject,
        "school": _institution(application.school),
        "registration_authority": _institution(application.registration_authority),
        "city_bureau": _institution(application.city_bureau),
        "province_bureau": _institution(application.province_bureau),
        "phone_masked": mask_phone(application.phone),
        "address": application.address,
        "post": application.post,
        "work_history": application.work_history,
        "notes": application.notes,
        "reason_labels": reason_labels(list(application.suggestion_reasons or [])),
        "conclusion_reason": application.conclusion_reason,
        "override_reason": application.override_reason,
        "notice_id": application.notice_id,
        "completed_at": application.completed_at,
        "valid_from": application.valid_from,
        "valid_to": application.valid_to,
        "materials": [
            MaterialOut.from_orm(m).model_dump() for m in materials.material_list_for(application=application)
        ],
        "actions": transitions.actions_for(user=user, application=application),
        "form_pdf_available": application.status == AppStatus.COMPLETED,
    }


def _reload(user: Any, application: Application) -> Application:
    """The application as the caller sees it now, with its chain loaded."""
    return application_get_visible_to(user=user, pk=application.pk)


def _step(step: ApplicationStep) -> dict[str, Any]:
    return {
        "id": step.pk,
        "action": step.action,
        "action_label": _label(Action, step.action),
        "from_status": step.from_status,
        "to_status": step.to_status,
        "institution": _institution(step.institution),
        "opinion": step.opinion,
        "reason_code": step.reason_code,
        "at": step.at,
    }


def _check_query(q: str) -> None:
    if queues.search_kind(q) == queues.SearchKind.RESIDENT_ID:
        # SECURITY 22: no URL carries a resident ID (it would sit in logs and history).
        message = _("身份证号不得出现在网址中，请按姓名或证书编号查询。")
        raise ValidationFailed(message, code="validation_failed", field="q")


# --- Applications: reading ----------------------------------------------------------------


@router.get(
    "/registration/applications",
    response={200: list[ApplicationRowOut]},
    auth=WITH_APPLICANTS,
    summary="定期注册申请列表（工作人员：管辖范围内，筛选同审核队列；申请人：本人的申请）",
)
@paginate(Page)
def application_list(request: HttpRequest, filters: Query[ApplicationFilters]) -> Any:
    user = current_user(request)
    _check_query(filters.q)
    if user.kind == User.Kind.APPLICANT:
        return (
            application_list_visible_to(user=user)
            .select_related("teacher", "certificate", "school")
            .order_by("-created_at", "-pk")
        )
    order: list[str] = []
    if filters.sort:
        fields = queues.SORTS[filters.sort.lstrip("-")]
        order = [f"-{f}" if filters.sort.startswith("-") and f != "pk" else f for f in fields]
        if "pk" not in fields:
            order.append("pk")
    return queues.application_queue(
        user=user,
        filters=queues.QueueFilters(
            tab=filters.tab,
            authority=filters.authority,
            school=filters.school,
            status=filters.status.value if filters.status else "",
            due=filters.due or "",
            suggestion=filters.suggestion or "",
            overdue=filters.overdue,
            q=filters.q,
        ),
        order_by=order,
    )


@router.get(
    "/registration/applications/{application_id}",
    response={200: ApplicationOut, **problems(404)},
    auth=WITH_APPLICANTS,
    summary="定期注册申请详情",
)
def application_detail(request: HttpRequest, application_id: ObjectId) -> Any:
    user = current_user(request)
    return _detail(application_get_visible_to(user=user, pk=application_id), user)


@router.get(
    "/registration/applications/{application_id}/timeline",
    response={200: TimelineOut, **problems(404)},
    auth=WITH_APPLICANTS,
    summary="办理进度：每一步、当前办理环节及其期限",
)
def application_timeline_get(request: HttpRequest, application_id: ObjectId) -> Any:
    application = application_get_visible_to(user=current_user(request), pk=application_id)
    timeline = application_timeline(application=application)
    return {
        "application_id": application.pk,
        "status": application.status,
        "holder": timeline.holder,
        "holder_label": timeline.holder_label,
        "holder_institution": _institution(timeline.holder_institution),
        "deadline": timeline.deadline,
        "stages": [
            {
                "level": stage.level,
                "label": stage.label,
                "institution": _institution(stage.institution),
                "state": stage.state,
            }
            for stage in timeline.stages
        ],
        "steps": [_step(step) for step in timeline.steps],
    }


@router.get(
    "/registration/applications/{application_id}/form.pdf",
    response={**problems(404, 409)},
    auth=WITH_APPLICANTS,
    summary="下载盖章的《教师资格定期注册申请表》（含完整身份证号，记录审计）",
    openapi_extra={
        "responses": {
            200: {
                "description": "PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def application_form_pdf(request: HttpRequest, application_id: ObjectId) -> HttpResponse:
    document = completion.application_form_pdf(user=current_user(request), application_id=application_id)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="registration-form-{application_id}.pdf"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Applications: the applicant's actions ------------------------------------------------


@router.post(
    "/registration/applications",
    response={201: ApplicationOut, **problems(403, 404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：为本人证书创建定期注册申请（已有进行中的申请时返回该申请）",
)
@idempotent_with(WITH_APPLICANTS)
def application_start(request: HttpRequest, payload: StartIn) -> Any:
    user = current_user(request)
    application = applications.application_start(applicant=user, certificate_id=payload.certificate_id)
    return Status(201, _detail(_reload(user, application), user))


@router.patch(
    "/registration/applications/{application_id}",
    response={200: ApplicationOut, **problems(404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：修改草稿或被退回的申请",
)
def application_update(request: HttpRequest, application_id: ObjectId, payload: DraftIn) -> Any:
    user = current_user(request)
    editable = payload.model_dump(exclude_unset=True, exclude={"version"})
    application = applications.application_update_draft(
        applicant=user,
        application_id=application_id,
        version=payload.version,
        **{key: value for key, value in editable.items() if value is not None},
    )
    return _detail(_reload(user, application), user)


def _applicant_action(request: HttpRequest, application_id: int, action: str, version: int) -> Any:
    user = current_user(request)
    application = transitions.application_transition(
        actor=user, application_id=application_id, action=action, version=version
    )
    return _detail(_reload(user, application), user)


@router.post(
    "/registration/applications/{application_id}/submit",
    response={200: ApplicationOut, **problems(404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：提交申请（申请期内）",
)
@idempotent_with(WITH_APPLICANTS)
def application_submit(request: HttpRequest, application_id: ObjectId, payload: VersionIn) -> Any:
    return _applicant_action(request, application_id, Action.SUBMIT, payload.version)


@router.post(
    "/registration/applications/{application_id}/withdraw",
    response={200: ApplicationOut, **problems(404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：撤回申请（学校审查前）",
)
@idempotent_with(WITH_APPLICANTS)
def application_withdraw(request: HttpRequest, application_id: ObjectId, payload: VersionIn) -> Any:
    return _applicant_action(request, application_id, Action.WITHDRAW, payload.version)


@router.post(
    "/registration/applications/{application_id}/resubmit",
    response={200: ApplicationOut, **problems(404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：修改后重新提交被退回的申请",
)
@idempotent_with(WITH_APPLICANTS)
def application_resubmit(request: HttpRequest, application_id: ObjectId, payload: VersionIn) -> Any:
    return _applicant_action(request, application_id, Action.RESUBMIT, payload.version)


# --- Applications: the reviewers' actions -------------------------------------------------


@router.post(
    "/registration/applications/{application_id}/transitions",
    response={200: ApplicationOut, **problems(404, 409)},
    summary="审核操作：通过、作出结论、修改结论、复核、终审备案、退回",
)
@idempotent
def application_transition(request: HttpRequest, application_id: ObjectId, payload: TransitionIn) -> Any:
    user = current_user(request)
    application = transitions.application_transition(
        actor=user,
        application_id=application_id,
        action=payload.action,
        version=payload.version,
        reason=payload.reason,
        reason_code=payload.reason_code.value if payload.reason_code else "",
        conclusion=payload.conclusion.value if payload.conclusion else "",
        override_reason=payload.override_reason,
    )
    return _detail(_reload(user, application), user)


@router.post(
    "/registration/batch-transitions",
    response={200: BatchOut},
    summary="批量审核操作（每条各自成败，退回等须逐条给出退回原因代码）",
)
@idempotent
def application_batch(request: HttpRequest, payload: BatchIn) -> Any:
    result = transitions.application_transition_batch(
        actor=current_user(request),
        action=payload.action,
        items=[
            transitions.BatchItem(
                application_id=item.application_id,
                version=item.version,
                reason_code=item.reason_code.value if item.reason_code else "",
                reason=item.reason,
                conclusion=item.conclusion.value if item.conclusion else "",
                override_reason=item.override_reason,
            )
            for item in payload.items
        ],
    )
    return {
        "succeeded": result.succeeded,
        "failed": [
            {"application_id": pk, "code": code, "message": str(message)}
            for pk, code, message in result.failed
        ],
    }


# --- Materials ----------------------------------------------------------------------------


@router.post(
    "/registration/applications/{application_id}/materials",
    response={201: MaterialOut, **problems(404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：上传申请材料（PDF/JPG/PNG，按内容识别，限制大小）",
)
@idempotent_with(WITH_APPLICANTS)
def material_upload(
    request: HttpRequest,
    application_id: ObjectId,
    kind: Form[Material.Kind],
    file: File[UploadedFile],
) -> Any:
    material = materials.material_upload(
        applicant=current_user(request), application_id=application_id, kind=kind, file=file
    )
    return Status(201, material)


@router.delete(
    "/registration/materials/{material_id}",
    response={204: None, **problems(404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：删除草稿或被退回申请中的一份材料",
)
def material_delete(request: HttpRequest, material_id: ObjectId) -> Any:
    materials.material_delete(applicant=current_user(request), material_id=material_id)
    return Status(204, None)


@router.get(
    "/registration/materials/{material_id}",
    response={**problems(404, 409)},
    auth=WITH_APPLICANTS,
    summary="下载申请材料（本人或管辖范围内的工作人员，记录审计）",
    openapi_extra={
        "responses": {
            200: {
                "description": "材料文件（附件）",
                "content": {
                    content_type: {"schema": {"type": "string", "format": "binary"}}
                    for content_type in materials.ALLOWED_TYPES
                },
            }
        }
    },
)
def material_download(request: HttpRequest, material_id: ObjectId) -> HttpResponseBase:
    material = materials.material_get_for_download(user=current_user(request), pk=material_id)
    return materials.material_response(material)


# --- Public notice and objections ---------------------------------------------------------


@router.get(
    "/registration/notices", response={200: list[NoticeOut]}, summary="本机构发布的公示（注册审核员）"
)
@paginate(Page)
def notice_list(request: HttpRequest) -> Any:
    return notices.notice_list_visible_to(user=current_user(request))


@router.post(
    "/registration/notices",
    response={201: NoticeOut, **problems(404, 409)},
    summary="发布公示：将已作结论的申请列入公示名单（默认 7 天）",
)
@idempotent
def notice_publish(request: HttpRequest, payload: NoticePublishIn) -> Any:
    notice = notices.notice_publish(
        actor=current_user(request), application_ids=payload.application_ids, days=payload.days
    )
    return Status(201, notice)


@router.get(
    "/registration/objections",
    response={200: list[ObjectionOut]},
    summary="公示异议列表（本机构公示收到的，联系方式脱敏）",
)
@paginate(Page)
def objection_list(request: HttpRequest, filters: Query[ObjectionFilters]) -> Any:
    return notices.objection_list_visible_to(
        user=current_user(request), state=filters.state.value if filters.state else ""
    )


@router.post(
    "/registration/objections/{objection_id}/resolve",
    response={200: ObjectionOut, **problems(404, 409)},
    summary="处理公示异议：成立（修改结论并重新公示）或不成立（继续公示）",
)
@idempotent
def objection_resolve(request: HttpRequest, objection_id: ObjectId, payload: ObjectionResolveIn) -> Any:
    user = current_user(request)
    objection = notices.objection_resolve(
        actor=user,
        objection_id=objection_id,
        upheld=payload.upheld,
        resolution=payload.resolution,
        conclusion=payload.conclusion.value if payload.conclusion else "",
        version=payload.version,
    )
    return notices.objection_get_visible_to(user=user, pk=objection.pk)


@router.post(
    "/registration/notices/{notice_id}/objections",
    response={201: ObjectionReceiptOut, **problems(404, 409, 429)},
    auth=None,
    summary="公众：对公示名单中的一项提出异议（实名或匿名，限制频率，无需登录）",
)
def objection_submit(request: HttpRequest, notice_id: ObjectId, payload: ObjectionIn) -> Any:
    try:
        objection = notices.objection_submit(
            notice_id=notice_id,
            application_id=payload.application_id,
            anonymous=payload.anonymous,
            name=payload.name,
            contact=payload.contact,
            content=payload.content,
            ip=client_ip(request),
        )
    except RateLimited as exc:
        return problem_response(429, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)})
    return Status(201, objection)
