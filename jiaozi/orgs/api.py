"""API for institutions (§2, §13): the jurisdiction-scoped directory and the public
info (注册机构联系方式) each registration institution keeps."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from jiaozi.core.api import ObjectId, Page, current_user, problems, text

from . import selectors, services
from .models import Institution, Level

router = Router(tags=["orgs"])


class InstitutionOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    level: str
    division_code: str
    division_name: str
    parent_id: int | None
    is_active: bool
    ownership: str = Field(description="学校：public 公办 / private 民办；其他机构为空")
    stage: str = Field(description="学校的学段；其他机构为空")
    address: str
    phone: str = Field(description="对外公开的咨询电话")
    office_hours: str
    public_info_updated_at: dt.datetime | None
    version: int

    @staticmethod
    def resolve_kind_label(obj: Institution) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_division_code(obj: Institution) -> str:
        return obj.division_id

    @staticmethod
    def resolve_division_name(obj: Institution) -> str:
        return obj.division.name


class InstitutionFilters(Schema):
    kind: Institution.Kind | None = None
    level: Level | None = None
    division: text(max_length=6, pattern=r"^\d{6}$") | None = Field(  # type: ignore[valid-type]
        None, description="行政区划代码（含其下级区划）"
    )
    q: text(max_length=64) = Field("", description="名称包含或代码前缀")  # type: ignore[valid-type]


class PublicInfoIn(Schema):
    """Fields left out keep their current value; ``version`` is the one last read."""

    address: text(min_length=1, max_length=255) | None = None  # type: ignore[valid-type]
    phone: text(min_length=6, max_length=64, pattern=services.PHONE_PATTERN.pattern) | None = Field(  # type: ignore[valid-type]
        None, description="例如 0551-62831234"
    )
    office_hours: text(min_length=1, max_length=128) | None = None  # type: ignore[valid-type]
    version: int = Field(ge=1, le=2**31 - 1, description="读取时的 version，防止覆盖他人的修改")


@router.get("/institutions", response={200: list[InstitutionOut]}, summary="机构列表（管辖范围内）")
@paginate(Page)
def institution_list(request: HttpRequest, filters: Query[InstitutionFilters]) -> Any:
    return selectors.institution_search(
        selectors.institution_list_visible_to(user=current_user(request)),
        kind=filters.kind.value if filters.kind else "",
        level=filters.level.value if filters.level else "",
        division=filters.division or "",
        q=filters.q,
    )


@router.get(
    "/institutions/{institution_id}", response={200: InstitutionOut, **problems(404)}, summary="机构详情"
)
def institution_detail(request: HttpRequest, institution_id: ObjectId) -> Any:
    return selectors.institution_get_visible_to(user=current_user(request), pk=institution_id)


@router.patch(
    "/institutions/{institution_id}/public-info",
    response={200: InstitutionOut, **problems(403, 404, 409)},
    summary="维护机构公示信息",
)
def institution_public_info_update(
    request: HttpRequest, institution_id: ObjectId, payload: PublicInfoIn
) -> Any:
    user = current_user(request)
    current = selectors.institution_get_visible_to(user=user, pk=institution_id)
    return services.institution_update_public_info(
        actor=user,
        pk=current.pk,
        address=current.address if payload.address is None else payload.address,
        phone=current.phone if payload.phone is None else payload.phone,
        office_hours=current.office_hours if payload.office_hours is None else payload.office_hours,
        version=payload.version,
    )
