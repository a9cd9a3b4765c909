"""The API of confirmation: one allowed and one refused case per kind of operation, the
idempotent booking, the problem codes, and no resident ID in a URL."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jiaozi.accounts.testing import sign_in
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock

from .. import services, tokens
from ..models import Booking, TimeSlot
from ..references import Reference
from ..testing import MemoryReferences
from .factories import DAY, Site, applicant, at, owner

pytestmark = pytest.mark.django_db

API = "/api/v1/confirmation"


def staff(user: Any) -> Client:
    return sign_in(Client(enforce_csrf_checks=False), user)


def me(ref: Reference) -> Client:
    client = Client()
    client.force_login(owner(ref))
    return client


def post(client: Client, path: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(API + path, body, content_type="application/json", headers=headers)


def test_the_admin_sets_up_a_point_day_and_slots(site: Site) -> None:
    client = staff(site.admin)
    created = post(
        client,
        "/points",
        {"code": "340103QR03", "name": "第三确认点", "address": "某路3号", "phone": "0551-7777777"},
    )
    assert created.status_code == 201, created.content
    point_id = created.json()["id"]
    day = post(client, f"/points/{point_id}/days", {"date": "2024-10-11"}, **{"Idempotency-Key": "day-1"})
    again = post(client, f"/points/{point_id}/days", {"date": "2024-10-11"}, **{"Idempotency-Key": "day-1"})
    assert day.status_code == 201
    assert again.json() == day.json()
    assert again["Idempotent-Replayed"] == "true"
    slots = post(
        client,
        f"/days/{day.json()['id']}/slots",
        {"starts_at": "09:00", "ends_at": "10:00", "capacity": 3, "every_minutes": 30},
    )
    assert slots.status_code == 201
    assert [s["starts_at"] for s in slots.json()] == ["09:00:00", "09:30:00"]
    patched = client.patch(
        f"{API}/slots/{slots.json()[0]['id']}", {"capacity": 5}, content_type="application/json"
    )
    assert patched.json()["capacity"] == 5
    days = client.get(f"{API}/points/{point_id}/days").json()
    assert [d["date"] for d in days] == ["2024-10-11"]


def test_a_clerk_cannot_set_up_slots(site: Site) -> None:
    response = post(
        staff(site.clerk),
        f"/days/{site.day.pk}/slots",
        {"starts_at": "16:00", "ends_at": "17:00", "capacity": 3},
    )
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")


def test_the_applicant_books_idempotently_moves_and_cancels(site: Site, record: Reference) -> None:
    client = me(record)
    slots = client.get(f"{API}/my/slots?kind={record.kind}&reference_id={record.id}").json()
    assert {s["id"] for s in slots} == {site.morning.pk, site.afternoon.pk}
    body = {"kind": record.kind, "reference_id": record.id, "slot_id": site.morning.pk}
    first = post(client, "/my/bookings", body)
    second = post(client, "/my/bookings", body)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["code"] == tokens.code_of(Booking.objects.get().token)
    booking = first.json()
    moved = post(
        client,
        f"/my/bookings/{booking['id']}/move",
        {"slot_id": site.afternoon.pk, "version": booking["version"]},
    )
    assert moved.status_code == 201, moved.content
    stale = post(
        client,
        f"/my/bookings/{booking['id']}/move",
        {"slot_id": site.afternoon.pk, "version": booking["version"]},
    )
    assert stale.status_code == 409
    new = moved.json()
    cancelled = post(client, f"/my/bookings/{new['id']}/cancel", {"version": new["version"]})
    assert cancelled.json()["status"] == "cancelled"
    assert TimeSlot.objects.get(pk=site.afternoon.pk).booked == 0


def test_a_full_slot_is_a_409_with_its_code(site: Site, refs: MemoryReferences) -> None:
    for _ in range(2):
        ref = refs.add(applicant=applicant(), authority=site.authority)
        services.booking_create(actor=owner(ref), kind=ref.kind, reference_id=ref.id, slot_id=site.morning.pk)
    ref = refs.add(applicant=applicant(), authority=site.authority)
    response = post(
        me(ref), "/my/bookings", {"kind": ref.kind, "reference_id": ref.id, "slot_id": site.morning.pk}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "slot_full"


def test_another_applicants_booking_is_not_found(site: Site, record: Reference) -> None:
    booking = services.booking_create(
        actor=owner(record), kind=record.kind, reference_id=record.id, slot_id=site.morning.pk
    )
    stranger = Client()
    stranger.force_login(applicant())
    assert stranger.get(f"{API}/my/bookings/{booking.pk}").status_code == 404


def test_the_clerk_checks_in_by_code_and_looks_up_by_posted_id(site: Site, record: Reference) -> None:
    booking = services.booking_create(
        actor=owner(record), kind=record.kind, reference_id=record.id, slot_id=site.morning.pk
    )
    with clock.travel(at(DAY, 9, 5)):
        client = staff(site.clerk)
        listed = client.get(f"{API}/bookings").json()
        assert [b["id"] for b in listed["items"]] == [booking.pk]
        assert listed["items"][0]["resident_id_masked"].count("*") == 8
        found = post(client, "/lookup", {"resident_id": owner(record).resident_id})
        assert found.status_code == 200, found.content
        assert [b["id"] for b in found.json()] == [booking.pk]
        done = post(client, "/check-in", {"code": tokens.code_of(booking.token)})
        assert done.json()["status"] == "checked_in"
        wrong = post(client, "/check-in", {"code": "0000-0000-0000-0000-0000"})
        assert wrong.status_code == 400
        assert wrong.json()["code"] == "invalid_code"
    assert AuditEvent.objects.filter(kind=AuditKind.BOOKING_CHECKED_IN).count() == 1


def test_no_show_before_the_slot_ends_is_refused(site: Site, record: Reference) -> None:
    booking = services.booking_create(
        actor=owner(record), kind=record.kind, reference_id=record.id, slot_id=site.morning.pk
    )
    with clock.travel(at(DAY, 9, 30)):
        response = post(staff(site.clerk), f"/bookings/{booking.pk}/no-show", {"version": booking.version})
    assert response.status_code == 409
    assert response.json()["code"] == "slot_not_over"
