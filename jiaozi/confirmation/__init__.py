"""Confirmation points (确认点): opening days, time slots with capacity, bookings with a QR
check-in code, the day's list (PRODUCT §2, §6; issue 10 item 4).

Confirmation sits below certification (pyproject's layers) and never imports it. What
the apps above use — the agreed interface (docs/decisions/0215):

Filled from above (``jiaozi.confirmation.references``), in the app's ``hooks.register()``:

- ``register_reference_source(kind, resolver, pending=None)`` — ``resolver(kind, id,
  user) -> Reference | None``; ``Reference(kind, id, applicant_id, authority_id, label,
  detail_url, applicant_url, may_book, reason, point_institution_id)``: the owner
  applicant (who alone may book), the certifying authority (an ``orgs`` bureau) whose
  points confirm it, a label without personal data, the confirmation user's link, whether
  it may be booked now (and why not), and the point chosen on the record if any (its
  ``orgs.Institution`` id). ``pending(user)`` lists the applicant's records still to book.
- ``register_booking_listener(listener, kind=None)`` — ``listener(BookingEvent)`` inside
  the transaction of every booking change: ``kind`` one of booked, moved, cancelled,
  checked_in, no_show; ``booking`` as written (``previous`` for a move), ``actor``. An
  exception rolls the booking change back with it.

Read from above (``jiaozi.confirmation.selectors``):

- ``points_for_authority(authority)`` — the authority's open points (``ConfirmationPoint``
  with ``.institution``: its name, address, phone; ``.institution_id`` is what a record
  stores as its chosen point);
- ``booking_for_reference(kind, id)`` — the live booking, else the latest, else None;
- ``checked_in(kind, id)`` — True once the record's live booking is checked in.

Links: the applicant books a record at ``reverse("confirmation_applicant:booking_new",
kwargs={"kind": kind, "reference_id": id})``."""
