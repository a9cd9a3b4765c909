"""Fixtures of the applicant area's tests. The whole test runs at ``OPEN`` (inside every
Anhui 2024 window), so the session's clocks and the windows agree; the shared plugin
(``jiaozi.testing``) clears the cache, where rate-limit counters live, for each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from jiaozi.accounts.models import User
from jiaozi.accounts.testing import sign_in
from jiaozi.core import clock
from jiaozi.registration.tests.factories_applications import OPEN, Chain, chain

from ..models import TeacherLink
from .factories import linked

PASSWORD = "Jiaozi@2024"


@pytest.fixture(autouse=True)
def _at_open(db: None) -> Iterator[None]:
    with clock.travel(OPEN):
        yield


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.NOTIFICATION_OUTBOX_DIR = str(tmp_path / "outbox")
    return tmp_path


@pytest.fixture
def c() -> Chain:
    """A school, its reviewers and a due applicant (not yet linked)."""
    return chain()


@pytest.fixture
def link(c: Chain) -> TeacherLink:
    return linked(c.applicant)


@pytest.fixture
def as_applicant(client: Client) -> Callable[[User], Client]:
    def go(user: User) -> Client:
        client.force_login(user)
        return client

    return go


@pytest.fixture
def applicant_client(c: Chain, link: TeacherLink, as_applicant: Callable[[User], Client]) -> Client:
    """The chain's applicant, linked and signed in."""
    return as_applicant(c.applicant)


@pytest.fixture
def as_staff(client: Client) -> Callable[[User], Client]:
    def go(user: User) -> Client:
        return sign_in(client, user)

    return go
