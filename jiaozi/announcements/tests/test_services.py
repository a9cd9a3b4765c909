"""Announcements: drafting, publishing, scheduling, withdrawing, attachments, and the
jurisdiction every read starts from."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jiaozi.announcements import selectors, services
from jiaozi.announcements.models import Announcement, Attachment, Status
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .helpers import office_bytes, pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2024, 9, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with clock.travel(NOW):
        yield


def draft(actor: Any, title: str = "关于开展2024年教师资格定期注册工作的通知") -> Announcement:
    return services.announcement_create(
        actor=actor, title=title, body="各学校：\n\n现将有关事项通知如下。", category="registration"
    )


def test_create_is_a_draft_of_the_actors_institution_at_its_level(ly_admin: Any) -> None:
    announcement = draft(ly_admin)
    assert announcement.status == Status.DRAFT
    assert announcement.institution_id == ly_admin.institution_id
    assert announcement.level == "county"
    assert AuditEvent.objects.filter(
        kind=AuditKind.ANNOUNCEMENT_CREATED, object_id=str(announcement.pk)
    ).exists()


def test_only_bureau_admins_write(ly_reviewer: Any) -> None:
    with pytest.raises(PermissionDenied):
        draft(ly_reviewer)
    assert not Announcement.objects.exists()


def test_bad_text_names_its_fields_and_writes_nothing(ly_admin: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.announcement_create(actor=ly_admin, title="  ", body="", category="nonsense")
    assert set(caught.value.field_errors) == {"title", "body", "category"}
    assert not Announcement.objects.exists()


def test_publish_now_puts_it_on_the_portal(ly_admin: Any) -> None:
    announcement = draft(ly_admin)
    assert not selectors.public_list().exists()
    services.announcement_publish(actor=ly_admin, pk=announcement.pk, version=1)
    assert list(selectors.public_list()) == [announcement]
    assert AuditEvent.objects.filter(kind=AuditKind.ANNOUNCEMENT_PUBLISHED).count() == 1


def test_scheduled_appears_at_its_time_and_not_before(ly_admin: Any) -> None:
    announcement = draft(ly_admin)
    at = NOW + dt.timedelta(days=2)
    services.announcement_publish(actor=ly_admin, pk=announcement.pk, version=1, publish_at=at)
    announcement.refresh_from_db()
    assert services.is_scheduled(announcement)
    assert not selectors.public_list().exists()
    with pytest.raises(NotFound):
        selectors.public_get(pk=announcement.pk)
    assert AuditEvent.objects.filter(kind=AuditKind.ANNOUNCEMENT_SCHEDULED).count() == 1
    with clock.travel(at - dt.timedelta(seconds=1)):
        assert not selectors.public_list().exists()
    with clock.travel(at):
        assert selectors.public_get(pk=announcement.pk) == announcement


def test_schedule_in_the_past_is_refused(ly_admin: Any) -> None:
    announcement = draft(ly_admin)
    with pytest.raises(ValidationFailed) as caught:
        services.announcement_publish(
            actor=ly_admin, pk=announcement.pk, version=1, publish_at=NOW - dt.timedelta(hours=1)
        )
    assert caught.value.code == "publish_at_past"
    announcement.refresh_from_db()
    assert announcement.status == Status.DRAFT


def test_a_stale_version_changes_nothing(ly_admin: Any) -> None:
    announcement = draft(ly_admin)
    services.announcement_update(actor=ly_admin, pk=announcement.pk, version=1, title="新标题", body="正文")
    with pytest.raises(Conflict) as caught:
        services.announcement_publish(actor=ly_admin, pk=announcement.pk, version=1)
    assert caught.value.code == "stale_version"
    announcement.refresh_from_db()
    assert (announcement.status, announcement.version) == (Status.DRAFT, 2)


def test_withdraw_takes_it_off_and_it_can_come_back(ly_admin: Any) -> None:
    announcement = draft(ly_admin)
    services.announcement_publish(actor=ly_admin, pk=announcement.pk, version=1)
    with pytest.raises(ValidationFailed):
        services.announcement_withdraw(actor=ly_admin, pk=announcement.pk, version=2, reason=" ")
    services.announcement_withdraw(actor=ly_admin, pk=announcement.pk, version=2, reason="内容有误")
    assert not selectors.public_list().exists()
    with pytest.raises(NotFound):
        selectors.public_get(pk=announcement.pk)
    event = AuditEvent.objects.get(kind=AuditKind.ANNOUNCEMENT_WITHDRAWN)
    assert event.details["reason"] == "内容有误"
    services.announcement_update(
        actor=ly_admin, pk=announcement.pk, version=3, title="更正后的通知", body="正文"
    )
    services.announcement_publish(actor=ly_admin, pk=announcement.pk, version=4)
    assert [a.title for a in selectors.public_list()] == ["更正后的通知"]


def test_a_live_announcement_is_not_edited_in_place(ly_admin: Any) -> None:
    announcement = draft(ly_admin)
    services.announcement_publish(actor=ly_admin, pk=announcement.pk, version=1)
    with pytest.raises(Conflict) as caught:
        services.announcement_update(actor=ly_admin, pk=announcement.pk, version=2, title="改", body="改")
    assert caught.value.code == "wrong_stage"
    with pytest.raises(Conflict):
        services.announcement_publish(actor=ly_admin, pk=announcement.pk, version=2)


def test_only_drafts_are_deleted(ly_admin: Any) -> None:
    kept, gone = draft(ly_admin, "甲"), draft(ly_admin, "乙")
    services.announcement_publish(actor=ly_admin, pk=kept.pk, version=1)
    with pytest.raises(Conflict):
        services.announcement_delete(actor=ly_admin, pk=kept.pk, version=2)
    services.announcement_delete(actor=ly_admin, pk=gone.pk, version=1)
    assert list(Announcement.objects.values_list("title", flat=True)) == ["甲"]
    assert AuditEvent.objects.filter(kind=AuditKind.ANNOUNCEMENT_DELETED).count() == 1


# --- Jurisdiction -------------------------------------------------------------------


def test_a_countys_announcement_is_in_no_other_countys_list(
    ly_admin: Any, yh_admin: Any, hf_admin: Any, prov_admin: Any
) -> None:
    mine = draft(ly_admin, "庐阳区公告")
    services.announcement_publish(actor=ly_admin, pk=mine.pk, version=1)
    theirs = draft(yh_admin, "瑶海区公告")
    assert list(selectors.announcement_list_visible_to(user=yh_admin)) == [theirs]
    assert list(selectors.announcement_list_visible_to(user=ly_admin)) == [mine]
    with pytest.raises(NotFound):
        selectors.announcement_get_visible_to(user=yh_admin, pk=mine.pk)
    # The city and the province above read both; the portal shows only the published one.
    assert set(selectors.announcement_list_visible_to(user=hf_admin)) == {mine, theirs}
    assert set(selectors.announcement_list_visible_to(user=prov_admin)) == {mine, theirs}
    assert list(selectors.public_list()) == [mine]


def test_another_county_cannot_act_and_a_city_reads_but_does_not_write(
    ly_admin: Any, yh_admin: Any, hf_admin: Any
) -> None:
    announcement = draft(ly_admin)
    with pytest.raises(NotFound):
        services.announcement_publish(actor=yh_admin, pk=announcement.pk, version=1)
    with pytest.raises(PermissionDenied):
        services.announcement_publish(actor=hf_admin, pk=announcement.pk, version=1)
    announcement.refresh_from_db()
    assert announcement.status == Status.DRAFT


def test_public_list_by_level(ly_admin: Any, hf_admin: Any, prov_admin: Any) -> None:
    for actor, title in ((prov_admin, "省"), (hf_admin, "市"), (ly_admin, "县")):
        a = draft(actor, title)
        services.announcement_publish(actor=actor, pk=a.pk, version=1)
    assert [a.title for a in selectors.public_list(level="province")] == ["省"]
    assert [a.title for a in selectors.public_list(level="city")] == ["市"]
    latest = selectors.public_latest_by_level()
    assert {level: [a.title for a in items] for level, items in latest.items()} == {
        "province": ["省"],
        "city": ["市"],
        "county": ["县"],
    }


# --- Attachments --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type", "stored"),
    [
        ("通知.pdf", pdf_bytes(), "application/pdf", "通知.pdf"),
        ("扫描件.png", png_bytes(), "image/png", "扫描件.png"),
        (
            "联系方式.xlsx",
            office_bytes("xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "联系方式.xlsx",
        ),
        (
            "申请表.doc",
            office_bytes("docx"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "申请表.docx",
        ),
    ],
)
def test_attachments_are_recognised_by_content(
    ly_admin: Any, media_root: Any, name: str, data: bytes, content_type: str, stored: str
) -> None:
    announcement = draft(ly_admin)
    attachment = services.attachment_add(
        actor=ly_admin, announcement_id=announcement.pk, file=upload(name, data)
    )
    assert (attachment.content_type, attachment.original_name, attachment.size) == (
        content_type,
        stored,
        len(data),
    )
    assert name not in (attachment.file.name or "")  # stored under a random name
    assert AuditEvent.objects.filter(kind=AuditKind.ANNOUNCEMENT_ATTACHMENT_ADDED).count() == 1


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"MZ\x90\x00 an executable renamed to .pdf", "file_type"),
        (b"<html><script>alert(1)</script></html>", "file_type"),
        (office_bytes("xlsx", macro=True), "file_type"),
        (b"PK\x03\x04 not really a zip", "file_type"),
        (b"", "file_empty"),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_stored(
    ly_admin: Any, media_root: Any, data: bytes, code: str
) -> None:
    announcement = draft(ly_admin)
    with pytest.raises(ValidationFailed) as caught:
        services.attachment_add(
            actor=ly_admin, announcement_id=announcement.pk, file=upload("通知.pdf", data)
        )
    assert caught.value.code == code
    assert not Attachment.objects.exists()
    assert not any(p.is_file() for p in media_root.rglob("*"))


def test_attachment_size_cap(ly_admin: Any, media_root: Any, settings: Any) -> None:
    settings.ANNOUNCEMENT_ATTACHMENT_MAX_BYTES = 100
    announcement = draft(ly_admin)
    with pytest.raises(ValidationFailed) as caught:
        services.attachment_add(
            actor=ly_admin, announcement_id=announcement.pk, file=upload("a.pdf", pdf_bytes())
        )
    assert caught.value.code == "file_too_large"


def test_no_attachment_changes_on_a_live_announcement(ly_admin: Any, media_root: Any) -> None:
    announcement = draft(ly_admin)
    attachment = services.attachment_add(
        actor=ly_admin, announcement_id=announcement.pk, file=upload("a.pdf", pdf_bytes())
    )
    services.announcement_publish(actor=ly_admin, pk=announcement.pk, version=1)
    with pytest.raises(Conflict):
        services.attachment_add(
            actor=ly_admin, announcement_id=announcement.pk, file=upload("b.pdf", pdf_bytes())
        )
    with pytest.raises(Conflict):
        services.attachment_remove(actor=ly_admin, attachment_id=attachment.pk)
    assert Attachment.objects.count() == 1


def test_another_county_cannot_add_attachments(ly_admin: Any, yh_admin: Any, media_root: Any) -> None:
    announcement = draft(ly_admin)
    with pytest.raises(NotFound):
        services.attachment_add(
            actor=yh_admin, announcement_id=announcement.pk, file=upload("a.pdf", pdf_bytes())
        )
