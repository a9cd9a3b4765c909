"""The demo's confirmation points: two points with days and slots, the bookings of the
records a source lists as still to book, the hf_confirm persona; idempotent."""

from __future__ import annotations

import pytest

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_applicant
from jiaozi.confirmation.models import Booking, ConfirmationPoint, TimeSlot
from jiaozi.confirmation.testing import MemoryReferences
from jiaozi.demo.confirmation import DAYS, SLOTS, confirmation_seed
from jiaozi.demo.institutions import institutions_ensure
from jiaozi.demo.personas import personas_ensure
from jiaozi.orgs.models import Institution

pytestmark = pytest.mark.django_db


def test_two_points_with_days_slots_and_the_pending_records_booked() -> None:
    institutions_ensure()
    personas_ensure()
    source = MemoryReferences.install("demo_test")
    try:
        luyang = Institution.objects.get(code="340103", kind="bureau")
        records = [source.add(applicant=make_applicant(), authority=luyang) for _ in range(3)]
        first = confirmation_seed()
        again = confirmation_seed()
    finally:
        source.uninstall()
    points = ConfirmationPoint.objects.filter(institution__code__in=["340100QR01", "340103QR01"])
    assert points.count() == 2
    assert {p.authority.code for p in points} == {"340100", "340103"}
    assert first["days"] == 2 * DAYS
    assert first["slots"] == 2 * DAYS * len(SLOTS)
    assert first["bookings"] == 3
    assert Booking.objects.filter(reference_kind="demo_test", status="booked").count() == len(records)
    assert TimeSlot.objects.filter(point__institution__code="340103QR01", booked__gt=0).exists()
    assert again == {"points": 0, "days": 0, "slots": 0, "bookings": 0}


def test_the_city_points_confirmation_user_persona() -> None:
    institutions_ensure()
    personas_ensure()
    user = User.objects.get(username="hf_confirm")
    assert (user.role, user.institution.code) == (Role.CONFIRMATION_USER, "340100QR01")  # type: ignore[union-attr]
