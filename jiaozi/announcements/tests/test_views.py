"""The staff pages and the portal's pages of announcements, and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from jiaozi.announcements import services
from jiaozi.announcements.models import Announcement, Status
from jiaozi.core import clock

from .helpers import pdf_bytes, upload

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2024, 9, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with clock.travel(NOW):
        yield


def test_county_admin_drafts_uploads_and_publishes_through_the_pages(
    ly_admin: Any, signed_in: Any, media_root: Any, client: Any
) -> None:
    staff = signed_in(ly_admin)
    response = staff.post(
        reverse("announcements:create"),
        {
            "title": "庐阳区2024年定期注册受理安排",
            "category": "registration",
            "body": "受理地点：区政务中心。",
            "source": "",
        },
    )
    announcement = Announcement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("announcements:detail", args=[announcement.pk])
    response = staff.post(
        reverse("announcements:attachment_add", args=[announcement.pk]),
        {"file": upload("受理点.pdf", pdf_bytes())},
    )
    assert response.status_code == 302
    response = staff.post(
        reverse("announcements:publish", args=[announcement.pk]), {"version": 1, "publish_at": ""}
    )
    assert response.status_code == 302
    announcement.refresh_from_db()
    assert announcement.status == Status.PUBLISHED
    staff.logout()

    listing = client.get(reverse("announcements_public:list"))
    assert "庐阳区2024年定期注册受理安排" in listing.content.decode()
    detail = client.get(reverse("announcements_public:detail", args=[announcement.pk]))
    page = detail.content.decode()
    assert "受理点.pdf" in page
    assert "区政务中心" in page
    attachment = announcement.attachments.get()
    download = client.get(reverse("announcements_public:attachment", args=[announcement.pk, attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf_bytes()
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download["Content-Disposition"]


def test_public_pages_hide_drafts_and_withdrawn(ly_admin: Any, client: Any, media_root: Any) -> None:
    announcement = services.announcement_create(actor=ly_admin, title="草稿公告", body="正文")
    attachment = services.attachment_add(
        actor=ly_admin, announcement_id=announcement.pk, file=upload("a.pdf", pdf_bytes())
    )
    assert client.get(reverse("announcements_public:detail", args=[announcement.pk])).status_code == 404
    assert (
        client.get(
            reverse("announcements_public:attachment", args=[announcement.pk, attachment.pk])
        ).status_code
        == 404
    )
    assert "草稿公告" not in client.get(reverse("announcements_public:list")).content.decode()


def test_publish_form_errors_are_shown_on_the_page(ly_admin: Any, signed_in: Any) -> None:
    announcement = services.announcement_create(actor=ly_admin, title="公告", body="正文")
    staff = signed_in(ly_admin)
    response = staff.post(
        reverse("announcements:publish", args=[announcement.pk]),
        {"version": 1, "publish_at": "2024-09-01T08:00"},
    )
    assert response.status_code == 400
    assert "发布时间不能早于现在" in response.content.decode()
    announcement.refresh_from_db()
    assert announcement.status == Status.DRAFT


def test_other_countys_admin_list_does_not_show_it(ly_admin: Any, yh_admin: Any, signed_in: Any) -> None:
    announcement = services.announcement_create(actor=ly_admin, title="庐阳区专用公告", body="正文")
    services.announcement_publish(actor=ly_admin, pk=announcement.pk, version=1)
    staff = signed_in(yh_admin)
    assert "庐阳区专用公告" not in staff.get(reverse("announcements:list")).content.decode()
    assert staff.get(reverse("announcements:detail", args=[announcement.pk])).status_code == 404


def test_public_list_pages_and_filters(prov_admin: Any, ly_admin: Any, client: Any) -> None:
    for i in range(17):
        a = services.announcement_create(actor=prov_admin, title=f"省级公告{i:02d}", body="正文")
        services.announcement_publish(actor=prov_admin, pk=a.pk, version=1)
    a = services.announcement_create(actor=ly_admin, title="县级公告", body="正文")
    services.announcement_publish(actor=ly_admin, pk=a.pk, version=1)
    first = client.get(reverse("announcements_public:list"))
    assert len(first.context["page_obj"].object_list) == 15
    assert first.context["page_obj"].paginator.count == 18
    county = client.get(reverse("announcements_public:list"), {"level": "county"})
    assert [x.title for x in county.context["page_obj"]] == ["县级公告"]


# --- API ---------------------------------------------------------------------------


def test_api_covers_the_lifecycle(ly_admin: Any, signed_in: Any, media_root: Any) -> None:
    api = signed_in(ly_admin)
    created = api.post(
        "/api/v1/announcements",
        {"title": "接口公告", "body": "正文", "category": "certification"},
        content_type="application/json",
        headers={"Idempotency-Key": "ann-1"},
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    again = api.post(
        "/api/v1/announcements",
        {"title": "接口公告", "body": "正文", "category": "certification"},
        content_type="application/json",
        headers={"Idempotency-Key": "ann-1"},
    )
    assert again.json()["id"] == pk
    assert Announcement.objects.count() == 1
    file = api.post(f"/api/v1/announcements/{pk}/attachments", {"file": upload("附件.pdf", pdf_bytes())})
    assert file.status_code == 201, file.content
    at = (NOW + dt.timedelta(days=1)).isoformat()
    scheduled = api.post(
        f"/api/v1/announcements/{pk}/publish",
        {"version": 1, "publish_at": at},
        content_type="application/json",
    )
    assert scheduled.status_code == 200
    assert scheduled.json()["state"] == "scheduled"
    stale = api.post(
        f"/api/v1/announcements/{pk}/withdraw", {"version": 1, "reason": "x"}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    withdrawn = api.post(
        f"/api/v1/announcements/{pk}/withdraw",
        {"version": 2, "reason": "时间调整"},
        content_type="application/json",
    )
    assert withdrawn.json()["status"] == "withdrawn"
    listed = api.get("/api/v1/announcements", {"status": "withdrawn"})
    assert [row["id"] for row in listed.json()["items"]] == [pk]
    download = api.get(f"/api/v1/announcement-attachments/{file.json()['id']}")
    assert download.status_code == 200


def test_api_refuses_other_countys_announcement(ly_admin: Any, yh_admin: Any, signed_in: Any) -> None:
    announcement = services.announcement_create(actor=ly_admin, title="公告", body="正文")
    api = signed_in(yh_admin)
    response = api.post(
        f"/api/v1/announcements/{announcement.pk}/publish", {"version": 1}, content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
