"""Fixtures of the audit tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import pytest
from django.db import connection
from django.test import Client

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.testing import sign_in
from jiaozi.accounts.tests.factories import StaffFactory
from jiaozi.audit import guard
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import HEFEI, LUYANG, PROVINCE, YAOHAI, bureau


@contextmanager
def guard_suspended() -> Iterator[None]:
    """Take the append-only triggers away for a moment, the way an attacker with DDL
    rights would, so a test can tamper with rows. PostgreSQL disables them; SQLite
    drops and re-creates them (it cannot disable a trigger)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {guard.EVENT_TABLE} DISABLE TRIGGER USER")
            cursor.execute(f"ALTER TABLE {guard.CHAIN_TABLE} DISABLE TRIGGER USER")
        else:
            guard.uninstall(connection)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {guard.EVENT_TABLE} ENABLE TRIGGER USER")
                cursor.execute(f"ALTER TABLE {guard.CHAIN_TABLE} ENABLE TRIGGER USER")
            else:
                guard.install(connection)


def tamper(sql: str, params: list[Any] | None = None) -> int:
    """Run ``sql`` with the guard suspended; returns the affected row count."""
    with guard_suspended(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.rowcount


@pytest.fixture
def province(db: Any) -> Institution:
    return bureau(PROVINCE)


@pytest.fixture
def hefei(db: Any) -> Institution:
    return bureau(HEFEI)


@pytest.fixture
def luyang(db: Any) -> Institution:
    return bureau(LUYANG)


@pytest.fixture
def yaohai(db: Any) -> Institution:
    return bureau(YAOHAI)


def _staff(username: str, role: str, institution: Institution) -> User:
    return cast(User, StaffFactory(username=username, role=role, institution=institution))


@pytest.fixture
def audit_admin(province: Institution) -> User:
    return _staff("audit_admin", Role.AUDIT_ADMIN, province)


@pytest.fixture
def prov_admin(province: Institution) -> User:
    return _staff("prov_admin", Role.PROVINCE_ADMIN, province)


@pytest.fixture
def sec_admin(province: Institution) -> User:
    return _staff("sec_admin", Role.SECURITY_ADMIN, province)


@pytest.fixture
def ly_admin(luyang: Institution) -> User:
    return _staff("ly_admin", Role.INSTITUTION_ADMIN, luyang)


@pytest.fixture
def yh_admin(yaohai: Institution) -> User:
    return _staff("yh_admin", Role.INSTITUTION_ADMIN, yaohai)


@pytest.fixture
def signed_in(client: Client) -> Callable[[User], Client]:
    def _sign_in(user: User) -> Client:
        return sign_in(client, user)

    return _sign_in
