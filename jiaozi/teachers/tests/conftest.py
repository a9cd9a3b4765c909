"""Fixtures of the teachers tests: the demo's twin counties and schools and staff there
(the signed-in client is the shared ``signed_in`` of ``jiaozi.testing``)."""

from __future__ import annotations

from typing import Any

import pytest

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import LUYANG, YAOHAI, bureau, school

SCHOOL_A = "3401030901"  # in 庐阳区 (county A)
SCHOOL_A2 = "3401030902"
SCHOOL_B = "3401020901"  # in 瑶海区 (county B)


@pytest.fixture
def school_a(db: Any) -> Institution:
    return school(SCHOOL_A, LUYANG)


@pytest.fixture
def school_a2(db: Any) -> Institution:
    return school(SCHOOL_A2, LUYANG)


@pytest.fixture
def school_b(db: Any) -> Institution:
    return school(SCHOOL_B, YAOHAI)


@pytest.fixture
def county_a_admin(db: Any) -> User:
    return make_staff(role=Role.INSTITUTION_ADMIN, institution=bureau(LUYANG))


@pytest.fixture
def county_a_reviewer(db: Any) -> User:
    return make_staff(role=Role.REGISTRATION_REVIEWER, institution=bureau(LUYANG))


@pytest.fixture
def county_b_reviewer(db: Any) -> User:
    return make_staff(role=Role.REGISTRATION_REVIEWER, institution=bureau(YAOHAI))


@pytest.fixture
def school_a_staff(school_a: Institution) -> User:
    return make_staff(role=Role.SCHOOL_REVIEWER, institution=school_a)


@pytest.fixture
def school_b_staff(school_b: Institution) -> User:
    return make_staff(role=Role.SCHOOL_REVIEWER, institution=school_b)
