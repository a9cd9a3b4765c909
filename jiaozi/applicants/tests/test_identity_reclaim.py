"""Sign-up with another teacher's resident ID (issue 14, finding 8; docs/decisions/0170):
the squatter learns nothing about a teacher record, and the real teacher gets the ID
back through their school — identity checked in person, the squatting account
suspended and its ID released, all audited — and can then sign up and link."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.testing import sign_in
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiaozi.core.idcard import make
from jiaozi.registration.tests.factories_applications import Chain, chain

from .. import services
from ..models import TeacherLink
from .factories import linked

pytestmark = pytest.mark.django_db

SIGNUP = "/me/signup/"
HOME = "/me/"
LINK = "/me/link/"
PASSWORD = "Jz-teach2024"
SQUATTER_PHONE = "13866660001"
TEACHER_PHONE = "13866660002"
NOBODY_RID = make("34010419770707001")


def signup(client: Client, *, resident_id: str, phone: str, real_name: str = "张三") -> Any:
    return client.post(
        SIGNUP,
        {
            "real_name": real_name,
            "resident_id": resident_id,
            "phone": phone,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "consent": "on",
        },
    )


def reclaim_url() -> str:
    return reverse("applicants_staff:identity_reclaim")


def _neutral(html: str, user: User) -> str:
    """The page minus what differs between any two accounts (CSRF token, username)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'<meta name="csrf-token" content="[^"]+"', "", html)
    return html.replace(user.username, "USERNAME")


@pytest.fixture
def squatted(c: Chain) -> Chain:
    """The chain's teacher has no account; somebody else signed up with their ID."""
    User.objects.filter(pk=c.applicant.pk).delete()
    return c


# --- Disclosure ---------------------------------------------------------------------------


def test_sign_up_with_a_teachers_id_discloses_nothing_about_the_record(squatted: Chain) -> None:
    c = squatted
    squatter_client, other_client = Client(), Client()
    first = signup(squatter_client, resident_id=c.teacher.resident_id, phone=SQUATTER_PHONE)
    second = signup(other_client, resident_id=NOBODY_RID, phone="13866660003")
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    squatter = User.objects.get(kind=User.Kind.APPLICANT, phone_bidx=_phone_bidx(SQUATTER_PHONE))
    other = User.objects.get(kind=User.Kind.APPLICANT, phone_bidx=_phone_bidx("13866660003"))

    for url in (HOME, LINK):
        mine = squatter_client.get(url)
        theirs = other_client.get(url)
        assert mine.status_code == theirs.status_code == 200
        assert _neutral(mine.text, squatter) == _neutral(theirs.text, other)
        assert "找到了" not in mine.text
        assert c.school.name not in mine.text
        assert c.campaign.name not in mine.text
        assert c.certificate.number not in mine.text


def _phone_bidx(phone: str) -> str:
    return User._meta.get_field("phone").lookup(phone)["phone_bidx"]  # type: ignore[union-attr]


# --- Recovery -----------------------------------------------------------------------------


def test_the_school_reclaims_the_id_and_the_teacher_signs_up_and_links(squatted: Chain) -> None:
    c = squatted
    squatter_client, teacher_client, staff_client = Client(), Client(), Client()
    signup(squatter_client, resident_id=c.teacher.resident_id, phone=SQUATTER_PHONE)
    squatter = User.objects.get(kind=User.Kind.APPLICANT, phone_bidx=_phone_bidx(SQUATTER_PHONE))
    linked(squatter)  # even a squatter who knew a certificate number loses the link

    # The real teacher is locked out: the ID is taken.
    refused = signup(teacher_client, resident_id=c.teacher.resident_id, phone=TEACHER_PHONE)
    assert "该身份证号已注册" in refused.text

    # The school checks the ID card in person and reclaims the ID.
    sign_in(staff_client, c.school_reviewer)
    page = staff_client.get(reclaim_url())
    assert page.status_code == 200
    done = staff_client.post(
        reclaim_url(),
        {
            "resident_id": c.teacher.resident_id,
            "identity_checked": "on",
            "reason": "本人持证反映身份证号被冒用",
        },
    )
    assert done.status_code == 200
    assert 'data-state="reclaimed"' in done.text
    assert c.teacher.resident_id not in done.text

    squatter.refresh_from_db()
    assert not squatter.is_active
    assert squatter.resident_id is None
    assert not TeacherLink.objects.filter(user=squatter).exists()
    # The squatter's session has ended.
    assert squatter_client.get(HOME).status_code == 302
    row = AuditEvent.objects.get(kind=AuditKind.APPLICANT_IDENTITY_RECLAIMED)
    assert row.actor_id == c.school_reviewer.pk
    assert row.object_id == str(squatter.pk)
    assert row.details["teacher"] == c.teacher.pk
    assert row.details["link_removed"] is True
    assert c.teacher.resident_id not in str(row.details)

    # The teacher signs up and confirms the record with a certificate number.
    welcomed = signup(
        teacher_client, resident_id=c.teacher.resident_id, phone=TEACHER_PHONE, real_name="李四"
    )
    assert welcomed.status_code == 302
    teacher_account = User.objects.get(
        kind=User.Kind.APPLICANT, is_active=True, phone_bidx=_phone_bidx(TEACHER_PHONE)
    )
    assert teacher_account.resident_id == c.teacher.resident_id
    teacher_client.post(LINK, {"number": c.certificate.number})
    assert TeacherLink.objects.get(user=teacher_account).teacher_id == c.teacher.pk


def _state(c: Chain) -> tuple[Any, ...]:
    a = User.objects.get(pk=c.applicant.pk)
    return (
        a.is_active,
        a.resident_id,
        a.version,
        AuditEvent.objects.filter(kind=AuditKind.APPLICANT_IDENTITY_RECLAIMED).count(),
    )


def test_without_the_in_person_check_nothing_changes(c: Chain) -> None:
    before = _state(c)
    with pytest.raises(ValidationFailed) as caught:
        services.identity_reclaim(
            actor=c.school_reviewer, resident_id=c.teacher.resident_id, identity_checked=False, reason="冒用"
        )
    assert caught.value.code == "identity_not_checked"
    with pytest.raises(ValidationFailed) as caught:
        services.identity_reclaim(
            actor=c.school_reviewer, resident_id=c.teacher.resident_id, identity_checked=True, reason=" "
        )
    assert caught.value.code == "reason_required"
    assert _state(c) == before


def test_another_schools_reviewer_finds_no_such_teacher(c: Chain) -> None:
    other = chain()
    before = _state(c)
    with pytest.raises(ValidationFailed) as caught:
        services.identity_reclaim(
            actor=other.school_reviewer,
            resident_id=c.teacher.resident_id,
            identity_checked=True,
            reason="冒用",
        )
    assert caught.value.code == "teacher_not_found"
    assert _state(c) == before


@pytest.mark.parametrize("where", ["authority", "school_admin_of_bureau"])
def test_only_the_teachers_school_may_reclaim(c: Chain, where: str) -> None:
    actor = (
        c.registration_reviewer
        if where == "authority"
        else make_staff(role=Role.INSTITUTION_ADMIN, institution=c.authority)
    )
    before = _state(c)
    with pytest.raises(PermissionDenied):
        services.identity_reclaim(
            actor=actor, resident_id=c.teacher.resident_id, identity_checked=True, reason="冒用"
        )
    assert _state(c) == before


def test_the_page_is_forbidden_to_staff_outside_a_school(c: Chain) -> None:
    client = sign_in(Client(), c.registration_reviewer)
    assert client.get(reclaim_url()).status_code == 403
    bureau_admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=c.authority)
    client = sign_in(Client(), bureau_admin)
    assert client.get(reclaim_url()).status_code == 403
    school_admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=c.school)
    client = sign_in(Client(), school_admin)
    assert client.get(reclaim_url()).status_code == 200


def test_nobody_reclaims_their_own_id(c: Chain) -> None:
    User.objects.filter(pk=c.applicant.pk).update(is_active=True)
    me = make_staff(role=Role.INSTITUTION_ADMIN, institution=c.school, resident_id=c.teacher.resident_id)
    before = _state(c)
    with pytest.raises(PermissionDenied) as caught:
        services.identity_reclaim(
            actor=me, resident_id=c.teacher.resident_id, identity_checked=True, reason="冒用"
        )
    assert caught.value.code == "conflict_of_interest"
    assert _state(c) == before


def test_when_no_account_holds_the_id_the_teacher_is_told_to_sign_up(squatted: Chain) -> None:
    with pytest.raises(Conflict) as caught:
        services.identity_reclaim(
            actor=squatted.school_reviewer,
            resident_id=squatted.teacher.resident_id,
            identity_checked=True,
            reason="冒用",
        )
    assert caught.value.code == "no_account_holds_the_id"
    assert not AuditEvent.objects.filter(kind=AuditKind.APPLICANT_IDENTITY_RECLAIMED).exists()


def test_the_page_shows_errors_in_chinese_and_changes_nothing(
    c: Chain, as_staff: Callable[[User], Client]
) -> None:
    client = as_staff(c.school_reviewer)
    before = _state(c)
    response = client.post(reclaim_url(), {"resident_id": c.teacher.resident_id, "reason": "冒用"})
    assert response.status_code == 200
    assert "请先当面核验" in response.text
    assert _state(c) == before
