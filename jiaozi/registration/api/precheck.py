"""API of the registration pre-check (§4, §13): the pre-check list of the active
campaign in the caller's jurisdiction."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from jiaozi.core.api import Page, current_user, problems, require, text
from jiaozi.core.errors import NotFound

from ..campaigns.selectors import campaign_active_for
from ..permissions import can_view_precheck
from ..precheck import selectors
from ..rules import Reason, Suggestion

router = Router(tags=["registration"])


class PrecheckFiltersIn(Schema):
    school: int | None = Field(None, ge=1, le=2**63 - 1, description="学校（机构编号）")
    due: Literal["first", "periodic", "after_deferral"] | None = Field(None, description="注册类型")
    suggestion: Suggestion | None = None
    reason: Reason | None = None
    q: text(max_length=64) = Field("", description="姓名包含，或证书编号前缀")  # type: ignore[valid-type]


class PrecheckOut(Schema):
    certificate_id: int
    certificate_number: str
    teacher_id: int
    teacher_name: str
    school_name: str
    valid_to: dt.date | None
    due: str
    due_label: str
    suggestion: str
    suggestion_label: str
    reasons: list[str]
    reason_labels: list[str]


@router.get(
    "/registration/precheck",
    response={200: list[PrecheckOut], **problems(404)},
    summary="注册预审名单（启用的注册工作，管辖范围内应注册的证书）",
)
@paginate(Page)
def precheck_list(request: HttpRequest, filters: Query[PrecheckFiltersIn]) -> Any:
    user = current_user(request)
    require(can_view_precheck(actor=user))
    campaign = campaign_active_for(user=user)
    if campaign is None:
        raise NotFound(_("当前没有进行中的定期注册工作。"))
    return selectors.precheck_list_visible_to(
        user=user,
        campaign=campaign,
        filters=selectors.PrecheckFilters(
            school=filters.school,
            due=filters.due or "",
            suggestion=filters.suggestion.value if filters.suggestion else "",
            reason=filters.reason.value if filters.reason else "",
            q=filters.q,
        ),
    )
