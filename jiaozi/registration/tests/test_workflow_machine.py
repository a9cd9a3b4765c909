"""A Hypothesis state machine over the workflow services (SECURITY 16).

Random sequences of starts, actions by every level (right or wrong, fresh or stale
version) and the passing of time, on chains with and without a city step. After every
step: no stage was skipped (each application's steps follow the table, one after the
other, from draft to where it stands), the counts per status add up to the number of
applications created, and every transition has exactly one step and one audit row."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, ClassVar

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.certificates.models import Certificate
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, DomainError, NotFound, PermissionDenied, WindowClosed
from jiaozi.registration.applications.services import application_start
from jiaozi.registration.models import Application, ApplicationStep
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    Chain,
    another_applicant,
    chain,
    link,
    make_notice,
    supply_materials,
)
from jiaozi.registration.transitions import application_transition
from jiaozi.registration.workflow import (
    LEVELS_OF_ACTION,
    TABLE,
    TRANSITIONS,
    Action,
    Actor,
    Status,
    target_for,
)

# Time moves forward in steps, but stays inside every Anhui 2024 window (the steps close
# on 15 December).
LAST_DAY = dt.datetime(2024, 12, 14, 10, tzinfo=OPEN.tzinfo)
TRANSITION_KINDS = [
    kind
    for kind in AuditKind
    if 700 < kind.value <= 718
    and kind not in (AuditKind.APPLICATION_STARTED, AuditKind.APPLICATION_DRAFT_UPDATED)
] + [
    # §5's review of a conclusion, and the province's revocation of a registration
    # (oversight's range).
    AuditKind.APPLICATION_REVIEW_REQUESTED,
    AuditKind.APPLICATION_REVIEW_UPHELD,
    AuditKind.APPLICATION_REVIEW_SENT_BACK,
    AuditKind.REGISTRATION_REVOKED,
]


# The normal path (and the way on after an objection).
FORWARD = frozenset(
    {
        Action.SUBMIT,
        Action.RESUBMIT,
        Action.SCHOOL_APPROVE,
        Action.CONCLUDE,
        Action.PUBLISH_NOTICE,
        Action.NOTICE_END,
        Action.DISMISS_OBJECTION,
        Action.CITY_APPROVE,
        Action.PROVINCE_APPROVE,
    }
)
# Every status some run reached (the test checks the machine explores the whole graph).
REACHED: set[str] = set()


class WorkflowMachine(RuleBasedStateMachine):
    # Set by the test: (applicant, certificate, chain) that may apply.
    pool: ClassVar[list[tuple[User, Certificate, Chain]]] = []

    applications = Bundle("applications")

    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint rolled back at teardown, on a clock of its own.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.now = OPEN
        self._travel = clock.travel(self.now)
        self._travel.__enter__()
        self.expected: dict[int, str] = {}
        self.chain_of: dict[int, Chain] = {}
        self.applicant_of: dict[int, User] = {}
        self.moves = 0

    def teardown(self) -> None:
        self._travel.__exit__(None, None, None)
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- rules -------------------------------------------------------------------------

    @rule(target=applications, who=st.integers(min_value=0))
    def start(self, who: int) -> int:
        applicant, certificate, c = self.pool[who % len(self.pool)]
        app = application_start(applicant=applicant, certificate_id=certificate.pk)
        supply_materials(app)  # rows only: not a transition (§4 materials are required)
        if app.pk not in self.expected:
            assert app.status == Status.DRAFT
            self.expected[app.pk] = Status.DRAFT
            self.chain_of[app.pk] = c
            self.applicant_of[app.pk] = applicant
        return app.pk

    @rule(days=st.integers(min_value=1, max_value=8))
    def time_passes(self, days: int) -> None:
        self._move_to(min(self.now + dt.timedelta(days=days), LAST_DAY))

    def _move_to(self, later: dt.datetime) -> None:
        # Never back: the clock has run on since the last move.
        later = max(later, clock.now())
        self._travel.__exit__(None, None, None)
        self.now = later
        self._travel = clock.travel(later)
        self._travel.__enter__()

    @rule(
        pk=applications,
        action=st.sampled_from(sorted({t.action for t in TRANSITIONS})),
        pick=st.integers(min_value=0, max_value=3),
        stale=st.sampled_from([False, False, False, True]),
    )
    def act(self, pk: int, action: str, pick: int, stale: bool) -> None:
        """Any action, by any level that takes it somewhere."""
        levels = sorted(LEVELS_OF_ACTION[action])
        self._attempt(pk, action, levels[pick % len(levels)], stale=stale)

    @rule(pick=st.integers(min_value=0, max_value=5))
    def advance(self, pick: int) -> None:
        """For every application, an action the table allows from where it stands, by its
        level — so that runs also go deep (notice, recheck, filing), not only sideways."""
        for offset, pk in enumerate(sorted(self.expected)):
            rows = [t for t in TRANSITIONS if t.source == self.expected[pk]]
            if not rows:
                continue
            forward = [t for t in rows if t.action in FORWARD]
            # Mostly forward, sometimes any legal action (returns, withdrawals, objections).
            row = forward[0] if forward and (pick + offset) % 6 < 4 else rows[(pick + offset) % len(rows)]
            if row.action == Action.NOTICE_END:
                # The scheduler runs when the notice has ended: let the time come.
                ends_at = Application.objects.values_list("notice__ends_at", flat=True).get(pk=pk)
                if ends_at is not None and self.now < ends_at:
                    self._move_to(min(ends_at + dt.timedelta(minutes=1), LAST_DAY))
            self._attempt(pk, row.action, row.actor, stale=False)

    def _attempt(self, pk: int, action: str, level: str, *, stale: bool) -> None:
        app = Application.objects.select_related("notice").get(pk=pk)
        c = self.chain_of[pk]
        status = app.status
        assert status == self.expected[pk]
        actor: Any = None if level in (Actor.PUBLIC, Actor.SYSTEM) else c.staff(level)
        if level == Actor.APPLICANT:
            actor = self.applicant_of[pk]
        if actor is None and level not in (Actor.PUBLIC, Actor.SYSTEM):
            # A city level for a chain without one: some other city's rechecker.
            actor = self.pool[0][2].city_rechecker
        kwargs: dict[str, Any] = {"reason": "核实意见"}
        if action in (Action.CONCLUDE, Action.UPHOLD_OBJECTION):
            kwargs["conclusion"] = app.suggestion
        if action == Action.PUBLISH_NOTICE:
            kwargs["notice"] = make_notice(c)
        version = app.version - 1 if stale else app.version
        row = TABLE.get((status, action))
        legal = row is not None and row.actor == level
        outcome: Application | DomainError
        try:
            outcome = application_transition(
                actor=actor, application_id=pk, action=action, version=version, **kwargs
            )
        except DomainError as exc:
            outcome = exc
        if isinstance(outcome, Application):
            assert legal
            assert not stale
            assert row is not None
            assert outcome.status == target_for(row, has_city_step=c.has_city_step)
            self.expected[pk] = outcome.status
            self.moves += 1
            REACHED.add(outcome.status)
        elif isinstance(outcome, Conflict) and not legal:
            assert outcome.code == "wrong_stage"
        elif isinstance(outcome, Conflict) and stale:
            assert outcome.code == "stale_version"
        elif isinstance(outcome, Conflict) and outcome.code == "notice_after_next_window":
            # §5 deadlines cascade: late in the campaign a 7-day notice no longer fits.
            assert action == Action.PUBLISH_NOTICE
        elif isinstance(outcome, Conflict):
            assert action == Action.NOTICE_END
            assert outcome.code == "notice_running"
        elif isinstance(outcome, WindowClosed):
            # Only the notice's own period can be shut while every campaign window is open.
            assert action == Action.OBJECT
            assert legal
            assert outcome.details["window"] == "notice"
        else:
            # The other city's rechecker on a chain without a city step.
            assert isinstance(outcome, NotFound | PermissionDenied), outcome
            assert level == Actor.CITY
            assert not c.has_city_step

    # --- invariants --------------------------------------------------------------------

    @invariant()
    def counts_per_status_add_up(self) -> None:
        counts = Counter(Application.objects.values_list("status", flat=True))
        assert sum(counts.values()) == len(self.expected)
        assert counts == Counter(self.expected.values())

    @invariant()
    def every_transition_is_stepped_and_audited(self) -> None:
        assert ApplicationStep.objects.count() == self.moves
        assert AuditEvent.objects.filter(kind__in=TRANSITION_KINDS).count() == self.moves

    @invariant()
    def no_stage_is_skipped(self) -> None:
        walked: dict[int, str] = {}
        for pk, action, source, target in ApplicationStep.objects.order_by(
            "application_id", "pk"
        ).values_list("application_id", "action", "from_status", "to_status"):
            assert source == walked.get(pk, Status.DRAFT)
            row = TABLE[(source, action)]
            assert target == target_for(row, has_city_step=self.chain_of[pk].has_city_step)
            walked[pk] = target
        for pk, status in self.expected.items():
            assert walked.get(pk, Status.DRAFT) == status


@pytest.mark.django_db
def test_workflow_state_machine() -> None:
    with clock.travel(OPEN):
        county, susong = chain("county"), chain("susong")
        pool = [
            (link(county.applicant, county.teacher), county.certificate, county),
            (link(susong.applicant, susong.teacher), susong.certificate, susong),
        ]
        for c in (county, susong):
            applicant, certificate = another_applicant(c)
            pool.append((link(applicant, certificate.teacher), certificate, c))
    WorkflowMachine.pool = pool
    run_state_machine_as_test(
        WorkflowMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=40,
            deadline=None,
            database=None,
            # The same examples every run: the suite stays reproducible, and the
            # assertion below (every status reached) cannot flicker.
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # Not a property of the services but of this test: it must have reached every
    # status, or the invariants above were checked on too little.
    # The review of a conclusion needs a 暂缓/不合格 conclusion, which this machine never
    # records (it concludes with the suggestion); test_review_request.py walks it.
    review = {Status.REVIEW_AT_CITY, Status.REVIEW_AT_PROVINCE}
    assert set(Status.values) - {Status.DRAFT} - review <= REACHED, sorted(set(Status.values) - REACHED)
