"""Fixtures every app's tests share (registered by ``pytest_plugins`` in the root
``conftest.py``; an app's own conftest may still override one by name).

Each test starts from the same place whatever ran before it, in any order:

- the reference data (Anhui's divisions and bureaus, the 2024 campaign) is in the
  database, even after a transactional test flushed it;
- the default language is active; the cache (rate-limit counters, sessions) is empty.

The institution tree of the shared fixtures::

    province (340000) ─┬─ hefei (340100) ─┬─ luyang (340103) ─┬─ ly_school (3401030001)
                       │                  │                   └─ ly_point (确认点)
                       │                  └─ yaohai (340102) ──── yh_school (3401020001)
                       └─ wuhu (340200)

and its staff: ``prov_admin``, ``sec_admin``, ``audit_admin`` (province), ``hf_admin``,
``ly_admin``, ``yh_admin`` (institution admins), ``ly_reviewer``, ``yh_reviewer``
(county registration reviewers). ``make_staff(institution, role)`` makes more;
``signed_in(user)`` returns the test client signed in with a verified second factor.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.testing import sign_in
from jiaozi.accounts.tests.factories import make_staff as staff_factory
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

DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}
PASSWORD = "Jiaozi@2024"  # noqa: S105  (the test and demo password)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``serialized_rollback`` restores a snapshot of the migrated database taken with
    its primary keys; after another transactional test flushed the tables and
    ``post_migrate`` recreated content types under new keys, the snapshot collides
    (``UNIQUE constraint failed: django_content_type…``). ``_reference_data`` below is
    the one way back to the migrated data, so the flag is refused outright."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is not None and marker.kwargs.get("serialized_rollback"):
            raise pytest.UsageError(
                f"{item.nodeid}: serialized_rollback is not used here; the autouse "
                "_reference_data fixture reloads the migrations' data after a flush."
            )


# ── every test ─────────────────────────────────────────────────────────────────


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """Migrations load the reference data (Anhui divisions and bureaus, the 2024
    campaign), but a transactional test flushes every table when it ends. Put the data
    back for each database test, so no test depends on which ran before it."""
    if request.node.get_closest_marker("django_db") is None and not DB_FIXTURES & set(request.fixturenames):
        return
    request.getfixturevalue("_django_db_helper")
    from django.apps import apps

    from jiaozi.orgs.divisions import ensure_province
    from jiaozi.registration.models import Campaign

    ensure_province("anhui")
    if not Campaign.objects.filter(province_code="340000", year=2024).exists():
        importlib.import_module("jiaozi.registration.migrations.0002_anhui_2024_campaign").seed(apps, None)
    # The authority codes and the 2024 certification batch (two cheap reads when present).
    importlib.import_module("jiaozi.certification.reference").ensure_anhui()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language, whatever the one before activated."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clock_unmoved() -> Iterator[None]:
    """A test ends with every ``clock.travel`` it began over: a travel left in force
    would move "today" for every test after it in this process."""
    from jiaozi.core import clock

    yield
    left = clock.travels_in_force()
    if left:
        clock.travels_end_all()
        pytest.fail(f"the test left {left} clock travel(s) in force", pytrace=False)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters and cached pages live in the process's cache; each test
    starts, and leaves, it empty."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The static files gathered once per test process, for the real app servers the
    ``services`` tests start with production settings."""
    from jiaozi.testing.services import collect_static

    root = tmp_path_factory.mktemp("static")
    collect_static(root)
    return root


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Uploads and stored forms go to the test's own folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# ── institutions ───────────────────────────────────────────────────────────────


def _bureau_fixture(name: str, code: str) -> Any:
    @pytest.fixture(name=name)
    def fixture(db: None) -> Institution:
        return bureau(code)

    return fixture


province = _bureau_fixture("province", PROVINCE)
hefei = _bureau_fixture("hefei", HEFEI)
wuhu = _bureau_fixture("wuhu", WUHU)
luyang = _bureau_fixture("luyang", LUYANG)
yaohai = _bureau_fixture("yaohai", YAOHAI)


@pytest.fixture
def ly_school(db: None) -> Institution:
    return school("3401030001", LUYANG, name="合肥市第一中学")


@pytest.fixture
def yh_school(db: None) -> Institution:
    return school("3401020001", YAOHAI, name="合肥市瑶海实验学校")


@pytest.fixture
def ly_point(db: None) -> Institution:
    return confirmation_point("340103QR01", LUYANG, name="庐阳区确认点")


# ── staff ──────────────────────────────────────────────────────────────────────


def _staff_fixture(username: str, role: str, institution: str) -> Any:
    """A fixture ``username``: a filed staff account with ``role`` at the institution
    of fixture ``institution``."""

    @pytest.fixture(name=username)
    def fixture(request: pytest.FixtureRequest) -> User:
        return staff_factory(username=username, role=role, institution=request.getfixturevalue(institution))

    return fixture


prov_admin = _staff_fixture("prov_admin", Role.PROVINCE_ADMIN, "province")
sec_admin = _staff_fixture("sec_admin", Role.SECURITY_ADMIN, "province")
audit_admin = _staff_fixture("audit_admin", Role.AUDIT_ADMIN, "province")
hf_admin = _staff_fixture("hf_admin", Role.INSTITUTION_ADMIN, "hefei")
ly_admin = _staff_fixture("ly_admin", Role.INSTITUTION_ADMIN, "luyang")
yh_admin = _staff_fixture("yh_admin", Role.INSTITUTION_ADMIN, "yaohai")
ly_reviewer = _staff_fixture("ly_reviewer", Role.REGISTRATION_REVIEWER, "luyang")
yh_reviewer = _staff_fixture("yh_reviewer", Role.REGISTRATION_REVIEWER, "yaohai")


_serial = count(1)


@pytest.fixture
def make_staff(db: None) -> Callable[..., User]:
    """``make_staff(institution, role=INSTITUTION_ADMIN, **fields)``: a staff account
    made the way ``create_user`` makes one (not filed yet, password never changed)."""

    def make(institution: Institution, role: str = Role.INSTITUTION_ADMIN, **kw: Any) -> User:
        n = next(_serial)
        return User.objects.create_user(
            username=kw.pop("username", f"staff_{n}"),  # StaffFactory makes staff0001…
            password=PASSWORD,
            kind=User.Kind.STAFF,
            real_name=kw.pop("real_name", f"工作人员{n}"),
            role=role,
            institution=institution,
            **kw,
        )

    return make


@pytest.fixture
def signed_in(client: Client) -> Callable[[User], Client]:
    """``signed_in(user)``: the test client, signed in with a confirmed TOTP device
    whose verification is recorded in the session."""

    def go(user: User) -> Client:
        return sign_in(client, user)

    return go
