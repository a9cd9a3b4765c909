"""Conflict of interest by the person, not by the phone: a staff filing carries the
resident ID, and the same person filed with another phone number still cannot review
their own application (issue 14, finding 7; docs/decisions/0169)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.services import staff_create
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.core import clock
from jiaozi.core.errors import PermissionDenied
from jiaozi.registration.models import Application
from jiaozi.registration.tests.factories_applications import OPEN, application, chain
from jiaozi.registration.transitions import actions_for, application_transition
from jiaozi.registration.workflow import Action, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _open_clock() -> Iterator[None]:
    with clock.travel(OPEN):
        yield


def test_the_same_person_filed_with_another_phone_cannot_approve_their_own_application() -> None:
    c = chain()
    c.teacher.phone = "13912345678"
    c.teacher.save()
    app = application(c, status=Status.SCHOOL_REVIEW)
    # The teacher keeps their applicant account (with their resident ID); the school's
    # admin files the same person as a school reviewer, with a different phone.
    assert c.applicant.resident_id == c.teacher.resident_id
    school_admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=c.school)
    reviewer, _password = staff_create(
        actor=school_admin,
        institution=c.school,
        username="same_person",
        real_name=c.teacher.name,
        phone="13800009999",
        post="人事干事",
        role=Role.SCHOOL_REVIEWER,
        resident_id=c.teacher.resident_id,
    )
    reviewer = User.objects.get(pk=reviewer.pk)
    assert reviewer.phone != c.teacher.phone

    with pytest.raises(PermissionDenied) as caught:
        application_transition(
            actor=reviewer, application_id=app.pk, action=Action.SCHOOL_APPROVE, version=app.version
        )
    assert caught.value.code == "conflict_of_interest"
    loaded = Application.objects.select_related("campaign", "teacher", "school").get(pk=app.pk)
    assert loaded.status == Status.SCHOOL_REVIEW
    assert actions_for(user=reviewer, application=loaded) == []
    # A colleague (another person) at the school may.
    done = application_transition(
        actor=c.school_reviewer, application_id=app.pk, action=Action.SCHOOL_APPROVE, version=app.version
    )
    assert done.status == Status.REGISTRATION_REVIEW
