"""申请复核 on the applicant's page (§5): the section appears only for a 暂缓注册 or 注册不合格
conclusion within the period; a request with reasons and evidence moves the application
to the level above; a request outside the period, or without reasons, changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiaozi.accounts.models import User
from jiaozi.core import clock
from jiaozi.registration.models import Application, ApplicationStep, Material
from jiaozi.registration.tests.factories_applications import Chain
from jiaozi.registration.tests.test_materials import pdf_bytes
from jiaozi.registration.tests.test_review_request import concluded
from jiaozi.registration.workflow import Action, Status

pytestmark = pytest.mark.django_db

SECTION = 'data-testid="review-request"'
REASON = "本人培训学时证明已补交，合计已达360学时，请予复核。"


def detail(app: Application) -> str:
    return reverse("applicants:application_detail", args=[app.pk])


def post(client: Client, app: Application, **data: Any) -> Any:
    app.refresh_from_db()
    return client.post(
        reverse("applicants:application_review_request", args=[app.pk]), {"version": app.version, **data}
    )


def evidence() -> SimpleUploadedFile:
    return SimpleUploadedFile("培训学时证明.pdf", pdf_bytes(), content_type="application/pdf")


@pytest.fixture
def deferred(c: Chain) -> Application:
    return concluded(c, "deferred")


def test_the_section_names_the_deadline_and_the_level_above(
    c: Chain, deferred: Application, as_applicant: Callable[[User], Client]
) -> None:
    page = as_applicant(c.applicant).get(detail(deferred)).content.decode()
    assert SECTION in page
    assert deferred.notice is not None
    until = deferred.notice.ends_at + dt.timedelta(days=deferred.campaign.review_request_days)
    assert timezone.localtime(until).strftime("%Y-%m-%d %H:%M") in page
    assert c.city is not None
    assert f"向{c.city.name}申请复核" in page


def test_no_section_for_a_qualified_conclusion(c: Chain, as_applicant: Callable[[User], Client]) -> None:
    app = concluded(c, "qualified")
    assert SECTION not in as_applicant(c.applicant).get(detail(app)).content.decode()


def test_a_request_with_reasons_and_evidence_goes_to_the_city(
    c: Chain, deferred: Application, as_applicant: Callable[[User], Client]
) -> None:
    client = as_applicant(c.applicant)
    response = post(client, deferred, reason=REASON, evidence=evidence())
    assert response.status_code == 302
    deferred.refresh_from_db()
    assert deferred.status == Status.REVIEW_AT_CITY
    assert deferred.materials.filter(kind=Material.Kind.REVIEW_EVIDENCE).count() == 1
    last = ApplicationStep.objects.filter(application=deferred).last()
    assert last is not None
    assert (last.action, last.opinion) == (Action.REQUEST_REVIEW, REASON)
    page = client.get(detail(deferred)).content.decode()
    assert "已提交复核申请" in page
    assert SECTION not in page


def test_without_reasons_nothing_changes(
    c: Chain, deferred: Application, as_applicant: Callable[[User], Client]
) -> None:
    response = post(as_applicant(c.applicant), deferred, reason=" ", evidence=evidence())
    assert response.status_code == 400
    assert 'name="reason"' in response.content.decode()
    assert "is-invalid" in response.content.decode()
    assert Application.objects.get(pk=deferred.pk).status == Status.CITY_RECHECK
    assert not Material.objects.filter(kind=Material.Kind.REVIEW_EVIDENCE).exists()


def test_after_the_period_the_request_is_refused_and_the_evidence_not_kept(
    c: Chain, deferred: Application, as_applicant: Callable[[User], Client]
) -> None:
    assert deferred.notice is not None
    late = deferred.notice.ends_at + dt.timedelta(days=deferred.campaign.review_request_days, minutes=1)
    with clock.travel(late):
        client = as_applicant(c.applicant)
        assert SECTION not in client.get(detail(deferred)).content.decode()
        response = post(client, deferred, reason=REASON, evidence=evidence())
        assert response.status_code == 302
        page = client.get(detail(deferred)).content.decode()
    assert "申请复核的期限为" in page
    assert Application.objects.get(pk=deferred.pk).status == Status.CITY_RECHECK
    assert not Material.objects.filter(kind=Material.Kind.REVIEW_EVIDENCE).exists()


def test_someone_else_s_application_is_not_found(
    c: Chain, deferred: Application, as_applicant: Callable[[User], Client]
) -> None:
    from jiaozi.accounts.tests.factories import make_applicant

    response = post(as_applicant(make_applicant()), deferred, reason=REASON)
    assert response.status_code == 404
    assert Application.objects.get(pk=deferred.pk).status == Status.CITY_RECHECK
