"""City and province recheck the 注册结论 (issue 9, item 5): their queue and batch
confirmation show the conclusion under review, mark one that departs from the system's
suggestion, and filter "结论与建议不一致"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.testing import sign_in
from jiaozi.core import clock
from jiaozi.registration.tests.factories_applications import OPEN, another_applicant, application, chain
from jiaozi.registration.workflow import Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _at_open(db: None) -> Iterator[None]:
    with clock.travel(OPEN):
        yield


def test_the_city_queue_shows_the_conclusion_and_filters_departures(client: Client) -> None:
    c = chain()
    same = application(c, status=Status.CITY_RECHECK)  # 注册合格, as suggested
    applicant, certificate = another_applicant(c)
    departs = application(
        c,
        status=Status.CITY_RECHECK,
        applicant=applicant,
        certificate_=certificate,
        conclusion="deferred",
        override_reason="经核实培训学时不足。",
    )
    assert c.city_rechecker is not None
    signed = sign_in(client, c.city_rechecker)
    queue = reverse("registration:queue")

    page = signed.get(queue).content.decode()
    assert ">注册结论<" in page
    assert "暂缓注册" in page
    assert page.count("与系统建议不一致") == 1
    assert 'name="mismatch"' in page

    filtered = signed.get(queue, {"mismatch": "on"}).content.decode()
    assert reverse("registration:application_detail", args=[departs.pk]) in filtered
    assert reverse("registration:application_detail", args=[same.pk]) not in filtered


def test_the_batch_confirmation_shows_the_conclusion(client: Client) -> None:
    c = chain()
    applicant, certificate = another_applicant(c)
    app = application(
        c,
        status=Status.CITY_RECHECK,
        applicant=applicant,
        certificate_=certificate,
        conclusion="deferred",
        override_reason="经核实培训学时不足。",
    )
    assert c.city_rechecker is not None
    page = (
        sign_in(client, c.city_rechecker)
        .post(
            reverse("registration:batch_act"),
            {"action": "city_approve", "items": [f"{app.pk}:{app.version}"], "step": "confirm"},
        )
        .content.decode()
    )
    assert ">注册结论<" in page
    assert "暂缓注册" in page
    assert "与系统建议不一致" in page


def test_a_registration_reviewer_has_no_departure_filter(client: Client) -> None:
    c = chain()
    page = sign_in(client, c.registration_reviewer).get(reverse("registration:queue")).content.decode()
    assert 'name="mismatch"' not in page
