"""Races with real threads and transactions: one winner, one audit row.

The harness (``jiaozi.testing.race``) retries a worker on the shared-cache SQLite of the
test run, which is the queueing a database on disk does by itself."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiaozi.accounts import mfa, services
from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.testing import totp_code
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core.errors import Conflict
from jiaozi.orgs.tests.factories import LUYANG, bureau
from jiaozi.testing.race import race

from .factories import make_staff

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 4


def test_concurrent_disables_have_one_winner() -> None:
    luyang = bureau(LUYANG)
    admin = make_staff(username="ly_admin", institution=luyang)
    target = make_staff(username="ly_reviewer", institution=luyang, role=Role.REGISTRATION_REVIEWER)

    outcomes = race(
        lambda _n: services.staff_disable(actor=admin, user_id=target.pk, reason="离岗"), threads=THREADS
    )

    assert sum(isinstance(o, User) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, Conflict) for o in outcomes) == THREADS - 1, outcomes
    assert AuditEvent.objects.filter(kind=AuditKind.STAFF_DISABLED, object_id=str(target.pk)).count() == 1
    assert User.objects.get(pk=target.pk).version == target.version + 1


def test_one_totp_code_passes_once_under_concurrency() -> None:
    user = make_staff(username="ly_reviewer", institution=bureau(LUYANG), role=Role.REGISTRATION_REVIEWER)
    device = TOTPDevice.objects.create(user=user, name=mfa.DEVICE_NAME, confirmed=True)
    code = totp_code(device)

    outcomes = race(lambda _n: mfa.verify(TOTPDevice.objects.get(pk=device.pk), code), threads=THREADS)

    assert outcomes.count(mfa.VerifyResult.OK) == 1
