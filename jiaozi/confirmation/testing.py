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
from dataclasses import replace
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
