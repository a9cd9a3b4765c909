"""The authority's admin: points, opening days, slots and capacity."""

from __future__ import annotations

import datetime as dt

import pytest

from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import HEFEI, LUYANG, bureau

from .. import selectors, services
from ..models import OpeningDay, TimeSlot
from ..references import Reference
from ..testing import MemoryReferences
from .factories import DAY, NOW, Site, applicant, owner

pytestmark = pytest.mark.django_db


def test_creating_a_point_creates_its_institution_under_the_authority(site: Site) -> None:
    institution = site.point.institution
    assert (institution.kind, institution.parent_id) == (
        Institution.Kind.CONFIRMATION_POINT,
        site.authority.pk,
    )
    assert institution.address == "合肥市庐阳区政务服务中心三楼"
    assert site.point.authority_id == site.authority.pk
    assert AuditEvent.objects.filter(kind=AuditKind.CONFIRMATION_POINT_CREATED).count() == 1
    assert list(selectors.points_for_authority(site.authority)) == [site.point]


def test_an_existing_point_institution_can_be_given_its_profile(db: None) -> None:
    authority = bureau(LUYANG)
    admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=authority)
    existing = Institution.objects.create(
        code="340103QR09",
        name="旧确认点",
        kind="confirmation_point",
        level="county",
        division_id=LUYANG,
        parent=authority,
    )
    point = services.confirmation_point_create(
        actor=admin, code="", name="", address="某路", phone="0551-1234567", institution_id=existing.pk
    )
    assert point.institution_id == existing.pk
    with pytest.raises(Conflict):
        services.confirmation_point_create(
            actor=admin, code="", name="", address="某路", phone="0551-1234567", institution_id=existing.pk
        )


@pytest.mark.parametrize("role", [Role.CERTIFYING_OFFICER, Role.REGISTRATION_REVIEWER])
def test_only_admins_create_points(db: None, role: str) -> None:
    user = make_staff(role=role, institution=bureau(LUYANG))
    with pytest.raises(PermissionDenied):
        services.confirmation_point_create(
            actor=user, code="340103QR05", name="x", address="y", phone="0551-1234567"
        )


def test_a_superior_admin_does_not_manage_a_county_point(site: Site) -> None:
    city_admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=bureau(HEFEI))
    with pytest.raises(PermissionDenied):
        services.opening_day_add(actor=city_admin, point_id=site.point.pk, date=DAY + dt.timedelta(days=1))
    # …but sees it.
    assert selectors.point_get_visible_to(user=city_admin, pk=site.point.pk) == site.point


def test_another_county_does_not_see_the_point(site: Site) -> None:
    other = make_staff(role=Role.INSTITUTION_ADMIN, institution=bureau("340102"))
    with pytest.raises(NotFound):
        services.opening_day_add(actor=other, point_id=site.point.pk, date=DAY)


def test_bad_contact_is_refused_per_field(site: Site) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.confirmation_point_update(
            actor=site.admin,
            point_id=site.point.pk,
            version=site.point.version,
            address="",
            phone="abc",
            directions="",
            is_open=True,
        )
    assert set(exc.value.field_errors) == {"address", "phone"}


def test_update_is_compare_and_set(site: Site) -> None:
    point = services.confirmation_point_update(
        actor=site.admin,
        point_id=site.point.pk,
        version=site.point.version,
        address="新地址",
        phone="0551-7654321",
        directions="带照片",
        is_open=False,
    )
    assert (point.is_open, point.institution.address, point.version) == (False, "新地址", 2)
    assert list(selectors.points_for_authority(site.authority)) == []
    with pytest.raises(Conflict):
        services.confirmation_point_update(
            actor=site.admin,
            point_id=site.point.pk,
            version=1,
            address="x",
            phone="0551-7654321",
            directions="",
            is_open=True,
        )


def test_a_day_in_the_past_or_twice_is_refused(site: Site) -> None:
    with pytest.raises(ValidationFailed):
        services.opening_day_add(
            actor=site.admin, point_id=site.point.pk, date=NOW.date() - dt.timedelta(days=1)
        )
    with pytest.raises(Conflict):
        services.opening_day_add(actor=site.admin, point_id=site.point.pk, date=DAY)


def test_slots_every_n_minutes_fill_the_span(site: Site) -> None:
    day = services.opening_day_add(actor=site.admin, point_id=site.point.pk, date=DAY + dt.timedelta(days=1))
    slots = services.time_slot_add(
        actor=site.admin,
        day_id=day.pk,
        starts_at=dt.time(8, 30),
        ends_at=dt.time(11, 50),
        capacity=10,
        every_minutes=60,
    )
    assert [(s.starts_at, s.ends_at) for s in slots] == [
        (dt.time(8, 30), dt.time(9, 30)),
        (dt.time(9, 30), dt.time(10, 30)),
        (dt.time(10, 30), dt.time(11, 30)),
    ]
    assert all(s.pk for s in slots)


def test_overlapping_or_inverted_slots_are_refused(site: Site) -> None:
    with pytest.raises(Conflict) as exc:
        services.time_slot_add(
            actor=site.admin, day_id=site.day.pk, starts_at=dt.time(9, 30), ends_at=dt.time(11), capacity=1
        )
    assert exc.value.code == "slot_overlaps"
    with pytest.raises(ValidationFailed):
        services.time_slot_add(
            actor=site.admin, day_id=site.day.pk, starts_at=dt.time(12), ends_at=dt.time(11), capacity=1
        )
    with pytest.raises(ValidationFailed):
        services.time_slot_add(
            actor=site.admin, day_id=site.day.pk, starts_at=dt.time(16), ends_at=dt.time(17), capacity=0
        )


def test_capacity_never_below_the_places_booked(site: Site, record: Reference) -> None:
    services.booking_create(
        actor=owner(record), kind=record.kind, reference_id=record.id, slot_id=site.morning.pk
    )
    slot = services.time_slot_set_capacity(actor=site.admin, slot_id=site.morning.pk, capacity=1)
    assert (slot.capacity, slot.booked) == (1, 1)
    with pytest.raises(ValidationFailed):
        services.time_slot_set_capacity(actor=site.admin, slot_id=site.morning.pk, capacity=0)


def test_capacity_below_booked_is_a_conflict(site: Site, refs: MemoryReferences) -> None:
    for _ in range(2):
        ref = refs.add(applicant=applicant(), authority=site.authority)
        services.booking_create(
            actor=owner(ref), kind=ref.kind, reference_id=ref.id, slot_id=site.afternoon.pk
        )
    with pytest.raises(Conflict) as exc:
        services.time_slot_set_capacity(actor=site.admin, slot_id=site.afternoon.pk, capacity=1)
    assert exc.value.code == "capacity_below_booked"
    site.afternoon.refresh_from_db()
    assert site.afternoon.capacity == 5


def test_a_slot_or_day_with_bookings_cannot_be_removed(site: Site, record: Reference) -> None:
    services.booking_create(
        actor=owner(record), kind=record.kind, reference_id=record.id, slot_id=site.morning.pk
    )
    with pytest.raises(Conflict):
        services.time_slot_remove(actor=site.admin, slot_id=site.morning.pk)
    with pytest.raises(Conflict):
        services.opening_day_remove(actor=site.admin, day_id=site.day.pk)
    services.time_slot_remove(actor=site.admin, slot_id=site.afternoon.pk)
    assert not TimeSlot.objects.filter(pk=site.afternoon.pk).exists()


def test_an_empty_day_is_removed_with_its_slots(site: Site) -> None:
    services.opening_day_remove(actor=site.admin, day_id=site.day.pk)
    assert not OpeningDay.objects.exists()
    assert not TimeSlot.objects.exists()
    assert AuditEvent.objects.filter(kind=AuditKind.CONFIRMATION_DAY_REMOVED).count() == 1
