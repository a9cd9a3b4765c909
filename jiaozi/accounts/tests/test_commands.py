"""demo_totp, disable_inactive_staff (demo_signins is tested with the demo app)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiaozi.accounts import mfa, services
from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.orgs.models import Institution

from .factories import make_staff


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_demo_totp_refuses_outside_demo_mode(ly_admin: User, settings: Any) -> None:
    settings.DEMO_MODE = False
    with pytest.raises(CommandError):
        run("demo_totp", "ly_admin")


def test_demo_totp_prints_a_working_code(ly_admin: User) -> None:
    services.demo_totp_enroll(user=ly_admin)
    code = run("demo_totp", "ly_admin").strip()
    assert len(code) == 6
    assert code.isdigit()
    device = TOTPDevice.objects.get(user=ly_admin)
    assert mfa.is_demo_device(device)
    assert mfa.verify(device, code) is mfa.VerifyResult.OK
    # The next call gives the next usable code, not the spent one.
    device.refresh_from_db()
    again = run("demo_totp", "ly_admin").strip()
    assert again != code
    assert mfa.verify(device, again) is mfa.VerifyResult.OK


def test_demo_totp_for_a_user_without_a_demo_device(ly_admin: User) -> None:
    with pytest.raises(CommandError):
        run("demo_totp", "ly_admin")
    with pytest.raises(CommandError):
        run("demo_totp", "nobody")


def test_demo_keys_are_deterministic(ly_admin: User) -> None:
    services.demo_totp_enroll(user=ly_admin)
    services.demo_totp_enroll(user=ly_admin)  # idempotent
    device = TOTPDevice.objects.get(user=ly_admin)
    assert device.key == mfa.demo_key("ly_admin") != mfa.demo_key("yh_admin")


def test_disable_inactive_staff_command(luyang: Institution) -> None:
    old = make_staff(
        role=Role.REGISTRATION_REVIEWER, institution=luyang, last_login=clock.now() - timedelta(days=200)
    )
    out = run("disable_inactive_staff")
    assert "已停用 1 个" in out
    assert not User.objects.get(pk=old.pk).is_active
    assert AuditEvent.objects.filter(kind=AuditKind.STAFF_DISABLED_INACTIVE, object_id=str(old.pk)).exists()
