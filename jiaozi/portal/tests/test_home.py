"""The portal's home page: this year's campaign and its entry, the latest announcements
of each level, the certification batch, and the teacher's own entry in the header."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.tests.factories import make_applicant
from jiaozi.announcements import services as announcements
from jiaozi.core import clock
from jiaozi.registration.tests.factories_applications import active_campaign

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
IN_APPLY = dt.datetime(2024, 9, 20, 10, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _campaign() -> Any:
    active_campaign()
    with clock.travel(IN_APPLY):
        yield


def publish(actor: Any, title: str, category: str = "general") -> Any:
    a = announcements.announcement_create(actor=actor, title=title, body="正文", category=category)
    return announcements.announcement_publish(actor=actor, pk=a.pk, version=1)


def test_home_shows_the_campaign_its_dates_and_the_entry(client: Client, prov_admin: Any) -> None:
    notice = publish(prov_admin, "关于做好2024年中小学教师资格定期注册工作的通知", "registration")
    body = client.get(reverse("portal:home")).content.decode()
    assert "2024年9月13日" in body  # 本人申请 opens
    assert "2024年12月15日 17:00" in body  # and closes
    assert "9月14日 — 9月25日 17:00" in body  # the certification batch's 网上申报, no leading zero
    assert "正在受理" in body
    assert "办理定期注册" in body
    assert f'href="{reverse("applicants:home")}"' in body
    assert reverse("announcements_public:detail", args=[notice.pk]) in body


def test_home_dates_follow_the_language(client: Client) -> None:
    body = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sept. 13, 2024" in body  # 本人申请 opens, in English
    assert "Dec. 15, 2024, 5 p.m." in body
    main = body.split("<main", 1)[1].split("</main>", 1)[0]
    assert not re.search(r"\d+月\d+日", main), "a date in Chinese on an English page"


def test_home_lists_the_latest_announcements_of_each_level(
    client: Client, prov_admin: Any, hf_admin: Any, ly_admin: Any
) -> None:
    publish(prov_admin, "省级：认定工作安排")
    publish(hf_admin, "市级：合肥市受理安排")
    publish(ly_admin, "县级：庐阳区受理地点")
    draft = announcements.announcement_create(actor=ly_admin, title="县级草稿不应出现", body="正文")
    response = client.get(reverse("portal:home"))
    columns = {c.level: [a.title for a in c.items] for c in response.context["columns"]}
    assert columns == {
        "province": ["省级：认定工作安排"],
        "city": ["市级：合肥市受理安排"],
        "county": ["县级：庐阳区受理地点"],
    }
    assert draft.title not in response.content.decode()


def test_home_shows_the_certification_batch(client: Client) -> None:
    response = client.get(reverse("portal:home"))
    batches = response.context["batches"]
    assert batches, "the Anhui 2024 batch is announced by 2024-09-13"
    assert batches[0].name in response.content.decode()
    assert batches[0].link in response.content.decode()


def test_anonymous_header_offers_sign_in_and_sign_up(client: Client) -> None:
    body = client.get(reverse("portal:home")).content.decode()
    assert "教师登录" in body
    assert "实名注册" in body
    assert "我的申请" not in body


def test_signed_in_teacher_sees_their_own_entry(client: Client) -> None:
    client.force_login(make_applicant())
    body = client.get(reverse("portal:home")).content.decode()
    assert "我的申请" in body
    assert "退出" in body
    assert "教师登录" not in body
    assert "实名注册" not in body
    # The entry is outside the collapsed menu, so a phone shows it without opening it.
    header = body[body.index("jz-portal-nav") : body.index('id="jz-portal-menu"')]
    assert "我的申请" in header


@pytest.mark.parametrize(
    "name", ["portal:home", "announcements_public:list", "directory_public:list", "notices:list"]
)
def test_no_public_page_names_the_staff_entrance(client: Client, name: str, ly_admin: Any) -> None:
    publish(ly_admin, "庐阳区公告")
    client.force_login(make_applicant())
    body = client.get(reverse(name)).content.decode()
    assert settings.STAFF_URL_PREFIX not in body
