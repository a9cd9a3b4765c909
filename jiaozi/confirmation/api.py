"""The confirmation operations of /api/v1/, mounted in ``config/api.py`` (§13): every
action of the pages. Staff use their token or session; the applicant's own bookings take
the applicant's browser session too (``WITH_APPLICANTS``). Creating POSTs honour
``Idempotency-Key``; a booking of the same record on the same slot is idempotent by
itself. A resident ID travels only in a POST body."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from ninja.security import APIKeyCookie
from ninja.utils import check_csrf
from pydantic import Field

from jiaozi.accounts.actor import is_active_applicant
from jiaozi.accounts.models import User
from jiaozi.core import clock
from jiaozi.core.api import (
    API_AUTH,
    BodyId,
    ObjectId,
    Page,
    current_user,
    idempotent,
    problems,
    require,
    text,
)
from jiaozi.core.api.auth import SAFE_METHODS
from jiaozi.core.api.idempotency import idempotent_with
from jiaozi.core.api.problems import CsrfFailed
from jiaozi.core.errors import NotFound, ValidationFailed
from jiaozi.core.masking import mask_resident_id
from jiaozi.core.roles import Role

from . import rules, selectors, services, tokens
from .models import Booking, ConfirmationPoint, OpeningDay, TimeSlot
from .permissions import ADMIN_ROLES, VIEW_ROLES
from .references import reference_resolve

router = Router(tags=["confirmation"])


class ApplicantSessionAuth(APIKeyCookie):
    """The browser session of a signed-in applicant; unsafe methods need the CSRF token
    (``X-CSRFToken``). The same rule as registration's, which sits above confirmation."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = getattr(request, "user", None)
        if not is_active_applicant(user):
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfFailed()
        return user


WITH_APPLICANTS: list[Any] = [*API_AUTH, ApplicantSessionAuth()]
VERSION = Field(ge=1, le=2**31 - 1, description="上次读取到的版本号（乐观锁）")
KIND = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$", description="业务类型，如 certification")


# ── schemas ────────────────────────────────────────────────────────────────────


class PointOut(Schema):
    id: int
    code: str
    name: str
    authority_id: int
    authority_name: str
    address: str
    phone: str
    directions: str
    is_open: bool
    version: int

    @staticmethod
    def resolve_code(obj: ConfirmationPoint) -> str:
        return obj.institution.code

    @staticmethod
    def resolve_name(obj: ConfirmationPoint) -> str:
        return obj.institution.name

    @staticmethod
    def resolve_authority_name(obj: ConfirmationPoint) -> str:
        return obj.authority.name

    @staticmethod
    def resolve_address(obj: ConfirmationPoint) -> str:
        return obj.institution.address

    @staticmethod
    def resolve_phone(obj: ConfirmationPoint) -> str:
        return obj.institution.phone


class PointIn(Schema):
    code: text(min_length=2, max_length=32) = ""  # type: ignore[valid-type]
    name: text(max_length=128) = ""  # type: ignore[valid-type]
    address: text(min_length=1, max_length=255)  # type: ignore[valid-type]
    phone: text(min_length=6, max_length=64)  # type: ignore[valid-type]
    office_hours: text(max_length=128) = ""  # type: ignore[valid-type]
    directions: str = Field("", max_length=2000)
    institution_id: BodyId | None = Field(None, description="已有的确认点机构（不填则新建）")


class PointUpdateIn(Schema):
    address: text(min_length=1, max_length=255)  # type: ignore[valid-type]
    phone: text(min_length=6, max_length=64)  # type: ignore[valid-type]
    directions: str = Field("", max_length=2000)
    is_open: bool
    version: int = VERSION


class SlotOut(Schema):
    id: int
    date: dt.date
    starts_at: dt.time
    ends_at: dt.time
    capacity: int
    booked: int
    free: int


class DayOut(Schema):
    id: int
    point_id: int
    date: dt.date
    note: str
    slots: list[SlotOut]

    @staticmethod
    def resolve_slots(obj: OpeningDay) -> list[TimeSlot]:
        return list(obj.slots.all())


class DayIn(Schema):
    date: dt.date
    note: text(max_length=128) = ""  # type: ignore[valid-type]


class SlotsIn(Schema):
    starts_at: dt.time
    ends_at: dt.time
    capacity: int = Field(ge=1, le=services.MAX_CAPACITY)
    every_minutes: int | None = Field(None, ge=5, le=480, description="按此分钟数拆分为多个时段")


class CapacityIn(Schema):
    capacity: int = Field(ge=1, le=services.MAX_CAPACITY)


class BookingOut(Schema):
    id: int
    reference_kind: str
    reference_id: int
    label: str
    point_id: int
    point_name: str
    date: dt.date
    starts_at: dt.time
    ends_at: dt.time
    status: str
    status_label: str
    version: int
    moved_from_id: int | None
    checked_in_at: dt.datetime | None

    @staticmethod
    def resolve_point_name(obj: Booking) -> str:
        return obj.point.institution.name

    @staticmethod
    def resolve_starts_at(obj: Booking) -> dt.time:
        return obj.slot.starts_at

    @staticmethod
    def resolve_ends_at(obj: Booking) -> dt.time:
        return obj.slot.ends_at

    @staticmethod
    def resolve_status_label(obj: Booking) -> str:
        return str(obj.get_status_display())


class StaffBookingOut(BookingOut):
    applicant_name: str
    resident_id_masked: str = Field(description="脱敏的身份证号")

    @staticmethod
    def resolve_applicant_name(obj: Booking) -> str:
        return obj.applicant.real_name

    @staticmethod
    def resolve_resident_id_masked(obj: Booking) -> str:
        return mask_resident_id(obj.applicant.resident_id)


class MyBookingOut(BookingOut):
    code: str = Field("", description="签到码（仅有效预约）")
    change_deadline: dt.datetime

    @staticmethod
    def resolve_code(obj: Booking) -> str:
        return tokens.code_of(obj.token) if obj.status == Booking.Status.BOOKED else ""

    @staticmethod
    def resolve_change_deadline(obj: Booking) -> dt.datetime:
        return rules.change_deadline(obj.date)


class CodeIn(Schema):
    code: text(min_length=1, max_length=64)  # type: ignore[valid-type]


class ResidentIdIn(Schema):
    resident_id: text(min_length=18, max_length=18)  # type: ignore[valid-type]


class VersionIn(Schema):
    version: int = VERSION


class BookIn(Schema):
    kind: str = KIND
    reference_id: BodyId
    slot_id: BodyId


class MoveIn(Schema):
    slot_id: BodyId
    version: int = VERSION


class BookableSlotOut(SlotOut):
    point_id: int
    point_name: str

    @staticmethod
    def resolve_point_name(obj: TimeSlot) -> str:
        return obj.point.institution.name


class DayListQuery(Schema):
    date: dt.date | None = Field(None, description="日期，默认今天")
    point_id: int | None = Field(None, ge=1, description="确认点（确认用户默认本确认点）")


class BookableQuery(Schema):
    kind: str = KIND
    reference_id: int = Field(ge=1, le=2**63 - 1)


def _staff(request: HttpRequest) -> User:
    user: User = current_user(request)
    require(user.role in VIEW_ROLES)
    return user


def _admin(request: HttpRequest) -> User:
    """An authority admin's operation: other roles get 403 before any lookup."""
    user: User = current_user(request)
    require(user.role in ADMIN_ROLES, "只有认定机构的管理员可以设置确认点。")
    return user


def _clerk(request: HttpRequest) -> User:
    """A confirmation user's operation: other roles get 403 before any lookup."""
    user: User = current_user(request)
    require(user.role == Role.CONFIRMATION_USER, "只有确认点的确认用户可以办理签到。")
    return user


def _staff_booking(user: User, pk: int) -> Booking:
    return selectors.booking_get_visible_to(user=user, pk=pk)


# ── points, days, slots ───────────────────────────────────────────────────────


@router.get("/confirmation/points", response={200: list[PointOut]}, summary="确认点列表（管辖范围内）")
def confirmation_point_list(request: HttpRequest) -> Any:
    return list(selectors.point_list_visible_to(user=_staff(request)))


@router.post(
    "/confirmation/points",
    response={201: PointOut, **problems(403, 404, 409)},
    summary="新增确认点（本认定机构的管理员）",
)
@idempotent
def confirmation_point_create(request: HttpRequest, payload: PointIn) -> Any:
    point = services.confirmation_point_create(actor=_admin(request), **payload.model_dump())
    return Status(201, point)


@router.get(
    "/confirmation/points/{point_id}", response={200: PointOut, **problems(404)}, summary="确认点详情"
)
def confirmation_point_detail(request: HttpRequest, point_id: ObjectId) -> Any:
    return selectors.point_get_visible_to(user=_staff(request), pk=point_id)


@router.patch(
    "/confirmation/points/{point_id}",
    response={200: PointOut, **problems(403, 404, 409)},
    summary="修改确认点的地址、电话、须知和是否开放预约",
)
def confirmation_point_update(request: HttpRequest, point_id: ObjectId, payload: PointUpdateIn) -> Any:
    return services.confirmation_point_update(
        actor=_admin(request), point_id=point_id, **payload.model_dump()
    )


@router.get(
    "/confirmation/points/{point_id}/days",
    response={200: list[DayOut], **problems(404)},
    summary="确认点今后的开放日及其时段",
)
def confirmation_day_list(request: HttpRequest, point_id: ObjectId) -> Any:
    point = selectors.point_get_visible_to(user=_staff(request), pk=point_id)
    return list(selectors.day_list(point=point, since=clock.today()))


@router.post(
    "/confirmation/points/{point_id}/days",
    response={201: DayOut, **problems(403, 404, 409)},
    summary="添加开放日",
)
@idempotent
def confirmation_day_add(request: HttpRequest, point_id: ObjectId, payload: DayIn) -> Any:
    return Status(
        201,
        services.opening_day_add(
            actor=_admin(request), point_id=point_id, date=payload.date, note=payload.note
        ),
    )


@router.delete(
    "/confirmation/days/{day_id}",
    response={204: None, **problems(403, 404, 409)},
    summary="删除开放日（尚无人预约时）",
)
def confirmation_day_remove(request: HttpRequest, day_id: ObjectId) -> Any:
    services.opening_day_remove(actor=_admin(request), day_id=day_id)
    return Status(204, None)


@router.post(
    "/confirmation/days/{day_id}/slots",
    response={201: list[SlotOut], **problems(403, 404, 409)},
    summary="添加预约时段（可按分钟拆分为多个）",
)
@idempotent
def confirmation_slot_add(request: HttpRequest, day_id: ObjectId, payload: SlotsIn) -> Any:
    return Status(201, services.time_slot_add(actor=_admin(request), day_id=day_id, **payload.model_dump()))


@router.patch(
    "/confirmation/slots/{slot_id}",
    response={200: SlotOut, **problems(403, 404, 409)},
    summary="修改时段的可预约人数（不少于已预约人数）",
)
def confirmation_slot_update(request: HttpRequest, slot_id: ObjectId, payload: CapacityIn) -> Any:
    return services.time_slot_set_capacity(actor=_admin(request), slot_id=slot_id, capacity=payload.capacity)


@router.delete(
    "/confirmation/slots/{slot_id}",
    response={204: None, **problems(403, 404, 409)},
    summary="删除时段（尚无人预约时）",
)
def confirmation_slot_remove(request: HttpRequest, slot_id: ObjectId) -> Any:
    services.time_slot_remove(actor=_admin(request), slot_id=slot_id)
    return Status(204, None)


# ── the day's list and check-in (staff) ──────────────────────────────────────


@router.get(
    "/confirmation/bookings",
    response={200: list[StaffBookingOut], **problems(404)},
    summary="某确认点某日的预约名单（确认用户默认本确认点、今天）",
)
@paginate(Page)
def confirmation_booking_day_list(request: HttpRequest, query: Query[DayListQuery]) -> Any:
    user = _staff(request)
    if query.point_id is not None:
        point = selectors.point_get_visible_to(user=user, pk=query.point_id)
    elif user.role == Role.CONFIRMATION_USER:
        point = selectors.point_of_user(user=user)
    else:
        raise ValidationFailed.on_field("point_id", "请指定确认点（point_id）。", code="point_required")
    return selectors.booking_day_list(user=user, point=point, date=query.date or clock.today())


@router.get(
    "/confirmation/bookings/{booking_id}",
    response={200: StaffBookingOut, **problems(404)},
    summary="预约详情（工作人员）",
)
def confirmation_booking_detail(request: HttpRequest, booking_id: ObjectId) -> Any:
    return _staff_booking(_staff(request), booking_id)


@router.post(
    "/confirmation/check-in",
    response={200: StaffBookingOut, **problems(403, 404, 409)},
    summary="按签到码签到（扫码或输入；重复签到返回同一预约）",
)
def confirmation_check_in_by_code(request: HttpRequest, payload: CodeIn) -> Any:
    return services.booking_check_in_by_code(actor=_clerk(request), code=payload.code)


@router.post(
    "/confirmation/lookup",
    response={200: list[StaffBookingOut], **problems(403, 404)},
    summary="按身份证号查找本确认点的预约（身份证号只放在请求体中，查找记入审计）",
)
def confirmation_booking_lookup(request: HttpRequest, payload: ResidentIdIn) -> Any:
    return services.booking_find_by_resident_id(actor=_clerk(request), resident_id=payload.resident_id)


@router.post(
    "/confirmation/bookings/{booking_id}/check-in",
    response={200: StaffBookingOut, **problems(403, 404, 409)},
    summary="签到（确认用户，预约当天）",
)
def confirmation_booking_check_in(request: HttpRequest, booking_id: ObjectId) -> Any:
    return services.booking_check_in(actor=_clerk(request), booking_id=booking_id)


@router.post(
    "/confirmation/bookings/{booking_id}/no-show",
    response={200: StaffBookingOut, **problems(403, 404, 409)},
    summary="标记未到场（时段结束后）",
)
def confirmation_booking_no_show(request: HttpRequest, booking_id: ObjectId, payload: VersionIn) -> Any:
    return services.booking_mark_no_show(
        actor=_clerk(request), booking_id=booking_id, version=payload.version
    )


# ── the applicant's own bookings ──────────────────────────────────────────────


def _applicant(request: HttpRequest) -> User:
    user: User = current_user(request)
    require(is_active_applicant(user), "仅申请人本人可以预约。")
    return user


@router.get(
    "/confirmation/my/bookings",
    response={200: list[MyBookingOut], **problems(403)},
    auth=WITH_APPLICANTS,
    summary="申请人：我的现场确认预约",
)
def confirmation_my_bookings(request: HttpRequest) -> Any:
    return list(selectors.booking_list_of_applicant(user=_applicant(request))[:100])


@router.get(
    "/confirmation/my/slots",
    response={200: list[BookableSlotOut], **problems(403, 404)},
    auth=WITH_APPLICANTS,
    summary="申请人：某项业务可预约的时段",
)
def confirmation_my_bookable_slots(request: HttpRequest, query: Query[BookableQuery]) -> Any:
    user = _applicant(request)
    reference = reference_resolve(query.kind, query.reference_id, user)
    if reference.applicant_id != user.pk:
        raise NotFound("要预约的业务不存在。", code="reference_not_found")
    return list(
        selectors.slots_bookable(
            authority_id=reference.authority_id, point_institution_id=reference.point_institution_id
        )
    )


@router.post(
    "/confirmation/my/bookings",
    response={201: MyBookingOut, **problems(403, 404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：预约现场确认时段（同一业务同一时段重复提交返回原预约）",
)
@idempotent_with(WITH_APPLICANTS)
def confirmation_my_booking_create(request: HttpRequest, payload: BookIn) -> Any:
    booking = services.booking_create(
        actor=_applicant(request),
        kind=payload.kind,
        reference_id=payload.reference_id,
        slot_id=payload.slot_id,
    )
    return Status(201, booking)


@router.get(
    "/confirmation/my/bookings/{booking_id}",
    response={200: MyBookingOut, **problems(403, 404)},
    auth=WITH_APPLICANTS,
    summary="申请人：预约详情（含签到码）",
)
def confirmation_my_booking_detail(request: HttpRequest, booking_id: ObjectId) -> Any:
    return selectors.booking_get_of_applicant(user=_applicant(request), pk=booking_id)


@router.post(
    "/confirmation/my/bookings/{booking_id}/move",
    response={201: MyBookingOut, **problems(403, 404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：改约到另一时段（截止时间前）",
)
@idempotent_with(WITH_APPLICANTS)
def confirmation_my_booking_move(request: HttpRequest, booking_id: ObjectId, payload: MoveIn) -> Any:
    booking = services.booking_move(
        actor=_applicant(request), booking_id=booking_id, version=payload.version, slot_id=payload.slot_id
    )
    return Status(201, booking)


@router.post(
    "/confirmation/my/bookings/{booking_id}/cancel",
    response={200: MyBookingOut, **problems(403, 404, 409)},
    auth=WITH_APPLICANTS,
    summary="申请人：取消预约（截止时间前）",
)
def confirmation_my_booking_cancel(request: HttpRequest, booking_id: ObjectId, payload: VersionIn) -> Any:
    return services.booking_cancel(actor=_applicant(request), booking_id=booking_id, version=payload.version)
