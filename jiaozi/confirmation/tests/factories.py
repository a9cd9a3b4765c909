"""Helpers of confirmation's tests: the 庐阳区 authority with one point, a day two days
after "now" with two slots, applicants with valid resident IDs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_applicant, make_staff
from jiaozi.core import idcard
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import LUYANG, bureau

from .. import services
from ..models import ConfirmationPoint, OpeningDay, TimeSlot
from ..references import Reference

SHANGHAI = ZoneInfo("Asia/Shanghai")
# "Now" in these tests: Tuesday 2024-10-08 09:00; the point opens on Thursday 10-10.
NOW = dt.datetime(2024, 10, 8, 9, 0, tzinfo=SHANGHAI)
DAY = dt.date(2024, 10, 10)


@dataclass
class Site:
    authority: Institution
    admin: User
    point: ConfirmationPoint
    clerk: User  # the point's confirmation user
    day: OpeningDay
    morning: TimeSlot  # 09:00–10:00, 2 places
    afternoon: TimeSlot  # 14:00–15:00, 5 places


def make_site(division: str = LUYANG, code: str = "340103QR01") -> Site:
    authority = bureau(division)
    admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=authority)
    point = services.confirmation_point_create(
        actor=admin,
        code=code,
        name=f"{authority.name}确认点",
        address="合肥市庐阳区政务服务中心三楼",
        phone="0551-62831234",
        directions="请携带身份证原件。",
    )
    clerk = make_staff(role=Role.CONFIRMATION_USER, institution=point.institution)
    day = services.opening_day_add(actor=admin, point_id=point.pk, date=DAY)
    (morning,) = services.time_slot_add(
        actor=admin, day_id=day.pk, starts_at=dt.time(9), ends_at=dt.time(10), capacity=2
    )
    (afternoon,) = services.time_slot_add(
        actor=admin, day_id=day.pk, starts_at=dt.time(14), ends_at=dt.time(15), capacity=5
    )
    return Site(authority, admin, point, clerk, day, morning, afternoon)


_ids = iter(range(1, 10_000))


def applicant() -> User:
    n = next(_ids)
    return make_applicant(resident_id=idcard.make(f"340103199{n // 1000 % 10}0101{n % 1000:03d}"))


def owner(ref: Reference) -> User:
    return User.objects.get(pk=ref.applicant_id)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)
