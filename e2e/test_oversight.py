"""Journey of the province's spot check (抽查): a province reviewer draws a sample with a
recorded seed, sees that the seed reproduces it, revokes the sampled certificate, and the
public verification shows the revocation at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from jiaozi.certificates.models import CertificateStatus
from jiaozi.core import clock
from jiaozi.oversight.models import SpotCheck, SpotCheckItem
from jiaozi.registration.tests.factories_applications import OPEN, application, chain
from jiaozi.registration.workflow import Status

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def campaign_open() -> Iterator[None]:
    cache.clear()
    with clock.travel(OPEN):
        yield
    cache.clear()


def test_a_spot_check_ends_in_a_revocation_the_public_verification_shows(
    campaign_open: None, demo: None, live_server: Any, page: Any, sign_in: Any, visit: Any, shot: Any
) -> None:
    c = chain()  # the demo's prov_reviewer reviews at the province bureau of this chain
    filed = application(c, status=Status.COMPLETED, completed_at=OPEN - dt.timedelta(days=1))
    sign_in(page, "prov_reviewer")
    visit(page, reverse("oversight:spot_check_list"), "spot-check-list")
    page.select_option("select[name=campaign]", str(c.campaign.pk))
    page.fill("input[name=title]", "2024年定期注册省级抽查")
    page.select_option("select[name=mode]", "size")
    page.fill("input[name=size]", "1")
    page.fill("input[name=seed]", "e2e-2024")
    page.get_by_test_id("draw").click()
    page.wait_for_load_state("load")
    shot(page, "spot-check-detail")
    spot_check = SpotCheck.objects.get()
    assert page.get_by_test_id("seed").inner_text() == "e2e-2024"
    assert "样本完全一致" in page.get_by_test_id("redraw").inner_text()
    item = spot_check.items.get()
    assert item.application_id == filed.pk

    visit(page, reverse("oversight:item_detail", args=[item.pk]), "spot-check-item")
    page.select_option("select[name=target]", "certificate")
    page.fill("textarea[name=reason]", "经核查，以提供虚假材料取得教师资格。")
    page.get_by_label("我已核实，确认撤销（撤销后公开核验立即显示）").check()
    page.get_by_test_id("revoke").click()
    page.wait_for_load_state("load")
    shot(page, "spot-check-item-revoked")
    assert page.get_by_test_id("certificate-status").inner_text() == "撤销"
    item.refresh_from_db()
    assert item.outcome == SpotCheckItem.Outcome.CERTIFICATE_REVOKED
    filed.certificate.refresh_from_db()
    assert filed.certificate.status == CertificateStatus.REVOKED

    visit(page, reverse("certificates:verify_lookup"), "verify-lookup")
    page.fill("input[name=certificate_number]", filed.certificate.number)
    page.fill("input[name=name]", c.teacher.name)
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state("load")
    shot(page, "verify-revoked")
    assert "撤销" in page.locator("main").inner_text()
