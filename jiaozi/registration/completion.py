"""Completion of a periodic registration (§5 Completion, §7 verification).

When the province files the conclusion (PROVINCE_APPROVE), the workflow calls
``application_complete`` inside its transaction. In that one transaction:

- the certificate's registration record is updated by compare-and-set on its version:
  registered_on = the campaign's registration date R, last_conclusion = the conclusion,
  and for 注册合格 the validity R … R + 5 years − 1 day (``rules.validity_for``, the one
  rule for "R + 5 years", 29 February included). 暂缓注册 and 注册不合格 grant no
  validity, so the certificate keeps the validity of its last 注册合格 (that period
  still ends when it ended; nothing extends it) — docs/decisions/0120;
- the application gets its validity and ``completed_at``;
- a verification token is issued for the QR code, and a ``RegistrationForm`` row ties
  the application to it;
- one audit row records the change of the certificate.

After commit a Celery task (inline in the embedded default) renders the stamped
《教师资格定期注册申请表》 and stores it under a random name with its SHA-256
(``registration_form_store``). ``application_form_pdf`` serves it to the applicant and
to reviewers in scope, rendering it on the spot if the task has not run yet; the form
carries the full resident ID, so every download is audited as an unmasked view.

A filed conclusion is immutable: the workflow table has no action out of COMPLETED, and
``application_complete`` refuses an application that already has ``completed_at``. Only
the revocation procedure (§5, spot checks) undoes a registration.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.certificates.links import verification_url
from jiaozi.certificates.pdf import (
    CONCLUSION_TEXT,
    OPINION_MAX_CHARS,
    BreakPeriod,
    RegistrationFormData,
    ReviewOpinion,
    YearGrade,
    render_registration_form,
)
from jiaozi.certificates.services import verification_token_issue
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound
from jiaozi.core.idcard import birth_date_of
from jiaozi.teachers.models import (
    AnnualAppraisal,
    Certificate,
    CertificateStatus,
    Conclusion,
    EthicsAppraisal,
    TeachingBreak,
    TrainingRecord,
)

from . import rules
from .models import Application, ApplicationStep, RegistrationForm, registration_form_upload_to
from .workflow import Action, Status

logger = logging.getLogger("jiaozi.registration")

# Staff who may open a filed form in their jurisdiction: the levels of the review chain.
# The form carries the full resident ID; admins and the 三员 have no need for it.
FORM_STAFF_ROLES: frozenset[str] = frozenset(
    {Role.SCHOOL_REVIEWER, Role.REGISTRATION_REVIEWER, Role.CITY_RECHECKER, Role.PROVINCE_REVIEWER}
)
# The PDF library accepts codes for these two registration types only; a registration
# after a deferral is a periodic registration on paper.
_REGISTRATION_TYPE: dict[str, str] = {rules.Due.FIRST: "first"}
_DEFAULT_OPINIONS = {
    "school": "情况属实，同意上报。",
    "city": "经复核，同意。",
    "province": "同意，予以备案。",
}


@dataclass(frozen=True, slots=True)
class ValidityChange:
    """What completion wrote, for the caller and the audit row."""

    registered_on: dt.date
    conclusion: str
    valid_from: dt.date | None
    valid_to: dt.date | None


# --- Completion (inside the PROVINCE_APPROVE transaction) ----------------------------


def validity_of(*, conclusion: str, registration_date: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The validity a conclusion grants: R to R + 5 years − 1 day for 注册合格, none
    for 暂缓注册 and 注册不合格 (§4)."""
    if conclusion == Conclusion.QUALIFIED:
        return rules.validity_for(registration_date)
    return None, None


def application_complete(*, application: Application, actor: Any) -> RegistrationForm:
    """File the conclusion of ``application`` (see the module docstring). Must run inside
    the transaction of the PROVINCE_APPROVE transition; raises ``Conflict`` (and so rolls
    that transition back) when the certificate cannot take the registration."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("application_complete must run inside the transition's transaction")
    conclusion = application.conclusion
    if conclusion not in Conclusion.values:
        raise Conflict(_("该申请尚未作出注册结论，不能备案。"), code="conclusion_missing")
    registration_date = application.campaign.registration_date
    certificate = _certificate_of(application)
    if certificate.status != CertificateStatus.VALID:
        raise Conflict(_("该教师资格证书已被撤销或丧失，不能办理注册备案。"), code="certificate_not_valid")
    if certificate.registered_on is not None and certificate.registered_on > registration_date:
        # A later campaign already registered this certificate: an older conclusion
        # must not overwrite a newer record.
        raise Conflict(_("该证书已有更晚的注册记录。"), code="newer_registration")

    valid_from, valid_to = validity_of(conclusion=conclusion, registration_date=registration_date)
    if conclusion == Conclusion.QUALIFIED:
        cert_from, cert_to = valid_from, valid_to
    else:
        cert_from, cert_to = certificate.valid_from, certificate.valid_to
    now = clock.now()
    updated = Certificate.objects.filter(pk=certificate.pk, version=certificate.version).update(
        registered_on=registration_date,
        last_conclusion=conclusion,
        valid_from=cert_from,
        valid_to=cert_to,
        version=F("version") + 1,
        updated_at=now,
    )
    if updated != 1:
        raise Conflict(_("证书信息已被他人修改，请刷新后重试。"), code="stale_version")

    # completed_at is written once: a second completion finds no row.
    updated = Application.objects.filter(pk=application.pk, completed_at__isnull=True).update(
        valid_from=valid_from, valid_to=valid_to, completed_at=now
    )
    if updated != 1:
        raise Conflict(_("该申请已经备案，结论不可更改。"), code="already_completed")
    application.valid_from, application.valid_to, application.completed_at = valid_from, valid_to, now

    token = verification_token_issue(
        certificate=certificate,
        conclusion=conclusion,
        holder_name=certificate.teacher.name,
        institution=application.registration_authority,
        valid_from=valid_from,
        valid_to=valid_to,
        registered_on=registration_date,
    )
    form = RegistrationForm.objects.create(application=application, token=token, created_at=now)
    audit_record(
        kind=AuditKind.CERTIFICATE_REGISTRATION_RECORDED,
        actor=actor,
        obj=certificate,
        details={
            "application_id": application.pk,
            "campaign_id": application.campaign_id,
            "conclusion": conclusion,
            "registered_on": registration_date,
            "valid_from": cert_from,
            "valid_to": cert_to,
            "previous": {
                "last_conclusion": certificate.last_conclusion,
                "registered_on": certificate.registered_on,
                "valid_from": certificate.valid_from,
                "valid_to": certificate.valid_to,
            },
            "token_id": token.pk,
        },
    )
    application_id = application.pk
    # robust: the filing is committed whatever happens to the rendering; a failed render
    # is logged and the form is rendered on first download instead.
    transaction.on_commit(lambda: _queue_render(application_id), robust=True)
    return form


def _certificate_of(application: Application) -> Certificate:
    # Read afresh inside the transaction: its version is what the update compares.
    return Certificate.objects.select_related("teacher").get(pk=application.certificate_id)


def _queue_render(application_id: int) -> None:
    from .tasks import registration_form_render

    registration_form_render.delay(application_id)


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


def _form_for(application_id: int) -> RegistrationForm:
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
    form = _form_for(application_id)
    if form.is_rendered:
        return form
    document = render_registration_form(registration_form_data(application=form.application, form=form))
    return _store(form, document)


def _store(form: RegistrationForm, document: bytes) -> RegistrationForm:
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


def _read_stored(form: RegistrationForm) -> bytes | None:
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


# --- Download ----------------------------------------------------------------------------


def _application_for(user: Any, application_id: int) -> Application:
    from .applications.selectors import application_get_for_applicant, application_get_visible_to

    if getattr(user, "kind", None) == "staff":
        if user.role not in FORM_STAFF_ROLES:
            raise NotFound(_("记录不存在或不在您的管辖范围内。"))
        return application_get_visible_to(user=user, pk=application_id)
    return application_get_for_applicant(user=user, pk=application_id)


def application_form_pdf(*, user: Any, application_id: int) -> bytes:
    """The stamped form of a completed application, for its applicant or a reviewer
    whose jurisdiction covers it (404 for anyone else, as for a missing one). Rendered
    and stored now if the task has not done it yet. Audited as an unmasked view: the
    form carries the full resident ID."""
    application = _application_for(user, application_id)
    if application.status != Status.COMPLETED:
        raise Conflict(_("该申请尚未办结备案，暂无注册申请表。"), code="wrong_stage")
    try:
        form = _form_for(application.pk)
    except RegistrationForm.DoesNotExist:
        raise NotFound(_("记录不存在或不在您的管辖范围内。")) from None
    document = _read_stored(form)
    if document is None:
        document = render_registration_form(registration_form_data(application=form.application, form=form))
        form = _store(form, document)
    audit_record(
        kind=AuditKind.UNMASKED_VIEW,
        actor=user,
        obj=application,
        details={"document": "registration_form", "sha256": form.sha256},
    )
    return document
