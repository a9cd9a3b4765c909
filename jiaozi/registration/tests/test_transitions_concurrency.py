"""Races (SECURITY 12, 14): threads with real transactions. Two approvals of one
application → exactly one transition and one audit row, the loser gets 409; two starts
of one certificate → one application; two overlapping batches → each application moved
once.

On PostgreSQL the row lock of the compare-and-set queues the second writer, which then
finds the version changed. SQLite's in-memory test database is shared between threads
through its shared cache, which answers "database table is locked" at once instead of
waiting; there, and only there, the harness (``jiaozi.testing.race``) retries a worker's
whole call — and the retry must then meet the changed status, so the invariants are the
same."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.audit.verify import verify
from jiaozi.core import clock
from jiaozi.core.errors import Conflict
from jiaozi.registration.applications.services import application_start
from jiaozi.registration.models import Application, ApplicationStep
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    another_applicant,
    application,
    chain,
    link,
)
from jiaozi.registration.transitions import BatchItem, application_transition, application_transition_batch
from jiaozi.registration.workflow import Action, Status
from jiaozi.testing.race import race, require_postgresql, returned

THREADS = 4


@pytest.fixture(autouse=True)
def _open_clock() -> Iterator[None]:
    with clock.travel(OPEN):
        yield


def _two_approvals() -> None:
    c = chain()
    app = application(c, status=Status.SCHOOL_REVIEW)
    results = race(
        lambda _n: application_transition(
            actor=c.school_reviewer,
            application_id=app.pk,
            action=Action.SCHOOL_APPROVE,
            version=app.version,
        ),
        threads=2,
    )
    won = [r for r in results if isinstance(r, Application)]
    lost = [r for r in results if not isinstance(r, Application)]
    assert len(won) == 1, results
    assert len(lost) == 1, results
    assert isinstance(lost[0], Conflict), results
    assert lost[0].status == 409
    app.refresh_from_db()
    assert (app.status, app.version) == (Status.REGISTRATION_REVIEW, 2)
    assert ApplicationStep.objects.filter(application=app).count() == 1
    assert (
        AuditEvent.objects.filter(kind=AuditKind.APPLICATION_SCHOOL_APPROVED, object_id=str(app.pk)).count()
        == 1
    )
    assert verify().ok


def _two_starts() -> None:
    c = chain()
    c.applicant = link(c.applicant, c.teacher)
    results = race(
        lambda _n: application_start(applicant=c.applicant, certificate_id=c.certificate.pk),
        threads=THREADS,
    )
    assert all(isinstance(r, Application) for r in results), results
    assert len({r.pk for r in returned(results)}) == 1
    assert Application.objects.filter(certificate=c.certificate).count() == 1
    assert AuditEvent.objects.filter(kind=AuditKind.APPLICATION_STARTED).count() == 1


def _overlapping_batches() -> None:
    c = chain()
    apps = []
    for _ in range(12):
        applicant, cert = another_applicant(c)
        apps.append(application(c, status=Status.CITY_RECHECK, applicant=applicant, certificate_=cert))
    batch = [BatchItem(application_id=a.pk, version=a.version) for a in apps]

    def work(n: int) -> Any:
        # Each thread takes the items in its own order.
        mine = batch[n:] + batch[:n]
        return application_transition_batch(actor=c.city_rechecker, action=Action.CITY_APPROVE, items=mine)

    results = race(work, threads=3)
    assert not [r for r in results if isinstance(r, BaseException)], results
    outcomes = returned(results)
    succeeded = [pk for r in outcomes for pk in r.succeeded]
    assert sorted(succeeded) == sorted(a.pk for a in apps)  # each exactly once
    for result in outcomes:
        assert {code for _pk, code, _m in result.failed} <= {"stale_version", "wrong_stage"}
    assert set(Application.objects.filter(pk__in=succeeded).values_list("status", flat=True)) == {
        Status.PROVINCE_REVIEW
    }
    assert ApplicationStep.objects.filter(action=Action.CITY_APPROVE).count() == len(apps)
    assert AuditEvent.objects.filter(kind=AuditKind.APPLICATION_CITY_APPROVED).count() == len(apps)
    assert verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_on_postgresql() -> None:
    require_postgresql()
    _two_approvals()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_on_postgresql() -> None:
    require_postgresql()
    _two_starts()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_on_postgresql() -> None:
    require_postgresql()
    _overlapping_batches()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_on_any_database() -> None:
    _two_approvals()


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_on_any_database() -> None:
    _two_starts()


@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_on_any_database() -> None:
    _overlapping_batches()
