"""Writes of confirmation: points, opening days, slots, and bookings.

Every write is one transaction with its audit row. A slot's ``booked`` counter moves only
by compare-and-set — ``UPDATE … SET booked = booked + 1 WHERE id = … AND booked <
capacity`` must touch one row — in the transaction that writes the booking, so two
applicants racing for the last place cannot both get it, on PostgreSQL or SQLite alike
(docs/decisions/0218). A booking's status moves by compare-and-set on its ``version``.
The reference's listeners (``references.register_booking_listener``) run inside the same
transaction after the audit row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, WindowClosed
from jiaozi.core.idcard import error_message as id_error_message
from jiaozi.core.idcard import normalise as id_normalise
from jiaozi.core.masking import mask_resident_id
from jiaozi.orgs.models import Institution
from jiaozi.orgs.services import PHONE_PATTERN, institution_create

from . import rules, selectors, tokens
from .models import Booking, ConfirmationPoint, OpeningDay, TimeSlot
from .permissions import can_manage_authority_points, can_work_at_point, is_booking_applicant
from .references import BookingEvent, BookingEventKind, Reference, booking_event_emit, reference_resolve

MAX_CAPACITY = 500
MAX_DIRECTIONS = 2000

# ── points, days, slots (the authority's admin) ───────────────────────────────────


def _require_admin(actor: Any, authority_id: int) -> None:
    if not can_manage_authority_points(actor=actor, authority_id=authority_id):
        raise PermissionDenied(_("只有本认定机构的管理员可以设置确认点。"))


def _check_contact(address: str, phone: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not address or len(address) > 255:
        errors["address"] = _("请填写确认点地址（不超过255字）。")
    if not PHONE_PATTERN.match(phone):
        errors["phone"] = _("咨询电话格式不正确，例如 0551-62831234。")
    return errors


@transaction.atomic
def confirmation_point_create(
    *,
    actor: Any,
    code: str,
    name: str,
    address: str,
    phone: str,
    office_hours: str = "",
    directions: str = "",
    institution_id: int | None = None,
) -> ConfirmationPoint:
    """A confirmation point of the actor's own certifying authority. Without
    ``institution_id`` the point's institution is created under the authority (where its
    confirmation users are then filed); with it, an existing point institution of the
    authority is given its booking profile."""
    authority = getattr(actor, "institution", None)
    if authority is None:
        raise PermissionDenied(_("只有本认定机构的管理员可以设置确认点。"))
    _require_admin(actor, authority.pk)
    if authority.kind != Institution.Kind.BUREAU:
        raise PermissionDenied(_("只有教育行政部门（认定机构）可以设置确认点。"))
    address, phone, directions = address.strip(), phone.strip(), directions.strip()
    errors = _check_contact(address, phone)
    if len(directions) > MAX_DIRECTIONS:
        errors["directions"] = _("办理须知不超过2000字。")
    if errors:
        raise ValidationFailed(_("确认点信息填写有误。"), code="invalid_point", field_errors=errors)
    if institution_id is None:
        institution = institution_create(
            actor=actor,
            parent=authority,
            code=code,
            name=name,
            kind=Institution.Kind.CONFIRMATION_POINT,
            address=address,
            phone=phone,
            office_hours=office_hours,
        )
    else:
        found = Institution.objects.filter(
            pk=institution_id, parent=authority, kind=Institution.Kind.CONFIRMATION_POINT
        ).first()
        if found is None:
            raise NotFound(_("确认点机构不存在或不属于本认定机构。"))
        institution = found
        Institution.objects.filter(pk=institution.pk).update(
            address=address, phone=phone, public_info_updated_at=clock.now(), version=F("version") + 1
        )
    try:
        with transaction.atomic():
            point = ConfirmationPoint.objects.create(
                institution=institution, authority=authority, directions=directions
            )
    except IntegrityError:
        raise Conflict(_("该确认点已设置。"), code="point_exists") from None
    audit_record(
        kind=AuditKind.CONFIRMATION_POINT_CREATED,
        actor=actor,
        obj=point,
        details={"code": institution.code, "authority": authority.code},
    )
    return point


@transaction.atomic
def confirmation_point_update(
    *,
    actor: Any,
    point_id: int,
    version: int,
    address: str,
    phone: str,
    directions: str,
    is_open: bool,
) -> ConfirmationPoint:
    """Change a point's contact, directions and whether it takes bookings (closing it
    keeps the bookings it has). Compare-and-set on ``version``."""
    point = selectors.point_get_visible_to(user=actor, pk=point_id)
    _require_admin(actor, point.authority_id)
    address, phone, directions = address.strip(), phone.strip(), directions.strip()
    errors = _check_contact(address, phone)
    if len(directions) > MAX_DIRECTIONS:
        errors["directions"] = _("办理须知不超过2000字。")
    if errors:
        raise ValidationFailed(_("确认点信息填写有误。"), code="invalid_point", field_errors=errors)
    now = clock.now()
    moved = ConfirmationPoint.objects.filter(pk=point.pk, version=version).update(
        directions=directions, is_open=is_open, updated_at=now, version=F("version") + 1
    )
    if moved != 1:
        raise Conflict(_("确认点已被他人修改，请刷新后重试。"), code="stale_version")
    # The point's address and phone are its institution's public information (the
    # directory shows them); a point has no admin of its own to fill them in orgs.
    Institution.objects.filter(pk=point.institution_id).update(
        address=address, phone=phone, public_info_updated_at=now, updated_at=now, version=F("version") + 1
    )
    audit_record(
        kind=AuditKind.CONFIRMATION_POINT_UPDATED,
        actor=actor,
        obj=point,
        details={"is_open": is_open, "version": version + 1},
    )
    point.refresh_from_db()
    point.institution.refresh_from_db()
    return point


@transaction.atomic
def opening_day_add(*, actor: Any, point_id: int, date: dt.date, note: str = "") -> OpeningDay:
    point = selectors.point_get_visible_to(user=actor, pk=point_id)
    _require_admin(actor, point.authority_id)
    if date < clock.today():
        raise ValidationFailed.on_field("date", _("开放日期不能早于今天。"), code="date_past")
    note = note.strip()
    if len(note) > 128:
        raise ValidationFailed.on_field("note", _("说明不超过128字。"), code="invalid_note")
    try:
        with transaction.atomic():
            day = OpeningDay.objects.create(point=point, date=date, note=note)
    except IntegrityError:
        raise Conflict.on_field("date", _("该日期已是开放日。"), code="day_exists") from None
    audit_record(
        kind=AuditKind.CONFIRMATION_DAY_ADDED,
        actor=actor,
        obj=day,
        details={"point": point.institution.code, "date": date.isoformat()},
    )
    return day


@transaction.atomic
def opening_day_remove(*, actor: Any, day_id: int) -> None:
    """Remove a day and its slots; refused once anyone has booked one of them."""
    day = selectors.day_get_visible_to(user=actor, pk=day_id)
    _require_admin(actor, day.point.authority_id)
    if Booking.objects.filter(slot__day=day).exists():
        raise Conflict(
            _("该开放日已有预约，不能删除；可将各时段容量调至已预约人数以停止预约。"), code="day_has_bookings"
        )
    TimeSlot.objects.filter(day=day).delete()
    day.delete()
    audit_record(
        kind=AuditKind.CONFIRMATION_DAY_REMOVED,
        actor=actor,
        object_type="confirmation.openingday",
        object_id=day_id,
        details={"point": day.point.institution.code, "date": day.date.isoformat()},
    )


def _check_capacity(capacity: int) -> None:
    if not 1 <= capacity <= MAX_CAPACITY:
        raise ValidationFailed.on_field(
            "capacity", _("可预约人数应在1至%(max)d之间。") % {"max": MAX_CAPACITY}, code="invalid_capacity"
        )


@transaction.atomic
def time_slot_add(
    *,
    actor: Any,
    day_id: int,
    starts_at: dt.time,
    ends_at: dt.time,
    capacity: int,
    every_minutes: int | None = None,
) -> list[TimeSlot]:
    """One slot from ``starts_at`` to ``ends_at``; with ``every_minutes``, consecutive
    slots of that length filling the span (a last part shorter than it is left out)."""
    day = selectors.day_get_visible_to(user=actor, pk=day_id)
    _require_admin(actor, day.point.authority_id)
    _check_capacity(capacity)
    if starts_at >= ends_at:
        raise ValidationFailed.on_field("ends_at", _("结束时间应晚于开始时间。"), code="invalid_times")
    spans: list[tuple[dt.time, dt.time]] = []
    if every_minutes:
        if not 5 <= every_minutes <= 480:
            raise ValidationFailed.on_field(
                "every_minutes", _("每个时段的长度应在5至480分钟之间。"), code="invalid_length"
            )
        step = dt.timedelta(minutes=every_minutes)
        start = dt.datetime.combine(day.date, starts_at)
        end = dt.datetime.combine(day.date, ends_at)
        while start + step <= end:
            spans.append((start.time(), (start + step).time()))
            start += step
        if not spans:
            raise ValidationFailed.on_field(
                "every_minutes", _("时段长度超过了起止时间。"), code="invalid_length"
            )
    else:
        spans.append((starts_at, ends_at))
    taken = set(TimeSlot.objects.filter(day=day).values_list("starts_at", "ends_at"))
    for start_t, end_t in spans:
        if any(start_t < t_end and t_start < end_t for t_start, t_end in taken):
            raise Conflict.on_field(
                "starts_at",
                _("%(start)s–%(end)s 与已有时段重叠。")
                % {"start": f"{start_t:%H:%M}", "end": f"{end_t:%H:%M}"},
                code="slot_overlaps",
            )
    slots = TimeSlot.objects.bulk_create(
        [
            TimeSlot(day=day, point_id=day.point_id, date=day.date, starts_at=s, ends_at=e, capacity=capacity)
            for s, e in spans
        ]
    )
    if slots and slots[0].pk is None:  # backends without RETURNING on bulk insert
        slots = list(
            TimeSlot.objects.filter(day=day, starts_at__in=[s for s, _e in spans]).order_by("starts_at")
        )
    audit_record(
        kind=AuditKind.CONFIRMATION_SLOT_ADDED,
        actor=actor,
        obj=day,
        details={
            "point": day.point.institution.code,
            "date": day.date.isoformat(),
            "slots": [f"{s:%H:%M}-{e:%H:%M}" for s, e in spans],
            "capacity": capacity,
        },
    )
    return slots


@transaction.atomic
def time_slot_set_capacity(*, actor: Any, slot_id: int, capacity: int) -> TimeSlot:
    """Change a slot's capacity, never below the places already booked (compare-and-set:
    a booking made meanwhile is counted)."""
    slot = selectors.slot_get_visible_to(user=actor, pk=slot_id)
    _require_admin(actor, slot.point.authority_id)
    _check_capacity(capacity)
    moved = TimeSlot.objects.filter(pk=slot.pk, booked__lte=capacity).update(capacity=capacity)
    if moved != 1:
        raise Conflict.on_field("capacity", _("可预约人数不能少于已预约人数。"), code="capacity_below_booked")
    audit_record(
        kind=AuditKind.CONFIRMATION_SLOT_CHANGED,
        actor=actor,
        obj=slot,
        details={"before": slot.capacity, "after": capacity},
    )
    slot.refresh_from_db()
    return slot


@transaction.atomic
def time_slot_remove(*, actor: Any, slot_id: int) -> None:
    slot = selectors.slot_get_visible_to(user=actor, pk=slot_id)
    _require_admin(actor, slot.point.authority_id)
    if Booking.objects.filter(slot=slot).exists():
        raise Conflict(
            _("该时段已有预约，不能删除；可将容量调至已预约人数以停止预约。"), code="slot_has_bookings"
        )
    TimeSlot.objects.filter(pk=slot.pk).delete()
    audit_record(
        kind=AuditKind.CONFIRMATION_SLOT_REMOVED,
        actor=actor,
        object_type="confirmation.timeslot",
        object_id=slot_id,
        details={"date": slot.date.isoformat(), "slot": f"{slot.starts_at:%H:%M}-{slot.ends_at:%H:%M}"},
    )


# ── bookings ──────────────────────────────────────────────────────────────────────


def _slot_take(slot_id: int) -> None:
    """Take one place in the slot: the compare-and-set that makes over-booking impossible."""
    if TimeSlot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(booked=F("booked") + 1) != 1:
        raise Conflict(_("该时段已约满，请选择其他时段。"), code="slot_full")


def _slot_release(slot_id: int) -> None:
    TimeSlot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _deadline_text(slot_date: dt.date) -> str:
    return f"{rules.change_deadline(slot_date):%Y年%m月%d日%H:%M}"


def _check_changeable(slot_date: dt.date, *, what: str) -> None:
    if not rules.may_change(clock.now(), slot_date):
        raise WindowClosed(
            _("%(what)s须在%(deadline)s前办理，现已截止。")
            % {"what": what, "deadline": _deadline_text(slot_date)},
            code="change_closed",
        )


def _bookable_slot(slot_id: int, reference: Reference) -> TimeSlot:
    slot = (
        TimeSlot.objects.filter(pk=slot_id, point__is_open=True, point__institution__is_active=True)
        .select_related("point__institution")
        .first()
    )
    if slot is None or slot.point.authority_id != reference.authority_id:
        raise NotFound.on_field(
            "slot_id", _("所选时段不存在或不属于您所选认定机构的确认点。"), code="slot_not_found"
        )
    if (
        reference.point_institution_id is not None
        and slot.point.institution_id != reference.point_institution_id
    ):
        raise ValidationFailed.on_field("slot_id", _("请选择您申请时所选确认点的时段。"), code="wrong_point")
    return slot


def _audit_booking(kind: AuditKind, actor: Any, booking: Booking, **details: Any) -> None:
    audit_record(
        kind=kind,
        actor=actor,
        obj=booking,
        details={
            "reference": f"{booking.reference_kind}:{booking.reference_id}",
            "point": booking.point.institution.code,
            "date": booking.date.isoformat(),
            "slot": f"{booking.slot.starts_at:%H:%M}",
            **details,
        },
    )


def _new_booking(*, reference: Reference, slot: TimeSlot, moved_from: Booking | None = None) -> Booking:
    booking = Booking(
        reference_kind=reference.kind,
        reference_id=reference.id,
        label=reference.label[:128],
        applicant_id=reference.applicant_id,
        slot=slot,
        point=slot.point,
        date=slot.date,
        token=tokens.nonce_new(),
        moved_from=moved_from,
        status_changed_at=clock.now(),
    )
    try:
        with transaction.atomic():
            booking.save(force_insert=True)
    except IntegrityError:
        raise Conflict(_("该业务已有有效预约，如需更换时间请改约。"), code="already_booked") from None
    return booking


def _reference_for_applicant(actor: Any, kind: str, reference_id: int) -> Reference:
    reference = reference_resolve(kind, reference_id, actor)
    if not is_booking_applicant(actor=actor, applicant_id=reference.applicant_id):
        # Someone else's record answers as a missing one.
        raise NotFound(_("要预约的业务不存在。"), code="reference_not_found")
    if not reference.may_book:
        raise Conflict(reference.reason or _("该业务当前不能预约现场确认。"), code="not_bookable")
    return reference


@transaction.atomic
def booking_create(*, actor: Any, kind: str, reference_id: int, slot_id: int) -> Booking:
    """Book ``slot_id`` for the applicant's record ``kind``/``reference_id``.

    Idempotent: the same record already booked on the same slot returns that booking.
    Refused: a record with another live booking (``already_booked``: move it instead), a
    full slot (``slot_full``), a slot past its change deadline (``change_closed``)."""
    reference = _reference_for_applicant(actor, kind, reference_id)
    slot = _bookable_slot(slot_id, reference)
    existing = (
        Booking.objects.filter(reference_kind=kind, reference_id=reference_id, status__in=Booking.LIVE)
        .select_related("slot", "point__institution")
        .first()
    )
    if existing is not None:
        if existing.slot_id == slot.pk and existing.status == Booking.Status.BOOKED:
            return existing
        raise Conflict(_("该业务已有有效预约，如需更换时间请改约。"), code="already_booked")
    _check_changeable(slot.date, what=_("预约"))
    _slot_take(slot.pk)
    booking = _new_booking(reference=reference, slot=slot)
    _audit_booking(AuditKind.BOOKING_CREATED, actor, booking)
    booking_event_emit(BookingEvent(BookingEventKind.BOOKED, booking, actor))
    return booking


def _own_booking(actor: Any, booking_id: int) -> Booking:
    booking = selectors.booking_get_of_applicant(user=actor, pk=booking_id)
    return booking


def _status_set(booking: Booking, *, version: int, source: str, values: dict[str, Any]) -> None:
    now = clock.now()
    moved = Booking.objects.filter(pk=booking.pk, status=source, version=version).update(
        **values, status_changed_at=now, updated_at=now, version=F("version") + 1
    )
    if moved != 1:
        raise Conflict(_("预约已变更，请刷新后重试。"), code="stale_version")
    for name, value in values.items():
        setattr(booking, name, value)
    booking.status_changed_at = now
    booking.version = version + 1


def _check_source(booking: Booking, expected: str) -> None:
    if booking.status != expected:
        raise Conflict(
            _("预约当前为“%(status)s”，不能办理此操作。") % {"status": booking.get_status_display()},
            code="wrong_stage",
        )


@transaction.atomic
def booking_move(*, actor: Any, booking_id: int, version: int, slot_id: int) -> Booking:
    """Move a booking to another slot of the same authority (and point, when the record
    names one) until the change deadline of both days. The old booking becomes
    ``moved`` and a new one (with a new check-in code) takes its place."""
    old = _own_booking(actor, booking_id)
    _check_source(old, Booking.Status.BOOKED)
    reference = _reference_for_applicant(actor, old.reference_kind, old.reference_id)
    slot = _bookable_slot(slot_id, reference)
    if slot.pk == old.slot_id:
        raise ValidationFailed.on_field("slot_id", _("请选择与原预约不同的时段。"), code="same_slot")
    _check_changeable(old.date, what=_("改约"))
    _check_changeable(slot.date, what=_("预约"))
    _status_set(old, version=version, source=Booking.Status.BOOKED, values={"status": Booking.Status.MOVED})
    # Slot rows are locked in id order, so two moves in opposite directions cannot deadlock.
    for step in sorted(((old.slot_id, _slot_release), (slot.pk, _slot_take)), key=lambda s: s[0]):
        step[1](step[0])
    booking = _new_booking(reference=reference, slot=slot, moved_from=old)
    _audit_booking(
        AuditKind.BOOKING_MOVED,
        actor,
        booking,
        moved_from=old.pk,
        before=f"{old.date:%Y-%m-%d} {old.slot.starts_at:%H:%M}",
    )
    booking_event_emit(BookingEvent(BookingEventKind.MOVED, booking, actor, previous=old))
    return booking


@transaction.atomic
def booking_cancel(*, actor: Any, booking_id: int, version: int) -> Booking:
    """The applicant cancels until the change deadline; the place is freed."""
    booking = _own_booking(actor, booking_id)
    _check_source(booking, Booking.Status.BOOKED)
    _check_changeable(booking.date, what=_("取消预约"))
    _status_set(
        booking, version=version, source=Booking.Status.BOOKED, values={"status": Booking.Status.CANCELLED}
    )
    _slot_release(booking.slot_id)
    _audit_booking(AuditKind.BOOKING_CANCELLED, actor, booking)
    booking_event_emit(BookingEvent(BookingEventKind.CANCELLED, booking, actor))
    return booking


def _staff_booking(actor: Any, booking: Booking) -> Booking:
    if not can_work_at_point(actor=actor, point_institution_id=booking.point.institution_id):
        raise PermissionDenied(_("只有本确认点的确认用户可以办理签到。"))
    return booking


@transaction.atomic
def booking_check_in(*, actor: Any, booking_id: int, version: int | None = None) -> Booking:
    """The confirmation user checks the applicant in, on the booked day. Idempotent: a
    booking already checked in is returned as it is (one audit row, one event)."""
    booking = _staff_booking(actor, selectors.booking_get_visible_to(user=actor, pk=booking_id))
    if booking.status == Booking.Status.CHECKED_IN:
        return booking
    _check_source(booking, Booking.Status.BOOKED)
    if not rules.may_check_in(clock.now(), booking.date):
        raise WindowClosed(
            _("该预约的确认日期为%(date)s，只能在当天签到。") % {"date": f"{booking.date:%Y年%m月%d日}"},
            code="not_today",
        )
    now = clock.now()
    _status_set(
        booking,
        version=booking.version if version is None else version,
        source=Booking.Status.BOOKED,
        values={"status": Booking.Status.CHECKED_IN, "checked_in_at": now, "checked_in_by_id": actor.pk},
    )
    _audit_booking(AuditKind.BOOKING_CHECKED_IN, actor, booking)
    booking_event_emit(BookingEvent(BookingEventKind.CHECKED_IN, booking, actor))
    return booking


def booking_check_in_by_code(*, actor: Any, code: str) -> Booking:
    """Check in the booking a scanned or typed code names."""
    booking = selectors.booking_get_by_code(user=actor, code=code)
    return booking_check_in(actor=actor, booking_id=booking.pk)


@transaction.atomic
def booking_mark_no_show(*, actor: Any, booking_id: int, version: int) -> Booking:
    """Record that the applicant did not come, once the slot is over. The place stays
    counted (the slot is past); the record may be booked again (docs/decisions/0216)."""
    booking = _staff_booking(actor, selectors.booking_get_visible_to(user=actor, pk=booking_id))
    _check_source(booking, Booking.Status.BOOKED)
    if not rules.may_mark_no_show(clock.now(), booking.date, booking.slot.ends_at):
        raise WindowClosed(_("时段结束后才能标记未到场。"), code="slot_not_over")
    _status_set(
        booking, version=version, source=Booking.Status.BOOKED, values={"status": Booking.Status.NO_SHOW}
    )
    _audit_booking(AuditKind.BOOKING_NO_SHOW, actor, booking)
    booking_event_emit(BookingEvent(BookingEventKind.NO_SHOW, booking, actor))
    return booking


@transaction.atomic
def booking_find_by_resident_id(*, actor: Any, resident_id: str) -> list[Booking]:
    """The confirmation user's lookup of an applicant's bookings at the point by resident
    ID (when the applicant has no code at hand). Audited with the masked number."""
    point = selectors.point_of_user(user=actor)
    if not can_work_at_point(actor=actor, point_institution_id=point.institution_id):
        raise PermissionDenied(_("只有本确认点的确认用户可以按身份证号查找。"))
    value = id_normalise(resident_id)
    problem = id_error_message(value)
    if problem:
        raise ValidationFailed.on_field("resident_id", problem, code="invalid_resident_id")
    found = selectors.booking_list_by_resident_id(user=actor, point=point, resident_id=value)
    audit_record(
        kind=AuditKind.BOOKING_LOOKED_UP_BY_ID,
        actor=actor,
        obj=point,
        details={"resident_id": mask_resident_id(value), "found": len(found)},
    )
    return found


def booking_count_live(slot_id: int) -> int:
    """Live bookings of a slot, counted from the rows (tests and the benchmark compare it
    with the slot's counter)."""
    return Booking.objects.filter(slot_id=slot_id, status__in=Booking.LIVE).count()


__all__ = [
    "booking_cancel",
    "booking_check_in",
    "booking_check_in_by_code",
    "booking_create",
    "booking_find_by_resident_id",
    "booking_mark_no_show",
    "booking_move",
    "confirmation_point_create",
    "confirmation_point_update",
    "opening_day_add",
    "opening_day_remove",
    "time_slot_add",
    "time_slot_remove",
    "time_slot_set_capacity",
]
