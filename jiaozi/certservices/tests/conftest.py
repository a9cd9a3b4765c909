"""Fixtures of the certificate-services tests: a 庐阳区 certifying officer and a holder."""

from __future__ import annotations

import pytest

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.orgs.models import Institution
from jiaozi.testing.fixtures import staff_factory


@pytest.fixture
def ly_certifier(luyang: Institution) -> User:
    return staff_factory(username="ly_certifier", role=Role.CERTIFYING_OFFICER, institution=luyang)


@pytest.fixture
def hf_certifier(hefei: Institution) -> User:
    return staff_factory(username="hf_certifier", role=Role.CERTIFYING_OFFICER, institution=hefei)


@pytest.fixture
def yh_certifier(yaohai: Institution) -> User:
    return staff_factory(username="yh_certifier", role=Role.CERTIFYING_OFFICER, institution=yaohai)
