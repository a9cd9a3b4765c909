"""Journey (a): the public portal in Chinese and English, with no way into the staff entrance."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_public_home_in_chinese_without_staff_links(page: Any, visit: Any, staff_prefix: str) -> None:
    response = visit(page, "/", "home-zh")

    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "教师资格" in page.locator("h1").first.inner_text()
    assert page.get_by_role("link", name="注册机构联系方式").first.is_visible()
    hrefs = page.eval_on_selector_all("a[href], form[action]", "els => els.map(e => e.href || e.action)")
    assert hrefs, "the home page has links"
    assert not [h for h in hrefs if staff_prefix in h]
    assert staff_prefix not in page.content()


def test_language_switch_to_english_and_back(page: Any, visit: Any) -> None:
    visit(page, "/", "home-zh")

    page.get_by_role("button", name="English").first.click()
    page.wait_for_load_state("load")
    visit(page, "/", "home-en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Teacher Qualification Management Information System" in page.locator("header").first.inner_text()
    assert "教师资格管理信息系统" not in page.locator("header").first.inner_text()

    page.get_by_role("button", name="中文").first.click()
    page.wait_for_load_state("load")
    assert "教师资格管理信息系统" in page.locator("header").first.inner_text()


def test_public_pages_and_directory(page: Any, visit: Any, staff_prefix: str, divisions: None) -> None:
    for path, name, heading in [
        ("/announcements/", "announcements", "通知公告"),
        ("/notices/", "notices", "注册结果公示"),
        ("/directory/", "directory", "注册机构联系方式"),
    ]:
        response = visit(page, path, name)
        assert response.status == 200
        assert heading in page.locator("h1").inner_text()
        assert staff_prefix not in page.content()

    page.select_option("select[name=city]", label="合肥市")
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state("load")
    visit(page, page.url.split(page.url.split("/directory/")[0], 1)[1], "directory-hefei")
    cards = page.locator(".jz-dir-card")
    assert cards.count() > 0
    assert all("合肥市" in text for text in cards.all_inner_texts())


def test_error_page_is_chinese_without_traceback(page: Any, visit: Any) -> None:
    response = visit(page, "/no-such-page/", "404")

    assert response.status == 404
    assert "页面不存在" in page.locator("h1").inner_text()
    assert "Traceback" not in page.content()
