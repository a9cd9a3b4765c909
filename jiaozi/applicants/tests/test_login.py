"""Applicant sign-in and sign-out: ID, phone or username; one lockout per account
whatever was typed; answers that do not tell unknown from wrong; no staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import PASSWORD, make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.registration.tests.factories_applications import Chain

pytestmark = pytest.mark.django_db

URL = "/me/login/"
WRONG = "Wrong#pass2024"


def post(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(URL, {"username": username, "password": password, **extra})


def signed_in_user_id(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def test_the_url_names_are_the_contract_ones() -> None:
    assert reverse("applicants:login") == URL
    assert reverse("applicants:logout") == "/me/logout/"


@pytest.mark.parametrize("identifier", ["resident_id", "phone", "username", "resident_id_lower"])
def test_sign_in_by_id_phone_or_username(client: Client, c: Chain, identifier: str) -> None:
    user = c.applicant
    value = {
        "resident_id": user.resident_id,
        "phone": user.phone,
        "username": user.username,
        "resident_id_lower": str(user.resident_id).lower(),
    }[identifier]

    response = post(client, str(value))

    assert response.status_code == 302
    assert response["Location"] == reverse("applicants:home")
    assert signed_in_user_id(client) == user.pk
    assert AuditEvent.objects.filter(kind=AuditKind.LOGIN_SUCCEEDED, actor_id=user.pk).exists()


def test_wrong_password_and_unknown_account_answer_alike(client: Client, c: Chain) -> None:
    wrong = post(client, c.applicant.username, WRONG)
    unknown = post(client, "nobody_here", WRONG)

    assert wrong.status_code == unknown.status_code == 200
    assert "账号或密码错误" in wrong.text
    assert "账号或密码错误" in unknown.text
    assert signed_in_user_id(client) is None
    assert AuditEvent.objects.filter(kind=AuditKind.LOGIN_FAILED).count() == 2


def test_staff_cannot_sign_in_here(client: Client) -> None:
    staff = make_staff(role=Role.SCHOOL_REVIEWER)

    response = post(client, staff.username)

    assert response.status_code == 200
    assert "账号或密码错误" in response.text
    assert signed_in_user_id(client) is None


def test_five_failures_lock_the_account_even_for_the_right_password(client: Client, c: Chain) -> None:
    user = c.applicant
    # Different identifiers of one account count together.
    for identifier in (user.resident_id, user.phone, user.username, user.resident_id, user.phone):
        post(client, str(identifier), WRONG)

    response = post(client, user.username)

    assert response.status_code == 429
    assert "账号已锁定" in response.text
    assert response["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    assert settings.STAFF_URL_PREFIX not in response.text
    assert signed_in_user_id(client) is None
    assert AuditEvent.objects.filter(kind=AuditKind.LOGIN_LOCKED).exists()


def test_failed_attempts_keep_no_id_or_phone_in_clear(client: Client, c: Chain) -> None:
    post(client, str(c.applicant.resident_id), WRONG)
    post(client, "13800000000", WRONG)  # a phone of nobody

    for attempt in AccessAttempt.objects.all():
        stored = f"{attempt.username} {attempt.post_data} {attempt.get_data}"
        assert str(c.applicant.resident_id) not in stored
        assert "13800000000" not in stored
    for event in AuditEvent.objects.filter(kind=AuditKind.LOGIN_FAILED):
        assert "13800000000" not in str(event.details)


def test_sign_in_is_rate_limited_per_address(client: Client, c: Chain) -> None:
    for n in range(30):
        post(client, f"nobody{n}", WRONG)

    response = post(client, c.applicant.username)

    assert response.status_code == 429
    assert signed_in_user_id(client) is None


def test_next_is_followed_inside_the_applicant_area_only(client: Client, c: Chain) -> None:
    inside = post(client, c.applicant.username, next="/me/profile/")
    client.logout()
    outside = post(client, c.applicant.username, next=f"/{settings.STAFF_URL_PREFIX}/")
    client.logout()
    offsite = post(client, c.applicant.username, next="https://evil.example/me/")

    assert inside["Location"] == "/me/profile/"
    assert outside["Location"] == reverse("applicants:home")
    assert offsite["Location"] == reverse("applicants:home")


def test_an_expired_password_must_be_changed_first(client: Client, c: Chain) -> None:
    User.objects.filter(pk=c.applicant.pk).update(password_changed_at=clock.now() - dt.timedelta(days=91))

    response = post(client, c.applicant.username)
    home = client.get(reverse("applicants:home"))

    assert response["Location"] == reverse("applicants:password_change")
    assert home["Location"] == reverse("applicants:password_change")


def test_an_inactive_account_cannot_sign_in(client: Client, c: Chain) -> None:
    User.objects.filter(pk=c.applicant.pk).update(is_active=False)

    response = post(client, c.applicant.username)

    assert response.status_code == 200
    assert "账号或密码错误" in response.text


def test_sign_out_is_a_post_and_ends_the_session(client: Client, applicant_client: Client, c: Chain) -> None:
    confirm = client.get(reverse("applicants:logout"))
    assert confirm.status_code == 200
    assert signed_in_user_id(client) == c.applicant.pk

    response = client.post(reverse("applicants:logout"))

    assert response["Location"] == reverse("applicants:login")
    assert signed_in_user_id(client) is None
    assert AuditEvent.objects.filter(kind=AuditKind.LOGOUT, actor_id=c.applicant.pk).exists()
    assert client.get(reverse("applicants:home")).status_code == 302


def test_the_login_page_links_nowhere_into_the_staff_entrance(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 200
    assert settings.STAFF_URL_PREFIX not in response.text
    assert reverse("applicants:signup") in response.text
    assert reverse("applicants:password_reset") in response.text


# --- The two areas stay apart ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["workspace:home", "accounts:staff_list", "teachers:teacher_list", "registration:campaign_list"]
)
def test_an_applicant_cannot_open_staff_pages(applicant_client: Client, name: str) -> None:
    response = applicant_client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_applicant_cannot_use_the_staff_login(client: Client, c: Chain) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": c.applicant.username, "password": PASSWORD}
    )

    assert signed_in_user_id(client) is None
    assert response.status_code in (200, 429)


def test_staff_get_403_in_the_applicant_area(client: Client, as_staff: Any) -> None:
    as_staff(make_staff(role=Role.SCHOOL_REVIEWER))

    response = client.get(reverse("applicants:home"))

    assert response.status_code == 403
    assert "仅供申请人使用" in response.text
    assert settings.STAFF_URL_PREFIX not in response.text


def test_the_pages_speak_english_after_the_language_switch(client: Client, applicant_client: Client) -> None:
    client.post(reverse("set_language"), {"language": "en", "next": "/me/"})

    home = client.get(reverse("applicants:home"))
    login = client.get(reverse("applicants:privacy"))

    assert "My teacher qualification certificates" in home.text
    assert "我的教师资格证书" not in home.text
    assert "Personal Information Notice" in login.text
