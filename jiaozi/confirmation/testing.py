"""A reference source for tests, the benchmark and browser journeys of confirmation
before (or without) the apps above: records kept in memory, one per call of ``add``.

    source = MemoryReferences.install()         # registers kind "test"
    ref = source.add(applicant=user, authority=bureau, label="测试业务 1")
    booking_create(actor=user, kind="test", reference_id=ref.id, slot_id=slot.pk)
    source.uninstall()
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, replace
from typing import Any

from .references import (
    BookingEvent,
    Reference,
    register_booking_listener,
    register_reference_source,
    unregister_booking_listener,
    unregister_reference_source,
)


class MemoryReferences:
    def __init__(self, kind: str = "test") -> None:
        self.kind = kind
        self.records: dict[int, Reference] = {}
        self.events: list[BookingEvent] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @classmethod
    def install(cls, kind: str = "test") -> MemoryReferences:
        source = cls(kind)
        unregister_reference_source(kind)
        register_reference_source(kind, source.resolve, source.pending)
        register_booking_listener(source.listen, kind=kind)
        return source

    def uninstall(self) -> None:
        unregister_reference_source(self.kind)
        unregister_booking_listener(self.listen)

    def add(
        self,
        *,
        applicant: Any,
        authority: Any,
        label: str = "",
        may_book: bool = True,
        reason: str = "",
        point_institution_id: int | None = None,
    ) -> Reference:
        with self._lock:
            n = next(self._ids)
        ref = Reference(
            kind=self.kind,
            id=n,
            applicant_id=applicant.pk,
            authority_id=getattr(authority, "pk", authority),
            label=label or f"测试业务 {n}",
            detail_url=f"/reference/{n}/",
            may_book=may_book,
            reason=reason,
            point_institution_id=point_institution_id,
        )
        self.records[n] = ref
        return ref

    def set(self, reference_id: int, **changes: Any) -> None:
        self.records[reference_id] = replace(self.records[reference_id], **changes)

    def resolve(self, kind: str, reference_id: int, user: Any) -> Reference | None:
        return self.records.get(reference_id)

    def pending(self, user: Any) -> list[Reference]:
        from .selectors import booking_for_reference

        mine = [
            r for r in self.records.values() if r.applicant_id == getattr(user, "pk", None) and r.may_book
        ]
        return [r for r in mine if (b := booking_for_reference(r.kind, r.id)) is None or not b.is_live]

    def listen(self, event: BookingEvent) -> None:
        self.events.append(event)


# ── the authorization matrix's objects (jiaozi/testing/authz_matrix_confirm.csv) ──


@dataclass(frozen=True)
class MatrixReference:
    """A reference as the matrix's URL builder reads it (``pk``)."""

    kind: str
    pk: int


def matrix_world(*, own: tuple[Any, Any, Any], other: tuple[Any, Any, Any]) -> dict[tuple[str, str], Any]:
    """One point (with a day, a slot and a booking) per scope. ``own`` and ``other`` are
    (authority bureau, point institution, applicant). Call under the matrix's clock; the
    booked day is five days later. Registers the reference kind ``matrix``."""
    import datetime as dt

    from jiaozi.core import clock

    from .models import ConfirmationPoint, OpeningDay, TimeSlot
    from .services import booking_create

    source = MemoryReferences.install("matrix")
    objects: dict[tuple[str, str], Any] = {}
    day_date = clock.today() + dt.timedelta(days=5)
    for scope, (authority, point_institution, applicant) in (("own", own), ("other", other)):
        point = ConfirmationPoint.objects.create(institution=point_institution, authority=authority)
        day = OpeningDay.objects.create(point=point, date=day_date)
        slot = TimeSlot.objects.create(
            day=day, point=point, date=day_date, starts_at=dt.time(9), ends_at=dt.time(10), capacity=5
        )
        spare_slot = TimeSlot.objects.create(
            day=day, point=point, date=day_date, starts_at=dt.time(10), ends_at=dt.time(11), capacity=5
        )
        ref = source.add(applicant=applicant, authority=authority)
        booking = booking_create(actor=applicant, kind=ref.kind, reference_id=ref.id, slot_id=slot.pk)
        spare = source.add(applicant=applicant, authority=authority)
        objects.update(
            {
                ("point", scope): point,
                ("day", scope): day,
                ("slot", scope): slot,
                ("spare_slot", scope): spare_slot,
                ("booking", scope): booking,
                ("reference", scope): MatrixReference(spare.kind, spare.id),
            }
        )
    from . import tokens

    objects[("booking_code", "-")] = tokens.code_of(objects[("booking", "own")].token)
    objects[("reference_source", "-")] = source
    return objects


def matrix_path_kwargs(name: str, obj: Any, objects: dict[tuple[str, str], Any]) -> dict[str, Any] | None:
    """The URL kwargs of confirmation's rows whose path is not just ``pk``; None for the rest."""
    if name == "confirmation_applicant:booking_new":
        return {"kind": obj.kind, "reference_id": obj.pk}
    if name == "confirmation:check_in_scan":
        return {"code": objects[("booking_code", "-")]}
    return None


def matrix_api_bodies(objects: dict[tuple[str, str], Any]) -> dict[str, dict[str, Any]]:
    """Bodies of confirmation's API rows that reach the permission check (each cell is
    rolled back); the own scope's objects, a stale version where one is read."""
    import datetime as dt

    from jiaozi.core import clock, idcard

    own_ref = objects[("reference", "own")]
    return {
        "api:confirmation_point_create": {
            "code": "340103QR77",
            "name": "矩阵确认点",
            "address": "矩阵路1号",
            "phone": "0551-1234567",
        },
        "api:confirmation_point_update": {
            "address": "矩阵路1号",
            "phone": "0551-1234567",
            "is_open": True,
            "version": 999,
        },
        "api:confirmation_day_add": {"date": (clock.today() + dt.timedelta(days=20)).isoformat()},
        "api:confirmation_slot_add": {"starts_at": "15:00", "ends_at": "16:00", "capacity": 3},
        "api:confirmation_slot_update": {"capacity": 5},
        "api:confirmation_check_in_by_code": {"code": objects[("booking_code", "-")]},
        "api:confirmation_booking_lookup": {"resident_id": idcard.make("34010319900101001")},
        "api:confirmation_booking_no_show": {"version": 999},
        "api:confirmation_my_booking_create": {
            "kind": own_ref.kind,
            "reference_id": own_ref.pk,
            "slot_id": objects[("slot", "own")].pk,
        },
        "api:confirmation_my_booking_move": {"slot_id": objects[("spare_slot", "own")].pk, "version": 999},
        "api:confirmation_my_booking_cancel": {"version": 999},
    }
