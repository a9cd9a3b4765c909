"""Every navigation entry of each kind of persona opens, in the shell, without a console
error and without sideways scrolling — the screenshots are the tour for visual review."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("username", ["prov_admin", "ly_admin", "ly_school", "audit_admin"])
def test_every_navigation_entry_opens(demo: None, page: Any, sign_in: Any, visit: Any, username: str) -> None:
    sign_in(page, username)

    links = page.eval_on_selector_all(
        ".jz-nav a.jz-nav-link", "els => els.map(e => [e.textContent.trim(), e.getAttribute('href')])"
    )
    assert links, f"{username} has navigation entries"
    for label, href in links:
        response = visit(page, href, f"{username}-{href.strip('/').replace('/', '-')}")
        assert response.status == 200, f"{label} ({href}) answered {response.status}"
        active = page.locator(".jz-nav-link.active")
        assert active.count() == 1, f"{label}: one highlighted entry"
        assert active.inner_text().strip() == label
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{label} scrolls sideways by {overflow}px"
