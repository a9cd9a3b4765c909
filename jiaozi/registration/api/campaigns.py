"""API of registration campaigns (§3, §13): campaigns with their windows."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from jiaozi.core.api import ObjectId, current_user, idempotent, problems, require, text

from ..campaigns import selectors, services
from ..campaigns.windows import window_states
from ..models import Campaign
from ..permissions import CAMPAIGN_VIEW_ROLES

router = Router(tags=["registration"])


class WindowOut(Schema):
    action: str = Field(description="system / apply / school_review / review / recheck / final_review")
    label: str
    opens_at: dt.datetime
    closes_at: dt.datetime = Field(description="不含此刻：截止时刻起不再受理")
    text: str = Field(description="如 2024年9月13日至12月15日17时")
    is_open: bool


class CampaignOut(Schema):
    id: int
    name: str
    province_code: str
    year: int
    registration_date: dt.date
    training_hours_required: Decimal
    notice_days: int
    review_request_days: int
    required_materials: dict[str, list[str]]
    is_active: bool
    version: int
    windows: list[WindowOut]

    @staticmethod
    def resolve_windows(obj: Campaign) -> list[dict[str, Any]]:
        return [{key: state[key] for key in WindowOut.model_fields} for state in window_states(campaign=obj)]


RegistrationType = Literal["first", "periodic", "after_deferral"]
MaterialKind = Literal[
    "application_form",
    "certificate",
    "contract",
    "ethics_statement",
    "appraisals",
    "training",
    "probation_proof",
]


class CampaignSettings(Schema):
    name: text(min_length=1, max_length=128) | None = None  # type: ignore[valid-type]
    registration_date: dt.date | None = None
    system_opens_at: dt.datetime | None = None
    system_closes_at: dt.datetime | None = None
    apply_opens_at: dt.datetime | None = None
    apply_closes_at: dt.datetime | None = None
    school_review_opens_at: dt.datetime | None = None
    school_review_closes_at: dt.datetime | None = None
    review_opens_at: dt.datetime | None = None
    review_closes_at: dt.datetime | None = None
    recheck_opens_at: dt.datetime | None = None
    recheck_closes_at: dt.datetime | None = None
    final_review_opens_at: dt.datetime | None = None
    final_review_closes_at: dt.datetime | None = None
    training_hours_required: Decimal | None = Field(None, gt=0, le=9999, decimal_places=1)
    notice_days: int | None = Field(None, ge=7, le=30, description="公示天数（自然日，不少于7天）")
    review_request_days: int | None = Field(None, ge=1, le=60, description="公示期满后申请复核的期限（天）")
    required_materials: dict[RegistrationType, list[MaterialKind]] | None = Field(
        None, description="各注册类型（first / periodic / after_deferral）提交时须上传的材料类型"
    )
    is_active: bool | None = None


class CampaignIn(CampaignSettings):
    """Every setting is required on creation (times with their offset, e.g. +08:00);
    ``training_hours_required`` (360), ``notice_days`` (7) and ``is_active`` (false)
    have defaults."""

    year: int = Field(ge=2000, le=2100)


class CampaignUpdateIn(CampaignSettings):
    """Fields left out keep their value; ``version`` is the one last read."""

    version: int = Field(ge=1, le=2**31 - 1)


def _settings(payload: CampaignSettings) -> dict[str, Any]:
    values = payload.model_dump(exclude_unset=True, exclude={"year", "version"})
    return {key: value for key, value in values.items() if value is not None}


@router.get("/registration/campaigns", response={200: list[CampaignOut]}, summary="定期注册工作列表（本省）")
def campaign_list(request: HttpRequest) -> Any:
    user = current_user(request)
    require(user.role in CAMPAIGN_VIEW_ROLES)
    return list(selectors.campaign_list_visible_to(user=user))


@router.get(
    "/registration/campaigns/{campaign_id}",
    response={200: CampaignOut, **problems(404)},
    summary="定期注册工作详情（含各环节办理时间）",
)
def campaign_detail(request: HttpRequest, campaign_id: ObjectId) -> Any:
    user = current_user(request)
    require(user.role in CAMPAIGN_VIEW_ROLES)
    return selectors.campaign_get_visible_to(user=user, pk=campaign_id)


@router.post(
    "/registration/campaigns",
    response={201: CampaignOut, **problems(403, 409)},
    summary="新建定期注册工作（省级管理员）",
)
@idempotent
def campaign_create(request: HttpRequest, payload: CampaignIn) -> Any:
    return Status(
        201, services.campaign_create(actor=current_user(request), year=payload.year, **_settings(payload))
    )


@router.patch(
    "/registration/campaigns/{campaign_id}",
    response={200: CampaignOut, **problems(403, 404, 409)},
    summary="修改定期注册工作的设置（省级管理员）",
)
def campaign_update(request: HttpRequest, campaign_id: ObjectId, payload: CampaignUpdateIn) -> Any:
    return services.campaign_update(
        actor=current_user(request), campaign_id=campaign_id, version=payload.version, **_settings(payload)
    )
