"""Over-booking under concurrency (issue 10 item 4): many applicants booking one slot at
once never exceed its capacity; the counter equals the live bookings; every booking has
its audit row. On PostgreSQL the row lock of the compare-and-set queues the writers; on
the shared-cache SQLite of the test run the race harness retries a locked writer's whole
call (``jiaozi.testing.race``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.audit.verify import verify
from jiaozi.core.errors import Conflict
from jiaozi.testing.race import race, require_postgresql, returned

from .. import services
from ..models import Booking, TimeSlot
from ..testing import MemoryReferences
from .factories import applicant, make_site, owner


@pytest.fixture
def source() -> Iterator[MemoryReferences]:
    refs = MemoryReferences.install()
    yield refs
    refs.uninstall()


def _many_for_one_slot(source: MemoryReferences, threads: int, capacity: int) -> None:
    site = make_site()
    slot = site.morning
    TimeSlot.objects.filter(pk=slot.pk).update(capacity=capacity)
    records = [source.add(applicant=applicant(), authority=site.authority) for _ in range(threads)]
    users = [owner(r) for r in records]

    results = race(
        lambda n: services.booking_create(
            actor=users[n], kind=records[n].kind, reference_id=records[n].id, slot_id=slot.pk
        ),
        threads=threads,
    )
    won = returned(results)
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == capacity, results
    assert all(isinstance(r, Conflict) and r.code == "slot_full" for r in lost), lost
    slot.refresh_from_db()
    assert slot.booked == capacity
    assert Booking.objects.filter(slot=slot, status=Booking.Status.BOOKED).count() == capacity
    assert AuditEvent.objects.filter(kind=AuditKind.BOOKING_CREATED).count() == capacity
    assert verify().ok


def _one_record_twice(source: MemoryReferences) -> None:
    """Two tabs of one applicant booking two different slots at once: one booking."""
    site = make_site()
    ref = source.add(applicant=applicant(), authority=site.authority)
    user = owner(ref)
    slots = [site.morning.pk, site.afternoon.pk]
    results = race(
        lambda n: services.booking_create(actor=user, kind=ref.kind, reference_id=ref.id, slot_id=slots[n]),
        threads=2,
    )
    assert len(returned(results)) == 1, results
    assert Booking.objects.filter(reference_id=ref.id).count() == 1
    assert sum(TimeSlot.objects.filter(pk__in=slots).values_list("booked", flat=True)) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_bookings_of_one_slot_never_exceed_capacity_on_postgresql(source: MemoryReferences) -> None:
    require_postgresql()
    _many_for_one_slot(source, threads=16, capacity=5)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_record_booked_twice_at_once_on_postgresql(source: MemoryReferences) -> None:
    require_postgresql()
    _one_record_twice(source)


@pytest.mark.django_db(transaction=True)
def test_many_bookings_of_one_slot_never_exceed_capacity_on_any_database(source: MemoryReferences) -> None:
    _many_for_one_slot(source, threads=8, capacity=3)


@pytest.mark.django_db(transaction=True)
def test_one_record_booked_twice_at_once_on_any_database(source: MemoryReferences) -> None:
    _one_record_twice(source)
