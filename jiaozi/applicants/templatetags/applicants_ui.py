"""``{% load applicants_ui %}`` — badge colours for the applicant area.

- ``{{ application.status|application_tone }}`` — what the colour tells a teacher:
  something to do (warning), in progress (info), done (success), over (neutral).
- ``{{ due|due_tone }}`` — due to register (warning), current (success), barred (danger).
- ``{{ code|grade_label }}`` and friends — the Chinese label of a stored code (facts
  snapshots keep codes).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models

from jiaozi.certificates.models import Conclusion, QualificationType
from jiaozi.registration.labels import DUE_LABELS, SUGGESTION_LABELS, reason_labels
from jiaozi.registration.rules import Due
from jiaozi.registration.transitions import ReturnReason
from jiaozi.registration.workflow import Status
from jiaozi.teachers.models import AppraisalGrade, EmploymentType, EthicsResult, PostType

register = template.Library()

_APPLICATION_TONES: dict[str, str] = {
    Status.DRAFT: "warning",
    Status.RETURNED: "danger",
    Status.COMPLETED: "success",
    Status.WITHDRAWN: "neutral",
}
_DUE_TONES: dict[str, str] = {
    Due.FIRST: "warning",
    Due.PERIODIC: "warning",
    Due.AFTER_DEFERRAL: "warning",
    Due.NOT_YET_DUE: "success",
    Due.BARRED: "danger",
    Due.OUT_OF_SCOPE: "neutral",
}


@register.filter
def application_tone(status: str) -> str:
    return _APPLICATION_TONES.get(status, "info")


@register.filter
def due_tone(due: str) -> str:
    return _DUE_TONES.get(due, "neutral")


@register.filter
def grade_label(code: str) -> str:
    return _label(AppraisalGrade, code)


@register.filter
def ethics_label(code: str) -> str:
    return _label(EthicsResult, code)


@register.filter
def post_label(code: str) -> str:
    return _label(PostType, code)


@register.filter
def employment_label(code: str) -> str:
    return _label(EmploymentType, code)


@register.filter
def qualification_label(code: str) -> str:
    return _label(QualificationType, code)


@register.filter
def conclusion_label(code: str) -> str:
    return _label(Conclusion, code)


@register.filter
def due_label(code: str) -> str:
    return str(DUE_LABELS.get(code, code or ""))


@register.filter
def suggestion_label(code: str) -> str:
    return str(SUGGESTION_LABELS.get(code, code or ""))


@register.filter
def reasons_text(codes: list[str] | tuple[str, ...] | None) -> list[str]:
    return reason_labels(list(codes or []))


@register.filter
def return_reason_label(code: str) -> str:
    return _label(ReturnReason, code)


def _label(choices: type[models.TextChoices], code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code or ""


@register.simple_tag
def facts_appraisals(facts: dict[str, Any] | None) -> list[tuple[int, str]]:
    """(year, grade label or "") for every appraisal year of a facts snapshot."""
    facts = facts or {}
    grades = facts.get("appraisals") or {}
    return [(year, grade_label(grades.get(str(year), ""))) for year in facts.get("appraisal_years") or []]
