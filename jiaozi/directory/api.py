"""The directory operations of /api/v1/, mounted in ``config/api.py``: the set-up
overview, the registration plan, reminders, and the public directory's data."""

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from jiaozi.core.api import BodyId, Page, current_user, idempotent, problems, require, text
from jiaozi.core.api.schemas import ObjectIn
from jiaozi.core.errors import NotFound
from jiaozi.orgs.models import Institution

from . import selectors, services
from .models import RegistrationPlan, SchoolType
from .permissions import can_keep_plan, can_oversee

router = Router(tags=["directory"])


class SetupRow(Schema):
    institution_id: int
    name: str
    level: str
    has_public_info: bool
    plan_total: int | None = Field(description="注册计划合计人数；未提交为 null")
    point_count: int
    last_reminded_at: dt.datetime | None
    missing: list[str] = Field(description="尚未完成的事项：public_info 公开信息、plan 注册计划")

    @staticmethod
    def resolve_institution_id(obj: Institution) -> int:
        return obj.pk

    @staticmethod
    def resolve_missing(obj: Institution) -> list[str]:
        return selectors.missing_of(obj)


class SetupFilters(Schema):
    status: text(max_length=16, pattern=r"^(unfinished|finished)$") = ""  # type: ignore[valid-type]
    q: text(max_length=64) = Field("", description="机构名称包含")  # type: ignore[valid-type]


class PlanOut(Schema):
    institution_id: int
    campaign_id: int
    expected: dict[SchoolType, int]
    total: int
    notes: str
    submitted_at: dt.datetime
    version: int


class PlanIn(Schema):
    expected: dict[SchoolType, Annotated[int, Field(ge=0, le=services.MAX_EXPECTED)]] = Field(
        description="各类学校预计注册人数，未列出的类型按0计"
    )
    notes: text(max_length=services.NOTES_MAX) = ""  # type: ignore[valid-type]
    version: int | None = Field(None, ge=0, le=2**31 - 1, description="读取时的 version；首次提交留空")


class SetupRemindIn(ObjectIn):
    institution_ids: list[BodyId] | None = Field(
        None, max_length=5000, description="要催办的机构；留空为辖区内全部未完成的机构"
    )


class SetupRemindOut(Schema):
    sent: list[int]
    recently_reminded: list[int]
    without_admin: list[int]


class DirectoryEntry(Schema):
    institution_id: int
    name: str
    kind: str
    division_code: str
    address: str
    phone: str
    office_hours: str
    confirmation_points: list[str]

    @staticmethod
    def resolve_institution_id(obj: Institution) -> int:
        return obj.pk

    @staticmethod
    def resolve_division_code(obj: Institution) -> str:
        return obj.division_id

    @staticmethod
    def resolve_confirmation_points(obj: Institution) -> list[str]:
        return [p.name for p in getattr(obj, "points", [])]


class DirectoryFilters(Schema):
    city: text(max_length=6, pattern=r"^\d{6}$") = ""  # type: ignore[valid-type]
    county: text(max_length=6, pattern=r"^\d{6}$") = ""  # type: ignore[valid-type]
    q: text(max_length=40) = ""  # type: ignore[valid-type]


@router.get(
    "/directory/setup",
    response={200: list[SetupRow], **problems(403, 404)},
    summary="注册准备情况：辖区内注册机构的公开信息、注册计划、确认点与催办",
)
@paginate(Page)
def setup_status_list(request: HttpRequest, filters: Query[SetupFilters]) -> Any:
    user = current_user(request)
    require(can_oversee(actor=user))
    campaign = selectors.campaign_for(user.institution)
    if campaign is None:
        raise NotFound("目前没有进行中的定期注册工作。", code="no_active_campaign")
    return selectors.setup_list(user=user, campaign=campaign, status=filters.status, q=filters.q)


def _plan_out(plan: RegistrationPlan) -> dict[str, Any]:
    return {
        "institution_id": plan.institution_id,
        "campaign_id": plan.campaign_id,
        "expected": plan.expected,
        "total": plan.total,
        "notes": plan.notes,
        "submitted_at": plan.submitted_at,
        "version": plan.version,
    }


@router.get(
    "/directory/plan",
    response={200: PlanOut, **problems(403, 404)},
    summary="本机构当前定期注册工作的注册计划",
)
def registration_plan_get(request: HttpRequest) -> Any:
    user = current_user(request)
    require(can_keep_plan(actor=user))
    plan = selectors.plan_for(institution=user.institution, campaign=selectors.campaign_for(user.institution))
    if plan is None:
        raise NotFound("本机构尚未提交注册计划。", code="plan_not_found")
    return _plan_out(plan)


@router.put(
    "/directory/plan",
    response={200: PlanOut, **problems(403, 404, 409)},
    summary="提交或修改本机构的注册计划（按学校类型的预计注册人数）",
)
def registration_plan_save(request: HttpRequest, payload: PlanIn) -> Any:
    plan = services.registration_plan_save(
        actor=current_user(request),
        expected={key.value: value for key, value in payload.expected.items()},
        notes=payload.notes,
        version=payload.version,
    )
    return _plan_out(plan)


@router.post(
    "/directory/reminders",
    response={200: SetupRemindOut, **problems(403, 404)},
    summary="催办辖区内尚未完成准备的注册机构（站内消息，24小时内不重复）",
)
@idempotent
def setup_remind(request: HttpRequest, payload: SetupRemindIn) -> Any:
    return services.setup_remind(actor=current_user(request), institution_ids=payload.institution_ids)


@router.get(
    "/directory/institutions",
    response={200: list[DirectoryEntry]},
    summary="注册机构联系方式（与公众网站相同的公开信息）",
)
@paginate(Page)
def directory_list(request: HttpRequest, filters: Query[DirectoryFilters]) -> Any:
    return selectors.public_directory(city=filters.city, county=filters.county, keyword=filters.q)
