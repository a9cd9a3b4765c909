"""The one check every export of personal data calls before it writes a row
(SECURITY.md check 25, issue 14 finding 13; docs/decisions/0177).

An export of more rows than the province's ``EXPORT_APPROVAL_THRESHOLD`` is refused with
the stable code ``export_needs_approval`` unless a second person approved it. The
approval flow (request, approve, expire) belongs to the oversight work; here is the
contract it fills: an ``ExportApproval`` given by someone other than the exporter, for
the same kind of export, covering at least as many rows. A refusal is audited as a
denied export and changes nothing else.

The inventory of export paths, and the test that proves each one calls this check, is
``jiaozi/audit/tests/test_exports.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from jiaozi.core.accounts import Account
from jiaozi.core.errors import DomainError

from .models import AuditEvent, AuditKind
from .services import audit_record


class ExportNeedsApproval(DomainError):
    status = 403
    code = "export_needs_approval"


@dataclass(frozen=True)
class ExportApproval:
    """A second person's approval of one export, as the approval flow records it."""

    requester_id: Any
    approver_id: Any
    what: str
    max_rows: int


def export_approval_threshold() -> int:
    return int(settings.EXPORT_APPROVAL_THRESHOLD)


def _covers(approval: ExportApproval | None, *, actor: Account, what: str, rows: int) -> bool:
    return (
        approval is not None
        and approval.requester_id == actor.pk
        and approval.approver_id is not None
        and approval.approver_id != actor.pk
        and approval.what == what
        and rows <= approval.max_rows
    )


def export_check(
    *,
    actor: Account,
    what: str,
    rows: int,
    obj: Any = None,
    approval: ExportApproval | None = None,
    threshold: int | None = None,
) -> None:
    """Refuse (``ExportNeedsApproval``, audited) an export of ``rows`` rows above the
    threshold without a covering approval; return quietly otherwise. ``rows`` may be an
    upper bound: counting more rows than will be written errs towards asking.
    ``threshold``: the province's own (``oversight.settings.export_threshold``) where
    the caller read it; the deployment's default otherwise."""
    threshold = export_approval_threshold() if threshold is None else threshold
    if rows <= threshold or _covers(approval, actor=actor, what=what, rows=rows):
        return
    audit_record(
        kind=AuditKind.EXPORT,
        actor=actor,
        obj=obj,
        outcome=AuditEvent.Outcome.DENIED,
        details={"what": what, "rows": rows, "threshold": threshold, "reason": ExportNeedsApproval.code},
    )
    message = _(
        "本次导出共 %(rows)d 条，超过 %(threshold)d 条的导出须经另一名工作人员审批；"
        "请缩小筛选范围（如按学校）后再导出，或先申请审批。"
    ) % {"rows": rows, "threshold": threshold}
    raise ExportNeedsApproval(message, rows=rows, threshold=threshold)
