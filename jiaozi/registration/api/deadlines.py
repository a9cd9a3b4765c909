"""API of the cascading deadlines (§5): the province's window extensions per
institution and level, and the applications that cannot finish inside their level's
window."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from jiaozi.core.api import ObjectId, current_user, idempotent, problems, require, text

from ..applications.deadlines import applications_at_risk
from ..applications.selectors import application_list_visible_to
from ..campaigns import extensions, selectors
from ..permissions import AT_RISK_ROLES, CAMPAIGN_VIEW_ROLES

router = Router(tags=["registration"])

Window = Literal["apply", "school_review", "review", "recheck", "final_review"]


class ExtensionOut(Schema):
    id: int
    campaign_id: int
    institution_id: int
    institution_name: str
    window: str
    closes_at: dt.datetime
    reason: str
    granted_at: dt.datetime
    revoked_at: dt.datetime | None
    revoke_reason: str
    is_live: bool

    @staticmethod
    def resolve_institution_name(obj: Any) -> str:
        return str(obj.institution.name)


class ExtensionIn(Schema):
    institution_id: int = Field(ge=1, le=2**31 - 1)
    window: Window = Field(description="延长的环节")
    closes_at: dt.datetime = Field(description="延长后的截止时刻（含时区，如 +08:00；不含此刻）")
    reason: text(min_length=1, max_length=500)  # type: ignore[valid-type]


class ExtensionRevokeIn(Schema):
    reason: text(min_length=1, max_length=500)  # type: ignore[valid-type]


class AtRiskOut(Schema):
    application_id: int
    status: str
    status_label: str
    reason: str = Field(description="stranded / notice_would_end_late / notice_ends_late")
    reason_label: str
    window: str
    window_label: str
    closes_at: dt.datetime
    notice_ends_at: dt.datetime | None


@router.get(
    "/registration/campaigns/{campaign_id}/extensions",
    response={200: list[ExtensionOut], **problems(404)},
    summary="办理时间延长记录（含已撤销）",
)
def extension_list(request: HttpRequest, campaign_id: ObjectId) -> Any:
    user = current_user(request)
    require(user.role in CAMPAIGN_VIEW_ROLES)
    return list(extensions.extension_list(actor=user, campaign_id=campaign_id))


@router.post(
    "/registration/campaigns/{campaign_id}/extensions",
    response={201: ExtensionOut, **problems(403, 404, 409)},
    summary="为某机构延长某一环节的办理时间（省级管理员）",
)
@idempotent
def extension_grant(request: HttpRequest, campaign_id: ObjectId, payload: ExtensionIn) -> Any:
    return Status(
        201,
        extensions.extension_grant(
            actor=current_user(request),
            campaign_id=campaign_id,
            institution_id=payload.institution_id,
            window=payload.window,
            closes_at=payload.closes_at,
            reason=payload.reason,
        ),
    )


@router.post(
    "/registration/extensions/{extension_id}/revoke",
    response={200: ExtensionOut, **problems(403, 404, 409)},
    summary="撤销办理时间延长（省级管理员）",
)
def extension_revoke(request: HttpRequest, extension_id: ObjectId, payload: ExtensionRevokeIn) -> Any:
    return extensions.extension_revoke(
        actor=current_user(request), extension_id=extension_id, reason=payload.reason
    )


@router.get(
    "/registration/at-risk",
    response={200: list[AtRiskOut]},
    summary="无法在本级办理时间内完成的申请（本辖区）",
)
def at_risk_list(request: HttpRequest) -> Any:
    user = current_user(request)
    require(user.role in AT_RISK_ROLES)
    campaign = selectors.campaign_active_for(user=user)
    if campaign is None:
        return []
    return applications_at_risk(application_list_visible_to(user=user), campaign=campaign)
