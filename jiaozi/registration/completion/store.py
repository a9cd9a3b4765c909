"""The stamped form of a completed registration: its data, gathered from the filed
application, and its rendering and storage (run by the render task after completion and
by the download when the task has not run yet)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Sum
from django.utils import timezone

from jiaozi.certificates.links import verification_url
from jiaozi.core import clock
from jiaozi.core.idcard import birth_date_of
from jiaozi.teachers.models import AnnualAppraisal, EthicsAppraisal, TeachingBreak, TrainingRecord

from .. import rules
from ..models import Application, ApplicationStep, RegistrationForm, registration_form_upload_to
from ..workflow import Action
from .form import (
    CONCLUSION_TEXT,
    OPINION_MAX_CHARS,
    BreakPeriod,
    RegistrationFormData,
    ReviewOpinion,
    YearGrade,
    render_registration_form,
)

logger = logging.getLogger("jiaozi.registration")


_DEFAULT_OPINIONS = {
    "school": "情况属实，同意上报。",
    "city": "经复核，同意。",
    "province": "同意，予以备案。",
}


# The PDF library accepts codes for these two registration types only; a registration
# after a deferral is a periodic registration on paper.
_REGISTRATION_TYPE: dict[str, str] = {rules.Due.FIRST: "first"}


# --- The form's data -------------------------------------------------------------------


def _clip(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= OPINION_MAX_CHARS:
        return text
    return text[: OPINION_MAX_CHARS - 1] + "…"


def _opinion(step: ApplicationStep | None, institution_name: str, default: str) -> ReviewOpinion | None:
    if step is None:
        return None
    return ReviewOpinion(
        opinion=_clip(step.opinion or default),
        institution=institution_name,
        date=_local_date(step.at),
    )


def _local_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def _last_steps(application: Application) -> dict[str, ApplicationStep]:
    """The latest step of each action (ordered by time, so a later one wins)."""
    steps: dict[str, ApplicationStep] = {}
    for step in ApplicationStep.objects.filter(application=application).order_by("at", "pk"):
        steps[step.action] = step
    return steps


def _county_step(steps: dict[str, ApplicationStep]) -> ApplicationStep | None:
    # An upheld objection revises the conclusion after the first one: the later wins.
    candidates = [s for s in (steps.get(Action.CONCLUDE), steps.get(Action.UPHOLD_OBJECTION)) if s]
    return max(candidates, key=lambda s: (s.at, s.pk)) if candidates else None


def registration_form_data(*, application: Application, form: RegistrationForm) -> RegistrationFormData:
    """Everything the stamped form prints, read from the database: the applicant's
    data, the records of the cycle, each level's opinion and the filed conclusion. Same
    database → same data → same PDF bytes (the renderer is deterministic)."""
    teacher = application.teacher
    certificate = application.certificate
    campaign = application.campaign
    r = campaign.registration_date
    ctx = rules.cycle_context(r, campaign.training_hours_required)
    years = ctx.appraisal_years

    annual = tuple(
        YearGrade(year, grade)
        for year, grade in AnnualAppraisal.objects.filter(teacher=teacher, year__in=years)
        .order_by("year")
        .values_list("year", "grade")
    )
    ethics = tuple(
        YearGrade(year, result)
        for year, result in EthicsAppraisal.objects.filter(teacher=teacher, year__in=years)
        .order_by("year")
        .values_list("year", "result")
    )
    hours = TrainingRecord.objects.filter(teacher=teacher, date__gt=ctx.cycle_after, date__lte=r).aggregate(
        total=Sum("hours")
    )["total"]
    # SQLite sums decimals as floats; hours have one decimal place.
    training_hours = Decimal(str(hours or 0)).quantize(Decimal("0.1"))
    breaks = tuple(
        BreakPeriod(start=b.start, end=b.end, reason=b.reason, approved=b.approved)
        for b in TeachingBreak.objects.filter(
            teacher=teacher, end__gt=ctx.cycle_after, start__lte=r
        ).order_by("start")
    )

    steps = _last_steps(application)
    conclusion = application.conclusion
    county_default = f"经审核，{CONCLUSION_TEXT[conclusion]}。"
    city_name = application.city_bureau.name if application.city_bureau is not None else ""
    completed_on = _local_date(application.completed_at) if application.completed_at else clock.today()
    resident_id = teacher.resident_id
    return RegistrationFormData(
        form_number=f"ZC-{campaign.year}-{application.registration_authority.code}-{application.pk:06d}",
        applicant_name=teacher.name,
        sex=teacher.sex,
        resident_id=resident_id,
        birth_date=birth_date_of(resident_id),
        school=application.school.name,
        post=teacher.post_type,
        certificate_number=certificate.number,
        qualification_type=certificate.qualification_type,
        subject=certificate.subject,
        registration_type=_REGISTRATION_TYPE.get(application.due, "periodic"),
        annual_appraisals=annual,
        ethics_appraisals=ethics,
        training_hours=training_hours,
        breaks=breaks,
        school_opinion=_opinion(
            steps.get(Action.SCHOOL_APPROVE), application.school.name, _DEFAULT_OPINIONS["school"]
        ),
        county_opinion=_opinion(_county_step(steps), application.registration_authority.name, county_default),
        city_opinion=_opinion(steps.get(Action.CITY_APPROVE), city_name, _DEFAULT_OPINIONS["city"])
        if application.city_bureau_id
        else None,
        province_opinion=_opinion(
            steps.get(Action.PROVINCE_APPROVE),
            application.province_bureau.name,
            _DEFAULT_OPINIONS["province"],
        ),
        conclusion=conclusion,
        valid_from=application.valid_from,
        valid_to=application.valid_to,
        # The notice: the education department that registers stamps the form.
        seal_institution=application.registration_authority.name,
        registered_on=r,
        verification_url=verification_url(form.token.token),
        generated_on=completed_on,
    )


# --- Rendering and storage -------------------------------------------------------------


def registration_form_get(application_id: int) -> RegistrationForm:
    return RegistrationForm.objects.select_related(
        "token",
        "application__campaign",
        "application__teacher",
        "application__certificate",
        "application__school",
        "application__registration_authority",
        "application__city_bureau",
        "application__province_bureau",
    ).get(application_id=application_id)


def registration_form_store(*, application_id: int) -> RegistrationForm:
    """Render the stamped form of a completed application and store it (the Celery
    task's body). Idempotent: a form already stored is left alone, and of two workers
    racing, the first to record its file wins and the other deletes its copy."""
    form = registration_form_get(application_id)
    if form.is_rendered:
        return form
    document = render_registration_form(registration_form_data(application=form.application, form=form))
    return registration_form_save(form, document)


def registration_form_save(form: RegistrationForm, document: bytes) -> RegistrationForm:
    digest = hashlib.sha256(document).hexdigest()
    name = default_storage.save(registration_form_upload_to(form, ""), ContentFile(document))
    updated = RegistrationForm.objects.filter(pk=form.pk, sha256=form.sha256).update(
        file=name, sha256=digest, size=len(document), rendered_at=clock.now()
    )
    if updated != 1:
        default_storage.delete(name)
        form.refresh_from_db()
        return form
    old_name = form.file.name if form.file else ""
    form.refresh_from_db()
    if old_name and old_name != name:
        default_storage.delete(old_name)
    return form


def registration_form_read(form: RegistrationForm) -> bytes | None:
    """The stored PDF, or None when it is missing or no longer matches its SHA-256."""
    if not form.is_rendered:
        return None
    try:
        with default_storage.open(str(form.file.name), "rb") as handle:
            document = handle.read()
    except FileNotFoundError:
        logger.error("Stamped form of application %s is missing from storage", form.application_id)
        return None
    if hashlib.sha256(document).hexdigest() != form.sha256:
        # The database is the source of truth: the file is rendered again from it.
        logger.error("Stamped form of application %s does not match its SHA-256", form.application_id)
        return None
    return document
