"""API of registration applications (§5, §13): the applicant's actions (start, edit,
submit, withdraw, resubmit, materials), the list and detail every caller reads, the
timeline and the stamped form, as operations under /api/v1/.

Who calls what: applicants with their browser session (``ApplicantSessionAuth``, CSRF
enforced) and staff with their token or session (``WITH_APPLICANTS``); applicants read
their own applications, timelines and stamped forms through the same operations as
staff. The reviewers' actions are in ``review/api.py``, the notice and objections in
``notices/api.py``.

Each operation parses input, calls one service or selector, and renders. Errors are the
services' ``DomainError`` codes as problem+json: ``wrong_stage`` / ``stale_version`` /
``window_closed`` 409, ``conflict_of_interest`` 403, ``not_found`` 404 (also for
anything outside the caller's jurisdiction). Personal data is masked; the stamped form
(full resident ID) is an audited download. See docs/api.md and docs/decisions/0121-0123,
0151.
"""

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import Field

from jiaozi.accounts.events import access_denied_event
from jiaozi.accounts.models import User
from jiaozi.core.api import (
    ObjectId,
    Page,
    after_transaction,
    current_user,
    problems,
    require,
    text,
    transactional,
)
from jiaozi.core.api.idempotency import idempotent_with
from jiaozi.core.api.schemas import MAX_ID
from jiaozi.core.errors import ValidationFailed

from .. import transitions
from ..applications import materials
from ..applications import services as applications
from ..applications.selectors import (
    application_get_visible_to,
    application_list_visible_to,
    application_timeline,
)
from ..completion import services as completion
from ..models import ApplicationStep, Material
from ..permissions import can_read_applications
from ..review import selectors as queues
from ..workflow import Action
from ..workflow import Status as AppStatus
from .application_schemas import (
    ApplicationOut,
    ApplicationRowOut,
    MaterialOut,
    application_out,
    application_reload,
)
from .schemas import (
    MULTILINE,
    WITH_APPLICANTS,
    AppInstitutionOut,
    choice_label,
    institution_out,
    version_field,
)

router = Router(tags=["registration-applications"])


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

    version: int = version_field()
    phone: text(max_length=20) | None = None  # type: ignore[valid-type]
    address: text(max_length=200) | None = None  # type: ignore[valid-type]
    post: text(max_length=64) | None = None  # type: ignore[valid-type]
    work_history: text(max_length=2000, pattern=MULTILINE) | None = None  # type: ignore[valid-type]
    notes: text(max_length=2000, pattern=MULTILINE) | None = None  # type: ignore[valid-type]


class VersionIn(Schema):
    version: int = version_field()


def _step(step: ApplicationStep) -> dict[str, Any]:
    return {
        "id": step.pk,
        "action": step.action,
        "action_label": choice_label(Action, step.action),
        "from_status": step.from_status,
        "to_status": step.to_status,
        "institution": institution_out(step.institution),
        "opinion": step.opinion,
        "reason_code": step.reason_code,
        "at": step.at,
    }


def _reader(request: HttpRequest) -> User:
    """The caller of an operation that reads applications: an applicant (their own are
    found, anyone else's answer 404) or a reviewer of the chain's levels (their
    jurisdiction; 404 outside it). Staff of another duty — admins, the 三员,
    certifiers — get 403, as on the review pages (docs/decisions/0160)."""
    user: User = current_user(request)
    if user.kind != User.Kind.APPLICANT and not can_read_applications(actor=user):
        # Audited as a denial like the review page's 403, kept even though the
        # operation's transaction is rolled back.
        path = request.path
        after_transaction(request, lambda: access_denied_event(user=user, path=path, reason="role"))
        require(False, _("您的角色不办理定期注册审核，无权查看申请。"))
    return user


def _check_query(q: str) -> None:
    if queues.search_kind(q) == queues.SearchKind.RESIDENT_ID:
        # SECURITY 22: no URL carries a resident ID (it would sit in logs and history).
        message = _("身份证号不得出现在网址中，请按姓名或证书编号查询。")
        raise ValidationFailed.on_field("q", message, code="validation_failed")


# --- Applications: reading ----------------------------------------------------------------


@router.get(
    "/registration/applications",
    response={200: list[ApplicationRowOut], **problems(403)},
    auth=WITH_APPLICANTS,
    summary="定期注册申请列表（工作人员：管辖范围内，筛选同审核队列；申请人：本人的申请）",
)
@paginate(Page)
def application_list(request: HttpRequest, filters: Query[ApplicationFilters]) -> Any:
    user = _reader(request)
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
    response={200: ApplicationOut, **problems(403, 404)},
    auth=WITH_APPLICANTS,
    summary="定期注册申请详情",
)
def application_detail(request: HttpRequest, application_id: ObjectId) -> Any:
    user = _reader(request)
    return application_out(application_get_visible_to(user=user, pk=application_id), user)


@router.get(
    "/registration/applications/{application_id}/timeline",
    response={200: TimelineOut, **problems(403, 404)},
    auth=WITH_APPLICANTS,
    summary="办理进度：每一步、当前办理环节及其期限",
)
def application_timeline_get(request: HttpRequest, application_id: ObjectId) -> Any:
    application = application_get_visible_to(user=_reader(request), pk=application_id)
    timeline = application_timeline(application=application)
    return {
        "application_id": application.pk,
        "status": application.status,
        "holder": timeline.holder,
        "holder_label": timeline.holder_label,
        "holder_institution": institution_out(timeline.holder_institution),
        "deadline": timeline.deadline,
        "stages": [
            {
                "level": stage.level,
                "label": stage.label,
                "institution": institution_out(stage.institution),
                "state": stage.state,
            }
            for stage in timeline.stages
        ],
        "steps": [_step(step) for step in timeline.steps],
    }


@router.get(
    "/registration/applications/{application_id}/form.pdf",
    response={**problems(403, 404, 409)},
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
@transactional
def application_form_pdf(request: HttpRequest, application_id: ObjectId) -> HttpResponse:
    document = completion.application_form_pdf(user=_reader(request), application_id=application_id)
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
    return Status(201, application_out(application_reload(user, application), user))


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
    return application_out(application_reload(user, application), user)


def _applicant_action(request: HttpRequest, application_id: int, action: str, version: int) -> Any:
    user = current_user(request)
    application = transitions.application_transition(
        actor=user, application_id=application_id, action=action, version=version, full=False
    )
    return application_out(application_reload(user, application), user)


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


class ReviewRequestIn(Schema):
    """申请复核: the reasons (evidence is uploaded first as ``review_evidence`` materials)."""

    version: int = Field(ge=1, le=2**31 - 1)
    reason: text(min_length=1, max_length=transitions.REASON_MAX, pattern=MULTILINE)  # type: ignore[valid-type]


@router.post(
    "/registration/applications/{application_id}/request-review",
    response={200: ApplicationOut, **problems(404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：对暂缓注册或注册不合格结论申请复核（公示期满后规定期限内）",
)
@idempotent_with(WITH_APPLICANTS)
def application_request_review(
    request: HttpRequest, application_id: ObjectId, payload: ReviewRequestIn
) -> Any:
    user = current_user(request)
    application = transitions.application_transition(
        actor=user,
        application_id=application_id,
        action=Action.REQUEST_REVIEW,
        version=payload.version,
        reason=payload.reason,
    )
    return application_out(application_reload(user, application), user)


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
    response={**problems(403, 404, 409)},
    auth=WITH_APPLICANTS,
    summary="下载申请材料（本人或管辖范围内的审核人员，记录审计）",
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
@transactional
def material_download(request: HttpRequest, material_id: ObjectId) -> HttpResponseBase:
    material = materials.material_get_for_download(user=_reader(request), pk=material_id)
    return materials.material_response(material)
