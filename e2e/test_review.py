"""Journeys of the reviewer queue: a county registration reviewer (the demo's
``ly_reviewer``) signs in, opens the queue, opens an application, reveals the full ID
(audited), concludes it, then returns two others to the applicants in one batch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.registration.models import Application
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

PEOPLE: tuple[tuple[str, str, list[str]], ...] = (
    ("王晓明", "qualified", []),
    ("李秀英", "deferred", ["training_hours_short"]),
    ("张建国", "qualified", []),
    ("欧阳娜娜", "deferred", ["appraisal_basic", "appraisal_missing"]),
    ("陈静", "unqualified", ["ethics_failed"]),
)


@pytest.fixture
def campaign_open() -> Iterator[None]:
    """The live server runs in this process: moving the clock moves it there too."""
    cache.clear()
    with clock.travel(OPEN):
        yield
    cache.clear()


def waiting(c: Chain, name: str, suggestion: str, reasons: list[str], **fields: Any) -> Application:
    owner, cert = due_teacher(c.school, name=name)
    return application(
        c,
        status=Status.REGISTRATION_REVIEW,
        applicant=applicant_for(owner),
        certificate_=cert,
        suggestion=suggestion,
        suggestion_reasons=reasons,
        phone="13955550001",
        post="语文教师",
        address="合肥市庐阳区示例路1号",
        **fields,
    )


def _no_horizontal_scroll(page: Any) -> bool:
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    )


def test_county_reviewer_concludes_from_the_queue(
    demo: None, campaign_open: None, page: Any, sign_in: Any, visit: Any, shot: Any
) -> None:
    c = chain()  # a 庐阳区 school: its applications wait for the 庐阳区 bureau, ly_reviewer's
    apps = {
        name: waiting(
            c,
            name,
            suggestion,
            reasons,
            step_deadline=clock.now() + dt.timedelta(days=1 if name == "张建国" else 30),
        )
        for name, suggestion, reasons in PEOPLE
    }
    Application.objects.filter(pk=apps["陈静"].pk).update(step_deadline=clock.now() - dt.timedelta(days=2))

    sign_in(page, "ly_reviewer")
    page.locator(".jz-nav-link", has_text="审核队列").click()
    page.wait_for_load_state("load")
    shot(page, "queue")
    assert page.locator("h1").inner_text().strip() == "审核队列"
    table = page.locator("main table").inner_text()
    for name, *_rest in PEOPLE:
        assert name in table
    full_id = apps["王晓明"].teacher.resident_id
    assert full_id not in page.content()
    assert f"{full_id[:6]}********{full_id[-4:]}" in table
    assert "培训学时不足" in table
    assert page.locator("[data-count=overdue]").inner_text().strip() == "1"

    # Filters: the deferred suggestions only.
    page.select_option("#id_suggestion", "deferred")
    page.locator(".jz-filter-bar button[type=submit]").click()
    page.wait_for_load_state("load")
    shot(page, "queue-filtered")
    table = page.locator("main table").inner_text()
    assert "李秀英" in table
    assert "王晓明" not in table

    # The application, its records and the rules' explanation.
    page.get_by_role("link", name="重置").click()
    page.wait_for_load_state("load")
    page.locator("main table").get_by_role("link", name="王晓明").first.click()
    page.wait_for_load_state("load")
    shot(page, "detail")
    assert "王晓明 的定期注册申请" in page.locator("h1").inner_text()
    main = page.locator("main").inner_text()
    for expected in (
        "系统建议",
        "注册合格",
        "年度考核",
        "师德考核",
        "培训学时",
        "办理进度",
        "作出注册结论",
    ):
        assert expected in main, expected
    assert full_id not in page.content()

    # The audited reveal (htmx swaps the block in place).
    before = AuditEvent.objects.filter(kind=AuditKind.UNMASKED_VIEW).count()
    page.get_by_role("button", name="显示完整信息").click()
    page.locator("[data-testid=resident-id]", has_text=full_id).wait_for()
    shot(page, "detail-revealed")
    assert AuditEvent.objects.filter(kind=AuditKind.UNMASKED_VIEW).count() == before + 1

    # Conclude 注册合格 (the suggestion is preselected) with an opinion.
    form = page.locator("details[data-action=conclude] form")
    assert form.locator("input[name=conclusion][value=qualified]").is_checked()
    form.locator("textarea[name=reason]").fill("材料齐全，考核合格，同意注册。")
    shot(page, "detail-conclude-form")
    form.get_by_role("button").click()
    page.wait_for_load_state("load")
    shot(page, "queue-after-conclude")
    assert "已办理：王晓明" in page.locator(".jz-messages").inner_text()
    done = Application.objects.get(pk=apps["王晓明"].pk)
    assert done.status == Status.CONCLUDED
    assert done.conclusion == "qualified"
    assert "王晓明" in page.locator("main table").inner_text()  # concluded, still waiting for the notice

    # Batch: return two applications to the applicants with one coded reason.
    for name in ("张建国", "陈静"):
        page.locator(f"input[name=items][value^='{apps[name].pk}:']").check()
    assert "已选 2 件" in page.locator("[data-jz-selected-count]").inner_text()
    page.select_option("#jz-batch-action", "return_to_applicant")
    shot(page, "queue-batch-selected")
    page.locator("[data-jz-batch-submit]").click()
    page.wait_for_load_state("load")
    shot(page, "batch-confirm")
    assert page.locator("[data-count=ready]").inner_text().strip() == "2"
    page.select_option("#id_reason_code", "materials_missing")
    page.locator(f"#reason_{apps['陈静'].pk}").fill("请补充学校师德表现证明")
    page.get_by_role("button", name="确认执行（2 件）").click()
    page.wait_for_load_state("load")
    shot(page, "batch-result")
    assert page.locator("[data-count=succeeded]").inner_text().strip() == "2"
    assert Application.objects.get(pk=apps["陈静"].pk).status == Status.RETURNED

    # Select-all on the page, then the 已办 tab.
    page.get_by_role("link", name="返回队列").click()
    page.wait_for_load_state("load")
    page.locator("[data-jz-select-all]").check()
    checked = page.locator("input[name=items]:checked").count()
    assert checked == page.locator("input[name=items]").count() >= 2
    page.get_by_role("link", name="已办").click()
    page.wait_for_load_state("load")
    shot(page, "queue-done-tab")
    table = page.locator("main table").inner_text()
    assert "王晓明" in table
    assert "陈静" in table

    # Looking a person up by full resident ID: posted, never in the address bar.
    wanted = apps["李秀英"].teacher.resident_id
    search = page.locator("form.jz-id-search")
    search.locator("input[name=resident_id]").fill(wanted)
    search.get_by_role("button", name="查询").click()
    page.wait_for_load_state("load")
    shot(page, "queue-id-search")
    assert wanted not in page.url
    assert wanted not in page.content()
    table = page.locator("main table").inner_text()
    assert "李秀英" in table
    assert "王晓明" not in table


def test_queue_on_a_phone(demo: None, campaign_open: None, phone_page: Any, sign_in: Any, visit: Any) -> None:
    c = chain()
    for name, suggestion, reasons in PEOPLE[:3]:
        waiting(c, name, suggestion, reasons)
    sign_in(phone_page, "ly_reviewer")
    visit(phone_page, reverse("registration:queue"), "queue-phone")
    assert _no_horizontal_scroll(phone_page)
    assert "王晓明" in phone_page.locator("main table").inner_text()


def test_another_countys_application_is_not_found(
    demo: None, campaign_open: None, page: Any, sign_in: Any, visit: Any
) -> None:
    from jiaozi.registration.tests.test_queues import chain_in

    other = chain_in("340102")  # 瑶海区
    theirs = waiting(other, "赵四", "qualified", [])
    sign_in(page, "ly_reviewer")
    response = visit(
        page, reverse("registration:application_detail", args=[theirs.pk]), "other-county-detail"
    )
    assert response.status == 404
    assert "赵四" not in page.content()
