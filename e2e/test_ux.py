"""What people meet (issue 9), in the browser at 1366×900 and 390×844: each role's main
pages — the public, the teacher, the school, the county, the city, the province and the
audit admin — screenshot and checked with axe-core (conftest's ``shot``: no serious or
critical violation); tables stack on a phone with status, conclusion and the action on
screen; the pre-check export button comes back after a download; a mistyped address
answers the Chinese 404 without a URL pattern."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.core import clock
from jiaozi.registration.models import Application
from jiaozi.registration.notices.services import notice_publish
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    Chain,
    applicant_for,
    application,
    chain,
    due_teacher,
)
from jiaozi.registration.workflow import Status

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAMES = ("王晓明", "李秀英", "张建国", "欧阳娜娜", "陈静", "刘洋")


@pytest.fixture
def campaign_open(tmp_path: Any) -> Iterator[None]:
    """The live server runs in this process: moving the clock moves it there too."""
    cache.clear()
    saved = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path
    with clock.travel(OPEN):
        yield
    settings.MEDIA_ROOT = saved
    cache.clear()


def _app(c: Chain, name: str, status: str, **fields: Any) -> Application:
    owner, cert = due_teacher(c.school, name=name)
    return application(c, status=status, applicant=applicant_for(owner), certificate_=cert, **fields)


@pytest.fixture
def walk(demo: None, campaign_open: None) -> dict[str, Any]:
    """A 庐阳区 school (the demo's ly_reviewer, hf_rechecker and prov_reviewer review it)
    with applications waiting at the county, the city (one concluded against the
    suggestion) and the province, and a public notice of three."""
    c = chain()
    waiting = [_app(c, NAMES[i], Status.REGISTRATION_REVIEW) for i in range(2)]
    _app(c, NAMES[2], Status.CITY_RECHECK)
    _app(c, NAMES[3], Status.CITY_RECHECK, conclusion="deferred", override_reason="经核实培训学时不足。")
    _app(c, NAMES[4], Status.PROVINCE_REVIEW)
    concluded = [_app(c, f"{NAMES[5]}{i}", Status.CONCLUDED) for i in range(3)]
    notice = notice_publish(
        actor=User.objects.get(username="ly_reviewer"), application_ids=[a.pk for a in concluded]
    )
    return {"chain": c, "waiting": waiting, "notice": notice}


def _no_horizontal_scroll(page: Any) -> bool:
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    )


def _pages(
    page: Any,
    size: str,
    walk: dict[str, Any],
    visit: Callable[..., Any],
    sign_in: Callable[[Any, str], None],
    live_server: Any,
) -> None:
    phone = size == "phone"
    # The public.
    visit(page, "/", f"{size}-public-home")
    visit(page, reverse("notices:list"), f"{size}-public-notices")
    visit(page, reverse("notices:detail", args=[walk["notice"].pk]), f"{size}-public-notice")
    main = page.locator("main").inner_text()
    assert "公示凭证" in main
    assert walk["notice"].list_sha256 not in main  # folded behind 公示凭证
    if phone:
        assert _no_horizontal_scroll(page)
        # Stacked rows: the objection link of the first entry is on screen.
        link = page.locator("main table tbody tr").first.get_by_role("link").last
        box = link.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= 390
    response = visit(page, "/no-such-page/", f"{size}-404")
    assert response.status == 404
    assert "页面不存在" in page.content()
    assert settings.STAFF_URL_PREFIX not in page.content()

    # The county: dashboard with the workload, the queue, one application.
    sign_in(page, "ly_reviewer")
    visit(page, reverse("workspace:home"), f"{size}-county-home")
    assert "待办定期注册申请" in page.locator("main").inner_text()
    visit(page, reverse("registration:queue"), f"{size}-county-queue")
    if phone:
        assert _no_horizontal_scroll(page)
        status = page.locator("main table tbody tr").first.locator("[data-status]").last
        box = status.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
    visit(
        page,
        reverse("registration:application_detail", args=[walk["waiting"][0].pk]),
        f"{size}-county-detail",
    )
    visit(page, reverse("registration:precheck"), f"{size}-county-precheck")
    page.context.clear_cookies()

    # The city: the conclusion under recheck, the departure filter.
    sign_in(page, "hf_rechecker")
    visit(page, reverse("registration:queue"), f"{size}-city-queue")
    text = page.locator("main").inner_text()
    assert "注册结论" in text
    assert "与系统建议不一致" in text
    visit(page, reverse("registration:queue") + "?mismatch=on", f"{size}-city-queue-mismatch")
    assert NAMES[2] not in page.locator("main table").inner_text()
    page.context.clear_cookies()

    # The province.
    sign_in(page, "prov_reviewer")
    visit(page, reverse("registration:queue"), f"{size}-province-queue")
    page.context.clear_cookies()

    # The audit admin: objects named, the institution chosen from a list.
    sign_in(page, "audit_admin")
    visit(page, reverse("audit:event_list"), f"{size}-audit")
    assert "registration.application" not in page.locator("main").inner_text()
    page.context.clear_cookies()

    # The teacher.
    visit(page, reverse("applicants:login"), f"{size}-teacher-login")
    page.fill("input[name=username]", "teacher_demo")
    page.fill("input[name=password]", "Jiaozi@2024")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("load")
    visit(page, reverse("applicants:home"), f"{size}-teacher-home")
    visit(page, reverse("applicants:link"), f"{size}-teacher-link")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_each_roles_main_pages(
    request: pytest.FixtureRequest,
    size: str,
    walk: dict[str, Any],
    visit: Callable[..., Any],
    sign_in: Callable[[Any, str], None],
    live_server: Any,
) -> None:
    page = request.getfixturevalue("page" if size == "desktop" else "phone_page")
    _pages(page, size, walk, visit, sign_in, live_server)


def test_the_export_button_comes_back_after_a_download(
    page: Any, walk: dict[str, Any], visit: Callable[..., Any], sign_in: Callable[[Any, str], None]
) -> None:
    sign_in(page, "ly_reviewer")
    visit(page, reverse("registration:precheck"), "precheck")
    page.fill("form[data-jz-download] input[name=purpose]", "核对本区应注册名单")
    button = page.locator("form[data-jz-download] button[type=submit]")
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename
    page.wait_for_timeout(3500)
    assert button.is_enabled()
    with page.expect_download() as again:
        button.click()
    assert again.value.suggested_filename


def test_in_english_the_queues_action_column_fits_at_1366(
    page: Any,
    walk: dict[str, Any],
    visit: Callable[..., Any],
    sign_in: Callable[[Any, str], None],
    live_server: Any,
) -> None:
    """English words are longer: the city queue (its widest, with 注册结论) still shows
    the action of every row inside 1366 px, without scrolling, and its dates in English."""
    sign_in(page, "hf_rechecker")
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])
    visit(page, reverse("registration:queue"), "desktop-city-queue-en")
    assert "Review queue" in page.locator("h1").inner_text()
    assert _no_horizontal_scroll(page)
    box_scrolls = page.evaluate(
        "() => Array.from(document.querySelectorAll('main .table-responsive'))"
        ".some(b => b.scrollWidth > b.clientWidth + 1)"
    )
    assert not box_scrolls, "the queue's table scrolls sideways at 1366 px"
    for row in page.locator("main table tbody tr").all():
        action = row.locator("td").last.get_by_role("link").first
        box = action.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= 1366
    assert "年" not in page.locator("main table").inner_text()
