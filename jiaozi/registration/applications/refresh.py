"""The suggestion follows the records (§4 "one per person"): when a teacher's records
change while their application is under review, the rules run again on the current
records; a different suggestion, reason list or rule-relevant fact is written to the
application (compare-and-set, version advanced, so a reviewer holding the old page
must reload before deciding), recorded on the timeline as a ``recompute`` step whose
text names what changed, and audited — all in one transaction.

The conclusion a level has already recorded is never touched: the reviewer sees the
new suggestion and decides (a conclusion that now differs needs the override reason at
the next decision that records one)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import translation

from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.teachers.models import AppraisalGrade, EmploymentType, EthicsResult, Health, PostType

from .. import rules
from ..campaigns.selectors import campaign_context
from ..labels import SUGGESTION_LABELS, reason_labels
from ..models import Application, ApplicationStep
from ..workflow import Action, Status
from .services import facts_snapshot, teacher_facts

logger = logging.getLogger(__name__)

# Statuses in which the application is still being decided (not filed, not withdrawn).
REFRESHABLE = frozenset(
    {
        Status.DRAFT,
        Status.RETURNED,
        Status.SCHOOL_REVIEW,
        Status.REGISTRATION_REVIEW,
        Status.CONCLUDED,
        Status.NOTICE,
        Status.NOTICE_PAUSED,
        Status.CITY_RECHECK,
        Status.PROVINCE_REVIEW,
    }
)
# The facts whose change is shown to the reviewer (the snapshot's rule inputs).
COMPARED = (
    "post_type",
    "employment_type",
    "health",
    "probation_passed_on",
    "appraisals",
    "ethics",
    "training_hours",
    "unapproved_break_days",
)
FACT_LABELS = {
    "post_type": "岗位类别",
    "employment_type": "用工类型",
    "health": "身心健康",
    "probation_passed_on": "试用期满考核合格日期",
    "appraisals": "年度考核",
    "ethics": "师德考核",
    "training_hours": "培训学时",
    "unapproved_break_days": "未经批准中止任教（天）",
    "certificate": "证书状态",
}


_VALUE_LABELS: dict[str, Any] = {
    "post_type": PostType,
    "employment_type": EmploymentType,
    "health": Health,
    "appraisals": AppraisalGrade,
    "ethics": EthicsResult,
}


def _label(field: str, value: Any) -> str:
    choices = _VALUE_LABELS.get(field)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)


def _show(value: Any, field: str = "") -> str:
    if value in (None, "", [], {}):
        return "无"
    if isinstance(value, dict):
        return "，".join(f"{k}：{_label(field, v) if v is not None else '无'}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return _label(field, value)


def fact_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """[{field, before, after}] for each compared fact that differs (and the
    certificate's status / conclusion / validity)."""
    out = [
        {"field": key, "before": before.get(key), "after": after.get(key)}
        for key in COMPARED
        if before.get(key) != after.get(key)
    ]
    cert_keys = ("status", "last_conclusion", "valid_to")
    old_cert, new_cert = before.get("certificate") or {}, after.get("certificate") or {}
    if any(old_cert.get(k) != new_cert.get(k) for k in cert_keys):
        out.append(
            {
                "field": "certificate",
                "before": {k: old_cert.get(k) for k in cert_keys},
                "after": {k: new_cert.get(k) for k in cert_keys},
            }
        )
    return out


def change_text(
    *, old: tuple[str, Sequence[str]], new: tuple[str, Sequence[str]], changes: Sequence[dict[str, Any]]
) -> str:
    """The timeline's sentence: the suggestion before and after with its reasons, then
    each changed fact (Chinese, as the form and the timeline are)."""
    with translation.override(settings.LANGUAGE_CODE):
        parts = []
        if old != new:
            before, after = SUGGESTION_LABELS.get(old[0], "无"), SUGGESTION_LABELS.get(new[0], "无")
            parts.append(f"系统建议由「{before}」变为「{after}」")
            if new[1]:
                parts.append("理由：" + "；".join(reason_labels(list(new[1]))))
        for change in changes:
            label = FACT_LABELS.get(change["field"], change["field"])
            field = change["field"]
            parts.append(f"{label}：{_show(change['before'], field)} → {_show(change['after'], field)}")
        return "；".join(parts) + "。"


def application_refresh_suggestion(*, application_id: int) -> Application | None:
    """Recompute one application's suggestion from the current records. Returns the
    application as written when something changed, None otherwise (nothing written)."""
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("campaign", "teacher__school", "certificate")
            .filter(pk=application_id, status__in=REFRESHABLE)
            .first()
        )
        if application is None:
            return None
        ctx = campaign_context(application.campaign)
        teacher, certificate = application.teacher, application.certificate
        facts = teacher_facts(teacher, certificate, ctx)
        due, due_reasons = rules.due_of(facts, ctx)
        # The application keeps its registration type; the suggestion follows the facts
        # (a certificate revoked meanwhile leaves no suggestion, with the barred reason).
        if due in rules.DUE_TO_APPLY:
            suggestion, reasons = rules.suggest(facts, application.due, ctx)
        else:
            suggestion, reasons = "", due_reasons
        snapshot = facts_snapshot(
            teacher=teacher, certificate=certificate, facts=facts, ctx=ctx, due_reasons=due_reasons
        )
        changes = fact_changes(application.facts or {}, snapshot)
        old = (application.suggestion, tuple(application.suggestion_reasons or ()))
        new = (str(suggestion), tuple(str(r) for r in reasons))
        if old == new and not changes:
            return None
        now = clock.now()
        updated = Application.objects.filter(pk=application.pk, version=application.version).update(
            suggestion=new[0],
            suggestion_reasons=list(new[1]),
            facts=snapshot | {"recomputed_at": now.isoformat()},
            version=F("version") + 1,
            updated_at=now,
        )
        if updated != 1:  # pragma: no cover - the row is locked
            return None
        text = change_text(old=old, new=new, changes=changes)
        step = ApplicationStep.objects.create(
            application=application,
            action=Action.RECOMPUTE,
            from_status=application.status,
            to_status=application.status,
            opinion=text,
            reason_code="",
            at=now,
        )
        audit_record(
            kind=AuditKind.APPLICATION_SUGGESTION_RECOMPUTED,
            actor=None,
            institution_id=application.registration_authority_id,
            obj=application,
            details={
                "before": {"suggestion": old[0], "reasons": list(old[1])},
                "after": {"suggestion": new[0], "reasons": list(new[1])},
                "facts": [c["field"] for c in changes],
                "step": step.pk,
                "version": application.version + 1,
            },
        )
        return Application.objects.get(pk=application.pk)


def applications_refresh_for_teachers(teacher_ids: Iterable[int], *, chunk: int = 1000) -> int:
    """Refresh every application still being decided of these teachers; the number
    that changed. One failing application is logged and does not stop the others."""
    ids = sorted(set(teacher_ids))
    changed = 0
    for start in range(0, len(ids), chunk):
        pks = list(
            Application.objects.filter(teacher_id__in=ids[start : start + chunk], status__in=REFRESHABLE)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for pk in pks:
            try:
                if application_refresh_suggestion(application_id=pk) is not None:
                    changed += 1
            except Exception:  # one bad row must not lose the others' refresh
                logger.exception("suggestion refresh failed for application %s", pk)
    return changed


def on_teacher_records_changed(sender: Any, teacher_ids: Sequence[int], **kwargs: Any) -> None:
    """The receiver of ``teachers.signals.teacher_records_changed``."""
    applications_refresh_for_teachers(teacher_ids)


__all__ = [
    "REFRESHABLE",
    "application_refresh_suggestion",
    "applications_refresh_for_teachers",
    "change_text",
    "fact_changes",
    "on_teacher_records_changed",
]
