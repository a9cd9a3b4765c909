"""Journeys (b)–(d): staff sign-in, jurisdiction on staff detail pages, the phone layout."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from jiaozi.accounts.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _no_horizontal_scroll(page: Any) -> bool:
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    )


def test_reviewer_signs_in_and_sees_its_workspace(demo: None, page: Any, sign_in: Any, visit: Any) -> None:
    reviewer = User.objects.select_related("institution").get(username="ly_reviewer")
    assert reviewer.institution is not None

    sign_in(page, "ly_reviewer")

    visit(page, reverse("workspace:home"), "workspace-home")
    assert page.url.endswith(reverse("workspace:home"))
    assert page.locator("h1").inner_text().strip() == "工作台"
    welcome = page.locator(".jz-welcome").inner_text()
    assert reviewer.institution.name in welcome
    assert reviewer.real_name in welcome
    assert "注册审核员" in welcome
    assert page.locator(".jz-nav-link.active").inner_text().strip() == "工作台首页"


def test_county_admin_cannot_open_another_countys_staff(
    demo: None, page: Any, sign_in: Any, visit: Any
) -> None:
    other = User.objects.get(username="yh_reviewer")
    own = User.objects.get(username="ly_reviewer")

    sign_in(page, "ly_admin")

    response = visit(page, reverse("accounts:staff_detail", args=[other.pk]), "other-county-staff")
    assert response.status == 404
    assert "页面不存在" in page.locator("main").inner_text()
    assert other.real_name not in page.content()

    response = visit(page, reverse("accounts:staff_detail", args=[own.pk]), "own-county-staff")
    assert response.status == 200
    assert own.real_name in page.locator("main").inner_text()

    visit(page, reverse("accounts:staff_list"), "staff-list")
    listed = page.locator("main table").inner_text()
    assert own.real_name in listed
    assert other.real_name not in listed


def test_workspace_in_english(demo: None, page: Any, sign_in: Any, visit: Any) -> None:
    sign_in(page, "ly_admin")
    visit(page, reverse("workspace:home"), "workspace-zh")

    page.locator(".jz-topbar").get_by_role("button", name="English").click()
    page.wait_for_load_state("load")
    visit(page, reverse("workspace:home"), "workspace-en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Staff workspace" in page.locator(".jz-topbar").inner_text()
    assert page.locator(".jz-nav-link.active").inner_text().strip() == "Dashboard"


def test_phone_layout_collapses_the_navigation(
    demo: None, phone_page: Any, sign_in: Any, visit: Any, shot: Any
) -> None:
    page = phone_page
    visit(page, "/", "public-home-phone")
    assert _no_horizontal_scroll(page)
    assert not page.locator("#jz-portal-menu").is_visible()
    page.locator(".jz-portal-toggler").click()
    page.locator("#jz-portal-menu").wait_for(state="visible")
    shot(page, "public-menu-open")

    visit(page, reverse("portal:directory"), "directory-phone")
    assert _no_horizontal_scroll(page)

    sign_in(page, "ly_admin")
    visit(page, reverse("workspace:home"), "workspace-phone")
    assert _no_horizontal_scroll(page)
    sidebar = page.locator("#jz-sidebar")
    assert not sidebar.is_visible()
    assert page.locator(".jz-nav-toggle").is_visible()

    page.locator(".jz-nav-toggle").click()
    sidebar.wait_for(state="visible")
    page.wait_for_timeout(400)  # let the slide-in finish before the screenshot
    shot(page, "workspace-nav-open")
    assert sidebar.get_by_role("link", name="人员备案").is_visible()

    sidebar.get_by_role("link", name="人员备案").click()
    page.wait_for_load_state("load")
    shot(page, "staff-list-phone")
    assert _no_horizontal_scroll(page)
