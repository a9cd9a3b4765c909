"""certification_transition: every legal (status, action) moves once with one step and
one audit row; every illegal pair is ``wrong_stage`` and changes nothing; each check in
its order (jurisdiction, level, conflict of interest, window, inputs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.models import AuditEvent
from jiaozi.certification.choices import Health
from jiaozi.certification.models import CertificationApplication, CertificationStep
from jiaozi.certification.transitions import AUDIT_KIND, actions_for, can_act
from jiaozi.certification.workflow import (
    CERTIFICATION_TABLE,
    TRANSITIONS,
    ActingLevel,
    Action,
    Conclusion,
    Status,
)
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, WindowClosed
from jiaozi.core.roles import Role
from jiaozi.orgs.tests.factories import LUYANG, YAOHAI, bureau, confirmation_point

from .factories import (
    AFTER_CONFIRM,
    BEFORE_APPLY,
    IN_APPLY,
    IN_CONFIRM,
    act,
    applicant,
    certifier,
    confirmer,
    draft,
    drive,
)

pytestmark = pytest.mark.django_db

WHEN: dict[str, dt.datetime] = {
    ActingLevel.APPLICANT: IN_APPLY,
    ActingLevel.CONFIRMATION_POINT: IN_CONFIRM,
    ActingLevel.AUTHORITY: AFTER_CONFIRM,
}


def _inputs(action: str) -> dict[str, Any]:
    if action == Action.REFUSE_CONFIRMATION:
        return {"reason_code": "materials_missing"}
    if action == Action.DECIDE:
        return {"conclusion": Conclusion.CERTIFIED}
    return {}


def _actor(app: CertificationApplication, level: str) -> Any:
    if level == ActingLevel.APPLICANT:
        return app.applicant
    if level == ActingLevel.CONFIRMATION_POINT:
        return confirmer(app.confirmation_point)
    return certifier(app.authority)


@pytest.mark.parametrize("t", TRANSITIONS, ids=lambda t: f"{t.source}-{t.action}")
def test_every_legal_transition_moves_once_with_a_step_and_an_audit_row(t: Any, media_root: Any) -> None:
    app = drive(draft(), to=t.source)
    if t.action == Action.DECIDE:
        CertificationApplication.objects.filter(pk=app.pk).update(health=Health.FIT)
    steps, audits = (
        CertificationStep.objects.count(),
        AuditEvent.objects.filter(kind=AUDIT_KIND[t.action]).count(),
    )
    with clock.travel(WHEN[t.level]):
        moved = act(app, _actor(app, t.level), t.action, **_inputs(t.action))
    expected = CERTIFICATION_TABLE.target(t, moved) if not t.target.startswith("@") else Status.CERTIFIED
    assert moved.status == expected
    moved.refresh_from_db()
    assert moved.status == expected
    assert CertificationStep.objects.count() == steps + 1
    step = CertificationStep.objects.filter(application=moved).latest("pk")
    assert (step.from_status, step.to_status) == (t.source, expected)
    assert AuditEvent.objects.filter(kind=AUDIT_KIND[t.action]).count() == audits + 1


ILLEGAL = [
    (status, action)
    for status in (
        Status.DRAFT,
        Status.CONFIRMATION,
        Status.CONFIRM_REFUSED,
        Status.DECISION,
        Status.CERTIFIED,
    )
    for action in Action.values
    if (status, action) not in CERTIFICATION_TABLE.pairs
]


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_every_illegal_pair_is_wrong_stage_for_a_level_that_takes_the_action(
    status: str, action: str
) -> None:
    app = drive(draft(), to=status)
    level = next(iter(CERTIFICATION_TABLE.levels_of_action[action]))
    before = (app.status, app.version)
    with clock.travel(WHEN[level]), pytest.raises(Conflict) as exc:
        act(app, _actor(app, level), action, **_inputs(action))
    assert exc.value.code == "wrong_stage"
    app.refresh_from_db()
    assert (app.status, app.version) == before


def test_submission_only_inside_the_online_window_naming_it() -> None:
    app = draft()
    with clock.travel(BEFORE_APPLY), pytest.raises(WindowClosed) as exc:
        act(app, app.applicant, Action.SUBMIT)
    assert "网上申报" in exc.value.message
    with clock.travel(IN_CONFIRM), pytest.raises(WindowClosed):
        act(app, app.applicant, Action.SUBMIT)
    app.refresh_from_db()
    assert app.status == Status.DRAFT


def test_submission_reports_every_unmet_requirement() -> None:
    app = draft(education="secondary", mandarin="3a", ntce_type="", ntce_date=None, commitment=False)
    with clock.travel(IN_APPLY), pytest.raises(ValidationFailed) as exc:
        act(app, app.applicant, Action.SUBMIT)
    assert exc.value.details["reasons"] == [
        "education_insufficient",
        "mandarin_insufficient",
        "ntce_missing",
        "commitment_missing",
    ]


def test_submission_sets_the_decision_deadline_thirty_working_days_after_confirmation() -> None:
    app = drive(draft(), to=Status.CONFIRMATION)
    # Confirmation ends Friday 2024-10-18; 30 working days later is 2024-11-29.
    assert str(app.decision_deadline) == "2024-11-29"


def test_confirm_refused_may_be_fixed_and_confirmed_again_until_the_deadline() -> None:
    app = drive(draft(), to=Status.CONFIRM_REFUSED)
    with clock.travel(IN_CONFIRM):
        app = act(app, app.applicant, Action.RESUBMIT)
    assert app.status == Status.CONFIRMATION
    with clock.travel(IN_CONFIRM):
        app = act(app, confirmer(app.confirmation_point), Action.CONFIRM)
    assert app.status == Status.DECISION
    again = drive(draft(), to=Status.CONFIRM_REFUSED)
    with clock.travel(AFTER_CONFIRM), pytest.raises(WindowClosed):
        act(again, again.applicant, Action.RESUBMIT)


def test_a_confirmation_user_of_another_point_is_refused_and_out_of_scope_is_not_found() -> None:
    app = drive(draft(), to=Status.CONFIRMATION)
    other_point = confirmation_point("340102QR01", YAOHAI, name="瑶海区确认点")
    with clock.travel(IN_CONFIRM), pytest.raises(NotFound):
        act(app, confirmer(other_point), Action.CONFIRM)
    with clock.travel(IN_CONFIRM), pytest.raises(NotFound):
        act(app, certifier(bureau(YAOHAI)), Action.CONFIRM)
    # In scope (the authority's officer) but the wrong level for the action.
    with clock.travel(IN_CONFIRM), pytest.raises(PermissionDenied):
        act(app, certifier(app.authority), Action.CONFIRM)


def test_a_refusal_needs_a_reason_and_a_decision_a_conclusion() -> None:
    app = drive(draft(), to=Status.CONFIRMATION)
    with clock.travel(IN_CONFIRM), pytest.raises(ValidationFailed) as exc:
        act(app, confirmer(app.confirmation_point), Action.REFUSE_CONFIRMATION)
    assert exc.value.code == "reason_required"
    app = drive(draft(), to=Status.DECISION)
    officer = certifier(app.authority)
    with clock.travel(AFTER_CONFIRM), pytest.raises(ValidationFailed) as exc:
        act(app, officer, Action.DECIDE)
    assert exc.value.code == "conclusion_required"
    with clock.travel(AFTER_CONFIRM), pytest.raises(ValidationFailed) as exc:
        act(app, officer, Action.DECIDE, conclusion=Conclusion.REFUSED)
    assert exc.value.code == "reason_required"


def test_certifying_needs_a_fit_physical_exam() -> None:
    app = drive(draft(), to=Status.DECISION)
    with clock.travel(AFTER_CONFIRM), pytest.raises(ValidationFailed) as exc:
        act(app, certifier(app.authority), Action.DECIDE, conclusion=Conclusion.CERTIFIED)
    assert exc.value.code == "health_not_fit"


def test_a_staff_member_never_decides_their_own_application() -> None:
    own = applicant()
    officer = make_staff(
        role=Role.CERTIFYING_OFFICER, institution=bureau(LUYANG), resident_id=own.resident_id
    )
    app = drive(draft(own), to=Status.DECISION)
    CertificationApplication.objects.filter(pk=app.pk).update(health=Health.FIT)
    with clock.travel(AFTER_CONFIRM), pytest.raises(PermissionDenied) as exc:
        act(app, officer, Action.DECIDE, conclusion=Conclusion.CERTIFIED)
    assert exc.value.code == "conflict_of_interest"


def test_certified_gets_a_number_and_the_page_predicates_follow_the_table() -> None:
    app = drive(draft(), to=Status.CERTIFIED)
    assert app.certificate_number.startswith("202434")
    assert len(app.certificate_number) == 17
    pending = drive(draft(), to=Status.CONFIRMATION)
    user = confirmer(pending.confirmation_point)
    with clock.travel(IN_CONFIRM):
        assert actions_for(user=user, application=pending) == [Action.CONFIRM, Action.REFUSE_CONFIRMATION]
        assert can_act(user=pending.applicant, application=pending, action=Action.WITHDRAW)
        assert not can_act(user=pending.applicant, application=pending, action=Action.CONFIRM)
