"""What a booking is for, and who hears about it: the two registries the apps above
confirmation fill (docs/decisions/0215).

Confirmation sits below certification (pyproject's layers), so it never imports it.
An app whose records need an on-site confirmation registers, from its ``hooks``:

- a **reference source** — ``register_reference_source(kind, resolver, pending=None)``.
  ``resolver(kind, reference_id, user)`` answers a ``Reference`` (who owns the record,
  which certifying authority confirms it, a label, the confirmation user's link to it,
  whether it may be booked now) or ``None`` when there is no such record. ``pending(user)``
  optionally lists the applicant's references that still need a booking (shown on
  /me/bookings/);
- **booking listeners** — ``register_booking_listener(listener, kind=None)``.
  ``listener(event)`` is called with a ``BookingEvent`` inside the transaction of every
  booking change (booked, moved, cancelled, checked in, no-show) of that kind (``None``:
  of every kind); an exception it raises rolls the change back with it.

Registering the same function again is harmless (``ready()`` may run twice in tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from jiaozi.core.errors import NotFound

if TYPE_CHECKING:
    from .models import Booking


@dataclass(frozen=True)
class Reference:
    """One record that may be booked for confirmation, as its owner app describes it."""

    kind: str
    id: int
    applicant_id: int  # the applicant account that owns it and alone may book for it
    authority_id: int  # the certifying authority (orgs bureau) whose points confirm it
    label: str  # short, shown in lists (e.g. "认定申请 2024340103000123"); no personal data
    detail_url: str = ""  # the confirmation user's page of the record
    applicant_url: str = ""  # the applicant's page of the record
    may_book: bool = True  # False: the record is not at a stage that takes a booking
    reason: str = ""  # why it may not be booked (shown to the applicant)
    point_institution_id: int | None = (
        None  # the point (its orgs institution) chosen on the record; None: any of the authority's
    )


Resolver = Callable[[str, int, Any], "Reference | None"]
Pending = Callable[[Any], Iterable[Reference]]


class BookingEventKind:
    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"


@dataclass(frozen=True)
class BookingEvent:
    """What happened to a booking. ``booking`` is the row as written (for ``moved``, the
    new booking; ``previous`` the one it replaced). ``actor`` the user who acted."""

    kind: str
    booking: Booking
    actor: Any
    previous: Booking | None = None
    details: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[BookingEvent], None]


@dataclass(frozen=True)
class _Source:
    resolver: Resolver
    pending: Pending | None


_SOURCES: dict[str, _Source] = {}
_LISTENERS: list[tuple[str | None, Listener]] = []


def register_reference_source(kind: str, resolver: Resolver, pending: Pending | None = None) -> None:
    """Declare that bookings of ``kind`` are resolved by ``resolver``. A different
    resolver for a taken kind is a programming error."""
    if not kind or len(kind) > 32:
        raise ValueError("reference kind must be 1–32 characters")
    known = _SOURCES.get(kind)
    if known is not None and (known.resolver is not resolver or known.pending is not pending):
        raise ValueError(f"reference kind {kind!r} is already registered")
    _SOURCES[kind] = _Source(resolver, pending)


def unregister_reference_source(kind: str) -> None:
    """For tests that register a source of their own."""
    _SOURCES.pop(kind, None)


def register_booking_listener(listener: Listener, kind: str | None = None) -> None:
    if (kind, listener) not in _LISTENERS:
        _LISTENERS.append((kind, listener))


def unregister_booking_listener(listener: Listener) -> None:
    _LISTENERS[:] = [(k, fn) for k, fn in _LISTENERS if fn is not listener]


def reference_kinds() -> list[str]:
    return sorted(_SOURCES)


def reference_resolve(kind: str, reference_id: int, user: Any) -> Reference:
    """The reference, or ``NotFound`` for an unknown kind or a missing record."""
    source = _SOURCES.get(kind)
    reference = source.resolver(kind, reference_id, user) if source is not None else None
    if reference is None:
        raise NotFound(_("要预约的业务不存在。"), code="reference_not_found")
    return reference


def references_pending(user: Any) -> list[Reference]:
    """The user's references that still need a booking, from every source that lists them."""
    found: list[Reference] = []
    for kind in sorted(_SOURCES):
        pending = _SOURCES[kind].pending
        if pending is not None:
            found.extend(pending(user))
    return found


def booking_event_emit(event: BookingEvent) -> None:
    """Call the listeners of ``event``'s kind of reference, in registration order, in the
    caller's transaction."""
    for kind, listener in list(_LISTENERS):
        if kind is None or kind == event.booking.reference_kind:
            listener(event)
