"""Audit rows for tests. Rows are written through ``audit_record`` — never built by a
model factory — because every row must sit on its chain with the right seq and hashes.

    record(institution_id=7)                 # one row on chain inst:7
    record_many(5, institution_id=7)         # five rows, one at a time
    with clock.travel(old): record(...)      # a row dated in the past
"""

from __future__ import annotations

from typing import Any

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.audit.services import audit_record


def record(*, kind: AuditKind = AuditKind.TEACHER_UPDATED, **kwargs: Any) -> AuditEvent:
    kwargs.setdefault("object_type", "teachers.teacher")
    kwargs.setdefault("object_id", "1")
    return audit_record(kind=kind, **kwargs)


def record_many(count: int, **kwargs: Any) -> list[AuditEvent]:
    return [record(details={"n": n}, **kwargs) for n in range(count)]
