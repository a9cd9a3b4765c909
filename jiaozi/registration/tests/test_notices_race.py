"""Two notice-end runs at the same time (cron and beat overlapping): every application
moves once, the notice closes once, nothing is audited twice.

Real threads and transactions (``jiaozi.testing.race``). On the shared-cache SQLite of
the test run a locked run is retried, which is safe because the job is idempotent (and
is what a database on disk does by itself by waiting)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.registration import notices
from jiaozi.registration.models import Application, ApplicationStep, Notice
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    applicant_for,
    application,
    chain,
    due_teacher,
)
from jiaozi.registration.workflow import Action, Status
from jiaozi.testing.race import failures, race, returned

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 2
APPLICATIONS = 6


def test_two_concurrent_runs_move_each_application_once_and_close_the_notice_once() -> None:
    with clock.travel(OPEN):
        c = chain()
        apps = []
        for _ in range(APPLICATIONS):
            owner, cert = due_teacher(c.school)
            apps.append(
                application(c, status=Status.CONCLUDED, applicant=applicant_for(owner), certificate_=cert)
            )
        notice = notices.notice_publish(actor=c.registration_reviewer, application_ids=[a.pk for a in apps])

    with clock.travel(notice.ends_at + dt.timedelta(minutes=1)):
        outcomes = race(lambda _n: notices.notice_close_expired(), threads=THREADS)

    assert not failures(outcomes), outcomes
    ids = [a.pk for a in apps]
    assert set(Application.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.CITY_RECHECK
    }
    for pk in ids:
        assert ApplicationStep.objects.filter(application_id=pk, action=Action.NOTICE_END).count() == 1
        assert (
            AuditEvent.objects.filter(kind=AuditKind.APPLICATION_NOTICE_ENDED, object_id=str(pk)).count() == 1
        )
    if connection.vendor == "postgresql":
        # No retries there: the two runs' counts add up to exactly one move each.
        assert sum(returned(outcomes)) == APPLICATIONS
    assert Notice.objects.get(pk=notice.pk).state == Notice.State.CLOSED
    assert AuditEvent.objects.filter(kind=AuditKind.NOTICE_CLOSED, object_id=str(notice.pk)).count() == 1
