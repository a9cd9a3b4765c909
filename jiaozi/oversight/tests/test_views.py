"""The spot-check pages: draw, assign, record and revoke through the forms."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from jiaozi.certificates.models import CertificateStatus
from jiaozi.core import clock
from jiaozi.oversight.models import SpotCheck, SpotCheckItem
from jiaozi.registration.tests.factories_applications import OPEN, SYSTEM_CLOSED, application, chain
from jiaozi.registration.workflow import Status

pytestmark = pytest.mark.django_db


def test_the_province_draws_assigns_and_revokes_through_the_pages(signed_in: Any) -> None:
    with clock.travel(OPEN):
        c = chain("county")
        filed = application(c, status=Status.COMPLETED)
    client = signed_in(c.province_reviewer)
    with clock.travel(SYSTEM_CLOSED):
        page = client.get(reverse("oversight:spot_check_list"))
        assert page.status_code == 200
        assert "抽取样本" in page.content.decode()
        bad = client.post(
            reverse("oversight:spot_check_list"), {"campaign": c.campaign.pk, "title": "", "mode": "size"}
        )
        assert bad.status_code == 200
        assert not SpotCheck.objects.exists()
        drawn = client.post(
            reverse("oversight:spot_check_list"),
            {"campaign": c.campaign.pk, "title": "页面抽查", "mode": "size", "size": 1, "seed": "page"},
        )
        spot_check = SpotCheck.objects.get()
        assert drawn.url == reverse("oversight:spot_check_detail", args=[spot_check.pk])
        detail = client.get(drawn.url).content.decode()
        assert "page" in detail
        assert "样本完全一致" in detail
        item = spot_check.items.get()
        assert item.application_id == filed.pk
        assigned = client.post(
            drawn.url,
            {"form": "assign", "items": [item.pk], "assignee": c.city_rechecker.pk},  # type: ignore[union-attr]
        )
        assert assigned.status_code == 302
        item.refresh_from_db()
        assert item.assignee == c.city_rechecker
        url = reverse("oversight:item_detail", args=[item.pk])
        revoked = client.post(
            url,
            {
                "form": "revoke",
                "version": item.version,
                "target": "certificate",
                "reason": "以欺骗手段取得",
                "confirm": "on",
            },
        )
        assert revoked.status_code == 302
    item.refresh_from_db()
    assert item.outcome == SpotCheckItem.Outcome.CERTIFICATE_REVOKED
    filed.certificate.refresh_from_db()
    assert filed.certificate.status == CertificateStatus.REVOKED


def test_a_checker_records_a_finding_and_cannot_revoke(signed_in: Any) -> None:
    from jiaozi.oversight import spotchecks

    with clock.travel(OPEN):
        c = chain("county")
        application(c, status=Status.COMPLETED)
    with clock.travel(SYSTEM_CLOSED):
        spot_check = spotchecks.spot_check_draw(
            actor=c.province_reviewer, campaign_id=c.campaign.pk, title="t", mode="size", size=1
        )
        item = spot_check.items.get()
        assert c.city_rechecker is not None
        spotchecks.spot_check_assign(
            actor=c.province_reviewer,
            spot_check_id=spot_check.pk,
            item_ids=[item.pk],
            assignee_id=c.city_rechecker.pk,
        )
    with clock.travel(SYSTEM_CLOSED):
        item.refresh_from_db()
        client = signed_in(c.city_rechecker)
        url = reverse("oversight:item_detail", args=[item.pk])
        got = client.get(url)
        assert got.status_code == 200, got
        page = got.content.decode()
        assert "记录核查结果" in page
        assert "确认撤销" not in page
        client.post(
            url,
            {
                "form": "revoke",
                "version": item.version,
                "target": "certificate",
                "reason": "x",
                "confirm": "on",
            },
        )
        response = client.post(
            url, {"form": "finding", "version": item.version, "outcome": "confirmed", "finding": ""}
        )
        assert response.status_code == 302
    item.refresh_from_db()
    assert item.outcome == SpotCheckItem.Outcome.CONFIRMED
    assert item.application.certificate.status == CertificateStatus.VALID
