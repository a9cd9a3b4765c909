"""application_start, application_update_draft and the application selectors
(jurisdiction, the applicant's own, the timeline)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.applicants.models import TeacherLink
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, WindowClosed
from jiaozi.orgs.tests.factories import HEFEI, LUYANG, PROVINCE, SUSONG, YAOHAI, bureau
from jiaozi.registration.applications import services as applications
from jiaozi.registration.applications.selectors import (
    application_get_for_applicant,
    application_get_visible_to,
    application_list_visible_to,
    application_timeline,
)
from jiaozi.registration.applications.services import application_start, application_update_draft
from jiaozi.registration.models import Application, Campaign
from jiaozi.registration.tests.factories import certificate, teacher, training
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    STEPS_CLOSED,
    applicant_for,
    application,
    chain,
    drive,
    link,
    make_notice,
    start,
    step,
)
from jiaozi.registration.workflow import Action, Actor, Status
from jiaozi.teachers.models import TrainingRecord

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _open_clock() -> Iterator[None]:
    with clock.travel(OPEN):
        yield


def started_rows(app: Application) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            kind=AuditKind.APPLICATION_STARTED, object_type="registration.application", object_id=str(app.pk)
        )
    )


# --- application_start --------------------------------------------------------------------------


def test_start_makes_a_prefilled_draft_with_chain_rules_and_facts() -> None:
    c = chain()
    c.teacher.phone = "13800001111"
    c.teacher.save()
    app = start(c)
    assert app.status == Status.DRAFT
    assert app.version == 1
    assert (app.school, app.registration_authority, app.city_bureau, app.province_bureau) == (
        c.school,
        bureau(LUYANG),
        bureau(HEFEI),
        bureau(PROVINCE),
    )
    assert (app.due, app.suggestion, app.suggestion_reasons) == ("periodic", "qualified", [])
    assert app.facts["due_reasons"] == ["validity_ending"]
    assert app.facts["certificate"]["number"] == c.certificate.number
    assert app.facts["appraisals"] == dict.fromkeys(["2019", "2020", "2021", "2022", "2023"], "qualified")
    assert app.facts["training_hours"] == "360.0"
    # The snapshot carries no resident ID or phone.
    flat = str(app.facts)
    assert c.teacher.resident_id not in flat
    assert "13800001111" not in flat
    assert (app.phone, app.post) == ("13800001111", "专任教师")
    assert app.step_deadline == c.campaign.apply_closes_at
    (row,) = started_rows(app)
    assert row.actor_id == c.applicant.pk
    assert row.institution_id is None
    assert row.details["certificate"] == c.certificate.pk


@pytest.mark.parametrize(
    ("kind", "authority", "city"),
    [("susong", SUSONG, None), ("city_bureau", HEFEI, None), ("department", None, HEFEI)],
)
def test_start_takes_the_chain_from_the_school(kind: str, authority: str | None, city: str | None) -> None:
    c = chain(kind)
    app = start(c)
    assert app.registration_authority == (bureau(authority) if authority else c.school.parent)
    assert app.city_bureau == (bureau(city) if city else None)
    assert app.province_bureau == bureau(PROVINCE)


def test_start_records_the_suggestion_and_its_reasons() -> None:
    c = chain()
    TrainingRecord.objects.filter(teacher=c.teacher).delete()
    training(c.teacher, [(dt.date(2022, 3, 1), 100)])
    app = start(c)
    assert (app.suggestion, app.suggestion_reasons) == ("deferred", ["training_hours_short"])
    assert app.facts["training_hours"] == "100.0"


def test_start_is_idempotent() -> None:
    c = chain()
    first = start(c)
    again = start(c)
    assert again.pk == first.pk
    assert Application.objects.filter(certificate=c.certificate).count() == 1
    assert len(started_rows(first)) == 1


def test_start_returns_the_existing_application_whatever_its_status_and_the_window() -> None:
    c = chain()
    app = drive(c, to=Status.REGISTRATION_REVIEW)
    with clock.travel(STEPS_CLOSED):
        assert start(c).pk == app.pk


def test_a_lost_race_on_the_unique_constraint_returns_the_winner(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check for an existing application passes in both racing requests; the insert
    of the second hits the partial unique constraint, which decides."""
    c = chain()
    winner = start(c)
    real = applications._existing
    calls: list[int] = []

    def not_yet(*args: Any) -> Application | None:
        calls.append(1)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(applications, "_existing", not_yet)
    assert start(c).pk == winner.pk
    assert len(calls) == 2
    assert Application.objects.filter(certificate=c.certificate).count() == 1


def test_after_a_withdrawal_a_new_application_may_start() -> None:
    c = chain()
    first = start(c)
    step(c, first, Action.WITHDRAW)
    second = start(c)
    assert second.pk != first.pk
    assert second.status == Status.DRAFT


def test_start_only_for_the_applicants_own_certificate() -> None:
    c = chain()
    other = chain()
    with pytest.raises(NotFound):
        application_start(applicant=c.applicant, certificate_id=other.certificate.pk)
    with pytest.raises(NotFound):
        application_start(applicant=c.applicant, certificate_id="not-a-number")  # type: ignore[arg-type]
    assert not Application.objects.exists()


def test_start_needs_a_real_name_applicant_account() -> None:
    c = chain()
    staff = make_staff(role=Role.SCHOOL_REVIEWER, institution=c.school)
    with pytest.raises(PermissionDenied):
        application_start(applicant=staff, certificate_id=c.certificate.pk)
    nameless = applicant_for(teacher(school=c.school), resident_id=None)
    with pytest.raises(PermissionDenied):
        application_start(applicant=nameless, certificate_id=c.certificate.pk)
    with pytest.raises(PermissionDenied):
        application_start(applicant=None, certificate_id=c.certificate.pk)


def test_start_needs_the_confirmed_link_to_the_teacher_record() -> None:
    """The applicant area's rule (docs/decisions/0091) holds on every path, the API's too."""
    c = chain()  # its applicant is not linked yet
    with pytest.raises(PermissionDenied) as caught:
        application_start(applicant=c.applicant, certificate_id=c.certificate.pk)
    assert caught.value.code == "teacher_not_linked"
    # A link to another teacher record is no link to this one.
    other = chain()
    TeacherLink.objects.create(
        user=c.applicant, teacher=other.teacher, certificate=other.certificate, linked_at=clock.now()
    )
    fresh = type(c.applicant).objects.get(pk=c.applicant.pk)
    with pytest.raises(PermissionDenied) as caught:
        application_start(applicant=fresh, certificate_id=c.certificate.pk)
    assert caught.value.code == "teacher_not_linked"
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("fields", "due"),
    [
        ({"last_conclusion": "qualified", "valid_to": dt.date(2027, 1, 1)}, "not_yet_due"),
        ({"last_conclusion": "unqualified", "valid_to": dt.date(2024, 1, 1)}, "barred"),
        ({"status": "revoked"}, "barred"),
    ],
)
def test_start_refuses_a_certificate_that_is_not_due(fields: dict[str, Any], due: str) -> None:
    c = chain()
    cert = certificate(c.teacher, **fields)
    with pytest.raises(ValidationFailed) as caught:
        application_start(applicant=link(c.applicant, c.teacher), certificate_id=cert.pk)
    assert caught.value.code == "not_due"
    assert caught.value.details["due"] == due
    assert not Application.objects.exists()


def test_start_outside_the_apply_window_or_campaign() -> None:
    c = chain()
    with clock.travel(STEPS_CLOSED), pytest.raises(WindowClosed) as caught:
        start(c)
    assert "本人申请" in caught.value.message
    Campaign.objects.filter(pk=c.campaign.pk).update(is_active=False)
    with pytest.raises(WindowClosed):
        start(c)
    assert not Application.objects.exists()


# --- application_update_draft -------------------------------------------------------------------


def test_update_draft_edits_the_form_and_is_audited_without_values() -> None:
    c = chain()
    app = start(c)
    updated = application_update_draft(
        applicant=c.applicant,
        application_id=app.pk,
        version=app.version,
        phone=" 139 0000 1234 ",
        address="合肥市庐阳区某路1号",
        notes="2021年参加省级培训",
    )
    assert updated.version == app.version + 1
    assert (updated.phone, updated.address, updated.notes) == (
        "13900001234",
        "合肥市庐阳区某路1号",
        "2021年参加省级培训",
    )
    row = AuditEvent.objects.get(kind=AuditKind.APPLICATION_DRAFT_UPDATED, object_id=str(app.pk))
    assert row.details["fields"] == ["address", "notes", "phone"]
    assert "13900001234" not in str(row.details)
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM registration_application WHERE id = %s", [app.pk])
        (raw,) = cursor.fetchone()
    assert "13900001234" not in raw  # encrypted at rest


def test_update_draft_without_a_change_writes_nothing() -> None:
    c = chain()
    app = start(c)
    same = application_update_draft(
        applicant=c.applicant, application_id=app.pk, version=app.version, post=app.post
    )
    assert same.version == app.version
    assert not AuditEvent.objects.filter(kind=AuditKind.APPLICATION_DRAFT_UPDATED).exists()


def test_update_draft_takes_only_form_fields() -> None:
    c = chain()
    app = start(c)
    for field in ("status", "conclusion", "school", "registration_authority", "version_"):
        with pytest.raises(TypeError):
            application_update_draft(
                applicant=c.applicant, application_id=app.pk, version=app.version, **{field: "x"}
            )
    app.refresh_from_db()
    assert (app.status, app.conclusion, app.version) == (Status.DRAFT, "", 1)


def test_update_draft_validates() -> None:
    c = chain()
    app = start(c)
    with pytest.raises(ValidationFailed) as caught:
        application_update_draft(
            applicant=c.applicant, application_id=app.pk, version=app.version, phone="12345", post="长" * 65
        )
    assert set(caught.value.field_errors) == {"phone", "post"}


def test_update_draft_only_while_editable_fresh_own_and_in_the_window() -> None:
    c = chain()
    app = drive(c, to=Status.SCHOOL_REVIEW)
    with pytest.raises(Conflict) as caught:
        application_update_draft(applicant=c.applicant, application_id=app.pk, version=app.version, notes="x")
    assert caught.value.code == "wrong_stage"

    c2 = chain()
    draft = start(c2)
    with pytest.raises(Conflict) as caught:
        application_update_draft(applicant=c2.applicant, application_id=draft.pk, version=0, notes="x")
    assert caught.value.code == "stale_version"
    with pytest.raises(NotFound):
        application_update_draft(
            applicant=c.applicant, application_id=draft.pk, version=draft.version, notes="x"
        )
    with clock.travel(STEPS_CLOSED), pytest.raises(WindowClosed):
        application_update_draft(
            applicant=c2.applicant, application_id=draft.pk, version=draft.version, notes="x"
        )
    draft.refresh_from_db()
    assert (draft.version, draft.notes) == (1, "")


def test_a_returned_application_is_editable() -> None:
    c = chain()
    app = drive(c, to=Status.SCHOOL_REVIEW)
    app = step(c, app, Action.RETURN_TO_APPLICANT, reason="请补充培训证明")
    updated = application_update_draft(
        applicant=c.applicant, application_id=app.pk, version=app.version, notes="已补"
    )
    assert updated.notes == "已补"


# --- Selectors ------------------------------------------------------------------------------------


def test_staff_see_applications_of_their_subtree_only() -> None:
    c = chain()
    app = application(c, status=Status.REGISTRATION_REVIEW)
    twin = make_staff(role=Role.REGISTRATION_REVIEWER, institution=bureau(YAOHAI))
    for user in (c.school_reviewer, c.registration_reviewer, c.city_rechecker, c.province_reviewer):
        assert list(application_list_visible_to(user=user)) == [app]
        assert application_get_visible_to(user=user, pk=app.pk) == app
    assert not application_list_visible_to(user=twin).exists()
    with pytest.raises(NotFound):
        application_get_visible_to(user=twin, pk=app.pk)
    with pytest.raises(NotFound):
        application_get_visible_to(user=c.registration_reviewer, pk="x")


def test_applicants_see_their_own_applications_only() -> None:
    c = chain()
    other = chain()
    mine = application(c)
    theirs = application(other)
    assert list(application_list_visible_to(user=c.applicant)) == [mine]
    assert application_get_for_applicant(user=c.applicant, pk=mine.pk) == mine
    with pytest.raises(NotFound):
        application_get_for_applicant(user=c.applicant, pk=theirs.pk)
    with pytest.raises(NotFound):
        application_get_for_applicant(user=c.school_reviewer, pk=mine.pk)
    assert not application_list_visible_to(user=None).exists()


def test_timeline_shows_steps_holder_deadline_and_stages() -> None:
    c = chain()
    app = drive(c, to=Status.CITY_RECHECK)
    timeline = application_timeline(application=application_get_for_applicant(user=c.applicant, pk=app.pk))
    assert [s.action for s in timeline.steps] == [
        Action.SUBMIT,
        Action.SCHOOL_APPROVE,
        Action.CONCLUDE,
        Action.PUBLISH_NOTICE,
        Action.NOTICE_END,
    ]
    assert (timeline.holder, timeline.holder_institution) == (Actor.CITY, c.city)
    assert timeline.deadline == c.campaign.recheck_closes_at
    assert [(s.level, s.state) for s in timeline.stages] == [
        (Actor.APPLICANT, "done"),
        (Actor.SCHOOL, "done"),
        (Actor.REGISTRATION, "done"),
        (Actor.PUBLIC, "done"),
        (Actor.CITY, "current"),
        (Actor.PROVINCE, "pending"),
    ]


def test_timeline_of_a_notice_and_of_a_chain_without_city() -> None:
    c = chain("susong")
    notice = make_notice(c)
    app = application(c, status=Status.NOTICE, notice=notice)
    timeline = application_timeline(application=application_get_for_applicant(user=c.applicant, pk=app.pk))
    assert timeline.holder == Actor.PUBLIC
    assert timeline.deadline == notice.ends_at
    assert Actor.CITY not in [s.level for s in timeline.stages]


@pytest.mark.parametrize(("status", "states"), [(Status.COMPLETED, {"done"}), (Status.WITHDRAWN, {"closed"})])
def test_timeline_of_a_finished_application(status: str, states: set[str]) -> None:
    c = chain()
    app = application(c, status=status)
    timeline = application_timeline(application=application_get_for_applicant(user=c.applicant, pk=app.pk))
    assert (timeline.holder, timeline.deadline) == (None, None)
    assert {s.state for s in timeline.stages} == states
