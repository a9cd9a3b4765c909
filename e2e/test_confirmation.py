"""Journey: a certifying authority's admin defines an opening day with slots at its
confirmation point; an applicant books a slot and gets the QR check-in code; on the day
the confirmation user checks the applicant in by typing the code — then the day's list on
a phone. The record booked is one of a reference source registered by the test (the
journey needs no certification application)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.confirmation.models import Booking, ConfirmationPoint, TimeSlot
from jiaozi.confirmation.testing import MemoryReferences
from jiaozi.core import clock
from jiaozi.orgs.models import Institution

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "Jiaozi@2024"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def source() -> Iterator[MemoryReferences]:
    refs = MemoryReferences.install("e2e")
    yield refs
    refs.uninstall()


def _no_horizontal_scroll(page: Any) -> bool:
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    )


def test_admin_defines_a_slot_an_applicant_books_it_and_is_checked_in(
    demo: None,
    source: MemoryReferences,
    page: Any,
    phone_page: Any,
    sign_in: Any,
    visit: Any,
    shot: Any,
    live_server: Any,
) -> None:
    point = ConfirmationPoint.objects.select_related("institution").get(institution__code="340103QR01")
    day = clock.today() + dt.timedelta(days=30)

    # 1. The 庐阳区 admin adds an opening day and two one-hour slots of 2 places.
    sign_in(page, "ly_admin")
    visit(page, reverse("confirmation:point_list"), "points")
    page.get_by_role("link", name=point.institution.name).click()
    page.wait_for_load_state("load")
    shot(page, "point")
    add_day = page.locator("form[action$='/days/']")
    add_day.locator("input[name=date]").fill(day.isoformat())
    add_day.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    shot(page, "day-added")
    section = page.locator("section[id^='day-']", has_text=f"{day.year}年{day.month}月{day.day}日")
    section.locator("summary").click()
    section.locator("form[action$='/slots/'] input[name=starts_at]").fill("09:00")
    section.locator("form[action$='/slots/'] input[name=ends_at]").fill("11:00")
    section.locator("form[action$='/slots/'] input[name=capacity]").fill("2")
    section.locator("form[action$='/slots/'] input[name=every_minutes]").fill("60")
    section.locator("form[action$='/slots/'] button[type=submit]").click()
    page.wait_for_load_state("load")
    shot(page, "slots-added")
    assert "已添加 2 个时段" in page.locator("main").inner_text()
    slot = TimeSlot.objects.get(point=point, date=day, starts_at=dt.time(9))
    assert slot.capacity == 2

    # 2. The applicant books the 09:00 slot for a record at 庐阳区 and sees the QR code.
    teacher = User.objects.get(username="teacher_demo")
    luyang = Institution.objects.get(kind="bureau", code="340103")
    ref = source.add(applicant=teacher, authority=luyang, label="认定申请 浏览器测试")
    applicant = page.context.browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN"
    ).new_page()
    applicant.goto(live_server.url + reverse("applicants:login"))
    applicant.fill("input[name=username]", "teacher_demo")
    applicant.fill("input[name=password]", DEMO_PASSWORD)
    applicant.locator("main form button[type=submit]").first.click()
    applicant.wait_for_load_state("load")
    visit(applicant, reverse("confirmation_applicant:booking_list"), "applicant-bookings")
    applicant.get_by_role("link", name="预约现场确认").first.click()
    applicant.wait_for_load_state("load")
    shot(applicant, "applicant-choose")
    applicant.locator(f"label[for=slot-{slot.pk}]").click()
    applicant.get_by_role("button", name="确认预约").click()
    applicant.wait_for_load_state("load")
    shot(applicant, "applicant-booked")
    assert "预约成功" in applicant.locator("main").inner_text()
    assert applicant.locator("img[alt='签到二维码']").evaluate("img => img.naturalWidth > 0")
    code = applicant.locator("[data-code]").inner_text().strip()
    booking = Booking.objects.get(reference_kind="e2e", reference_id=ref.id)
    assert booking.slot_id == slot.pk
    applicant.context.close()

    # 3. On the day, the confirmation user types the code in the day's list.
    with clock.travel(dt.datetime.combine(day, dt.time(9, 10), tzinfo=SHANGHAI)):
        clerk = page.context.browser.new_context(
            viewport={"width": 1366, "height": 900}, locale="zh-CN"
        ).new_page()
        sign_in(clerk, "ly_confirm")
        visit(clerk, reverse("confirmation:day_list"), "day-list")
        assert "认定申请 浏览器测试" in clerk.locator("main table").inner_text()
        clerk.fill("input[name=code]", code.replace("-", "").lower())
        clerk.get_by_role("region", name="扫码签到").get_by_role("button").click()
        clerk.wait_for_load_state("load")
        shot(clerk, "checked-in")
        assert "已签到" in clerk.locator("main").inner_text()
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CHECKED_IN

        # 4. The same list on a phone.
        sign_in(phone_page, "ly_confirm")
        visit(phone_page, reverse("confirmation:day_list"), "day-list-phone")
        assert _no_horizontal_scroll(phone_page)
        clerk.context.close()
