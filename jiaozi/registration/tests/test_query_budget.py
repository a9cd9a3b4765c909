"""Query budgets of the deadline day's requests (issue 13 item 6, docs/decisions/0271):
each page and action runs a fixed, small number of queries, reads the application once
with only the columns it needs, and a signed-in read writes no session. The budgets are
what the code runs today; a change that adds a query has to raise them here, visibly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.testing import sign_in
from jiaozi.applicants.tests.factories import linked
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.registration.models import Application
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    Chain,
    application,
    chain,
    start,
    supply_materials,
)
from jiaozi.registration.tests.test_queues import more
from jiaozi.registration.workflow import Action, Status

pytestmark = pytest.mark.django_db

# The wide columns a transition never needs: the facts snapshot, the reasons, the
# encrypted contact details and the free texts.
WIDE = ('"facts"', '"suggestion_reasons"', '"phone"', '"address"', '"work_history"', '"notes"')


@pytest.fixture(autouse=True)
def _open(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.NOTIFICATION_OUTBOX_DIR = str(tmp_path / "outbox")
    with clock.travel(OPEN):
        yield


@pytest.fixture
def c() -> Chain:
    return chain()


def _sql(queries: Any) -> list[str]:
    return [q["sql"] for q in queries.captured_queries]


def _application_reads(queries: Any) -> list[str]:
    return [s for s in _sql(queries) if s.startswith("SELECT") and 'FROM "registration_application"' in s]


def _session_writes(queries: Any) -> list[str]:
    return [s for s in _sql(queries) if s.startswith(("UPDATE", "INSERT")) and '"django_session"' in s]


def _applicant(c: Chain) -> Client:
    linked(c.applicant)
    client = Client()
    client.force_login(c.applicant)
    client.get(reverse("applicants:home"))  # the first request after sign-in
    return client


def test_the_applicant_home_and_detail_read_no_more_and_write_no_session(
    c: Chain, django_assert_max_num_queries: Any
) -> None:
    client = _applicant(c)
    draft = start(c)
    with django_assert_max_num_queries(16) as home:
        assert client.get(reverse("applicants:home")).status_code == 200
    # The window check reads the campaign's extensions once (§5 deadlines cascade).
    with django_assert_max_num_queries(7) as detail:
        assert client.get(reverse("applicants:application_detail", args=[draft.pk])).status_code == 200
    assert _session_writes(home) == []
    assert _session_writes(detail) == []


def test_a_submit_reads_the_application_once_narrowly_and_writes_it_once(
    c: Chain, django_assert_max_num_queries: Any
) -> None:
    client = _applicant(c)
    draft = start(c)
    supply_materials(draft)
    # 12 + the window extensions and the kinds of material attached (§4's required
    # materials are checked at submission).
    with django_assert_max_num_queries(14) as queries:
        response = client.post(
            reverse("applicants:application_act", args=[draft.pk]),
            {"action": Action.SUBMIT, "version": draft.version},
        )
    assert response.status_code == 302
    assert Application.objects.get(pk=draft.pk).status == Status.SCHOOL_REVIEW
    reads = _application_reads(queries)
    assert len(reads) == 1
    assert not [column for column in WIDE if column in reads[0].split(" FROM ")[0]]
    updates = [s for s in _sql(queries) if s.startswith('UPDATE "registration_application"')]
    assert len(updates) == 1
    assert '"conclusion"' not in updates[0].split(" WHERE")[0]  # only what changes
    assert _session_writes(queries) == []


def test_an_api_submit_and_status_read(c: Chain, django_assert_max_num_queries: Any) -> None:
    client = _applicant(c)
    draft = start(c)
    supply_materials(draft)
    url = f"/api/v1/registration/applications/{draft.pk}"
    with django_assert_max_num_queries(19) as submit:
        response = client.post(
            f"{url}/submit", json.dumps({"version": draft.version}), content_type="application/json"
        )
    assert response.status_code == 200, response.content
    # The narrow read for the checks, then the answer's read of the whole application.
    assert len(_application_reads(submit)) == 2
    with django_assert_max_num_queries(6) as status:
        assert client.get(url).status_code == 200
    assert _session_writes(status) == []


def test_a_reviewer_decision_and_a_batch(c: Chain, django_assert_max_num_queries: Any) -> None:
    reviewer = sign_in(Client(), c.registration_reviewer)
    one = application(c, status=Status.REGISTRATION_REVIEW)
    reviewer.get(reverse("registration:queue"))
    # The audit chain's head exists after its first row: count the steady state.
    audit_record(
        kind=AuditKind.APPLICATION_CONCLUDED, actor=c.registration_reviewer, object_type="x", object_id=0
    )
    # 15 + the window extensions; the open authenticity checks are read once (a
    # registration waits for its certificate's check); the form snapshot filed with the
    # decision: 7 reads, its insert and its audit row (decision 0253).
    with django_assert_max_num_queries(16 + 13) as single:
        response = reviewer.post(
            reverse("registration:application_act", args=[one.pk]),
            {"action": Action.CONCLUDE, "version": one.version, "conclusion": "qualified"},
        )
    assert response.status_code == 302
    assert Application.objects.get(pk=one.pk).status == Status.CONCLUDED
    # The page's read (for the form), the transition's narrow read, the snapshot's read.
    assert len(_application_reads(single)) == 3
    assert _session_writes(single) == []

    many = [more(c, Status.REGISTRATION_REVIEW) for _ in range(5)]
    items = [f"{a.pk}:{a.version}" for a in many]
    # The batch's snapshots are read set-based: the same 13 more, whatever the size.
    with django_assert_max_num_queries(21 + 13):
        response = reviewer.post(
            reverse("registration:batch_act"),
            {"action": Action.CONCLUDE, "items": items, "step": "execute", "reason": "材料齐全"},
        )
    assert response.status_code == 302
    assert Application.objects.filter(pk__in=[a.pk for a in many], status=Status.CONCLUDED).count() == 5
