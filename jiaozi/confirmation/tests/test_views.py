"""The pages: the admin defines a point, a day and slots; the confirmation user checks
in by code, by the code's address and by resident ID; the applicant books, sees the QR
code, moves and cancels."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.testing import sign_in
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock

from .. import services, tokens
from ..models import Booking, ConfirmationPoint, OpeningDay, TimeSlot
from ..references import Reference
from ..testing import MemoryReferences
from .factories import DAY, Site, applicant, at, owner

pytestmark = pytest.mark.django_db


def staff(user: object) -> Client:
    return sign_in(Client(), user)  # type: ignore[arg-type]


def me(ref: Reference) -> Client:
    client = Client()
    client.force_login(owner(ref))
    return client


def book(ref: Reference, slot: TimeSlot) -> Booking:
    return services.booking_create(actor=owner(ref), kind=ref.kind, reference_id=ref.id, slot_id=slot.pk)


# ── the admin ──────────────────────────────────────────────────────────────────


def test_the_admin_defines_a_point_a_day_and_slots(site: Site) -> None:
    client = staff(site.admin)
    response = client.post(
        reverse("confirmation:point_create"),
        {
            "code": "340103QR02",
            "name": "庐阳区第二确认点",
            "address": "庐阳区阜南路1号",
            "phone": "0551-65550000",
        },
    )
    point = ConfirmationPoint.objects.get(institution__code="340103QR02")
    assert response.status_code == 302
    assert response["Location"] == reverse("confirmation:point_detail", args=[point.pk])
    response = client.post(reverse("confirmation:day_add", args=[point.pk]), {"date": "2024-10-12"})
    day = OpeningDay.objects.get(point=point)
    assert response.status_code == 302
    response = client.post(
        reverse("confirmation:slot_add", args=[day.pk]),
        {"starts_at": "09:00", "ends_at": "11:00", "capacity": "20", "every_minutes": "30"},
    )
    assert response.status_code == 302
    assert TimeSlot.objects.filter(day=day).count() == 4
    page = client.get(reverse("confirmation:point_detail", args=[point.pk]))
    assert page.status_code == 200
    assert "09:00–09:30" in page.content.decode()


def test_a_bad_slot_is_shown_on_its_form_and_nothing_is_added(site: Site) -> None:
    response = staff(site.admin).post(
        reverse("confirmation:slot_add", args=[site.day.pk]),
        {"starts_at": "09:30", "ends_at": "10:30", "capacity": "5"},
    )
    assert response.status_code == 400
    assert "与已有时段重叠" in response.content.decode()
    assert TimeSlot.objects.filter(day=site.day).count() == 2


def test_capacity_below_booked_is_refused_with_a_message(site: Site, record: Reference) -> None:
    book(record, site.morning)
    client = staff(site.admin)
    response = client.post(
        reverse("confirmation:slot_capacity", args=[site.morning.pk]), {"capacity": "1"}, follow=True
    )
    assert "已改为 1" in response.content.decode()
    other = MemoryReferences.install("test2")
    try:
        book(other.add(applicant=applicant(), authority=site.authority), site.afternoon)
    finally:
        other.uninstall()


def test_another_countys_admin_gets_not_found(site: Site) -> None:
    from jiaozi.accounts.roles import Role
    from jiaozi.accounts.tests.factories import make_staff
    from jiaozi.orgs.tests.factories import bureau

    other = make_staff(role=Role.INSTITUTION_ADMIN, institution=bureau("340102"))
    assert staff(other).get(reverse("confirmation:point_detail", args=[site.point.pk])).status_code == 404
    assert (
        staff(other)
        .post(reverse("confirmation:day_add", args=[site.point.pk]), {"date": "2024-10-12"})
        .status_code
        == 404
    )


# ── the confirmation user ──────────────────────────────────────────────────────


def test_the_days_list_and_check_in_by_code(site: Site, record: Reference) -> None:
    booking = book(record, site.morning)
    with clock.travel(at(DAY, 9, 10)):
        client = staff(site.clerk)
        page = client.get(reverse("confirmation:day_list"))
        body = page.content.decode()
        assert page.status_code == 200
        assert record.label in body
        resident_id = owner(record).resident_id or ""
        assert resident_id not in body
        assert resident_id[:6] + "********" + resident_id[-4:] in body
        response = client.post(reverse("confirmation:check_in_code"), {"code": tokens.code_of(booking.token)})
    assert response.status_code == 302
    assert response["Location"] == reverse("confirmation:booking_detail", args=[booking.pk])
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CHECKED_IN


def test_a_wrong_code_is_shown_on_the_form(site: Site, record: Reference) -> None:
    book(record, site.morning)
    with clock.travel(at(DAY, 9, 10)):
        response = staff(site.clerk).post(
            reverse("confirmation:check_in_code"), {"code": "0000-0000-0000-0000-0000"}
        )
    assert response.status_code == 400
    assert "签到码无效" in response.content.decode()


def test_the_codes_address_shows_the_booking_and_checks_in_on_post(site: Site, record: Reference) -> None:
    booking = book(record, site.morning)
    url = reverse("confirmation:check_in_scan", args=[tokens.code_of(booking.token)])
    with clock.travel(at(DAY, 9, 10)):
        client = staff(site.clerk)
        page = client.get(url)
        assert page.status_code == 200
        assert "确认签到" in page.content.decode()
        booking.refresh_from_db()
        assert booking.status == Booking.Status.BOOKED  # opening the address alone changes nothing
        client.post(url)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CHECKED_IN
    assert (
        staff(site.clerk).get(reverse("confirmation:check_in_scan", args=["NOT-A-CODE"])).status_code == 404
    )


def test_lookup_by_resident_id_is_posted_and_not_echoed(site: Site, record: Reference) -> None:
    booking = book(record, site.morning)
    resident_id = owner(record).resident_id or ""
    response = staff(site.clerk).post(
        reverse("confirmation:find_by_resident_id"), {"resident_id": resident_id}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("confirmation:booking_detail", args=[booking.pk]) in body
    assert resident_id not in body
    assert AuditEvent.objects.filter(kind=AuditKind.BOOKING_LOOKED_UP_BY_ID).count() == 1


def test_no_show_from_the_list_after_the_slot(site: Site, record: Reference) -> None:
    booking = book(record, site.morning)
    with clock.travel(at(DAY, 10, 5)):
        response = staff(site.clerk).post(
            reverse("confirmation:booking_no_show", args=[booking.pk]), {"version": booking.version}
        )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW


# ── the applicant ─────────────────────────────────────────────────────────────


def test_the_applicant_books_sees_the_qr_moves_and_cancels(site: Site, record: Reference) -> None:
    client = me(record)
    new_url = reverse("confirmation_applicant:booking_new", args=[record.kind, record.id])
    page = client.get(new_url)
    assert page.status_code == 200
    assert "09:00–10:00" in page.content.decode()
    response = client.post(new_url, {"slot": site.morning.pk})
    booking = Booking.objects.get(reference_id=record.id)
    assert response["Location"] == reverse("confirmation_applicant:booking_detail", args=[booking.pk])
    detail = client.get(response["Location"]).content.decode()
    assert tokens.code_of(booking.token) in detail
    qr = client.get(reverse("confirmation_applicant:booking_qr", args=[booking.pk]))
    assert qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content
    png = client.get(reverse("confirmation_applicant:booking_qr", args=[booking.pk]) + "?format=png")
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    response = client.post(
        reverse("confirmation_applicant:booking_move", args=[booking.pk]),
        {"slot": site.afternoon.pk, "version": booking.version},
    )
    moved = Booking.objects.get(reference_id=record.id, status=Booking.Status.BOOKED)
    assert moved.slot_id == site.afternoon.pk
    # The old booking's page leads to the new one.
    assert client.get(reverse("confirmation_applicant:booking_detail", args=[booking.pk]))[
        "Location"
    ].endswith(f"/{moved.pk}/")
    client.post(reverse("confirmation_applicant:booking_cancel", args=[moved.pk]), {"version": moved.version})
    moved.refresh_from_db()
    assert moved.status == Booking.Status.CANCELLED


def test_a_full_slot_chosen_meanwhile_is_shown_on_the_page(site: Site, refs: MemoryReferences) -> None:
    for _ in range(2):
        book(refs.add(applicant=applicant(), authority=site.authority), site.morning)
    ref = refs.add(applicant=applicant(), authority=site.authority)
    response = me(ref).post(
        reverse("confirmation_applicant:booking_new", args=[ref.kind, ref.id]), {"slot": site.morning.pk}
    )
    assert response.status_code == 400
    assert not Booking.objects.filter(reference_id=ref.id).exists()


def test_someone_elses_booking_or_record_is_not_found(site: Site, record: Reference) -> None:
    booking = book(record, site.morning)
    stranger = Client()
    stranger.force_login(applicant())
    assert (
        stranger.get(reverse("confirmation_applicant:booking_detail", args=[booking.pk])).status_code == 404
    )
    assert stranger.get(reverse("confirmation_applicant:booking_qr", args=[booking.pk])).status_code == 404
    assert (
        stranger.get(reverse("confirmation_applicant:booking_new", args=[record.kind, record.id])).status_code
        == 404
    )


def test_staff_are_turned_away_from_the_applicant_pages(site: Site) -> None:
    assert staff(site.clerk).get(reverse("confirmation_applicant:booking_list")).status_code == 403
    anonymous = Client().get(reverse("confirmation_applicant:booking_list"))
    assert anonymous.status_code == 302
    assert reverse("applicants:login") in anonymous["Location"]


def test_the_list_offers_the_records_still_to_book(site: Site, record: Reference) -> None:
    body = me(record).get(reverse("confirmation_applicant:booking_list")).content.decode()
    assert reverse("confirmation_applicant:booking_new", args=[record.kind, record.id]) in body
