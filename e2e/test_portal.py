"""The portal wing's journeys: a county admin publishes an announcement with an
attachment; it appears on the portal and in no other county's admin list; the directory
lists an institution that filled its public info; the home page on a phone shows the
teacher's entry without opening the menu. Screenshots at 1366×900 and 390×844."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"
)
TITLE = "庐阳区2024年中小学教师资格定期注册现场受理安排"


def _no_horizontal_scroll(page: Any) -> bool:
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    )


def test_county_announcement_reaches_the_portal_and_no_other_county(
    demo: None, browser: Any, page: Any, phone_page: Any, sign_in: Any, visit: Any, shot: Any, tmp_path: Path
) -> None:
    attachment = tmp_path / "庐阳区受理点一览表.pdf"
    attachment.write_bytes(PDF)

    sign_in(page, "ly_admin")
    visit(page, reverse("announcements:list"), "staff-list")
    page.get_by_role("link", name="新建公告").click()
    page.wait_for_load_state("load")
    page.fill("input[name=title]", TITLE)
    page.select_option("select[name=category]", "registration")
    page.fill("input[name=source]", "依据皖教秘〔2024〕263号")
    page.fill(
        "textarea[name=body]",
        "各学校、各位教师：\n\n根据省教育厅通知要求，现将我区定期注册现场受理安排公告如下。\n\n"
        "受理时间：2024年9月13日至12月15日（工作日）。",
    )
    shot(page, "staff-new")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state("load")
    page.set_input_files("input[name=file]", str(attachment))
    page.get_by_role("button", name="上传附件").click()
    page.wait_for_load_state("load")
    assert "庐阳区受理点一览表.pdf" in page.locator("main").inner_text()
    shot(page, "staff-draft-with-attachment")
    page.get_by_role("button", name="发布", exact=True).click()
    page.wait_for_load_state("load")
    assert "已发布" in page.locator("main").inner_text()
    shot(page, "staff-published")

    # The public sees it, with its attachment, on a laptop and on a phone.
    public = page.context.browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN"
    ).new_page()
    visit(public, reverse("announcements_public:list"), "public-list")
    public.get_by_role("link", name=TITLE).click()
    public.wait_for_load_state("load")
    shot(public, "public-detail")
    assert "受理时间" in public.locator("main").inner_text()
    with public.expect_download() as download:
        public.get_by_role("link", name="庐阳区受理点一览表.pdf").click()
    assert download.value.suggested_filename == "庐阳区受理点一览表.pdf"
    public.context.close()

    visit(phone_page, reverse("announcements_public:list"), "public-list-phone")
    assert TITLE in phone_page.locator("main").inner_text()
    assert _no_horizontal_scroll(phone_page)
    phone_page.get_by_role("link", name=TITLE).click()
    phone_page.wait_for_load_state("load")
    shot(phone_page, "public-detail-phone")
    assert _no_horizontal_scroll(phone_page)

    # Another county's admin does not see it in its list.
    other = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
    sign_in(other, "yh_admin")
    visit(other, reverse("announcements:list"), "other-county-list")
    assert TITLE not in other.locator("main").inner_text()
    other.context.close()


def test_directory_lists_an_institution_that_filled_its_info(
    demo: None, page: Any, phone_page: Any, sign_in: Any, visit: Any, shot: Any
) -> None:
    sign_in(page, "ly_admin")
    visit(page, reverse("orgs:public_info"), "public-info-form")
    page.fill("input[name=address]", "合肥市庐阳区濉溪路296号政务服务中心三楼")
    page.fill("input[name=phone]", "0551-65697777")
    page.fill("input[name=office_hours]", "工作日 8:30-12:00，14:30-17:30")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("load")
    visit(page, reverse("directory:setup"), "setup-checklist")

    visit(phone_page, reverse("directory_public:list") + "?city=340100&county=340103", "directory-phone")
    text = phone_page.locator("main").inner_text()
    assert "濉溪路296号" in text
    assert "0551-65697777" in text
    assert _no_horizontal_scroll(phone_page)
    visit(page, reverse("directory_public:list") + "?city=340100", "directory-desktop")
    assert "濉溪路296号" in page.locator("main").inner_text()


def test_home_on_a_phone_shows_the_teacher_entry_without_the_menu(
    demo: None, phone_page: Any, page: Any, visit: Any, staff_prefix: str
) -> None:
    visit(page, "/", "home-desktop")
    assert "办理定期注册" in page.locator("main").inner_text()
    assert staff_prefix not in page.content()
    visit(phone_page, "/", "home-phone")
    assert not phone_page.locator("#jz-portal-menu").is_visible()
    assert phone_page.get_by_role("link", name="教师登录").is_visible()
    assert phone_page.get_by_role("link", name="办理定期注册").is_visible()
    assert _no_horizontal_scroll(phone_page)
    assert staff_prefix not in phone_page.content()
