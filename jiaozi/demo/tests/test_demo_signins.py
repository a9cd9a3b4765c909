"""demo_signins: the sign-in sheet of the demo personas, only in DEMO_MODE."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiaozi.accounts import services
from jiaozi.accounts.models import User
from jiaozi.accounts.tests.factories import make_applicant


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_demo_signins_lists_demo_personas(ly_admin: User, ly_reviewer: User, prov_admin: User) -> None:
    for user in (ly_admin, prov_admin):
        services.demo_totp_enroll(user=user)
    make_applicant(username="teacher_demo")
    # The shared staff fixtures may give a device of the demo's name: ly_reviewer has none here.
    TOTPDevice.objects.filter(user=ly_reviewer).delete()
    out = run("demo_signins")
    assert "Jiaozi@2024" in out
    assert "manage.py demo_totp <用户名>" in out
    assert "ly_admin" in out
    assert "prov_admin" in out
    assert "teacher_demo" in out
    assert "ly_reviewer" not in out  # no demo device: not a demo persona
    assert out.index("prov_admin") < out.index("ly_admin")  # province first
    assert "庐阳区教育局" in out
    assert "机构管理员" in out
    # Where the steps of a whole registration are written, and that the guide is there.
    guide = "docs/guide/demo-walkthrough.md"
    assert guide in out
    assert (Path(settings.BASE_DIR) / guide).is_file()


def test_demo_signins_refuses_outside_demo_mode(ly_admin: User, settings: Any) -> None:
    settings.DEMO_MODE = False
    with pytest.raises(CommandError):
        run("demo_signins")
