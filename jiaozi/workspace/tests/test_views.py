"""The workspace home: sign-in required, role-aware content, the shell around it."""

from __future__ import annotations

from typing import cast

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.testing import sign_in
from jiaozi.accounts.tests.factories import StaffFactory, UserFactory, make_staff
from jiaozi.orgs.tests.factories import LUYANG, PROVINCE, bureau


@pytest.mark.django_db
def test_anonymous_is_sent_to_the_staff_sign_in(client: Client) -> None:
    response = client.get(reverse("workspace:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_applicant_does_not_reach_the_workspace(client: Client) -> None:
    applicant = cast(User, UserFactory())
    client.force_login(applicant)

    response = client.get(reverse("workspace:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_reviewer_sees_its_institution_role_and_honest_placeholders(client: Client) -> None:
    luyang = bureau(LUYANG)
    reviewer = cast(
        User, StaffFactory(role=Role.REGISTRATION_REVIEWER, institution=luyang, real_name="李审核")
    )
    sign_in(client, reviewer)

    response = client.get(reverse("workspace:home"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "李审核" in body
    assert luyang.name in body
    assert "注册审核员" in body
    assert "待办事项" in body
    assert reverse("accounts:staff_list") not in body  # an admin's entry


@pytest.mark.django_db
def test_admin_navigation_has_staff_filing_and_no_audit_log(client: Client) -> None:
    admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=bureau(LUYANG))
    sign_in(client, admin)

    body = client.get(reverse("workspace:home")).content.decode()
    nav = body[body.index('<nav class="jz-nav"') :]
    nav = nav[: nav.index("</nav>")]

    assert reverse("accounts:staff_list") in nav
    assert "审计日志" not in nav
    assert "人员备案" in nav


@pytest.mark.django_db
def test_shell_has_logout_form_language_switch_and_no_inline_code(client: Client) -> None:
    sign_in(client, make_staff(role=Role.PROVINCE_ADMIN, institution=bureau(PROVINCE)))

    response = client.get(reverse("workspace:home"))
    body = response.content.decode()

    assert f'action="{reverse("accounts:logout")}"' in body
    assert f'action="{reverse("set_language")}"' in body
    assert 'style="' not in body
    assert "<script>" not in body
    assert "object-src 'none'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_workspace_in_english(client: Client) -> None:
    sign_in(client, make_staff(role=Role.PROVINCE_ADMIN, institution=bureau(PROVINCE)))
    client.post(reverse("set_language"), {"language": "en", "next": reverse("workspace:home")})

    body = client.get(reverse("workspace:home")).content.decode()

    assert "Staff workspace" in body
    assert "Province admin" in body


@pytest.mark.django_db
def test_staff_404_keeps_the_workspace_shell(client: Client) -> None:
    sign_in(client, make_staff(role=Role.INSTITUTION_ADMIN, institution=bureau(LUYANG)))

    response = client.get(f"/{settings.STAFF_URL_PREFIX}/no-such-page/")

    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body
    assert "jz-sidebar" in body
