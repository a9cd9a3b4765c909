"""Booking services: create, move, cancel, check in, no-show — what each writes, what
each refuses (and that a refusal changes nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, WindowClosed

from .. import selectors, services, tokens
from ..models import Booking, TimeSlot
from ..references import BookingEvent, Reference, register_booking_listener, unregister_booking_listener
from ..testing import MemoryReferences
from .factories import DAY, Site, applicant, at, make_site, owner

pytestmark = pytest.mark.django_db


def booked(slot: TimeSlot) -> int:
    slot.refresh_from_db()
    return slot.booked


def audits(kind: AuditKind) -> int:
    return AuditEvent.objects.filter(kind=kind).count()


def book(ref: Reference, slot: TimeSlot) -> Booking:
    return services.booking_create(actor=owner(ref), kind=ref.kind, reference_id=ref.id, slot_id=slot.pk)


# ── create ─────────────────────────────────────────────────────────────────────


def test_booking_takes_a_place_writes_an_audit_row_and_tells_the_listener(
    site: Site, record: Reference, refs: MemoryReferences
) -> None:
    booking = book(record, site.morning)
    assert booking.status == Booking.Status.BOOKED
    assert (booking.point_id, booking.date, booking.applicant_id) == (site.point.pk, DAY, record.applicant_id)
    assert booked(site.morning) == 1
    assert audits(AuditKind.BOOKING_CREATED) == 1
    assert [(e.kind, e.booking.pk) for e in refs.events] == [("booked", booking.pk)]


def test_booking_again_on_the_same_slot_returns_the_same_booking(site: Site, record: Reference) -> None:
    first = book(record, site.morning)
    again = book(record, site.morning)
    assert again.pk == first.pk
    assert booked(site.morning) == 1
    assert audits(AuditKind.BOOKING_CREATED) == 1


def test_a_second_slot_for_a_booked_record_is_refused(site: Site, record: Reference) -> None:
    book(record, site.morning)
    with pytest.raises(Conflict) as exc:
        book(record, site.afternoon)
    assert exc.value.code == "already_booked"
    assert booked(site.afternoon) == 0


def test_a_full_slot_is_refused_and_nothing_is_written(site: Site, refs: MemoryReferences) -> None:
    for _ in range(2):
        book(refs.add(applicant=applicant(), authority=site.authority), site.morning)
    late = refs.add(applicant=applicant(), authority=site.authority)
    with pytest.raises(Conflict) as exc:
        book(late, site.morning)
    assert exc.value.code == "slot_full"
    assert booked(site.morning) == 2
    assert Booking.objects.filter(reference_id=late.id).count() == 0


def test_booking_closes_at_the_cut_off_the_day_before_at_17(site: Site, record: Reference) -> None:
    with clock.travel(at(DAY - dt.timedelta(days=1), 16, 59)):
        book(record, site.morning)
    other = MemoryReferences.install("test2")
    try:
        ref = other.add(applicant=applicant(), authority=site.authority)
        with clock.travel(at(DAY - dt.timedelta(days=1), 17, 0)), pytest.raises(WindowClosed) as exc:
            book(ref, site.morning)
        assert exc.value.code == "change_closed"
        assert "2024年10月09日17:00" in exc.value.message
    finally:
        other.uninstall()
    assert booked(site.morning) == 1


def test_someone_elses_record_answers_not_found(site: Site, record: Reference) -> None:
    with pytest.raises(NotFound):
        services.booking_create(
            actor=applicant(), kind=record.kind, reference_id=record.id, slot_id=site.morning.pk
        )
    assert booked(site.morning) == 0


def test_staff_cannot_book_for_an_applicant(site: Site, record: Reference) -> None:
    with pytest.raises(NotFound):
        services.booking_create(
            actor=site.admin, kind=record.kind, reference_id=record.id, slot_id=site.morning.pk
        )


def test_a_record_not_at_a_bookable_stage_is_refused_with_its_reason(
    site: Site, refs: MemoryReferences
) -> None:
    ref = refs.add(applicant=applicant(), authority=site.authority, may_book=False, reason="申请尚未提交。")
    with pytest.raises(Conflict) as exc:
        book(ref, site.morning)
    assert (exc.value.code, exc.value.message) == ("not_bookable", "申请尚未提交。")


def test_a_slot_of_another_authority_is_not_found(site: Site, refs: MemoryReferences) -> None:
    other = make_site("340102", "340102QR01")
    ref = refs.add(applicant=applicant(), authority=site.authority)
    with pytest.raises(NotFound) as exc:
        book(ref, other.morning)
    assert exc.value.code == "slot_not_found"


def test_the_point_chosen_on_the_record_binds_the_booking(site: Site, refs: MemoryReferences) -> None:
    second = services.confirmation_point_create(
        actor=site.admin, code="340103QR02", name="第二确认点", address="某路1号", phone="0551-1234567"
    )
    ref = refs.add(
        applicant=applicant(), authority=site.authority, point_institution_id=second.institution_id
    )
    with pytest.raises(ValidationFailed) as exc:
        book(ref, site.morning)
    assert exc.value.code == "wrong_point"


def test_unknown_kind_is_not_found(site: Site) -> None:
    with pytest.raises(NotFound):
        services.booking_create(actor=applicant(), kind="nothing", reference_id=1, slot_id=site.morning.pk)


def test_a_listener_that_raises_rolls_the_booking_back(site: Site, record: Reference) -> None:
    def refuse(event: BookingEvent) -> None:
        raise Conflict("no", code="listener_refused")

    register_booking_listener(refuse, kind=record.kind)
    try:
        with pytest.raises(Conflict):
            book(record, site.morning)
    finally:
        unregister_booking_listener(refuse)
    assert booked(site.morning) == 0
    assert not Booking.objects.exists()
    assert audits(AuditKind.BOOKING_CREATED) == 0


# ── move and cancel ───────────────────────────────────────────────────────────


def test_moving_frees_the_old_place_and_takes_the_new_one(
    site: Site, record: Reference, refs: MemoryReferences
) -> None:
    old = book(record, site.morning)
    new = services.booking_move(
        actor=owner(record), booking_id=old.pk, version=old.version, slot_id=site.afternoon.pk
    )
    old.refresh_from_db()
    assert old.status == Booking.Status.MOVED
    assert (new.status, new.slot_id, new.moved_from_id) == (Booking.Status.BOOKED, site.afternoon.pk, old.pk)
    assert new.token != old.token
    assert (booked(site.morning), booked(site.afternoon)) == (0, 1)
    assert audits(AuditKind.BOOKING_MOVED) == 1
    assert refs.events[-1].kind == "moved"
    assert refs.events[-1].previous is not None
    assert selectors.booking_for_reference(record.kind, record.id) == new


def test_moving_with_a_stale_version_changes_nothing(site: Site, record: Reference) -> None:
    old = book(record, site.morning)
    with pytest.raises(Conflict) as exc:
        services.booking_move(
            actor=owner(record), booking_id=old.pk, version=old.version + 1, slot_id=site.afternoon.pk
        )
    assert exc.value.code == "stale_version"
    assert (booked(site.morning), booked(site.afternoon)) == (1, 0)


def test_moving_into_a_full_slot_changes_nothing(site: Site, refs: MemoryReferences) -> None:
    for _ in range(2):
        book(refs.add(applicant=applicant(), authority=site.authority), site.morning)
    ref = refs.add(applicant=applicant(), authority=site.authority)
    mine = book(ref, site.afternoon)
    with pytest.raises(Conflict) as exc:
        services.booking_move(
            actor=owner(ref), booking_id=mine.pk, version=mine.version, slot_id=site.morning.pk
        )
    assert exc.value.code == "slot_full"
    mine.refresh_from_db()
    assert mine.status == Booking.Status.BOOKED
    assert (booked(site.morning), booked(site.afternoon)) == (2, 1)


def test_moving_after_the_cut_off_is_refused(site: Site, record: Reference) -> None:
    old = book(record, site.morning)
    with clock.travel(at(DAY - dt.timedelta(days=1), 17)), pytest.raises(WindowClosed):
        services.booking_move(
            actor=owner(record), booking_id=old.pk, version=old.version, slot_id=site.afternoon.pk
        )


def test_only_the_owner_moves_or_cancels(site: Site, record: Reference) -> None:
    old = book(record, site.morning)
    with pytest.raises(NotFound):
        services.booking_cancel(actor=applicant(), booking_id=old.pk, version=old.version)
    with pytest.raises(NotFound):
        services.booking_move(
            actor=site.clerk, booking_id=old.pk, version=old.version, slot_id=site.afternoon.pk
        )


def test_cancel_frees_the_place_and_the_record_may_book_again(site: Site, record: Reference) -> None:
    booking = book(record, site.morning)
    cancelled = services.booking_cancel(actor=owner(record), booking_id=booking.pk, version=booking.version)
    assert cancelled.status == Booking.Status.CANCELLED
    assert booked(site.morning) == 0
    assert audits(AuditKind.BOOKING_CANCELLED) == 1
    again = book(record, site.afternoon)
    assert again.pk != booking.pk
    with pytest.raises(Conflict) as exc:
        services.booking_cancel(actor=owner(record), booking_id=booking.pk, version=cancelled.version)
    assert exc.value.code == "wrong_stage"


def test_cancel_after_the_cut_off_is_refused(site: Site, record: Reference) -> None:
    booking = book(record, site.morning)
    with clock.travel(at(DAY, 8)), pytest.raises(WindowClosed):
        services.booking_cancel(actor=owner(record), booking_id=booking.pk, version=booking.version)
    assert booked(site.morning) == 1


# ── check in and no-show ─────────────────────────────────────────────────────


def test_check_in_by_code_on_the_day(site: Site, record: Reference, refs: MemoryReferences) -> None:
    booking = book(record, site.morning)
    code = tokens.code_of(booking.token)
    with clock.travel(at(DAY, 9, 5)):
        done = services.booking_check_in_by_code(actor=site.clerk, code=code.lower().replace("-", " "))
    assert done.status == Booking.Status.CHECKED_IN
    assert done.checked_in_by_id == site.clerk.pk
    assert selectors.checked_in(record.kind, record.id)
    assert refs.events[-1].kind == "checked_in"
    # Scanning the code again answers the same booking and records nothing more.
    with clock.travel(at(DAY, 9, 6)):
        again = services.booking_check_in_by_code(actor=site.clerk, code=code)
    assert again.pk == done.pk
    assert audits(AuditKind.BOOKING_CHECKED_IN) == 1


def test_check_in_is_on_the_booked_day_only(site: Site, record: Reference) -> None:
    booking = book(record, site.morning)
    with pytest.raises(WindowClosed) as exc:
        services.booking_check_in(actor=site.clerk, booking_id=booking.pk)
    assert exc.value.code == "not_today"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_a_forged_or_mistyped_code_is_refused_before_any_lookup(site: Site, record: Reference) -> None:
    booking = book(record, site.morning)
    code = tokens.code_of(booking.token)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with clock.travel(at(DAY, 9)), pytest.raises(ValidationFailed) as exc:
        services.booking_check_in_by_code(actor=site.clerk, code=wrong)
    assert exc.value.code == "invalid_code"


def test_a_clerk_of_another_point_does_not_find_the_booking(site: Site, record: Reference) -> None:
    other = make_site("340102", "340102QR01")
    booking = book(record, site.morning)
    with clock.travel(at(DAY, 9)), pytest.raises(NotFound):
        services.booking_check_in_by_code(actor=other.clerk, code=tokens.code_of(booking.token))
    # The authority's admin sees the booking but does not check people in.
    with clock.travel(at(DAY, 9)), pytest.raises(PermissionDenied):
        services.booking_check_in(actor=site.admin, booking_id=booking.pk)


def test_no_show_only_after_the_slot_and_the_record_may_book_again(
    site: Site, record: Reference, refs: MemoryReferences
) -> None:
    booking = book(record, site.morning)
    with clock.travel(at(DAY, 9, 59)), pytest.raises(WindowClosed):
        services.booking_mark_no_show(actor=site.clerk, booking_id=booking.pk, version=booking.version)
    with clock.travel(at(DAY, 10)):
        absent = services.booking_mark_no_show(
            actor=site.clerk, booking_id=booking.pk, version=booking.version
        )
    assert absent.status == Booking.Status.NO_SHOW
    assert booked(site.morning) == 1  # the past slot keeps its count
    assert refs.events[-1].kind == "no_show"
    assert not selectors.checked_in(record.kind, record.id)
    next_day = services.opening_day_add(
        actor=site.admin, point_id=site.point.pk, date=DAY + dt.timedelta(days=3)
    )
    (slot,) = services.time_slot_add(
        actor=site.admin, day_id=next_day.pk, starts_at=dt.time(9), ends_at=dt.time(10), capacity=1
    )
    with clock.travel(at(DAY, 10)):
        again = book(record, slot)
    assert again.status == Booking.Status.BOOKED


def test_resident_id_lookup_finds_the_booking_and_is_audited_masked(site: Site, record: Reference) -> None:
    booking = book(record, site.morning)
    resident_id = owner(record).resident_id
    assert resident_id
    found = services.booking_find_by_resident_id(actor=site.clerk, resident_id=resident_id.lower())
    assert [b.pk for b in found] == [booking.pk]
    event = AuditEvent.objects.get(kind=AuditKind.BOOKING_LOOKED_UP_BY_ID)
    assert resident_id not in str(event.details)
    assert "********" in event.details["resident_id"]
    with pytest.raises(ValidationFailed):
        services.booking_find_by_resident_id(actor=site.clerk, resident_id="340103199001011230")


def test_a_failure_after_the_write_rolls_back_place_booking_and_audit(site: Site, record: Reference) -> None:
    def book_then_fail() -> None:
        with transaction.atomic():
            book(record, site.morning)
            raise RuntimeError("later step failed")

    with pytest.raises(RuntimeError):
        book_then_fail()
    assert booked(site.morning) == 0
    assert not Booking.objects.exists()
    assert audits(AuditKind.BOOKING_CREATED) == 0
