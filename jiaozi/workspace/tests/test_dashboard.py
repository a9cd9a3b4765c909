"""The dashboard's registration card follows the active campaign and the role's window."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import StaffFactory
from jiaozi.core import clock
from jiaozi.orgs.tests.factories import LUYANG, PROVINCE, bureau
from jiaozi.registration.models import Campaign
from jiaozi.registration.tests.factories import campaign
from jiaozi.workspace.dashboard import tasks_for

SHANGHAI = ZoneInfo("Asia/Shanghai")


def staff(role: str, code: str = LUYANG) -> User:
    return cast(User, StaffFactory(role=role, institution=bureau(code)))


@pytest.fixture
def no_campaign(db: Any) -> None:
    Campaign.objects.update(is_active=False)


@pytest.fixture
def open_campaign(no_campaign: None) -> Campaign:
    return campaign(is_active=True, year=2031)


@pytest.mark.usefixtures("no_campaign")
def test_without_an_active_campaign_registration_is_not_open() -> None:
    card = tasks_for(staff(Role.REGISTRATION_REVIEWER))[0]

    assert card.title == "定期注册工作尚未开放"
    assert card.status == "scheduled"


@pytest.mark.parametrize(
    ("when", "status"),
    [
        (dt.datetime(2031, 8, 1, 9, tzinfo=SHANGHAI), "scheduled"),
        (dt.datetime(2031, 10, 8, 9, tzinfo=SHANGHAI), "open"),
        (dt.datetime(2031, 12, 20, 9, tzinfo=SHANGHAI), "closed"),
    ],
)
def test_reviewer_card_follows_the_review_window(
    open_campaign: Campaign, when: dt.datetime, status: str
) -> None:
    reviewer = staff(Role.REGISTRATION_REVIEWER)

    with clock.travel(when):
        card = tasks_for(reviewer)[0]

    # The reviewer's card counts the queue (issue 9, item 12) and says the window.
    assert str(card.title) == "待办定期注册申请：0 件"
    assert card.url == reverse("registration:queue")
    assert card.status == status
    assert "县级审核时间" in str(card.text)


def test_confirmation_user_gets_the_certification_card(db: Any) -> None:
    user = cast(User, StaffFactory(role=Role.CONFIRMATION_USER, institution=bureau(LUYANG)))

    assert "认定现场确认" in [str(card.title) for card in tasks_for(user)]


def test_admin_card_tells_whether_public_info_is_published(no_campaign: None) -> None:
    admin = staff(Role.PROVINCE_ADMIN, PROVINCE)
    assert tasks_for(admin)[-1].status == "pending"

    institution = admin.institution
    assert institution is not None
    institution.address, institution.phone, institution.office_hours = "合肥市", "0551-62831234", "工作日"
    institution.save()
    assert tasks_for(admin)[-1].status == "done"


def test_audit_admin_sees_no_registration_work(no_campaign: None) -> None:
    titles = [str(card.title) for card in tasks_for(staff(Role.AUDIT_ADMIN, PROVINCE))]

    assert titles == ["审计日志"]
