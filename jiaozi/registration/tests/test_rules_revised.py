"""§4 as revised, beyond the pure table: required materials per registration type
enforced at submission, one application per person per campaign, and the suggestion
recomputed when the teacher's records change during review."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, ValidationFailed
from jiaozi.registration import rules
from jiaozi.registration.applications.refresh import application_refresh_suggestion
from jiaozi.registration.applications.services import application_start
from jiaozi.registration.models import Application, ApplicationStep, Campaign, Material
from jiaozi.registration.tests.factories import certificate, teacher
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    chain,
    drive,
    start,
    step,
    supply_materials,
)
from jiaozi.registration.transitions import application_transition
from jiaozi.registration.workflow import Action, Status
from jiaozi.teachers import services as teacher_services
from jiaozi.teachers.models import AnnualAppraisal

PERIODIC = list(rules.DEFAULT_REQUIRED_MATERIALS["periodic"])


@pytest.fixture(autouse=True)
def _open_clock() -> Iterator[None]:
    with clock.travel(OPEN):
        yield


# --- materials: the pure rule -----------------------------------------------------------------


def test_default_lists_follow_section_4() -> None:
    assert "application_form" not in rules.REQUIRABLE_MATERIALS
    # The application form is drawn by the system, never uploaded (rules.REQUIRABLE_MATERIALS).
    assert PERIODIC == [
        "certificate",
        "contract",
        "ethics_statement",
        "appraisals",
        "training",
    ]
    assert list(rules.DEFAULT_REQUIRED_MATERIALS["first"]) == [*PERIODIC, "probation_proof"]
    assert list(rules.DEFAULT_REQUIRED_MATERIALS["after_deferral"]) == PERIODIC


def test_missing_materials_boundaries() -> None:
    setting = {"periodic": ["contract", "certificate"]}
    assert rules.missing_materials(setting, "periodic", ["contract"]) == ("certificate",)
    assert rules.missing_materials(setting, "periodic", ["contract", "certificate"]) == ()
    # A type the setting does not name falls back to §4's list.
    assert rules.missing_materials(setting, "first", [*PERIODIC]) == ("probation_proof",)
    # An empty list for a type is the province saying "nothing required".
    assert rules.missing_materials({"periodic": []}, "periodic", []) == ()


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    required=st.lists(st.sampled_from(rules.REQUIRABLE_MATERIALS), unique=True),
    uploaded=st.lists(st.sampled_from([*rules.REQUIRABLE_MATERIALS, "other"]), unique=True),
)
def test_missing_materials_is_exactly_the_required_not_uploaded(
    required: list[str], uploaded: list[str]
) -> None:
    missing = rules.missing_materials({"periodic": required}, "periodic", uploaded)
    assert set(missing) == set(required) - set(uploaded)
    assert list(missing) == sorted(missing, key=rules.REQUIRABLE_MATERIALS.index)
    # Uploading what is missing leaves nothing missing.
    assert rules.missing_materials({"periodic": required}, "periodic", [*uploaded, *missing]) == ()


# --- materials: enforced at submission --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("left_out", PERIODIC)
def test_submission_is_refused_while_one_required_material_is_missing(left_out: str) -> None:
    c = chain()
    app = start(c)
    supply_materials(app, except_=(left_out,))
    with pytest.raises(ValidationFailed) as caught:
        application_transition(
            actor=c.applicant, application_id=app.pk, action=Action.SUBMIT, version=app.version
        )
    assert caught.value.code == "materials_missing"
    assert caught.value.details["missing"] == [left_out]
    assert str(Material.Kind(left_out).label) in str(caught.value)
    app.refresh_from_db()
    assert app.status == Status.DRAFT
    assert app.version == 1


@pytest.mark.django_db
def test_submission_with_every_required_material_goes_to_school_review() -> None:
    c = chain()
    app = start(c)
    supply_materials(app)
    done = application_transition(
        actor=c.applicant, application_id=app.pk, action=Action.SUBMIT, version=app.version
    )
    assert done.status == Status.SCHOOL_REVIEW


@pytest.mark.django_db
def test_a_first_registration_also_needs_the_probation_proof() -> None:
    c = chain()
    c.certificate.last_conclusion, c.certificate.valid_from, c.certificate.valid_to = "", None, None
    c.certificate.save()
    c.teacher.probation_passed_on = dt.date(2024, 11, 20)
    c.teacher.save()
    app = start(c)
    assert app.due == "first"
    supply_materials(app, except_=("probation_proof",))
    with pytest.raises(ValidationFailed) as caught:
        application_transition(actor=c.applicant, application_id=app.pk, action=Action.SUBMIT, version=1)
    assert caught.value.details["missing"] == ["probation_proof"]
    supply_materials(app)
    assert (
        application_transition(
            actor=c.applicant, application_id=app.pk, action=Action.SUBMIT, version=1
        ).status
        == Status.SCHOOL_REVIEW
    )


@pytest.mark.django_db
def test_the_province_setting_decides_what_is_required() -> None:
    c = chain()
    Campaign.objects.filter(pk=c.campaign.pk).update(required_materials={"periodic": ["certificate"]})
    app = start(c)
    with pytest.raises(ValidationFailed) as caught:
        application_transition(actor=c.applicant, application_id=app.pk, action=Action.SUBMIT, version=1)
    assert caught.value.details["missing"] == ["certificate"]
    Material.objects.create(
        application=app, kind="certificate", file="registration/materials/x", original_name="c.pdf",
        content_type="application/pdf", size=1, sha256="0" * 64, uploaded_by=c.applicant, uploaded_at=clock.now(),
    )  # fmt: skip
    assert (
        application_transition(
            actor=c.applicant, application_id=app.pk, action=Action.SUBMIT, version=1
        ).status
        == Status.SCHOOL_REVIEW
    )


@pytest.mark.django_db
def test_a_resubmission_is_checked_too() -> None:
    c = chain()
    app = drive(c, to=Status.SCHOOL_REVIEW)
    app = step(c, app, Action.RETURN_TO_APPLICANT, reason="请补充材料")
    Material.objects.filter(application=app, kind="contract").delete()
    with pytest.raises(ValidationFailed) as caught:
        application_transition(
            actor=c.applicant, application_id=app.pk, action=Action.RESUBMIT, version=app.version
        )
    assert caught.value.details["missing"] == ["contract"]


# --- one application per person per campaign --------------------------------------------------


@pytest.mark.django_db
def test_a_teacher_with_two_certificates_files_one_application() -> None:
    c = chain()
    second = certificate(c.teacher, qualification_type="4", subject="数学")
    first_app = start(c)
    assert [o["number"] for o in first_app.facts["other_certificates"]] == [second.number]
    assert first_app.facts["other_certificates"][0]["due"] == "periodic"
    with pytest.raises(Conflict) as caught:
        application_start(applicant=c.applicant, certificate_id=second.pk)
    assert caught.value.code == "teacher_application_exists"
    assert first_app.certificate.number in str(caught.value)
    assert Application.objects.filter(teacher=c.teacher).count() == 1
    # The same certificate again is the idempotent answer, not a conflict.
    assert application_start(applicant=c.applicant, certificate_id=c.certificate.pk).pk == first_app.pk


@pytest.mark.django_db
def test_after_withdrawing_the_teacher_may_choose_the_other_certificate() -> None:
    c = chain()
    second = certificate(c.teacher, qualification_type="4", subject="数学")
    app = start(c)
    application_transition(actor=c.applicant, application_id=app.pk, action=Action.WITHDRAW, version=1)
    other = application_start(applicant=c.applicant, certificate_id=second.pk)
    assert other.certificate_id == second.pk
    assert [o["number"] for o in other.facts["other_certificates"]] == [c.certificate.number]


@pytest.mark.django_db
def test_the_database_refuses_a_second_active_application_of_one_teacher() -> None:
    from django.db import IntegrityError, transaction

    c = chain()
    second = certificate(c.teacher, qualification_type="4", subject="数学")
    app = start(c)
    values = {f.attname: getattr(app, f.attname) for f in Application._meta.concrete_fields if f.name != "id"}
    values["certificate_id"] = second.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(**values)


# --- the suggestion follows the records ---------------------------------------------------------


@pytest.mark.django_db
def test_a_record_changed_during_review_recomputes_the_suggestion_and_shows_the_change(
    django_capture_on_commit_callbacks: object,
) -> None:
    c = chain()
    app = drive(c, to=Status.REGISTRATION_REVIEW)
    assert app.suggestion == "qualified"
    version = app.version
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        teacher_services.annual_appraisal_set(
            actor=c.school_reviewer,
            teacher_id=c.teacher.pk,
            version=c.teacher.version,
            year=2021,
            grade="basic",
        )
    app.refresh_from_db()
    assert (app.suggestion, app.suggestion_reasons) == ("deferred", ["appraisal_basic"])
    assert app.version == version + 1
    assert app.facts["appraisals"]["2021"] == "basic"
    recompute = ApplicationStep.objects.get(application=app, action=Action.RECOMPUTE)
    assert recompute.from_status == recompute.to_status == Status.REGISTRATION_REVIEW
    assert "系统建议由「注册合格」变为「暂缓注册」" in recompute.opinion
    assert "年度考核：2019：合格，2020：合格，2021：合格" in recompute.opinion
    assert "→ 2019：合格，2020：合格，2021：基本合格" in recompute.opinion
    audit = AuditEvent.objects.get(kind=AuditKind.APPLICATION_SUGGESTION_RECOMPUTED, object_id=str(app.pk))
    assert audit.details["before"]["suggestion"] == "qualified"
    assert audit.details["after"] == {"suggestion": "deferred", "reasons": ["appraisal_basic"]}
    # A reviewer holding the old version must reload before deciding.
    with pytest.raises(Conflict):
        application_transition(
            actor=c.registration_reviewer, application_id=app.pk, action=Action.CONCLUDE, version=version,
            conclusion="qualified",
        )  # fmt: skip


@pytest.mark.django_db
def test_nothing_is_written_when_the_records_change_nothing_the_rules_read() -> None:
    c = chain()
    app = drive(c, to=Status.SCHOOL_REVIEW)
    assert application_refresh_suggestion(application_id=app.pk) is None
    # An appraisal outside the five years is not read.
    AnnualAppraisal.objects.create(teacher=c.teacher, year=2012, grade="failed")
    assert application_refresh_suggestion(application_id=app.pk) is None
    assert not ApplicationStep.objects.filter(application=app, action=Action.RECOMPUTE).exists()


@pytest.mark.django_db
def test_a_merged_break_entered_during_review_defers_the_suggestion() -> None:
    c = chain()
    app = drive(c, to=Status.SCHOOL_REVIEW)
    from jiaozi.teachers.models import TeachingBreak

    TeachingBreak.objects.create(
        teacher=c.teacher, start=dt.date(2021, 3, 1), end=dt.date(2021, 7, 31), reason="a"
    )
    TeachingBreak.objects.create(
        teacher=c.teacher, start=dt.date(2021, 8, 1), end=dt.date(2021, 12, 31), reason="b"
    )
    changed = application_refresh_suggestion(application_id=app.pk)
    assert changed is not None
    assert (changed.suggestion, changed.suggestion_reasons) == ("deferred", ["unapproved_break"])
    assert changed.facts["unapproved_break_days"] == [306]


@pytest.mark.django_db
def test_a_completed_application_is_never_recomputed() -> None:
    c = chain()
    app = drive(c, to=Status.COMPLETED)
    AnnualAppraisal.objects.filter(teacher=c.teacher, year=2021).update(grade="failed")
    assert application_refresh_suggestion(application_id=app.pk) is None


@pytest.mark.django_db
def test_an_import_refreshes_the_applications_of_teachers_it_touched(
    django_capture_on_commit_callbacks: object,
) -> None:
    from jiaozi.teachers.signals import records_changed_on_commit

    c = chain()
    app = drive(c, to=Status.SCHOOL_REVIEW)
    AnnualAppraisal.objects.filter(teacher=c.teacher, year=2020).delete()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        records_changed_on_commit([c.teacher.pk, teacher().pk])
    app.refresh_from_db()
    assert app.suggestion_reasons == ["appraisal_missing"]
