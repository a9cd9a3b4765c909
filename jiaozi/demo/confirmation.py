"""The demo's confirmation points (确认点): the 合肥市 (types 4–6) and 庐阳区 (types 1–3)
points get their booking profile, opening days on the next working days with morning and
afternoon slots, and — for every applicant record that a registered source lists as
still to book (certification's applications, once that app registers its source) —
a booking, so the day lists are not empty. Idempotent: what exists is left as it is."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from jiaozi.accounts.models import User
from jiaozi.confirmation.models import ConfirmationPoint, OpeningDay, TimeSlot
from jiaozi.confirmation.references import references_pending
from jiaozi.confirmation.selectors import slots_bookable
from jiaozi.confirmation.services import booking_create
from jiaozi.core import clock
from jiaozi.core.errors import DomainError
from jiaozi.core.workdays import is_working_day
from jiaozi.orgs.models import Institution

# The points' public information (their institutions were loaded without it).
CONTACTS: dict[str, tuple[str, str, str]] = {
    "340100QR01": (
        "合肥市政务服务中心二楼教育窗口（怀宁路1688号）",
        "0551-63538000",
        "工作日 9:00-12:00，14:30-17:30",
    ),
    "340103QR01": (
        "庐阳区政务服务中心一楼综合窗口（阜南路169号）",
        "0551-65697000",
        "工作日 9:00-12:00，14:30-17:30",
    ),
}
POINTS: dict[str, str] = {
    "340100QR01": "请携带身份证原件、学历证书原件、普通话水平测试等级证书原件和近期免冠照片。市政务服务中心二楼教育窗口，乘地铁2号线至政务中心站。",
    "340103QR01": "请携带身份证原件、学历证书原件和普通话水平测试等级证书原件。区政务服务中心一楼综合窗口。",
}
DAYS = 6
# (start, end, capacity)
SLOTS = (
    (dt.time(9), dt.time(10, 30), 12),
    (dt.time(10, 30), dt.time(12), 12),
    (dt.time(14, 30), dt.time(16), 12),
    (dt.time(16), dt.time(17, 30), 8),
)


def _workdays(start: dt.date, n: int) -> list[dt.date]:
    days: list[dt.date] = []
    day = start
    while len(days) < n:
        if is_working_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


@transaction.atomic
def confirmation_seed() -> dict[str, int]:
    """Points, days, slots and bookings of the demo; returns what was created."""
    created = {"points": 0, "days": 0, "slots": 0, "bookings": 0}
    institutions = Institution.objects.filter(code__in=POINTS, kind=Institution.Kind.CONFIRMATION_POINT)
    # Days start the day after tomorrow: tomorrow's list closed at 17:00 today.
    dates = _workdays(clock.today() + dt.timedelta(days=2), DAYS)
    for institution in institutions:
        if institution.parent_id is None:
            continue
        if not institution.address:
            address, phone, hours = CONTACTS[institution.code]
            Institution.objects.filter(pk=institution.pk).update(
                address=address, phone=phone, office_hours=hours, public_info_updated_at=clock.now()
            )
        point, made = ConfirmationPoint.objects.get_or_create(
            institution=institution,
            defaults={"authority_id": institution.parent_id, "directions": POINTS[institution.code]},
        )
        created["points"] += made
        for date in dates:
            day, made = OpeningDay.objects.get_or_create(point=point, date=date)
            created["days"] += made
            if not made:
                continue
            TimeSlot.objects.bulk_create(
                [
                    TimeSlot(day=day, point=point, date=date, starts_at=s, ends_at=e, capacity=c)
                    for s, e, c in SLOTS
                ]
            )
            created["slots"] += len(SLOTS)
    created["bookings"] = _book_pending()
    return created


def _book_pending() -> int:
    """Book every record a source lists as still to book, spread over the first slots."""
    made = 0
    for user in User.objects.filter(kind=User.Kind.APPLICANT, is_active=True).order_by("pk"):
        for reference in references_pending(user):
            slots = list(
                slots_bookable(
                    authority_id=reference.authority_id, point_institution_id=reference.point_institution_id
                )[:8]
            )
            if not slots:
                continue
            slot = slots[made % len(slots)]
            try:
                with transaction.atomic():
                    booking_create(
                        actor=user, kind=reference.kind, reference_id=reference.id, slot_id=slot.pk
                    )
                made += 1
            except DomainError:
                continue
    return made
