"""A transition reads the row it moves once and writes it with one narrow
compare-and-set (docs/decisions/0132-one-read-one-narrow-write.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.registration.models import Application
from jiaozi.registration.tests.factories_applications import OPEN, application, chain
from jiaozi.registration.transitions import application_transition
from jiaozi.registration.workflow import Action, Actor, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _open_clock() -> Iterator[None]:
    with clock.travel(OPEN):
        yield


def _warm_chain(**kwargs: Any) -> None:
    # The audit chain's head exists after its first row; count the steady state.
    audit_record(kind=AuditKind.APPLICATION_SUBMITTED, object_type="x", object_id=0, **kwargs)


def _application_sql(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if '"registration_application"' in q["sql"].split(" WHERE")[0]
    ]


def test_submit_reads_once_and_writes_one_narrow_update() -> None:
    c = chain()
    app = application(c, status=Status.DRAFT, materials=True)
    _warm_chain(actor=c.applicant, institution_id=None)
    with CaptureQueriesContext(connection) as queries:
        application_transition(
            actor=c.applicant, application_id=app.pk, action=Action.SUBMIT, version=app.version
        )
    sql = _application_sql(queries)
    assert [s.split()[0] for s in sql] == ["SELECT", "UPDATE"]
    update = sql[1].split(" WHERE")[0]
    # Only what changes: no conclusion / notice columns that were empty already.
    assert '"conclusion"' not in update
    assert '"notice_id"' not in update
    # read, the campaign's window extensions, the uploaded material kinds (§4), savepoint,
    # update, step, audit (3: the chain's reservation returns its head, docs/decisions/0212),
    # notification, release
    assert len(queries) == 11


def test_a_reviewer_approval_takes_a_fixed_number_of_queries() -> None:
    c = chain()
    app = application(c, status=Status.REGISTRATION_REVIEW)
    reviewer = c.staff(Actor.REGISTRATION)
    assert reviewer is not None
    _warm_chain(actor=reviewer, institution_id=reviewer.institution_id)
    with CaptureQueriesContext(connection) as queries:
        application_transition(
            actor=reviewer,
            application_id=app.pk,
            action=Action.CONCLUDE,
            version=app.version,
            conclusion="qualified",
        )
    # The narrow read and update, then the form snapshot's full read (decision 0253).
    assert [s.split()[0] for s in _application_sql(queries)] == ["SELECT", "UPDATE", "SELECT"]
    # read, window extensions, the authenticity holds (certservices, decision 0224), savepoint, update, step,
    # audit (3), release: no notification for a conclusion; the form snapshot: its reads
    # (application, appraisals, ethics, training, breaks, materials, steps), insert, audit (3)
    assert len(queries) == 10 + 11


def test_a_school_approval_takes_a_fixed_number_of_queries() -> None:
    c = chain()
    app = application(c, status=Status.SCHOOL_REVIEW)
    reviewer = c.staff(Actor.SCHOOL)
    assert reviewer is not None
    _warm_chain(actor=reviewer, institution_id=reviewer.institution_id)
    with CaptureQueriesContext(connection) as queries:
        application_transition(
            actor=reviewer, application_id=app.pk, action=Action.SCHOOL_APPROVE, version=app.version
        )
    assert [s.split()[0] for s in _application_sql(queries)] == ["SELECT", "UPDATE", "SELECT"]
    # read, window extensions, savepoint, update, step, audit (3), notification, release;
    # the form snapshot: 7 reads, its insert, its audit row (3; docs/decisions/0212)
    assert len(queries) == 10 + 11


def test_a_resubmission_keeps_the_first_submission_time() -> None:
    c = chain()
    app = application(c, status=Status.DRAFT, materials=True)
    first = application_transition(
        actor=c.applicant, application_id=app.pk, action=Action.SUBMIT, version=app.version
    ).submitted_at
    assert first is not None
    returned = application_transition(
        actor=c.staff(Actor.SCHOOL),
        application_id=app.pk,
        action=Action.RETURN_TO_APPLICANT,
        version=app.version + 1,
        reason="材料不全",
    )
    with clock.travel(OPEN + dt.timedelta(hours=1)):
        again = application_transition(
            actor=c.applicant, application_id=app.pk, action=Action.RESUBMIT, version=returned.version
        )
    assert again.submitted_at == first
    assert Application.objects.get(pk=app.pk).submitted_at == first
