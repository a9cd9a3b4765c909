"""The applicant's writes before the review chain takes over: starting an application
for one of their own certificates and editing its form while it is a draft or returned.

Submitting, withdrawing, resubmitting and every review step are transitions
(``transitions.application_transition``)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jiaozi.accounts.actor import is_active_applicant
from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.certificates.models import Certificate
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.core.fields import field_lookup
from jiaozi.orgs.jurisdiction import province_code_of
from jiaozi.orgs.routing import review_chain
from jiaozi.teachers.models import AnnualAppraisal, EthicsAppraisal, Teacher, TeachingBreak, TrainingRecord

from .. import rules
from ..campaigns.selectors import campaign_context, campaign_get_active
from ..campaigns.windows import window_check
from ..labels import DUE_LABELS
from ..models import Application, Campaign
from ..rules import CycleContext, TeacherFacts
from ..workflow import Status
from .selectors import (
    DETAIL_RELATED,
    application_get_active_for_certificate,
    application_get_active_for_teacher,
    application_get_for_applicant,
    deadline_for,
)

__all__ = [
    "EDITABLE_FIELDS",
    "application_start",
    "application_update_draft",
]

# What the applicant edits on the form (field → max length).
EDITABLE_FIELDS: dict[str, int] = {
    "phone": 20,
    "address": 200,
    "post": 64,
    "work_history": 2000,
    "notes": 2000,
}
EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.RETURNED})
# A mainland mobile number, or a landline with its area code.
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def _require_applicant(applicant: User | None) -> User:
    """The applicant, if a signed-in, active applicant account with a resident ID."""
    if not is_active_applicant(applicant) or not applicant.resident_id:
        raise PermissionDenied(_("请使用实名注册的申请人账号办理。"))
    return applicant


def _require_link(applicant: User, teacher: Teacher) -> None:
    """The applicant confirmed this teacher record (the applicant area's link, proved
    with a certificate number, docs/decisions/0091) — on every path, the API's too."""
    link = getattr(applicant, "teacher_link", None)  # the reverse one-to-one, None if absent
    if link is None or link.teacher_id != teacher.pk:
        raise PermissionDenied(_("请先确认您的教师档案，再申请定期注册。"), code="teacher_not_linked")


def _own_certificate(applicant: User, certificate_id: Any) -> Certificate:
    """The certificate, if its teacher is the applicant (same resident ID, matched by
    the blind index); NotFound otherwise, the same as a missing one."""
    lookup = {
        f"teacher__{k}": v
        for k, v in field_lookup(Teacher, "resident_id", applicant.resident_id or "").items()
    }
    try:
        certificate = (
            Certificate.objects.select_related("teacher__school__parent")
            .filter(**lookup)
            .filter(pk=certificate_id)
            .first()
        )
    except (ValueError, TypeError):
        certificate = None
    if certificate is None:
        raise NotFound(_("证书不存在或不属于您本人。"))
    return certificate


def teacher_facts(teacher: Teacher, certificate: Certificate, ctx: CycleContext) -> TeacherFacts:
    """The rules' view of one teacher and certificate, from the records that can matter
    in the cycle of ``ctx`` (four small queries)."""
    years = ctx.appraisal_years
    r = ctx.registration_date
    return TeacherFacts(
        post_type=teacher.post_type,
        employment_type=teacher.employment_type,
        health=teacher.health,
        probation_passed_on=teacher.probation_passed_on,
        certificate_status=certificate.status,
        last_conclusion=certificate.last_conclusion or "",
        valid_to=certificate.valid_to,
        appraisals=dict(
            AnnualAppraisal.objects.filter(teacher=teacher, year__in=years).values_list("year", "grade")
        ),
        ethics=dict(
            EthicsAppraisal.objects.filter(teacher=teacher, year__in=years).values_list("year", "result")
        ),
        training=list(
            TrainingRecord.objects.filter(teacher=teacher, date__gt=ctx.cycle_after, date__lte=r).values_list(
                "date", "hours"
            )
        ),
        breaks=list(
            TeachingBreak.objects.filter(teacher=teacher, end__gt=ctx.cycle_after, start__lte=r).values_list(
                "start", "end", "approved"
            )
        ),
    )


def facts_snapshot(
    *,
    teacher: Teacher,
    certificate: Certificate,
    facts: TeacherFacts,
    ctx: CycleContext,
    due_reasons: tuple[str, ...],
) -> dict[str, Any]:
    """What the reviewers saw the rules decide on, frozen at the start of the
    application: no resident ID or phone (the form reads those from the records)."""
    return {
        "registration_date": ctx.registration_date.isoformat(),
        "cycle": [ctx.first_day.isoformat(), ctx.registration_date.isoformat()],
        "appraisal_years": list(ctx.appraisal_years),
        "training_hours_required": str(ctx.training_hours_required),
        "school": {"code": teacher.school.code, "name": teacher.school.name},
        "post_type": teacher.post_type,
        "employment_type": teacher.employment_type,
        "health": teacher.health,
        "probation_passed_on": teacher.probation_passed_on.isoformat()
        if teacher.probation_passed_on
        else None,
        "certificate": {
            "number": certificate.number,
            "qualification_type": certificate.qualification_type,
            "subject": certificate.subject,
            "status": certificate.status,
            "last_conclusion": certificate.last_conclusion,
            "valid_from": certificate.valid_from.isoformat() if certificate.valid_from else None,
            "valid_to": certificate.valid_to.isoformat() if certificate.valid_to else None,
            "registered_on": certificate.registered_on.isoformat() if certificate.registered_on else None,
        },
        "appraisals": {str(year): grade for year, grade in sorted(facts.appraisals.items())},
        "ethics": {str(year): result for year, result in sorted(facts.ethics.items())},
        "training_hours": str(rules.training_hours_in_cycle(facts, ctx)),
        # Each stop (touching or overlapping records merged, §4) with its days in the cycle.
        "unapproved_break_days": [
            rules.break_days_in_cycle(start, end, ctx) for start, end in rules.merged_breaks(facts.breaks)
        ],
        "due_reasons": list(due_reasons),
        "other_certificates": other_certificates(teacher, certificate, ctx, facts),
    }


def _existing(campaign: Campaign, certificate: Certificate, applicant: User) -> Application | None:
    existing = application_get_active_for_certificate(campaign=campaign, certificate_id=certificate.pk)
    if existing is not None and existing.applicant_id != applicant.pk:
        raise Conflict(_("该证书已有进行中的注册申请。"), code="application_exists")
    if existing is None:
        other = application_get_active_for_teacher(campaign=campaign, teacher_id=certificate.teacher_id)
        if other is not None and other.certificate_id == certificate.pk:
            # A racing start for this very certificate committed between the two reads.
            if other.applicant_id != applicant.pk:
                raise Conflict(_("该证书已有进行中的注册申请。"), code="application_exists")
            return other
        if other is not None:
            # §4 "one per person": the teacher chose another certificate in this campaign.
            raise Conflict(
                _(
                    "本次定期注册每人只能提交一份申请，您已为证书 %(number)s 申请。"
                    "如需改为本证书，请先撤回该申请。"
                )
                % {"number": other.certificate.number},
                code="teacher_application_exists",
                application_id=other.pk,
            )
    return existing


def other_certificates(
    teacher: Teacher, certificate: Certificate, ctx: CycleContext, facts: TeacherFacts
) -> list[dict[str, Any]]:
    """The teacher's other certificates with their due line (the form lists them)."""
    out: list[dict[str, Any]] = []
    for other in teacher.certificates.exclude(pk=certificate.pk).order_by("number"):
        other_facts = replace(
            facts, certificate_status=other.status, last_conclusion=other.last_conclusion or "",
            valid_to=other.valid_to,
        )  # fmt: skip
        due, _reasons = rules.due_of(other_facts, ctx)
        out.append(
            {
                "number": other.number,
                "qualification_type": other.qualification_type,
                "subject": other.subject,
                "due": str(due),
            }
        )
    return out


def application_start(*, applicant: User | None, certificate_id: int) -> Application:
    """A draft application for one of the applicant's own certificates in the active
    campaign of the teacher's province. The certificate's teacher is the applicant's by
    resident ID, and the applicant has confirmed that teacher record (TeacherLink).

    Idempotent: the certificate's active application in that campaign is returned as it
    is (whatever its status) — a double click, a replayed request or two racing ones
    all end with one application, the partial unique constraint deciding the race.
    Otherwise the apply window must be open and the certificate due (first, periodic or
    after deferral); the chain comes from ``review_chain``, the due line, suggestion
    and reasons from the rules, and the form is pre-filled from the records."""
    applicant = _require_applicant(applicant)
    certificate = _own_certificate(applicant, certificate_id)
    teacher = certificate.teacher
    _require_link(applicant, teacher)
    campaign = campaign_get_active(province_code=province_code_of(teacher.school))
    if campaign is not None:
        existing = _existing(campaign, certificate, applicant)
        if existing is not None:
            return existing
    window_check(campaign=campaign, action="apply")
    assert campaign is not None  # window_check refuses a missing campaign

    ctx = campaign_context(campaign)
    facts = teacher_facts(teacher, certificate, ctx)
    due, due_reasons = rules.due_of(facts, ctx)
    if due not in rules.DUE_TO_APPLY:
        raise ValidationFailed(
            _("该证书本次不需要或不能申请定期注册（%(due)s）。") % {"due": DUE_LABELS[due]},
            code="not_due",
            due=due,
            reasons=list(due_reasons),
        )
    suggestion, suggestion_reasons = rules.suggest(facts, due, ctx)
    chain = review_chain(teacher.school)
    application = Application(
        campaign=campaign,
        applicant=applicant,
        teacher=teacher,
        certificate=certificate,
        school=chain[0],
        registration_authority=chain[1],
        city_bureau=chain[2] if len(chain) == 4 else None,
        province_bureau=chain[-1],
        status=Status.DRAFT,
        due=due,
        suggestion=suggestion,
        suggestion_reasons=list(suggestion_reasons),
        facts=facts_snapshot(
            teacher=teacher, certificate=certificate, facts=facts, ctx=ctx, due_reasons=due_reasons
        ),
        phone=teacher.phone or "",
        post=str(teacher.get_post_type_display()),
        step_deadline=deadline_for(status=Status.DRAFT, campaign=campaign, notice_ends_at=None),
    )
    try:
        with transaction.atomic():
            application.save(force_insert=True)
            audit_record(
                kind=AuditKind.APPLICATION_STARTED,
                actor=applicant,
                obj=application,
                details={
                    "campaign": campaign.pk,
                    "certificate": certificate.pk,
                    "due": due,
                    "suggestion": suggestion,
                },
            )
    except IntegrityError:
        # Another request for the same certificate won the race on the partial unique
        # constraint (one active application per certificate and campaign).
        existing = _existing(campaign, certificate, applicant)
        if existing is None:
            raise
        return existing
    return application


def _clean_draft(changes: dict[str, Any]) -> dict[str, str]:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"application_update_draft() got unexpected fields: {sorted(unknown)}")
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, value in changes.items():
        if value is None:
            continue
        text = str(value).strip()
        if len(text) > EDITABLE_FIELDS[name]:
            errors[name] = _("不能超过%(max)d字。") % {"max": EDITABLE_FIELDS[name]}
        elif name == "phone" and text and not PHONE_RE.match(text.replace(" ", "")):
            errors[name] = _("请填写正确的手机号码或带区号的固定电话。")
        else:
            cleaned[name] = text.replace(" ", "") if name == "phone" else text
    if errors:
        raise ValidationFailed(_("申请信息有误，请检查标出的项目。"), field_errors=errors)
    return cleaned


def application_update_draft(
    *, applicant: User, application_id: int, version: int, **editable: Any
) -> Application:
    """Edit the form fields (``EDITABLE_FIELDS``; ``None`` leaves a field as it is) of
    the applicant's own application while it is a draft or returned and the apply
    window is open. Compare-and-set on ``version``; audited with the names of the
    changed fields only (their values are personal)."""
    _require_applicant(applicant)
    cleaned = _clean_draft(editable)
    application = application_get_for_applicant(user=applicant, pk=application_id)
    if application.status not in EDITABLE_STATUSES:
        raise Conflict(
            _("该申请当前状态为「%(status)s」，不能修改。") % {"status": application.get_status_display()},
            code="wrong_stage",
            status=application.status,
        )
    if version != application.version:
        raise Conflict(_("该申请已被修改，请刷新后重试。"), code="stale_version", version=application.version)
    window_check(campaign=application.campaign, action="apply")
    changed = {name: value for name, value in cleaned.items() if getattr(application, name) != value}
    if not changed:
        return application
    with transaction.atomic():
        updated = Application.objects.filter(
            pk=application.pk, status=application.status, version=application.version
        ).update(**changed, version=F("version") + 1, updated_at=clock.now())
        if updated != 1:
            raise Conflict(_("该申请已被修改，请刷新后重试。"), code="stale_version")
        application = Application.objects.select_related(*DETAIL_RELATED).get(pk=application.pk)
        audit_record(
            kind=AuditKind.APPLICATION_DRAFT_UPDATED,
            actor=applicant,
            obj=application,
            details={"fields": sorted(changed), "version": application.version},
        )
    return application
