"""Fixtures of the accounts tests: a small institution tree and staff on it.

province (340000) ─┬─ hefei (340100) ─┬─ luyang (340103) ─┬─ ly_school (3401030001)
                   │                  │                   └─ ly_point (确认点)
                   │                  └─ yaohai (340102) ──── yh_school (3401020001)
                   └─ wuhu (340200)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.testing import sign_in
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import (
    HEFEI,
    LUYANG,
    PROVINCE,
    WUHU,
    YAOHAI,
    bureau,
    confirmation_point,
    school,
)

from .factories import make_staff


@pytest.fixture
def province(db: Any) -> Institution:
    return bureau(PROVINCE)


@pytest.fixture
def hefei(db: Any) -> Institution:
    return bureau(HEFEI)


@pytest.fixture
def wuhu(db: Any) -> Institution:
    return bureau(WUHU)


@pytest.fixture
def luyang(db: Any) -> Institution:
    return bureau(LUYANG)


@pytest.fixture
def yaohai(db: Any) -> Institution:
    return bureau(YAOHAI)


@pytest.fixture
def ly_school(db: Any) -> Institution:
    return school("3401030001", LUYANG, name="合肥市第一中学")


@pytest.fixture
def yh_school(db: Any) -> Institution:
    return school("3401020001", YAOHAI, name="合肥市瑶海实验学校")


@pytest.fixture
def ly_point(db: Any) -> Institution:
    return confirmation_point("340103QR01", LUYANG, name="庐阳区确认点")


@pytest.fixture
def prov_admin(province: Institution) -> User:
    return make_staff(username="prov_admin", role=Role.PROVINCE_ADMIN, institution=province)


@pytest.fixture
def hf_admin(hefei: Institution) -> User:
    return make_staff(username="hf_admin", role=Role.INSTITUTION_ADMIN, institution=hefei)


@pytest.fixture
def ly_admin(luyang: Institution) -> User:
    return make_staff(username="ly_admin", role=Role.INSTITUTION_ADMIN, institution=luyang)


@pytest.fixture
def yh_admin(yaohai: Institution) -> User:
    return make_staff(username="yh_admin", role=Role.INSTITUTION_ADMIN, institution=yaohai)


@pytest.fixture
def ly_reviewer(luyang: Institution) -> User:
    return make_staff(username="ly_reviewer", role=Role.REGISTRATION_REVIEWER, institution=luyang)


@pytest.fixture
def yh_reviewer(yaohai: Institution) -> User:
    return make_staff(username="yh_reviewer", role=Role.REGISTRATION_REVIEWER, institution=yaohai)


@pytest.fixture
def signed_in(client: Client) -> Callable[[User], Client]:
    """Sign a user in on the test client, second factor verified."""

    def _sign_in(user: User) -> Client:
        return sign_in(client, user)

    return _sign_in
