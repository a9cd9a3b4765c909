"""Writes of the review pages: the audited reveal of an applicant's personal data.

A reveal is a read with a record (§9, SECURITY 11): the ``UNMASKED_VIEW`` audit row is
written before the data leaves, so it is a service, not a selector."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core.errors import PermissionDenied

from .selectors import Revealed, application_get_for_review, level_for

if TYPE_CHECKING:
    from jiaozi.accounts.models import User


def application_reveal_personal(*, user: User, pk: Any) -> Revealed:
    """The applicant's full resident ID and phone for a reviewer with the application in
    scope. A read with a record: every reveal writes an ``UNMASKED_VIEW`` audit row
    (§9, SECURITY 11) before the data leaves."""
    if level_for(user) is None:
        raise PermissionDenied("您无权查看申请人的完整信息。")
    application = application_get_for_review(user=user, pk=pk)
    with transaction.atomic():
        audit_record(
            kind=AuditKind.UNMASKED_VIEW,
            actor=user,
            obj=application,
            details={"fields": ["resident_id", "phone"], "teacher": application.teacher_id},
        )
    return Revealed(resident_id=application.teacher.resident_id or "", phone=application.phone or "")
