"""The announcements operations of /api/v1/, mounted in ``config/api.py``: every action
of the staff pages (list, read, create, edit, publish or schedule, withdraw, delete a
draft, attachments). Public readers use the portal pages."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status as HttpStatus
from pydantic import Field

from jiaozi.core.api import ObjectId, Page, current_user, idempotent, problems, text

from . import attachments, selectors, services
from .models import Announcement, Attachment, Category, Status
from .permissions import can_author

router = Router(tags=["announcements"])


class AttachmentOut(Schema):
    id: int
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


class AnnouncementOut(Schema):
    id: int
    institution_id: int
    institution_name: str
    level: str
    category: Category
    title: str
    body: str
    source: str
    status: Status
    state: str = Field(description="draft / scheduled（已设定时发布，未到时间）/ published / withdrawn")
    publish_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    withdraw_reason: str
    version: int
    updated_at: dt.datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_institution_name(obj: Announcement) -> str:
        return obj.institution.name

    @staticmethod
    def resolve_state(obj: Announcement) -> str:
        return "scheduled" if services.is_scheduled(obj) else obj.status

    @staticmethod
    def resolve_attachments(obj: Announcement) -> list[Attachment]:
        return selectors.attachment_list_for(announcement=obj)


class AnnouncementRow(Schema):
    id: int
    institution_name: str
    level: str
    category: Category
    title: str
    state: str
    publish_at: dt.datetime | None
    version: int
    updated_at: dt.datetime

    @staticmethod
    def resolve_institution_name(obj: Announcement) -> str:
        return obj.institution.name

    @staticmethod
    def resolve_state(obj: Announcement) -> str:
        return "scheduled" if services.is_scheduled(obj) else obj.status


class AnnouncementFilters(Schema):
    status: text(max_length=16, pattern=r"^(draft|scheduled|published|withdrawn)$") = ""  # type: ignore[valid-type]
    level: text(max_length=16, pattern=r"^(province|city|county)$") = ""  # type: ignore[valid-type]
    q: text(max_length=64) = Field("", description="标题包含")  # type: ignore[valid-type]


class AnnouncementIn(Schema):
    title: text(min_length=1, max_length=services.TITLE_MAX)  # type: ignore[valid-type]
    body: text(min_length=1, max_length=services.BODY_MAX)  # type: ignore[valid-type]
    category: Category = Category.GENERAL
    source: text(max_length=services.SOURCE_MAX) = ""  # type: ignore[valid-type]


class AnnouncementUpdateIn(Schema):
    """Fields left out keep their value; ``version`` is the one last read."""

    title: text(min_length=1, max_length=services.TITLE_MAX) | None = None  # type: ignore[valid-type]
    body: text(min_length=1, max_length=services.BODY_MAX) | None = None  # type: ignore[valid-type]
    category: Category | None = None
    source: text(max_length=services.SOURCE_MAX) | None = None  # type: ignore[valid-type]
    version: int = Field(ge=1, le=2**31 - 1)


class PublishIn(Schema):
    version: int = Field(ge=1, le=2**31 - 1)
    publish_at: dt.datetime | None = Field(None, description="留空立即发布；未来时间（含时区）为定时发布")


class WithdrawIn(Schema):
    version: int = Field(ge=1, le=2**31 - 1)
    reason: text(min_length=1, max_length=services.REASON_MAX)  # type: ignore[valid-type]


class VersionIn(Schema):
    version: int = Field(ge=1, le=2**31 - 1)


def _require_author(request: HttpRequest) -> Any:
    from jiaozi.core.api import require

    user = current_user(request)
    require(can_author(actor=user))
    return user


@router.get(
    "/announcements",
    response={200: list[AnnouncementRow], **problems(403)},
    summary="公告列表（本机构及下级机构）",
)
@paginate(Page)
def announcement_list(request: HttpRequest, filters: Query[AnnouncementFilters]) -> Any:
    user = _require_author(request)
    return selectors.announcement_search(
        selectors.announcement_list_visible_to(user=user),
        status=filters.status,
        level=filters.level,
        q=filters.q,
    ).order_by("-updated_at", "-pk")


@router.post(
    "/announcements", response={201: AnnouncementOut, **problems(403)}, summary="新建公告草稿（以本机构名义）"
)
@idempotent
def announcement_create(request: HttpRequest, payload: AnnouncementIn) -> Any:
    announcement = services.announcement_create(actor=current_user(request), **payload.dict())
    return HttpStatus(201, announcement)


@router.get(
    "/announcements/{announcement_id}",
    response={200: AnnouncementOut, **problems(403, 404)},
    summary="公告详情",
)
def announcement_detail(request: HttpRequest, announcement_id: ObjectId) -> Any:
    return selectors.announcement_get_visible_to(user=_require_author(request), pk=announcement_id)


@router.patch(
    "/announcements/{announcement_id}",
    response={200: AnnouncementOut, **problems(403, 404, 409)},
    summary="修改公告（草稿、已撤回或尚未到时间的定时发布）",
)
def announcement_update(
    request: HttpRequest, announcement_id: ObjectId, payload: AnnouncementUpdateIn
) -> Any:
    user = _require_author(request)
    current = selectors.announcement_get_visible_to(user=user, pk=announcement_id)
    return services.announcement_update(
        actor=user,
        pk=current.pk,
        version=payload.version,
        title=current.title if payload.title is None else payload.title,
        body=current.body if payload.body is None else payload.body,
        category=current.category if payload.category is None else payload.category,
        source=current.source if payload.source is None else payload.source,
    )


@router.post(
    "/announcements/{announcement_id}/publish",
    response={200: AnnouncementOut, **problems(403, 404, 409)},
    summary="发布公告，或设定定时发布",
)
def announcement_publish(request: HttpRequest, announcement_id: ObjectId, payload: PublishIn) -> Any:
    return services.announcement_publish(
        actor=_require_author(request),
        pk=announcement_id,
        version=payload.version,
        publish_at=payload.publish_at,
    )


@router.post(
    "/announcements/{announcement_id}/withdraw",
    response={200: AnnouncementOut, **problems(403, 404, 409)},
    summary="撤回公告（不再在门户网站显示）",
)
def announcement_withdraw(request: HttpRequest, announcement_id: ObjectId, payload: WithdrawIn) -> Any:
    return services.announcement_withdraw(
        actor=_require_author(request), pk=announcement_id, version=payload.version, reason=payload.reason
    )


@router.delete(
    "/announcements/{announcement_id}",
    response={204: None, **problems(403, 404, 409)},
    summary="删除从未发布过的公告草稿",
)
def announcement_delete(request: HttpRequest, announcement_id: ObjectId, version: Query[VersionIn]) -> Any:
    services.announcement_delete(actor=_require_author(request), pk=announcement_id, version=version.version)
    return HttpStatus(204, None)


@router.post(
    "/announcements/{announcement_id}/attachments",
    response={201: AttachmentOut, **problems(403, 404, 409)},
    summary="上传公告附件（PDF/JPG/PNG/XLSX/DOCX，按内容识别，限制大小）",
)
@idempotent
def announcement_attachment_add(
    request: HttpRequest, announcement_id: ObjectId, file: File[UploadedFile]
) -> Any:
    attachment = services.attachment_add(
        actor=_require_author(request), announcement_id=announcement_id, file=file
    )
    return HttpStatus(201, attachment)


@router.delete(
    "/announcement-attachments/{attachment_id}",
    response={204: None, **problems(403, 404, 409)},
    summary="删除公告附件",
)
def announcement_attachment_remove(request: HttpRequest, attachment_id: ObjectId) -> Any:
    services.attachment_remove(actor=_require_author(request), attachment_id=attachment_id)
    return HttpStatus(204, None)


@router.get(
    "/announcement-attachments/{attachment_id}",
    response={**problems(403, 404, 409)},
    summary="下载公告附件",
    openapi_extra={
        "responses": {
            200: {
                "description": "附件",
                "content": {
                    t: {"schema": {"type": "string", "format": "binary"}} for t in attachments.ALLOWED_TYPES
                },
            }
        }
    },
)
def announcement_attachment_download(request: HttpRequest, attachment_id: ObjectId) -> HttpResponseBase:
    attachment = selectors.attachment_get_visible_to(user=_require_author(request), pk=attachment_id)
    return attachments.attachment_response(attachment)
