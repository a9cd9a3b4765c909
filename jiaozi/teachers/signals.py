"""What the teachers app tells the apps above it, without knowing them: a teacher's
records (facts, appraisals, training, breaks) changed. Sent after the change commits,
with the ids of the teachers whose records changed (an import sends the teachers it
found already in the database; new ones have nothing to refresh)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

# kwargs: teacher_ids (a list of Teacher pks)
teacher_records_changed = Signal()


def records_changed_on_commit(teacher_ids: Iterable[int]) -> None:
    """Send ``teacher_records_changed`` once the current transaction commits (at once
    outside one)."""
    ids = sorted(set(teacher_ids))
    if ids:
        transaction.on_commit(lambda: teacher_records_changed.send(sender=None, teacher_ids=ids))
