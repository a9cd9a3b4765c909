"""The reviewer sees when the certificate's type does not fit the school's stage (the
teacher import's warning, issue 8 item 6, docs/decisions/0254)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.testing import sign_in
from jiaozi.certificates.models import QualificationType
from jiaozi.core import clock
from jiaozi.orgs.models import Institution
from jiaozi.registration.tests.factories_applications import OPEN, application, chain
from jiaozi.registration.workflow import Status

pytestmark = pytest.mark.django_db

WARNING = 'data-testid="type-stage-warning"'


@pytest.fixture(autouse=True)
def _open() -> Iterator[None]:
    with clock.travel(OPEN):
        yield


def page_for(stage: str, qualification_type: str) -> str:
    c = chain()
    Institution.objects.filter(pk=c.school.pk).update(stage=stage)
    c.certificate.qualification_type = qualification_type
    c.certificate.save(update_fields=["qualification_type"])
    app = application(c, status=Status.REGISTRATION_REVIEW)
    response = sign_in(Client(), c.registration_reviewer).get(
        reverse("registration:application_detail", args=[app.pk])
    )
    assert response.status_code == 200
    return response.content.decode()


def test_a_primary_certificate_at_a_kindergarten_is_flagged() -> None:
    page = page_for(Institution.Stage.KINDERGARTEN, QualificationType.PRIMARY)
    assert WARNING in page
    assert "资格种类“小学”与任教学校学段“幼儿园”不符" in page


def test_a_higher_certificate_at_a_lower_stage_is_not_flagged() -> None:
    assert WARNING not in page_for(Institution.Stage.PRIMARY, QualificationType.JUNIOR)


def test_special_education_is_not_judged() -> None:
    assert WARNING not in page_for(Institution.Stage.SPECIAL, QualificationType.KINDERGARTEN)
