"""Fixtures for the registration tests: staff users at given institutions and a client
signed in with a verified second factor (as the orgs tests do)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.orgs.models import Institution

_serial = count(1)


@pytest.fixture
def make_staff(db: Any) -> Callable[..., User]:
    def make(institution: Institution, role: str = Role.REGISTRATION_REVIEWER, **kw: Any) -> User:
        n = next(_serial)
        return User.objects.create_user(
            username=kw.pop("username", f"reg_staff{n}"),
            password="Jiaozi@2024",
            kind=User.Kind.STAFF,
            real_name=kw.pop("real_name", f"工作人员{n}"),
            role=role,
            institution=institution,
            password_changed_at=kw.pop("password_changed_at", None),
            **kw,
        )

    return make


@pytest.fixture
def signed_in(client: Client) -> Callable[[User], Client]:
    """Sign ``user`` in on the test client with a confirmed, verified TOTP device."""

    def sign_in(user: User) -> Client:
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return sign_in
