"""One clock (issue 9, item 10): 注册时间, 最近登录, 上传于 and every ``auto_now`` column
follow ``core.clock`` — the demo's date — as the workflow dates do."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from jiaozi.accounts.models import User
from jiaozi.core import clock, idcard

pytestmark = pytest.mark.django_db

DEMO_DAY = dt.datetime(2024, 10, 15, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


def new_user(username: str) -> User:
    """Made as sign-up makes one (no factory filling the dates in)."""
    return User.objects.create_user(
        username=username,
        password=None,
        kind=User.Kind.APPLICANT,
        real_name="钟表",
        resident_id=idcard.make("34010319800101123"),
        phone="13700009999",
    )


def local_day(value: dt.datetime | None) -> dt.date | None:
    return value.astimezone(ZoneInfo("Asia/Shanghai")).date() if value else None


def test_account_creation_and_sign_in_follow_the_clock() -> None:
    with clock.travel(DEMO_DAY):
        user = new_user("clock_applicant")
        assert local_day(user.date_joined) == DEMO_DAY.date()
        client = Client()
        client.force_login(user)
    user = User.objects.get(pk=user.pk)
    assert local_day(user.last_login) == DEMO_DAY.date()


def test_auto_now_columns_follow_the_clock() -> None:
    from jiaozi.certificates.models import Certificate  # a TimeStampedModel
    from jiaozi.orgs.tests.factories import LUYANG, school
    from jiaozi.registration.tests.factories import certificate, teacher

    with clock.travel(DEMO_DAY):
        cert = certificate(teacher(school=school("3401037777", LUYANG)))
    cert = Certificate.objects.get(pk=cert.pk)
    assert local_day(cert.created_at) == DEMO_DAY.date()
    assert local_day(cert.updated_at) == DEMO_DAY.date()


def test_the_settings_offset_moves_every_stamp(settings: object) -> None:
    settings.JIAOZI_CLOCK_OFFSET_DAYS = -1000  # type: ignore[attr-defined]
    user = new_user("offset_applicant")
    assert local_day(user.date_joined) == clock.today()
    assert clock.today() < dt.datetime.now(tz=ZoneInfo("Asia/Shanghai")).date() - dt.timedelta(days=900)


def test_travel_is_absolute_whatever_the_offset(settings: object) -> None:
    settings.JIAOZI_CLOCK_OFFSET_DAYS = 123  # type: ignore[attr-defined]
    with clock.travel(DEMO_DAY):
        assert clock.today() == DEMO_DAY.date()


def test_travels_that_end_out_of_order_leave_the_clock_unmoved() -> None:
    """Threads racing inside their own travels end them in any order: the clock returns
    to the machine's time once every travel is over."""
    before = clock.now()
    first = clock.travel(DEMO_DAY)
    second = clock.travel(DEMO_DAY + dt.timedelta(days=1))
    first.__enter__()
    second.__enter__()
    assert clock.today() == (DEMO_DAY + dt.timedelta(days=1)).date()
    first.__exit__(None, None, None)
    assert clock.today() == (DEMO_DAY + dt.timedelta(days=1)).date()
    second.__exit__(None, None, None)
    assert abs(clock.now() - before) < dt.timedelta(minutes=5)
