"""API for the caller's own account and staff filing (备案), §1, §9, §13.

Each operation parses input, calls one selector or service of ``jiaozi.accounts``, and
renders. Phones are always masked here: an unmasked view is a logged act of the UI."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import Field

from jiaozi.core.api import ObjectId, Page, auth_method, current_user, idempotent, problems, require, text
from jiaozi.core.errors import PermissionDenied
from jiaozi.core.masking import mask_phone, mask_resident_id
from jiaozi.orgs.models import Institution

from . import selectors, services
from .models import User
from .permissions import can_view_staff
from .roles import Role

router = Router(tags=["accounts"])


class InstitutionRef(Schema):
    id: int
    code: str
    name: str
    kind: str
    level: str


class StaffOut(Schema):
    id: int
    username: str
    real_name: str
    phone_masked: str = Field(description="手机号（脱敏）")
    resident_id_masked: str = Field(description="身份证号（脱敏）；未登记为空")
    role: str
    role_label: str
    institution: InstitutionRef | None
    post: str
    is_active: bool
    must_change_password: bool
    filed_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    last_login: dt.datetime | None
    version: int

    @staticmethod
    def resolve_phone_masked(obj: User) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_resident_id_masked(obj: User) -> str:
        return mask_resident_id(obj.resident_id) if obj.resident_id else ""

    @staticmethod
    def resolve_role_label(obj: User) -> str:
        return str(Role(obj.role).label) if obj.role in Role.values else ""


class StaffCreated(StaffOut):
    initial_password: str = Field(description="初始密码，仅在本次返回；首次登录须修改。")


class _WithInitialPassword:
    """The new account plus its initial password, for the one answer that shows it."""

    def __init__(self, user: User, initial_password: str) -> None:
        self._user = user
        self.initial_password = initial_password

    def __getattr__(self, name: str) -> Any:
        return getattr(self._user, name)


class MeOut(Schema):
    id: int
    username: str
    real_name: str
    kind: str
    role: str
    role_label: str
    institution: InstitutionRef | None
    post: str
    auth: str = Field(description="本次请求的认证方式：token（接口令牌）或 session（浏览器会话）")

    @staticmethod
    def resolve_auth(obj: User, context: dict[str, Any]) -> str:
        return auth_method(context["request"])

    @staticmethod
    def resolve_role_label(obj: User) -> str:
        return str(Role(obj.role).label) if obj.role in Role.values else ""


class StaffFilters(Schema):
    institution_id: int | None = Field(None, ge=1, le=2**63 - 1, description="机构及其下级机构")
    role: Role | None = None
    is_active: bool | None = None
    q: text(max_length=64) = Field("", description="姓名或用户名")  # type: ignore[valid-type]


class StaffCreateIn(Schema):
    institution_id: int = Field(ge=1, le=2**63 - 1)
    username: text(min_length=3, max_length=32, pattern=services.USERNAME_RE.pattern) = Field(  # type: ignore[valid-type]
        description="字母开头，3–32 位字母、数字、下划线、点或连字符"
    )
    real_name: text(min_length=1, max_length=64)  # type: ignore[valid-type]
    phone: text(min_length=11, max_length=11, pattern=services.PHONE_RE.pattern) = Field(  # type: ignore[valid-type]
        description="11 位中国大陆手机号"
    )
    post: text(min_length=1, max_length=64) = Field(description="职务")  # type: ignore[valid-type]
    role: Role
    resident_id: text(min_length=18, max_length=18) = Field(  # type: ignore[valid-type]
        description="身份证号（18 位，校验位正确）；加密保存，用于利益回避和三员分立"
    )


class StaffDisableIn(Schema):
    reason: text(min_length=1, max_length=200) = Field(description="停用原因（离岗等）")  # type: ignore[valid-type]


@router.get("/me", response={200: MeOut}, summary="当前用户")
def me(request: HttpRequest) -> Any:
    return current_user(request)


@router.get("/staff", response={200: list[StaffOut], **problems(403)}, summary="工作人员列表")
@paginate(Page)
def staff_list(request: HttpRequest, filters: Query[StaffFilters]) -> Any:
    user = current_user(request)
    require(can_view_staff(actor=user))
    institution = (
        Institution.objects.filter(pk=filters.institution_id).first() if filters.institution_id else None
    )
    if filters.institution_id and institution is None:
        return User.objects.none()
    return selectors.staff_list_visible_to(
        user=user,
        institution=institution,
        role=filters.role.value if filters.role else "",
        active=filters.is_active,
        search=filters.q,
    )


@router.get("/staff/{staff_id}", response={200: StaffOut, **problems(403, 404)}, summary="工作人员详情")
def staff_detail(request: HttpRequest, staff_id: ObjectId) -> Any:
    user = current_user(request)
    require(can_view_staff(actor=user))
    return selectors.staff_get_visible_to(user=user, pk=staff_id)


@router.post("/staff", response={201: StaffCreated, **problems(403, 409)}, summary="备案工作人员")
@idempotent
def staff_create(request: HttpRequest, payload: StaffCreateIn) -> Any:
    user = current_user(request)
    # The service refuses an institution outside the caller's jurisdiction with 403
    # (SECURITY 6); a missing one gets the same answer, so the two look alike.
    institution = Institution.objects.filter(pk=payload.institution_id).first()
    if institution is None:
        raise PermissionDenied(_("您无权在该机构备案该角色的工作人员。"))
    created, initial_password = services.staff_create(
        actor=user,
        institution=institution,
        username=payload.username,
        real_name=payload.real_name,
        phone=payload.phone,
        post=payload.post,
        role=payload.role.value,
        resident_id=payload.resident_id,
    )
    return Status(201, _WithInitialPassword(created, initial_password))


@router.post(
    "/staff/{staff_id}/disable",
    response={200: StaffOut, **problems(403, 404, 409)},
    summary="停用工作人员（撤销备案）",
)
def staff_disable(request: HttpRequest, staff_id: ObjectId, payload: StaffDisableIn) -> Any:
    return services.staff_disable(actor=current_user(request), user_id=staff_id, reason=payload.reason)


@router.post(
    "/staff/{staff_id}/enable",
    response={200: StaffOut, **problems(403, 404, 409)},
    summary="重新启用工作人员",
)
def staff_enable(request: HttpRequest, staff_id: ObjectId) -> Any:
    return services.staff_enable(actor=current_user(request), user_id=staff_id)
