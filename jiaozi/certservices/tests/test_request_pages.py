"""The request pages: a holder asks for a reissue, the authority approves it from its
queue, the holder downloads the new paper; the overdue card; the province setting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.testing import sign_in
from jiaozi.core import clock
from jiaozi.core.ui.cards import cards_for
from jiaozi.orgs.models import Institution

from ..models import ServiceRequest
from ..workflow import RequestStatus
from .factories import holder_with_certificate, png_upload, request_of

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]


@pytest.fixture(autouse=True)
def _media(media_root: Path) -> None:
    return None


def test_holder_asks_officer_approves_holder_downloads(
    client: Client, luyang: Institution, ly_certifier: User
) -> None:
    user, certificate = holder_with_certificate(luyang)
    client.force_login(user)
    url = reverse("certservices_applicant:request_new", args=[certificate.pk, "reissue"])
    page = client.get(url).content.decode()
    assert "遗失声明" in page
    assert "20 个工作日" in page
    response = client.post(
        url,
        {
            "reason": "搬家时遗失。",
            "loss_notice_medium": "安徽日报",
            "loss_notice_date": "2026-11-20",
            "loss_notice": png_upload(),
        },
    )
    row = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("certservices_applicant:request_detail", args=[row.pk])

    signed_in_staff = sign_in(Client(), ly_certifier)
    queue = signed_in_staff.get(reverse("certservices:request_queue")).content.decode()
    assert certificate.number in queue
    detail = signed_in_staff.get(reverse("certservices:request_detail", args=[row.pk])).content.decode()
    assert 'data-action="approve"' in detail
    response = signed_in_staff.post(
        reverse("certservices:request_act", args=[row.pk]), {"action": "approve", "version": row.version}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == RequestStatus.APPROVED

    paper = client.get(reverse("certservices_applicant:request_paper", args=[row.pk]))
    assert paper.status_code == 200
    assert paper["Content-Type"] == "application/pdf"
    assert "attachment" in paper["Content-Disposition"]
    assert b"".join(paper.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    history = client.get(reverse("certservices_applicant:my_certificate_detail", args=[certificate.pk]))
    assert 'data-event="reissued"' in history.content.decode()


def test_invalid_submission_shows_the_field_error_and_writes_nothing(
    client: Client, luyang: Institution
) -> None:
    user, certificate = holder_with_certificate(luyang)
    client.force_login(user)
    response = client.post(
        reverse("certservices_applicant:request_new", args=[certificate.pk, "reissue"]),
        {"reason": "遗失", "loss_notice_medium": "", "loss_notice_date": "2026-11-20"},
    )
    assert response.status_code == 200
    assert "请填写刊登遗失声明的报刊或网站" in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_unknown_kind_is_404(client: Client, luyang: Institution) -> None:
    user, certificate = holder_with_certificate(luyang)
    client.force_login(user)
    assert (
        client.get(reverse("certservices_applicant:request_new", args=[certificate.pk, "other"])).status_code
        == 404
    )


def test_refusal_without_reason_is_shown_on_the_page(
    signed_in: SignIn, luyang: Institution, ly_certifier: User
) -> None:
    user, certificate = holder_with_certificate(luyang)
    row = request_of(user, certificate)
    response = signed_in(ly_certifier).post(
        reverse("certservices:request_act", args=[row.pk]), {"action": "reject", "version": 1, "reason": ""}
    )
    assert response.status_code == 200
    assert "请填写理由" in response.content.decode()
    row.refresh_from_db()
    assert row.status == RequestStatus.SUBMITTED


def test_overdue_requests_show_on_the_dashboard_and_in_the_queue(
    signed_in: SignIn, luyang: Institution, ly_certifier: User
) -> None:
    user, certificate = holder_with_certificate(luyang)
    row = request_of(user, certificate)
    late = dt.datetime.combine(row.due_on + dt.timedelta(days=2), dt.time(2), tzinfo=dt.UTC)
    with clock.travel(late):
        titles = [str(card.title) for card in cards_for(ly_certifier)]
        assert "证书业务已超期" in titles
        body = (
            signed_in(ly_certifier)
            .get(reverse("certservices:request_queue"), {"overdue": "1"})
            .content.decode()
        )
    assert 'data-overdue="1"' in body
    assert certificate.number in body


def test_province_admin_sets_the_deadline_on_its_page(signed_in: SignIn, prov_admin: User) -> None:
    client = signed_in(prov_admin)
    assert 'value="20"' in client.get(reverse("certservices:settings")).content.decode()
    response = client.post(
        reverse("certservices:settings"), {"processing_days": 15, "reminder_days": 3, "version": 0}
    )
    assert response.status_code == 302
    assert 'value="15"' in client.get(reverse("certservices:settings")).content.decode()
