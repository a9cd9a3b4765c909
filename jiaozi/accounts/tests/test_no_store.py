"""Staff pages are never cached (SECURITY 21): every answer behind ``staff_required`` —
the page, the 403, the redirects — carries ``Cache-Control: no-store``, including the
pages that did not ask for it themselves (the audit log, institutions, campaigns)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.roles import Role
from jiaozi.core.api.testing import session_client, staff_user
from jiaozi.orgs.tests.factories import PROVINCE, bureau

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "url_name", "status"),
    [
        (Role.AUDIT_ADMIN, "audit:event_list", 200),
        (Role.PROVINCE_ADMIN, "orgs:institution_list", 200),
        (Role.PROVINCE_ADMIN, "registration:campaign_list", 200),
        (Role.SECURITY_ADMIN, "audit:event_list", 403),
    ],
)
def test_staff_pages_are_no_store(role: str, url_name: str, status: int) -> None:
    browser = session_client(staff_user(bureau(PROVINCE), role))
    response = browser.get(reverse(url_name))
    assert response.status_code == status
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_sign_in_redirect_is_no_store() -> None:
    response = Client().get(reverse("audit:event_list"))
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
