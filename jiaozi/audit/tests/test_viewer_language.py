"""The audit viewer speaks the reader's language (issue 9, item 9): objects are named
("定期注册申请 17", "账号 ly_reviewer"), never "registration.application 17"; a sign-in
that passed the password but not the one-time code is no 登录成功; the institution filter
is chosen from a list of names."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiaozi.accounts import mfa
from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.orgs.models import Institution

from .factories import record

pytestmark = pytest.mark.django_db

LIST = reverse("audit:event_list")
SignIn = Callable[[User], Client]


def test_objects_are_named_in_the_readers_words(
    signed_in: SignIn, audit_admin: User, ly_reviewer: User, luyang: Institution
) -> None:
    app_event = record(object_type="registration.application", object_id="17")
    user_event = record(object_type="accounts.user", object_id=str(ly_reviewer.pk))
    org_event = record(object_type="orgs.institution", object_id=str(luyang.pk))
    client = signed_in(audit_admin)

    page = client.get(LIST).content.decode()
    assert "registration.application" not in page
    assert "accounts.user" not in page
    assert "定期注册申请 17" in page
    assert "账号 ly_reviewer" in page
    assert f"机构 {luyang.name}" in page

    for event, label in (
        (app_event, "定期注册申请 17"),
        (user_event, "账号 ly_reviewer"),
        (org_event, f"机构 {luyang.name}"),
    ):
        detail = client.get(reverse("audit:event_detail", args=[event.pk])).content.decode()
        assert label in detail
        assert event.object_type not in detail.replace(f'"{event.object_type}"', "")


def test_a_password_without_the_code_is_not_a_sign_in(client: Client, ly_reviewer: User) -> None:
    TOTPDevice.objects.create(user=ly_reviewer, name=mfa.DEVICE_NAME, confirmed=True)
    client.post(reverse("accounts:login"), {"username": "ly_reviewer", "password": "Jiaozi@2024"})

    kinds = set(AuditEvent.objects.filter(actor_id=ly_reviewer.pk).values_list("kind", flat=True))
    assert AuditKind.LOGIN_PASSWORD_ACCEPTED in kinds
    assert AuditKind.LOGIN_SUCCEEDED not in kinds
    assert str(AuditKind.LOGIN_PASSWORD_ACCEPTED.label) == "密码正确，待验证动态口令"


def test_the_institution_filter_is_a_list_of_names(
    signed_in: SignIn, audit_admin: User, luyang: Institution, hefei: Institution
) -> None:
    page = signed_in(audit_admin).get(LIST).content.decode()
    select = page[
        page.index('name="institution"') : page.index("</select>", page.index('name="institution"'))
    ]
    assert "<select" in page[page.index('name="institution"') - 200 : page.index('name="institution"')]
    assert f'value="{luyang.code}"' in select
    assert luyang.name in select
    assert hefei.name in select
