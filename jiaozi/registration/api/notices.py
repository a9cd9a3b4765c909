"""API of the public notice (公示) and its objections (§5, §13): the registration
reviewer lists and publishes notices and resolves objections (staff only, the API's
default); the public objects to a published notice anonymously, rate-limited.
See docs/decisions/0110-0112, 0123, 0151."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import Field

from jiaozi.certificates.models import Conclusion
from jiaozi.core.api import BodyId, ObjectId, Page, current_user, idempotent, problems, text
from jiaozi.core.api.problems import problem_response
from jiaozi.core.api.schemas import MAX_ID
from jiaozi.core.middleware import client_ip
from jiaozi.core.ratelimit import RateLimited
from jiaozi.registration import notices
from jiaozi.registration.models import Notice, Objection

from .schemas import MAX_VERSION, MULTILINE

router = Router(tags=["registration-applications"])


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


class NoticePublishIn(Schema):
    application_ids: list[BodyId] = Field(min_length=1, max_length=notices.NOTICE_MAX_ENTRIES)
    days: int | None = Field(
        None,
        ge=1,
        le=notices.NOTICE_MAX_DAYS,
        description="公示天数：由省级在注册工作中设置（不少于7个自然日），可省略；填写时须与之相同",
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
