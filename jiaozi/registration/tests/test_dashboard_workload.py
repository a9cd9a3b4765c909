"""The dashboard shows the workload (issue 9, item 12): a reviewer's 待办事项 counts
the applications waiting in their queue and links to it; a registration reviewer also
sees the conclusions waiting for a notice and the open objections; a school's account
names its managing institution, not "县级 · 学校"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.testing import sign_in
from jiaozi.core import clock
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    Chain,
    another_applicant,
    application,
    chain,
)
from jiaozi.registration.workflow import Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _at_open(db: None) -> Iterator[None]:
    with clock.travel(OPEN):
        yield


def home(client: Client) -> str:
    return client.get(reverse("workspace:home")).content.decode()


def test_a_reviewer_sees_how_many_wait_and_goes_to_the_queue(client: Client) -> None:
    c = chain()
    for _ in range(3):
        application(c, status=Status.REGISTRATION_REVIEW, **_other(c))
    application(c, status=Status.CONCLUDED, **_other(c))
    assert c.registration_reviewer is not None
    page = home(sign_in(client, c.registration_reviewer))

    # The queue holds the three to conclude and the one waiting for its notice.
    assert "待办定期注册申请：4 件" in page
    assert re.search(rf'href="{re.escape(reverse("registration:queue"))}"[^>]*>进入审核队列', page)
    assert "待公示：1 件" in page
    assert reverse("registration:notice_publish") in page


def test_a_school_account_names_its_managing_institution(client: Client) -> None:
    c = chain()
    page = home(sign_in(client, c.school_reviewer))
    assert "县级 · 学校" not in page
    assert "主管单位" in page
    assert c.authority.name in page
    assert "待办定期注册申请：0 件" in page


def _other(c: Chain) -> dict[str, Any]:
    """Another due teacher of the chain's school, for one more application."""
    applicant, certificate = another_applicant(c)
    return {"applicant": applicant, "certificate_": certificate}
