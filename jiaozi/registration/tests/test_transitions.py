"""application_transition: every legal and illegal (status, action) pair, table-driven,
and each check in its order — jurisdiction, role and level, conflict of interest, stage,
version, window, reasons — each failing check changing nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models import QuerySet

from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.audit.verify import verify
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, WindowClosed
from jiaozi.notifications.models import Delivery, Notification
from jiaozi.orgs.tests.factories import YAOHAI, bureau
from jiaozi.registration.completion.snapshot import SNAPSHOT_ACTIONS
from jiaozi.registration.models import Application, ApplicationStep, FormSnapshot, Notice
from jiaozi.registration.tests.factories_applications import (
    BEFORE_OPEN,
    OPEN,
    STEPS_CLOSED,
    SYSTEM_CLOSED,
    Chain,
    application,
    chain,
    drive,
    make_notice,
    start,
    step,
    steps_of,
)
from jiaozi.registration.transitions import (
    ANNOUNCEMENTS,
    AUDIT_KIND,
    ReturnReason,
    actions_for,
    application_transition,
    can_act,
)
from jiaozi.registration.workflow import (
    CITY_OR_PROVINCE,
    DOWN_FROM_PROVINCE,
    LEVELS_OF_ACTION,
    REVIEW_LEVEL_ABOVE,
    TABLE,
    TRANSITIONS,
    Action,
    Actor,
    Status,
    Transition,
    target_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _open_clock() -> Iterator[None]:
    with clock.travel(OPEN):
        yield


def audit_rows(app: Application) -> QuerySet[AuditEvent]:
    """The transitions' audit rows (the form snapshots filed with a decision apart)."""
    return AuditEvent.objects.filter(object_type="registration.application", object_id=str(app.pk)).exclude(
        kind=AuditKind.REGISTRATION_FORM_SNAPSHOT_TAKEN
    )


def state(app: Application) -> tuple[Any, ...]:
    """Everything a refused action must leave as it was."""
    row = Application.objects.values_list("status", "version", "conclusion", "notice_id").get(pk=app.pk)
    return (
        *row,
        ApplicationStep.objects.filter(application=app).count(),
        audit_rows(app).count(),
        Notification.objects.filter(recipient=app.applicant).count(),
    )


def _act(c: Chain, app: Application, action: str, level: str, **kwargs: Any) -> Application:
    actor = None if level in (Actor.PUBLIC, Actor.SYSTEM) else c.staff(level)
    kwargs.setdefault("version", app.version)
    return application_transition(actor=actor, application_id=app.pk, action=action, **kwargs)


def _prepared(c: Chain, t: Transition) -> tuple[Application, dict[str, Any]]:
    """An application waiting in ``t.source``, and the arguments ``t`` needs."""
    kwargs: dict[str, Any] = {}
    if t.source == Status.NOTICE and t.action == Action.NOTICE_END:
        app = application(c, status=t.source, notice=make_notice(c, starts_at=OPEN - dt.timedelta(days=8)))
    elif t.action == Action.REQUEST_REVIEW:
        # A 暂缓注册 whose notice ended a day ago: inside the review period (§5).
        ended = make_notice(c, starts_at=OPEN - dt.timedelta(days=8), state="closed")
        app = application(c, status=t.source, conclusion="deferred", notice=ended)
    else:
        app = application(c, status=t.source, materials=True)
    if t.needs_reason:
        kwargs["reason"] = "请补充材料"
    if t.action == Action.CONCLUDE:
        kwargs["conclusion"] = "qualified"
    if t.action == Action.PUBLISH_NOTICE:
        kwargs["notice"] = make_notice(c)
    return app, kwargs


def _legal_cases() -> list[Any]:
    cases = []
    for t in TRANSITIONS:
        branching = (CITY_OR_PROVINCE, DOWN_FROM_PROVINCE, REVIEW_LEVEL_ABOVE)
        kinds = ["county", "susong"] if t.target in branching else ["county"]
        for kind in kinds:
            cases.append(pytest.param(t, kind, id=f"{t.source}-{t.action}-{kind}"))
    return cases


@pytest.mark.parametrize(("t", "kind"), _legal_cases())
def test_every_legal_transition(t: Transition, kind: str) -> None:
    c = chain(kind)
    app, kwargs = _prepared(c, t)
    result = _act(c, app, t.action, t.actor, **kwargs)

    target = target_for(t, has_city_step=c.has_city_step)
    assert result.status == target
    assert result.version == app.version + 1
    (step_,) = ApplicationStep.objects.filter(application=app)
    assert (step_.action, step_.from_status, step_.to_status) == (t.action, t.source, target)
    actor = c.staff(t.actor)
    assert step_.actor_id == (actor.pk if actor else None)
    staff_level = t.actor not in (Actor.APPLICANT, Actor.PUBLIC, Actor.SYSTEM)
    assert step_.institution_id == (actor.institution_id if staff_level and actor else None)
    (row,) = audit_rows(app)
    assert row.kind == AUDIT_KIND[t.action]
    # §5: each level's decision files a snapshot of the form with its step.
    snapshots = list(FormSnapshot.objects.filter(application=app))
    assert [(s.step_id, s.action) for s in snapshots] == (
        [(step_.pk, t.action)] if t.action in SNAPSHOT_ACTIONS else []
    )
    assert row.details["from"] == t.source
    assert row.details["to"] == target
    assert row.details["step"] == step_.pk
    # The acting staff member's institution; the scheduler records under the authority
    # whose notice ended; the applicant and the public under no institution.
    by_level: dict[str, int | None] = {
        Actor.APPLICANT: None,
        Actor.PUBLIC: None,
        Actor.SYSTEM: c.authority.pk,
    }
    expected_institution = by_level.get(t.actor, actor.institution_id if actor else None)
    assert row.institution_id == expected_institution
    notes = Notification.objects.filter(recipient=c.applicant)
    if t.action in ANNOUNCEMENTS:
        assert [n.kind for n in notes] == [ANNOUNCEMENTS[t.action].kind]
    else:
        assert not notes.exists()


def _illegal_pairs(status: str) -> list[tuple[str, str]]:
    pairs = []
    for action in Action.values:
        for level in sorted(LEVELS_OF_ACTION[action]):
            legal = TABLE.get((status, action))
            if legal is None or legal.actor != level:
                pairs.append((action, level))
    return pairs


@pytest.mark.parametrize("status", Status.values)
def test_every_illegal_pair_is_refused_as_wrong_stage_and_changes_nothing(status: str) -> None:
    """Each action, by each level that takes it somewhere, from ``status`` where the
    table does not let that level take it: 409 wrong_stage, nothing written."""
    c = chain("county")
    app = application(c, status=status)
    before = state(app)
    pairs = _illegal_pairs(status)
    assert pairs
    wrong = []
    for action, level in pairs:
        try:
            _act(c, app, action, level, reason="理由", conclusion="qualified", notice=make_notice(c))
        except Conflict as exc:
            if exc.code != "wrong_stage":
                wrong.append((action, level, exc.code))
        except Exception as exc:  # reported below with the pair
            wrong.append((action, level, repr(exc)))
        else:
            wrong.append((action, level, "accepted"))
    assert wrong == []
    assert state(app) == before


@pytest.mark.parametrize("status", [s for s in Status.values if s != Status.CITY_RECHECK])
def test_actions_for_lists_exactly_the_legal_actions_of_each_level(status: str) -> None:
    c = chain("county")
    if status == Status.PROVINCE_REVIEW:
        # A 暂缓注册 inside its review period: the applicant may ask for a review (§5).
        ended = make_notice(c, starts_at=OPEN - dt.timedelta(days=8), state="closed")
        app = application(c, status=status, conclusion="deferred", notice=ended)
    else:
        app = application(c, status=status)
    app = Application.objects.select_related("campaign", "teacher", "notice", "school").get(pk=app.pk)
    for level in (Actor.APPLICANT, Actor.SCHOOL, Actor.REGISTRATION, Actor.CITY, Actor.PROVINCE):
        # The province reviewer also acts for the province's supervision (REVOKE).
        levels = {level, Actor.OVERSIGHT} if level == Actor.PROVINCE else {level}
        expected = [t.action for t in TRANSITIONS if t.source == status and t.actor in levels]
        assert actions_for(user=c.staff(level), application=app) == expected, level


# --- Version, jurisdiction, role --------------------------------------------------------------


def test_a_stale_version_is_refused_and_changes_nothing() -> None:
    c = chain()
    app = application(c, status=Status.SCHOOL_REVIEW, version=3)
    before = state(app)
    with pytest.raises(Conflict) as caught:
        _act(c, app, Action.SCHOOL_APPROVE, Actor.SCHOOL, version=2)
    assert caught.value.code == "stale_version"
    assert caught.value.status == 409
    assert state(app) == before


def test_a_double_submit_moves_once() -> None:
    c = chain()
    app = start(c)
    step(c, app, Action.SUBMIT)
    with pytest.raises(Conflict):
        step(c, app, Action.SUBMIT)  # the same (now stale) version again
    assert steps_of(app) == [(Action.SUBMIT, Status.DRAFT, Status.SCHOOL_REVIEW)]
    assert audit_rows(app).filter(kind=AuditKind.APPLICATION_SUBMITTED).count() == 1


def test_out_of_jurisdiction_is_not_found() -> None:
    c = chain()
    app = application(c, status=Status.REGISTRATION_REVIEW)
    twin = make_staff(role=Role.REGISTRATION_REVIEWER, institution=bureau(YAOHAI))
    before = state(app)
    with pytest.raises(NotFound):
        application_transition(
            actor=twin,
            application_id=app.pk,
            action=Action.CONCLUDE,
            version=app.version,
            conclusion="qualified",
        )
    with pytest.raises(NotFound):
        application_transition(actor=twin, application_id=987654, action=Action.CONCLUDE, version=1)
    assert state(app) == before


def test_another_applicant_gets_not_found() -> None:
    c = chain()
    app = application(c, status=Status.DRAFT, materials=True)
    other = chain().applicant
    with pytest.raises(NotFound):
        application_transition(actor=other, application_id=app.pk, action=Action.SUBMIT, version=app.version)


@pytest.mark.parametrize(
    ("role", "where", "action", "status"),
    [
        # Visible, but the wrong role for the action.
        (Role.INSTITUTION_ADMIN, "authority", Action.CONCLUDE, Status.REGISTRATION_REVIEW),
        (Role.CERTIFYING_OFFICER, "authority", Action.CONCLUDE, Status.REGISTRATION_REVIEW),
        (Role.SCHOOL_REVIEWER, "school", Action.CONCLUDE, Status.REGISTRATION_REVIEW),
        # The right role at the wrong level of the chain.
        (Role.REGISTRATION_REVIEWER, "city", Action.CONCLUDE, Status.REGISTRATION_REVIEW),
        (Role.REGISTRATION_REVIEWER, "province", Action.CONCLUDE, Status.REGISTRATION_REVIEW),
        (Role.CITY_RECHECKER, "city", Action.PROVINCE_APPROVE, Status.PROVINCE_REVIEW),
        (Role.PROVINCE_ADMIN, "province", Action.PROVINCE_APPROVE, Status.PROVINCE_REVIEW),
    ],
)
def test_wrong_role_or_level_is_forbidden(role: str, where: str, action: str, status: str) -> None:
    c = chain()
    app = application(c, status=status)
    institution = {"school": c.school, "authority": c.authority, "city": c.city, "province": c.province}[
        where
    ]
    user = make_staff(role=role, institution=institution)
    before = state(app)
    with pytest.raises(PermissionDenied) as caught:
        application_transition(
            actor=user, application_id=app.pk, action=action, version=app.version, conclusion="qualified"
        )
    assert caught.value.status == 403
    assert state(app) == before


def test_staff_cannot_take_applicant_actions_nor_applicants_review_ones() -> None:
    c = chain()
    draft = application(c, status=Status.DRAFT, materials=True)
    with pytest.raises(PermissionDenied):
        _act(c, draft, Action.SUBMIT, Actor.SCHOOL)
    review = application(c, status=Status.SCHOOL_REVIEW, certificate_=_second_certificate(c))
    with pytest.raises(PermissionDenied):
        application_transition(
            actor=c.applicant, application_id=review.pk, action=Action.SCHOOL_APPROVE, version=review.version
        )


def _second_certificate(c: Chain) -> Any:
    """A certificate of another teacher at the chain's school (one application per
    teacher and campaign, §4)."""
    from jiaozi.registration.tests.factories_applications import due_teacher

    return due_teacher(c.school)[1]


def test_the_public_and_the_scheduler_take_only_their_actions() -> None:
    c = chain()
    app = application(c, status=Status.SCHOOL_REVIEW)
    with pytest.raises(PermissionDenied):
        application_transition(
            actor=None, application_id=app.pk, action=Action.SCHOOL_APPROVE, version=app.version
        )
    noticed = application(c, status=Status.NOTICE, certificate_=_second_certificate(c))
    with pytest.raises(PermissionDenied):
        _act(c, noticed, Action.OBJECT, Actor.REGISTRATION)


def test_a_disabled_reviewer_cannot_act() -> None:
    c = chain()
    app = application(c, status=Status.SCHOOL_REVIEW)
    c.school_reviewer.is_active = False
    c.school_reviewer.save()
    with pytest.raises(PermissionDenied):
        _act(c, app, Action.SCHOOL_APPROVE, Actor.SCHOOL)


def test_unknown_action_is_a_validation_error() -> None:
    c = chain()
    app = application(c, status=Status.SCHOOL_REVIEW)
    with pytest.raises(ValidationFailed) as caught:
        _act(c, app, "approve_everything", Actor.SCHOOL)
    assert caught.value.code == "unknown_action"


# --- Conflict of interest ---------------------------------------------------------------------


@pytest.mark.parametrize("shared", ["resident_id", "phone"])
def test_nobody_reviews_their_own_application(shared: str) -> None:
    c = chain()
    c.teacher.phone = "13912345678"
    c.teacher.save()
    app = application(c, status=Status.REGISTRATION_REVIEW)
    # The registration reviewer is the teacher (same resident ID, or same phone). Resident
    # IDs are unique among accounts, so here the application came from an account that
    # no longer holds it (the staff account is the one on file).
    type(c.applicant).objects.filter(pk=c.applicant.pk).update(resident_id=None, resident_id_bidx=None)
    value = c.teacher.resident_id if shared == "resident_id" else c.teacher.phone
    reviewer = make_staff(role=Role.REGISTRATION_REVIEWER, institution=c.authority, **{shared: value})
    before = state(app)
    with pytest.raises(PermissionDenied) as caught:
        application_transition(
            actor=reviewer,
            application_id=app.pk,
            action=Action.CONCLUDE,
            version=app.version,
            conclusion="qualified",
        )
    assert caught.value.code == "conflict_of_interest"
    assert state(app) == before
    loaded = Application.objects.select_related("campaign", "teacher", "school").get(pk=app.pk)
    assert not can_act(user=reviewer, application=loaded, action=Action.CONCLUDE)
    assert actions_for(user=reviewer, application=loaded) == []
    # A colleague at the same level may.
    assert (
        _act(c, app, Action.CONCLUDE, Actor.REGISTRATION, conclusion="qualified").status == Status.CONCLUDED
    )


# --- Windows ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "level", "when", "window_label"),
    [
        (Status.DRAFT, Action.SUBMIT, Actor.APPLICANT, STEPS_CLOSED, "本人申请"),
        (Status.DRAFT, Action.SUBMIT, Actor.APPLICANT, BEFORE_OPEN, "本人申请"),
        (Status.SCHOOL_REVIEW, Action.SCHOOL_APPROVE, Actor.SCHOOL, STEPS_CLOSED, "学校审查"),
        (Status.REGISTRATION_REVIEW, Action.CONCLUDE, Actor.REGISTRATION, STEPS_CLOSED, "县级审核"),
        (Status.CITY_RECHECK, Action.CITY_APPROVE, Actor.CITY, STEPS_CLOSED, "市级复核"),
        (Status.PROVINCE_REVIEW, Action.PROVINCE_APPROVE, Actor.PROVINCE, SYSTEM_CLOSED, "省级终审"),
        (Status.NOTICE, Action.NOTICE_END, Actor.SYSTEM, SYSTEM_CLOSED, "系统开放"),
    ],
)
def test_a_closed_window_is_refused_naming_the_window_and_dates(
    status: str, action: str, level: str, when: dt.datetime, window_label: str
) -> None:
    c = chain()
    app = application(c, status=status, notice=make_notice(c, starts_at=OPEN - dt.timedelta(days=8)))
    before = state(app)
    with clock.travel(when), pytest.raises(WindowClosed) as caught:
        _act(c, app, action, level, conclusion="qualified")
    assert window_label in caught.value.message
    assert "2024年" in caught.value.message  # the dates are named
    assert caught.value.status == 409
    assert state(app) == before


def test_the_province_may_still_act_after_the_step_windows_closed() -> None:
    c = chain()
    app = application(c, status=Status.PROVINCE_REVIEW)
    with clock.travel(STEPS_CLOSED):
        assert _act(c, app, Action.PROVINCE_APPROVE, Actor.PROVINCE).status == Status.COMPLETED


def test_an_inactive_campaign_closes_every_window() -> None:
    c = chain()
    app = application(c, status=Status.SCHOOL_REVIEW)
    type(c.campaign).objects.filter(pk=c.campaign.pk).update(is_active=False)
    with pytest.raises(WindowClosed):
        _act(c, app, Action.SCHOOL_APPROVE, Actor.SCHOOL)


def test_objections_only_while_the_notice_runs() -> None:
    c = chain()
    notice = make_notice(c, starts_at=OPEN)
    app = application(c, status=Status.NOTICE, notice=notice)
    before = state(app)
    with clock.travel(notice.ends_at), pytest.raises(WindowClosed) as caught:
        _act(c, app, Action.OBJECT, Actor.PUBLIC)
    assert caught.value.details["window"] == "notice"
    assert "公示期" in caught.value.message
    assert state(app) == before
    with clock.travel(notice.ends_at - dt.timedelta(seconds=1)):
        assert _act(c, app, Action.OBJECT, Actor.PUBLIC).status == Status.NOTICE_PAUSED


def test_the_notice_ends_only_after_its_period() -> None:
    c = chain()
    notice = make_notice(c, starts_at=OPEN)
    app = application(c, status=Status.NOTICE, notice=notice)
    with pytest.raises(Conflict) as caught:
        _act(c, app, Action.NOTICE_END, Actor.SYSTEM)
    assert caught.value.code == "notice_running"
    with clock.travel(notice.ends_at):
        assert _act(c, app, Action.NOTICE_END, Actor.SYSTEM).status == Status.CITY_RECHECK


def test_publishing_needs_an_open_notice_of_the_same_authority() -> None:
    c = chain()
    app = application(c, status=Status.CONCLUDED)
    with pytest.raises(ValidationFailed) as caught:
        _act(c, app, Action.PUBLISH_NOTICE, Actor.REGISTRATION)
    assert caught.value.code == "notice_required"
    other = chain("susong")  # another registration authority
    for wrong in (make_notice(other), make_notice(c, state=Notice.State.CLOSED)):
        with pytest.raises(ValidationFailed) as caught:
            _act(c, app, Action.PUBLISH_NOTICE, Actor.REGISTRATION, notice=wrong)
        assert caught.value.code == "notice_mismatch"
    notice = make_notice(c)
    result = _act(c, app, Action.PUBLISH_NOTICE, Actor.REGISTRATION, notice=notice.pk)
    assert result.notice_id == notice.pk
    assert result.step_deadline == notice.ends_at


# --- Reasons and conclusions ------------------------------------------------------------------


def test_a_return_needs_a_reason() -> None:
    c = chain()
    app = application(c, status=Status.SCHOOL_REVIEW)
    before = state(app)
    for reason, code in (("", ""), ("   ", ""), ("", ReturnReason.OTHER)):
        with pytest.raises(ValidationFailed) as caught:
            _act(c, app, Action.RETURN_TO_APPLICANT, Actor.SCHOOL, reason=reason, reason_code=code)
        assert caught.value.code == "reason_required"
        assert caught.value.status == 400
    with pytest.raises(ValidationFailed) as caught:
        _act(c, app, Action.RETURN_TO_APPLICANT, Actor.SCHOOL, reason="x", reason_code="no_such_code")
    assert caught.value.code == "invalid_reason_code"
    with pytest.raises(ValidationFailed) as caught:
        _act(c, app, Action.RETURN_TO_APPLICANT, Actor.SCHOOL, reason="长" * 2001)
    assert caught.value.code == "reason_too_long"
    assert state(app) == before


def test_a_coded_reason_alone_is_enough_and_its_label_is_the_opinion() -> None:
    c = chain()
    app = application(c, status=Status.SCHOOL_REVIEW)
    result = _act(
        c, app, Action.RETURN_TO_APPLICANT, Actor.SCHOOL, reason_code=ReturnReason.MATERIALS_MISSING
    )
    assert result.status == Status.RETURNED
    (step_,) = ApplicationStep.objects.filter(application=app)
    assert step_.reason_code == ReturnReason.MATERIALS_MISSING
    assert step_.opinion == str(ReturnReason.MATERIALS_MISSING.label)
    assert audit_rows(app).get().details["reason_code"] == ReturnReason.MATERIALS_MISSING


def test_a_conclusion_is_required_and_must_be_known() -> None:
    c = chain()
    app = application(c, status=Status.REGISTRATION_REVIEW)
    for conclusion, code in (("", "conclusion_required"), ("excellent", "invalid_conclusion")):
        with pytest.raises(ValidationFailed) as caught:
            _act(c, app, Action.CONCLUDE, Actor.REGISTRATION, conclusion=conclusion)
        assert caught.value.code == code


@pytest.mark.parametrize("conclusion", ["deferred", "unqualified"])
def test_a_negative_conclusion_needs_a_reason(conclusion: str) -> None:
    c = chain()
    app = application(c, status=Status.REGISTRATION_REVIEW, suggestion=conclusion)
    with pytest.raises(ValidationFailed) as caught:
        _act(c, app, Action.CONCLUDE, Actor.REGISTRATION, conclusion=conclusion)
    assert caught.value.code == "reason_required"
    result = _act(c, app, Action.CONCLUDE, Actor.REGISTRATION, conclusion=conclusion, reason="培训学时不足")
    assert (result.conclusion, result.conclusion_reason, result.override_reason) == (
        conclusion,
        "培训学时不足",
        "",
    )


def test_overriding_the_suggestion_needs_a_reason() -> None:
    c = chain()
    app = application(c, status=Status.REGISTRATION_REVIEW, suggestion="deferred")
    before = state(app)
    with pytest.raises(ValidationFailed) as caught:
        _act(c, app, Action.CONCLUDE, Actor.REGISTRATION, conclusion="qualified")
    assert caught.value.code == "override_reason_required"
    assert state(app) == before
    result = _act(
        c,
        app,
        Action.CONCLUDE,
        Actor.REGISTRATION,
        conclusion="qualified",
        override_reason="学时证明已补交并核实",
    )
    assert (result.conclusion, result.override_reason) == ("qualified", "学时证明已补交并核实")
    details = audit_rows(app).get().details
    assert details["overridden"] is True
    assert details["suggestion"] == "deferred"


def test_an_override_reason_without_an_override_is_not_kept() -> None:
    c = chain()
    app = application(c, status=Status.REGISTRATION_REVIEW)
    result = _act(c, app, Action.CONCLUDE, Actor.REGISTRATION, conclusion="qualified", override_reason="无")
    assert result.override_reason == ""
    assert audit_rows(app).get().details["overridden"] is False


def test_an_upheld_objection_may_revise_the_conclusion() -> None:
    c = chain()
    app = application(c, status=Status.NOTICE_PAUSED)
    result = _act(
        c,
        app,
        Action.UPHOLD_OBJECTION,
        Actor.REGISTRATION,
        reason="经核实存在未经批准离岗",
        conclusion="deferred",
        override_reason="异议核实：未经批准离岗超过180天",
    )
    assert (result.status, result.conclusion) == (Status.CONCLUDED, "deferred")
    assert result.notice_id == app.notice_id  # kept until it is noticed again


def test_going_back_before_the_conclusion_clears_it() -> None:
    c = chain()
    app = application(c, status=Status.CITY_RECHECK, conclusion_reason="x")
    result = _act(c, app, Action.RETURN_DOWN, Actor.CITY, reason="结论依据不足")
    assert result.status == Status.REGISTRATION_REVIEW
    assert (result.conclusion, result.conclusion_reason, result.notice_id) == ("", "", None)
    # Down from the province to the city keeps it: the city rechecks the same conclusion.
    app2 = application(c, status=Status.PROVINCE_REVIEW, certificate_=_second_certificate(c))
    result2 = _act(c, app2, Action.RETURN_DOWN, Actor.PROVINCE, reason="请复核")
    assert (result2.status, result2.conclusion) == (Status.CITY_RECHECK, "qualified")


def test_only_explicit_arguments_reach_the_service() -> None:
    """SECURITY 10: there is no way to pass a status, institution or reviewer."""
    c = chain()
    app = application(c, status=Status.SCHOOL_REVIEW)
    with pytest.raises(TypeError):
        application_transition(  # type: ignore[call-arg]
            actor=c.school_reviewer,
            application_id=app.pk,
            action=Action.SCHOOL_APPROVE,
            version=app.version,
            status=Status.COMPLETED,
        )
    result = _act(c, app, Action.SCHOOL_APPROVE, Actor.SCHOOL, conclusion="unqualified")
    # A conclusion sent with an action that does not conclude is ignored.
    assert (result.status, result.conclusion) == (Status.REGISTRATION_REVIEW, "")


# --- Journeys ---------------------------------------------------------------------------------


def test_return_and_resubmit_loop() -> None:
    from jiaozi.registration.applications.services import application_update_draft

    c = chain()
    app = drive(c, to=Status.SCHOOL_REVIEW)
    app = step(c, app, Action.RETURN_TO_APPLICANT, reason_code=ReturnReason.MATERIALS_UNCLEAR)
    assert app.status == Status.RETURNED
    assert Notification.objects.filter(recipient=c.applicant, kind="registration.returned").exists()
    assert Delivery.objects.filter(notification__recipient=c.applicant, channel="sms").exists()
    app = application_update_draft(
        applicant=c.applicant, application_id=app.pk, version=app.version, notes="已补扫"
    )
    app = step(c, app, Action.RESUBMIT)
    app = step(c, app, Action.SCHOOL_APPROVE)
    app = step(c, app, Action.RETURN_DOWN, reason="请学校核实考核记录")
    assert app.status == Status.SCHOOL_REVIEW
    app = drive(c, to=Status.CITY_RECHECK, app=app)
    app = step(c, app, Action.RETURN_TO_APPLICANT, reason="证书照片不清晰")
    assert (app.status, app.conclusion) == (Status.RETURNED, "")
    app = drive(c, to=Status.COMPLETED, app=app)
    actions = [a for a, _f, _t in steps_of(app)]
    assert actions.count(Action.SUBMIT) == 1
    assert actions.count(Action.RESUBMIT) == 2
    assert actions[-1] == Action.PROVINCE_APPROVE
    # Every step audited, and each chain of the log verifies.
    assert audit_rows(app).exclude(
        kind__in=[AuditKind.APPLICATION_STARTED, AuditKind.APPLICATION_DRAFT_UPDATED]
    ).count() == len(actions)
    assert verify().ok


@pytest.mark.parametrize("kind", ["susong", "city_bureau"])
def test_chains_without_a_city_step(kind: str) -> None:
    c = chain(kind)
    assert c.city is None
    assert c.city_rechecker is None
    app = drive(c, to=Status.PROVINCE_REVIEW)
    assert (Action.NOTICE_END, Status.NOTICE, Status.PROVINCE_REVIEW) in steps_of(app)
    app = step(c, app, Action.RETURN_DOWN, reason="请重新审核")
    assert app.status == Status.REGISTRATION_REVIEW
    app = drive(c, to=Status.COMPLETED, app=app)
    assert Status.CITY_RECHECK not in {t for _a, _f, t in steps_of(app)}


def test_susong_is_invisible_to_a_city_bureau() -> None:
    c = chain("susong")
    app = application(c, status=Status.PROVINCE_REVIEW)
    anqing = make_staff(role=Role.CITY_RECHECKER, institution=bureau("340800"))
    with pytest.raises(NotFound):
        application_transition(
            actor=anqing, application_id=app.pk, action=Action.CITY_APPROVE, version=app.version
        )


def test_a_department_school_is_rechecked_by_its_city() -> None:
    c = chain("department")
    assert c.city is not None
    assert c.city.code == "340100"
    app = drive(c, to=Status.COMPLETED)
    assert (Action.CITY_APPROVE, Status.CITY_RECHECK, Status.PROVINCE_REVIEW) in steps_of(app)


def test_withdrawal_before_school_review_only() -> None:
    c = chain()
    app = drive(c, to=Status.SCHOOL_REVIEW)
    assert step(c, app, Action.WITHDRAW).status == Status.WITHDRAWN
    c2 = chain()
    later = drive(c2, to=Status.REGISTRATION_REVIEW)
    with pytest.raises(Conflict) as caught:
        step_as(c2, later, Action.WITHDRAW, c2.applicant)
    assert caught.value.code == "wrong_stage"


def step_as(c: Chain, app: Application, action: str, actor: Any) -> Application:
    return application_transition(actor=actor, application_id=app.pk, action=action, version=app.version)


def test_a_completed_application_is_filed_and_immutable() -> None:
    c = chain()
    app = drive(c, to=Status.COMPLETED)
    c.certificate.refresh_from_db()
    assert c.certificate.registered_on == c.campaign.registration_date
    assert app.completed_at is not None
    for level in (Actor.PROVINCE, Actor.CITY, Actor.REGISTRATION):
        for action in (
            Action.RETURN_DOWN,
            Action.RETURN_TO_APPLICANT,
            Action.PROVINCE_APPROVE,
            Action.REVISE,
        ):
            if level not in LEVELS_OF_ACTION[action]:
                continue
            with pytest.raises(Conflict):
                _act(c, app, action, level, reason="x")


# --- One transaction --------------------------------------------------------------------------


def test_an_error_after_the_state_write_rolls_everything_back(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """SECURITY 15: the status, the step, the audit row and the queued notification (its
    inbox row and its SMS task) go together."""
    from jiaozi.registration import transitions

    c = chain()
    app = application(c, status=Status.SCHOOL_REVIEW)
    before = state(app)
    real_notify = transitions.notify
    written: list[int] = []

    def notify_then_fail(**kwargs: Any) -> Notification:
        notification = real_notify(**kwargs)
        written.append(notification.pk)
        raise RuntimeError("the SMS gateway configuration is broken")

    monkeypatch.setattr(transitions, "notify", notify_then_fail)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        _act(c, app, Action.RETURN_TO_APPLICANT, Actor.SCHOOL, reason="材料不全")
    assert written  # the write and the notification did happen before the error
    assert state(app) == before
    assert not Notification.objects.filter(pk__in=written).exists()
    assert not Delivery.objects.exists()
    assert callbacks == []  # nothing queued to send


def test_a_refused_completion_rolls_back_the_approval() -> None:
    c = chain()
    app = application(c, status=Status.PROVINCE_REVIEW)
    type(c.certificate).objects.filter(pk=c.certificate.pk).update(status="revoked")
    before = state(app)
    with pytest.raises(Conflict) as caught:
        _act(c, app, Action.PROVINCE_APPROVE, Actor.PROVINCE)
    assert caught.value.code == "certificate_not_valid"
    assert state(app) == before


# --- Predicates -------------------------------------------------------------------------------


def test_can_act_follows_window_and_stage() -> None:
    c = chain()
    app = application(c, status=Status.SCHOOL_REVIEW)
    loaded = Application.objects.select_related("campaign", "teacher", "notice").get(pk=app.pk)
    assert can_act(user=c.school_reviewer, application=loaded, action=Action.SCHOOL_APPROVE)
    assert can_act(user=c.applicant, application=loaded, action=Action.WITHDRAW)
    assert not can_act(user=c.registration_reviewer, application=loaded, action=Action.CONCLUDE)
    assert not can_act(user=c.school_reviewer, application=loaded, action="nonsense")
    assert not can_act(user=None, application=loaded, action=Action.SCHOOL_APPROVE)
    with clock.travel(STEPS_CLOSED):
        assert not can_act(user=c.school_reviewer, application=loaded, action=Action.SCHOOL_APPROVE)
        assert actions_for(user=c.school_reviewer, application=loaded) == []


def test_actions_for_the_public_and_anonymous_is_empty() -> None:
    from django.contrib.auth.models import AnonymousUser

    c = chain()
    app = application(c, status=Status.NOTICE)
    assert actions_for(user=None, application=app) == []
    assert actions_for(user=AnonymousUser(), application=app) == []


class _LanguageProbe:
    """A text that reads as the language active when it is rendered."""

    def __str__(self) -> str:
        from django.utils import translation

        return f"语言 {translation.get_language()}"


def test_the_applicant_is_told_in_the_sites_language_with_a_link_to_the_application(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.urls import reverse
    from django.utils import translation

    from jiaozi.registration import transitions

    probe = transitions.Announcement("registration.returned", _LanguageProbe(), _LanguageProbe())
    monkeypatch.setitem(transitions.ANNOUNCEMENTS, Action.RETURN_TO_APPLICANT, probe)
    c = chain()
    app = application(c, status=Status.SCHOOL_REVIEW)
    with translation.override("en"):  # the reviewer works in English
        _act(c, app, Action.RETURN_TO_APPLICANT, Actor.SCHOOL, reason_code=ReturnReason.MATERIALS_MISSING)
    note = Notification.objects.get(recipient=c.applicant)
    assert (note.title, note.body) == ("语言 zh-hans", "语言 zh-hans")
    assert note.link == reverse("applicants:application_detail", args=[app.pk])
