"""Journeys of the public notice (公示): a public visitor opens a notice and files an
objection; a county registration reviewer publishes a notice, resolves the objection,
and the notice ends by the scheduled job."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from jiaozi.core import clock
from jiaozi.registration import notices
from jiaozi.registration.models import Application, Notice, Objection
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    Chain,
    applicant_for,
    application,
    chain,
    due_teacher,
)
from jiaozi.registration.workflow import Status
from jiaozi.teachers.models import Teacher

# Transactional (the live server reads what the test writes). The factories need the
# migrations' Anhui 2024 campaign: the shared _reference_data fixture reloads it after an
# earlier test's flush.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAMES = ("张三丰", "欧阳娜娜", "李小龙")


@pytest.fixture
def campaign_open() -> Iterator[None]:
    """The live server runs in this process: moving the clock moves it there too."""
    cache.clear()
    with clock.travel(OPEN):
        yield
    cache.clear()


def concluded(c: Chain, name: str, conclusion: str = "qualified") -> Application:
    owner, cert = due_teacher(c.school, name=name)
    return application(
        c, status=Status.CONCLUDED, applicant=applicant_for(owner), certificate_=cert, conclusion=conclusion
    )


def _no_horizontal_scroll(page: Any) -> bool:
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    )


def test_a_public_visitor_opens_a_notice_and_files_an_objection(
    campaign_open: None, live_server: Any, page: Any, phone_page: Any, visit: Any, shot: Any
) -> None:
    c = chain()
    apps = [concluded(c, NAMES[0]), concluded(c, NAMES[1], "deferred"), concluded(c, NAMES[2])]
    notice = notices.notice_publish(actor=c.registration_reviewer, application_ids=[a.pk for a in apps])
    target = apps[1]

    visit(page, "/", "home")
    page.get_by_role("link", name="注册结果公示").first.click()
    page.wait_for_load_state("load")
    shot(page, "notice-list")
    assert page.locator("h1").inner_text().strip() == "注册结果公示"

    page.get_by_role("link", name=notice.title).click()
    page.wait_for_load_state("load")
    shot(page, "notice-detail")
    assert page.locator("h1").inner_text().strip() == notice.title
    table = page.locator("main table").inner_text()
    assert "张**" in table
    assert "欧***" in table
    assert "暂缓注册" in table
    content = page.content()
    for name in NAMES:
        assert name not in content
    for teacher in Teacher.objects.filter(pk__in=[a.teacher_id for a in apps]):
        assert teacher.resident_id not in content
    # The proof is folded behind 公示凭证 (issue 9, item 13): read it without opening.
    assert notice.list_sha256 in (page.locator("[data-sha256]").text_content() or "")

    page.locator("tr[data-entry='2']").get_by_role("link", name="提出异议").click()
    page.wait_for_load_state("load")
    shot(page, "objection-form")
    assert "欧***" in page.locator("main").inner_text()
    assert page.locator("select[name=entry]").input_value() == "2"

    # Forgetting the contact: the form says what is missing and nothing is filed.
    page.fill("textarea[name=content]", "该教师2021年度考核不合格，不应作出暂缓注册以外的结论，请核查。")
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_load_state("load")
    shot(page, "objection-missing-contact")
    assert page.locator(".jz-form-errors").is_visible()
    assert not Objection.objects.exists()

    page.get_by_label("匿名").check()
    page.fill("input[name=contact]", "reporter@example.com")
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_load_state("load")
    shot(page, "objection-filed")
    assert "您的异议已提交" in page.locator("main").inner_text()
    assert page.url.endswith(reverse("notices:detail", args=[notice.pk]))

    target.refresh_from_db()
    assert target.status == Status.NOTICE_PAUSED
    filed = Objection.objects.get()
    assert filed.anonymous is True
    assert filed.application_id == target.pk

    # The same pages on a phone: readable, nothing wider than the screen.
    phone_page.goto(live_server.url + reverse("notices:detail", args=[notice.pk]))
    phone_page.wait_for_load_state("load")
    shot(phone_page, "phone-notice-detail")
    assert _no_horizontal_scroll(phone_page)
    phone_page.goto(live_server.url + reverse("notices:object", args=[notice.pk]) + "?entry=1")
    phone_page.wait_for_load_state("load")
    shot(phone_page, "phone-objection-form")
    assert _no_horizontal_scroll(phone_page)


def test_after_the_period_the_notice_is_closed_to_objections(
    campaign_open: None, live_server: Any, page: Any, visit: Any
) -> None:
    c = chain()
    app = concluded(c, NAMES[0])
    notice = notices.notice_publish(actor=c.registration_reviewer, application_ids=[app.pk])

    with clock.travel(notice.ends_at + dt.timedelta(minutes=1)):
        call_command("run_due_jobs", stdout=StringIO())
        visit(page, reverse("notices:detail", args=[notice.pk]), "ended-notice")
        assert "公示期已结束" in page.locator("main").inner_text()
        assert page.get_by_role("link", name="提出异议").count() == 0
        visit(page, reverse("notices:object", args=[notice.pk]), "ended-objection-form")
        assert "公示期已结束，不再受理异议" in page.locator("main").inner_text()

    assert Application.objects.get(pk=app.pk).status == Status.CITY_RECHECK
    assert Notice.objects.get(pk=notice.pk).state == Notice.State.CLOSED


def test_a_reviewer_publishes_a_notice_and_dismisses_an_objection(
    campaign_open: None, demo: None, live_server: Any, page: Any, sign_in: Any, visit: Any, shot: Any
) -> None:
    c = chain()  # a 庐阳区 school: the demo's ly_reviewer is its registration reviewer
    keep, later = concluded(c, NAMES[0]), concluded(c, NAMES[2])
    page.on("dialog", lambda dialog: dialog.accept())

    sign_in(page, "ly_reviewer")
    visit(page, reverse("registration:notice_list"), "staff-notice-list-empty")
    page.get_by_role("link", name="发布公示").first.click()
    page.wait_for_load_state("load")
    shot(page, "staff-publish-choose")
    page.uncheck(f"#app-{later.pk}")
    # The period is the campaign's (§5), shown and not editable.
    assert page.locator("input[name=days]").is_disabled()
    assert page.input_value("input[name=days]") == "7"
    page.get_by_role("button", name="预览公示名单").click()
    page.wait_for_load_state("load")
    shot(page, "staff-publish-preview")
    preview = page.locator("main table").inner_text()
    assert "张**" in preview
    assert "李**" not in preview

    page.get_by_role("button", name="确认发布").click()
    page.wait_for_load_state("load")
    shot(page, "staff-notice-detail")
    notice = Notice.objects.get()
    assert page.url.endswith(reverse("registration:notice_detail", args=[notice.pk]))
    assert "名单摘要校验一致" in page.locator("main").inner_text()
    assert Application.objects.get(pk=keep.pk).status == Status.NOTICE
    assert Application.objects.get(pk=later.pk).status == Status.CONCLUDED

    notices.objection_submit(
        notice_id=notice.pk,
        application_id=keep.pk,
        anonymous=False,
        name="李四",
        contact="13800138000",
        content="该教师近五年有一年未参加年度考核，与公示结论不符。",
        ip="203.0.113.7",
    )

    visit(page, reverse("registration:objection_list") + "?state=open", "staff-objection-list")
    page.get_by_role("link", name="处理").first.click()
    page.wait_for_load_state("load")
    shot(page, "staff-objection-resolve")
    assert "138****8000" in page.locator("main").inner_text()
    page.get_by_role("button", name="查看完整联系方式").click()
    page.wait_for_load_state("load")
    shot(page, "staff-objection-contact-revealed")
    assert "13800138000" in page.locator("main").inner_text()

    page.get_by_label("异议不成立，继续公示").check()
    page.fill("textarea[name=resolution]", "经核查，该教师五年年度考核结果齐全，异议不成立。")
    page.get_by_role("button", name="提交处理决定").click()
    page.wait_for_load_state("load")
    shot(page, "staff-objection-resolved")
    assert "已认定异议不成立" in page.locator("main").inner_text()
    assert Application.objects.get(pk=keep.pk).status == Status.NOTICE
    assert Objection.objects.get().state == Objection.State.DISMISSED
