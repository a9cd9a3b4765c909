"""The form as a record (§5 Completion): a snapshot of everything the stamped
《教师资格定期注册申请表》 prints, taken in the transaction of each decision and filed with
the application (``FormSnapshot``). The PDF is rendered from the latest snapshot only:
a record corrected, added or deleted after filing never changes the form
(docs/decisions/0253).

A snapshot holds the applicant's facts, the cycle's records, each level's opinion as
recorded (with the deciding institution and date), the conclusion and, at the
province's approval, the validity. It does not hold the verification link: the QR code
is built at rendering from the token and the configured ``PUBLIC_BASE_URL``.

Taken set-based (a few queries for a whole batch of decisions, never one per row).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import AuditItem, audit_record_many
from jiaozi.certificates.models import Conclusion
from jiaozi.core import clock
from jiaozi.core.idcard import birth_date_of
from jiaozi.orgs.models import Institution
from jiaozi.teachers.models import AnnualAppraisal, EthicsAppraisal, TeachingBreak, TrainingRecord

from .. import rules
from ..models import Application, ApplicationStep, FormSnapshot, Material
from ..workflow import Action
from .form import (
    QUALIFICATION_TYPE_TEXT,
    BreakPeriod,
    PreviousRegistration,
    RegistrationFormData,
    ReviewOpinion,
    YearGrade,
)

SNAPSHOT_VERSION = 1

# The decisions at which a snapshot is filed (§5): each level's own decision.
SNAPSHOT_ACTIONS = frozenset(
    {
        Action.SCHOOL_APPROVE,
        Action.CONCLUDE,
        Action.UPHOLD_OBJECTION,
        Action.CITY_APPROVE,
        Action.PROVINCE_APPROVE,
        Action.UPHOLD_REVIEW,
    }
)

# The level whose opinion box each decision fills.
OPINION_LEVEL: dict[str, str] = {
    Action.SCHOOL_APPROVE: "school",
    Action.CONCLUDE: "registration",
    Action.UPHOLD_OBJECTION: "registration",
    Action.CITY_APPROVE: "city",
    Action.PROVINCE_APPROVE: "province",
}

_LEVEL_TEXT = {"province": "省级", "city": "市级", "county": "县级"}

# A registration after a deferral is a periodic registration on paper.
_REGISTRATION_TYPE: dict[str, str] = {rules.Due.FIRST: "first"}

_RELATED = (
    "campaign",
    "teacher",
    "certificate",
    "school",
    "registration_authority",
    "city_bureau",
    "province_bureau",
)


def registration_label(institution: Institution) -> str:
    """The opinion label of a registration authority by its real level and kind: a
    city-level 主管部门 is 市级主管部门, never 县级."""
    level = _LEVEL_TEXT.get(institution.level, "")
    if institution.kind == Institution.Kind.DEPARTMENT:
        return f"{level}主管部门审核意见"
    return f"{level}审核意见"


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _local_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def _stage_text(institution: Institution) -> str:
    if not institution.stage:
        return ""
    with translation.override(settings.LANGUAGE_CODE):  # the form is Chinese
        return str(Institution.Stage(institution.stage).label)


def _opinions(application: Application, steps: Sequence[ApplicationStep]) -> dict[str, Any]:
    """Each level's latest recorded opinion, exactly as recorded, under the name of the
    institution that decided."""
    latest: dict[str, ApplicationStep] = {}
    for step in steps:  # ordered by time: a later decision of a level replaces its earlier one
        level = OPINION_LEVEL.get(step.action)
        if level is not None:
            latest[level] = step
    fallback = {
        "school": application.school,
        "registration": application.registration_authority,
        "city": application.city_bureau,
        "province": application.province_bureau,
    }
    out: dict[str, Any] = {}
    for level in ("school", "registration", "city", "province"):
        decided = latest.get(level)
        if decided is None:
            out[level] = None
            continue
        institution = decided.institution or fallback[level]
        out[level] = {
            "opinion": decided.opinion,
            "institution": institution.name if institution is not None else "",
            "date": _local_date(decided.at).isoformat(),
        }
    return out


def _previous(facts: dict[str, Any]) -> dict[str, Any]:
    certificate = facts.get("certificate") or {}
    return {
        "registered_on": certificate.get("registered_on"),
        "conclusion": certificate.get("last_conclusion") or "",
        "valid_from": certificate.get("valid_from"),
        "valid_to": certificate.get("valid_to"),
    }


def _others(facts: dict[str, Any]) -> list[str]:
    out = []
    for other in facts.get("other_certificates") or []:
        kind = QUALIFICATION_TYPE_TEXT.get(str(other.get("qualification_type", "")), "")
        detail = " ".join(part for part in (kind, other.get("subject") or "") if part)
        out.append(f"{other.get('number', '')}（{detail}）" if detail else str(other.get("number", "")))
    return out


def snapshots_build(application_ids: Sequence[int], *, final: bool) -> dict[int, dict[str, Any]]:
    """The snapshot data of each application, read now (inside the decision's
    transaction). ``final``: the province's approval, which adds the validity."""
    applications = list(Application.objects.filter(pk__in=application_ids).select_related(*_RELATED))
    if not applications:
        return {}
    teacher_ids = {a.teacher_id for a in applications}
    annual: dict[int, dict[int, str]] = defaultdict(dict)
    for teacher_id, year, grade in AnnualAppraisal.objects.filter(teacher_id__in=teacher_ids).values_list(
        "teacher_id", "year", "grade"
    ):
        annual[teacher_id][year] = grade
    ethics: dict[int, dict[int, str]] = defaultdict(dict)
    for teacher_id, year, result in EthicsAppraisal.objects.filter(teacher_id__in=teacher_ids).values_list(
        "teacher_id", "year", "result"
    ):
        ethics[teacher_id][year] = result
    training: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for teacher_id, date, hours in TrainingRecord.objects.filter(teacher_id__in=teacher_ids).values_list(
        "teacher_id", "date", "hours"
    ):
        training[teacher_id].append((date, Decimal(str(hours))))
    breaks: dict[int, list[TeachingBreak]] = defaultdict(list)
    for item in TeachingBreak.objects.filter(teacher_id__in=teacher_ids).order_by("start", "pk"):
        breaks[item.teacher_id].append(item)
    statements = set(
        Material.objects.filter(
            application_id__in=application_ids, kind=Material.Kind.ETHICS_STATEMENT
        ).values_list("application_id", flat=True)
    )
    steps: dict[int, list[ApplicationStep]] = defaultdict(list)
    for step in (
        ApplicationStep.objects.filter(application_id__in=application_ids, action__in=list(OPINION_LEVEL))
        .select_related("institution")
        .order_by("at", "pk")
    ):
        steps[step.application_id].append(step)

    out: dict[int, dict[str, Any]] = {}
    for application in applications:
        teacher, certificate, campaign = application.teacher, application.certificate, application.campaign
        r = campaign.registration_date
        ctx = rules.cycle_context(r, campaign.training_hours_required)
        years = list(ctx.appraisal_years)
        hours = sum((h for d, h in training[teacher.pk] if ctx.cycle_after < d <= r), Decimal(0)).quantize(
            Decimal("0.1")
        )
        cycle_breaks = [b for b in breaks[teacher.pk] if b.end > ctx.cycle_after and b.start <= r]
        valid_from = valid_to = None
        if final and application.conclusion == Conclusion.QUALIFIED:
            valid_from, valid_to = rules.validity_for(r)
        ethics_years = ethics[teacher.pk]
        statement = ""
        if application.pk in statements:
            statement = "学校师德表现证明：已提交"
            if ethics_years and all(ethics_years.get(y) == "passed" for y in years):
                statement += "；注册周期内师德考核均为合格"
        facts = application.facts or {}
        out[application.pk] = {
            "version": SNAPSHOT_VERSION,
            "form_number": f"ZC-{campaign.year}-{application.registration_authority.code}-{application.pk:06d}",
            "applicant_name": teacher.name,
            "sex": teacher.sex,
            "resident_id": teacher.resident_id,
            "birth_date": birth_date_of(teacher.resident_id).isoformat(),
            "school": application.school.name,
            "teaching_stage": _stage_text(application.school),
            "post": teacher.post_type,
            "post_title": application.post,
            "phone": application.phone or teacher.phone,
            "address": application.address,
            "work_history": application.work_history,
            "health": teacher.health,
            "certificate_number": certificate.number,
            "qualification_type": certificate.qualification_type,
            "subject": certificate.subject,
            "registration_type": _REGISTRATION_TYPE.get(application.due, "periodic"),
            "appraisal_years": years,
            "annual_appraisals": [[y, annual[teacher.pk][y]] for y in years if y in annual[teacher.pk]],
            "ethics_appraisals": [[y, ethics_years[y]] for y in years if y in ethics_years],
            "training_hours": str(hours),
            "training_hours_required": str(campaign.training_hours_required),
            "breaks": [
                {
                    "start": b.start.isoformat(),
                    "end": b.end.isoformat(),
                    "reason": b.reason,
                    "approved": b.approved,
                }
                for b in cycle_breaks
            ],
            "ethics_statement": statement,
            "previous_registration": _previous(facts),
            "other_certificates": _others(facts),
            "opinions": _opinions(application, steps[application.pk]),
            "registration_label": registration_label(application.registration_authority),
            "conclusion": application.conclusion,
            "valid_from": _iso(valid_from),
            "valid_to": _iso(valid_to),
            "seal_institution": application.registration_authority.name,
            "registered_on": r.isoformat(),
        }
    return out


def canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


Decision = tuple[int, ApplicationStep | None, str, int | None]


def form_snapshots_take(
    *, decisions: Iterable[Decision], actor: User | None, final: bool = False
) -> list[FormSnapshot]:
    """File one snapshot per decision (application id, step, action, the deciding
    institution for the audit chain), audited (REGISTRATION_FORM_SNAPSHOT_TAKEN). Runs
    inside the decision's transaction."""
    decisions = list(decisions)
    if not decisions:
        return []
    built = snapshots_build([d[0] for d in decisions], final=final)
    institutions = {d[0]: d[3] for d in decisions}
    now = clock.now()
    snapshots = []
    for pk, step, action, _institution in decisions:
        text = canonical(built[pk])
        snapshots.append(
            FormSnapshot(
                application_id=pk,
                step=step,
                action=action,
                taken_at=step.at if step is not None else now,
                data=text,
                sha256=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
    saved = FormSnapshot.objects.bulk_create(snapshots)
    audit_record_many(
        kind=AuditKind.REGISTRATION_FORM_SNAPSHOT_TAKEN,
        actor=actor,
        items=[
            AuditItem(
                object_type=Application._meta.label_lower,
                object_id=s.application_id,
                institution_id=institutions[s.application_id],
                details={"action": s.action, "step": s.step_id, "sha256": s.sha256},
            )
            for s in saved
        ],
    )
    return saved


def form_snapshot_latest(application_id: int) -> FormSnapshot | None:
    return FormSnapshot.objects.filter(application_id=application_id).order_by("-taken_at", "-pk").first()


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _opinion(value: dict[str, Any] | None) -> ReviewOpinion | None:
    if value is None:
        return None
    return ReviewOpinion(
        opinion=value["opinion"], institution=value["institution"], date=dt.date.fromisoformat(value["date"])
    )


def form_data_from_snapshot(
    data: dict[str, Any], *, verification_url: str, generated_on: dt.date
) -> RegistrationFormData:
    """The renderer's input from a filed snapshot: nothing else is read."""
    previous = data.get("previous_registration") or {}
    opinions = data.get("opinions") or {}
    registered_on = _date(data["registered_on"])
    assert registered_on is not None
    return RegistrationFormData(
        form_number=data["form_number"],
        applicant_name=data["applicant_name"],
        sex=data["sex"],
        resident_id=data["resident_id"],
        birth_date=dt.date.fromisoformat(data["birth_date"]),
        school=data["school"],
        post=data["post"],
        certificate_number=data["certificate_number"],
        qualification_type=data["qualification_type"],
        subject=data["subject"],
        registration_type=data["registration_type"],
        annual_appraisals=tuple(YearGrade(int(y), g) for y, g in data["annual_appraisals"]),
        ethics_appraisals=tuple(YearGrade(int(y), g) for y, g in data["ethics_appraisals"]),
        training_hours=Decimal(data["training_hours"]),
        breaks=tuple(
            BreakPeriod(
                start=dt.date.fromisoformat(b["start"]),
                end=dt.date.fromisoformat(b["end"]),
                reason=b["reason"],
                approved=b["approved"],
            )
            for b in data["breaks"]
        ),
        school_opinion=_opinion(opinions.get("school")),
        county_opinion=_opinion(opinions.get("registration")),
        city_opinion=_opinion(opinions.get("city")),
        province_opinion=_opinion(opinions.get("province")),
        conclusion=data["conclusion"],
        valid_from=_date(data.get("valid_from")),
        valid_to=_date(data.get("valid_to")),
        seal_institution=data["seal_institution"],
        registered_on=registered_on,
        verification_url=verification_url,
        generated_on=generated_on,
        registration_label=data["registration_label"],
        appraisal_years=tuple(int(y) for y in data["appraisal_years"]),
        training_hours_required=Decimal(data["training_hours_required"]),
        teaching_stage=data.get("teaching_stage", ""),
        post_title=data.get("post_title", ""),
        phone=data.get("phone", ""),
        address=data.get("address", ""),
        work_history=data.get("work_history", ""),
        health=data.get("health", ""),
        ethics_statement=data.get("ethics_statement", ""),
        previous_registration=PreviousRegistration(
            registered_on=_date(previous.get("registered_on")),
            conclusion=previous.get("conclusion") or "",
            valid_from=_date(previous.get("valid_from")),
            valid_to=_date(previous.get("valid_to")),
        ),
        other_certificates=tuple(data.get("other_certificates") or ()),
    )
