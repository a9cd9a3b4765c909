"""Writes of announcements. Each checks the actor against the announcement's own
institution, moves the row by compare-and-set on ``version`` (the state it expects
included), and writes its audit row in the same transaction.

- ``announcement_create`` — a draft of the actor's own institution.
- ``announcement_update`` — title, body, category, source; while not on the portal
  (draft, withdrawn, or scheduled and not yet due).
- ``announcement_publish`` — from draft or withdrawn (or rescheduling a scheduled one);
  ``publish_at`` empty means now, a later time schedules it.
- ``announcement_withdraw`` — off the portal, with a reason.
- ``announcement_delete`` — a draft that was never published.
- ``attachment_add`` / ``attachment_remove`` — while the announcement is editable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiaozi.workflow.cas import compare_and_set

from . import attachments as files
from .models import Announcement, Attachment, Category, Status
from .permissions import can_author, can_manage
from .selectors import announcement_get_visible_to, attachment_get_visible_to

TITLE_MAX = 200
BODY_MAX = 50_000
SOURCE_MAX = 200
REASON_MAX = 200
# How far ahead a publication may be scheduled.
SCHEDULE_HORIZON = dt.timedelta(days=366)


def _stale() -> Conflict:
    return Conflict(_("公告已被他人修改或状态已变化，请刷新后重试。"), code="stale_version")


def is_scheduled(announcement: Announcement, *, now: dt.datetime | None = None) -> bool:
    return (
        announcement.status == Status.PUBLISHED
        and announcement.publish_at is not None
        and announcement.publish_at > (now or clock.now())
    )


def is_live(announcement: Announcement, *, now: dt.datetime | None = None) -> bool:
    return (
        announcement.status == Status.PUBLISHED
        and announcement.publish_at is not None
        and announcement.publish_at <= (now or clock.now())
    )


def is_editable(announcement: Announcement, *, now: dt.datetime | None = None) -> bool:
    """Not on the portal: a draft, a withdrawn one, or a scheduled one not yet due."""
    return announcement.status != Status.PUBLISHED or is_scheduled(announcement, now=now)


def _clean_text(*, title: str, body: str, source: str, category: str) -> dict[str, str]:
    values = {
        "title": " ".join((title or "").split()),
        "body": (body or "").replace("\r\n", "\n").strip(),
        "source": " ".join((source or "").split()),
        "category": category or Category.GENERAL,
    }
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = _("请填写公告标题。")
    elif len(values["title"]) > TITLE_MAX:
        errors["title"] = _("公告标题不能超过%(n)d个字。") % {"n": TITLE_MAX}
    if not values["body"]:
        errors["body"] = _("请填写公告正文。")
    elif len(values["body"]) > BODY_MAX:
        errors["body"] = _("公告正文不能超过%(n)d个字，较长的内容请作为附件上传。") % {"n": BODY_MAX}
    if len(values["source"]) > SOURCE_MAX:
        errors["source"] = _("文号或来源不能超过%(n)d个字。") % {"n": SOURCE_MAX}
    if values["category"] not in Category.values:
        errors["category"] = _("请选择公告类别。")
    if errors:
        raise ValidationFailed(_("公告内容填写有误。"), code="invalid_announcement", field_errors=errors)
    return values


def _managed(*, actor: User, pk: Any) -> Announcement:
    """The announcement in the actor's jurisdiction (``NotFound`` otherwise), if the actor
    is its institution's admin (``PermissionDenied`` otherwise: a city reads its counties'
    announcements, it does not write them)."""
    announcement = announcement_get_visible_to(user=actor, pk=pk)
    if not can_manage(actor=actor, announcement=announcement):
        raise PermissionDenied(_("只有发布机构的管理员可以修改、发布或撤回该公告。"))
    return announcement


def _require_editable(announcement: Announcement) -> None:
    if not is_editable(announcement):
        raise Conflict(_("公告已在门户网站上发布，请先撤回再修改。"), code="wrong_stage")


def _move(
    announcement: Announcement, *, version: int, expected: dict[str, Any], values: dict[str, Any]
) -> None:
    """Compare-and-set on the version (and the state the caller read), mirrored on the
    instance."""
    moved = compare_and_set(
        Announcement,
        pk=announcement.pk,
        expected={"version": version, **expected},
        values=values,
        bump="version",
    )
    if not moved:
        raise _stale()
    for name, value in values.items():
        setattr(announcement, name, value)
    announcement.version = version + 1


@transaction.atomic
def announcement_create(
    *, actor: User, title: str, body: str, category: str = Category.GENERAL, source: str = ""
) -> Announcement:
    if not can_author(actor=actor):
        raise PermissionDenied(_("只有省、市、县级教育行政部门的管理员可以发布公告。"))
    values = _clean_text(title=title, body=body, source=source, category=category)
    institution = actor.institution
    assert institution is not None  # can_author: staff of a bureau
    announcement = Announcement.objects.create(
        institution=institution,
        level=institution.level,
        created_by=actor,
        updated_by=actor,
        status=Status.DRAFT,
        **values,
    )
    audit_record(
        kind=AuditKind.ANNOUNCEMENT_CREATED,
        actor=actor,
        obj=announcement,
        details={"title": announcement.title, "category": announcement.category},
    )
    return announcement


@transaction.atomic
def announcement_update(
    *,
    actor: User,
    pk: Any,
    version: int,
    title: str,
    body: str,
    category: str = Category.GENERAL,
    source: str = "",
) -> Announcement:
    announcement = _managed(actor=actor, pk=pk)
    _require_editable(announcement)
    values = _clean_text(title=title, body=body, source=source, category=category)
    changed = [name for name, value in values.items() if getattr(announcement, name) != value]
    _move(
        announcement,
        version=version,
        expected={"status": announcement.status, "publish_at": announcement.publish_at},
        values={**values, "updated_by_id": actor.pk, "updated_at": clock.now()},
    )
    audit_record(
        kind=AuditKind.ANNOUNCEMENT_UPDATED,
        actor=actor,
        obj=announcement,
        details={"fields": changed, "version": announcement.version},
    )
    return announcement


def _publish_time(publish_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if publish_at is None:
        return now
    if publish_at.tzinfo is None:
        raise ValidationFailed.on_field("publish_at", _("发布时间须包含时区。"), code="publish_at_naive")
    # A minute's grace for a form filled in just before the time it names.
    if publish_at < now - dt.timedelta(minutes=1):
        raise ValidationFailed.on_field(
            "publish_at", _("发布时间不能早于现在；立即发布请留空。"), code="publish_at_past"
        )
    if publish_at > now + SCHEDULE_HORIZON:
        raise ValidationFailed.on_field(
            "publish_at", _("定时发布最多可提前一年设置。"), code="publish_at_too_far"
        )
    return max(publish_at, now)


@transaction.atomic
def announcement_publish(
    *, actor: User, pk: Any, version: int, publish_at: dt.datetime | None = None
) -> Announcement:
    """Publish now, or at ``publish_at`` (scheduled). A scheduled announcement may be
    published again with another time (rescheduled) until it is due."""
    announcement = _managed(actor=actor, pk=pk)
    now = clock.now()
    if announcement.status == Status.PUBLISHED and not is_scheduled(announcement, now=now):
        raise Conflict(_("公告已经发布。"), code="wrong_stage")
    when = _publish_time(publish_at, now)
    scheduled = when > now
    _move(
        announcement,
        version=version,
        expected={"status": announcement.status},
        values={
            "status": Status.PUBLISHED,
            "publish_at": when,
            "withdrawn_at": None,
            "withdraw_reason": "",
            "updated_by_id": actor.pk,
            "updated_at": now,
        },
    )
    audit_record(
        kind=AuditKind.ANNOUNCEMENT_SCHEDULED if scheduled else AuditKind.ANNOUNCEMENT_PUBLISHED,
        actor=actor,
        obj=announcement,
        details={
            "title": announcement.title,
            "publish_at": when.isoformat(),
            "version": announcement.version,
        },
    )
    return announcement


@transaction.atomic
def announcement_withdraw(*, actor: User, pk: Any, version: int, reason: str) -> Announcement:
    """Take a published (or scheduled) announcement off the portal."""
    announcement = _managed(actor=actor, pk=pk)
    if announcement.status != Status.PUBLISHED:
        raise Conflict(_("只有已发布或定时发布的公告可以撤回。"), code="wrong_stage")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed.on_field("reason", _("请填写撤回原因。"), code="reason_required")
    if len(reason) > REASON_MAX:
        raise ValidationFailed.on_field(
            "reason", _("撤回原因不能超过%(n)d个字。") % {"n": REASON_MAX}, code="reason_too_long"
        )
    now = clock.now()
    was_live = is_live(announcement, now=now)
    _move(
        announcement,
        version=version,
        expected={"status": Status.PUBLISHED},
        values={
            "status": Status.WITHDRAWN,
            "withdrawn_at": now,
            "withdraw_reason": reason,
            "updated_by_id": actor.pk,
            "updated_at": now,
        },
    )
    audit_record(
        kind=AuditKind.ANNOUNCEMENT_WITHDRAWN,
        actor=actor,
        obj=announcement,
        details={"title": announcement.title, "reason": reason, "was_live": was_live},
    )
    return announcement


@transaction.atomic
def announcement_delete(*, actor: User, pk: Any, version: int) -> None:
    """Delete a draft. Whatever was ever published stays (withdrawn) as the record of
    what the portal showed."""
    announcement = _managed(actor=actor, pk=pk)
    if announcement.status != Status.DRAFT:
        raise Conflict(_("已发布过的公告不能删除，只能撤回。"), code="wrong_stage")
    names = [a.file.name for a in Attachment.objects.filter(announcement=announcement) if a.file.name]
    deleted, _by = Announcement.objects.filter(
        pk=announcement.pk, version=version, status=Status.DRAFT
    ).delete()
    if not deleted:
        raise _stale()
    audit_record(
        kind=AuditKind.ANNOUNCEMENT_DELETED,
        actor=actor,
        object_type="announcements.announcement",
        object_id=pk,
        details={"title": announcement.title},
    )
    storage = Attachment._meta.get_field("file").storage  # type: ignore[attr-defined]

    def remove_files() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove_files)


def attachment_add(*, actor: User, announcement_id: Any, file: Any) -> Attachment:
    """Store one checked attachment of an editable announcement."""
    announcement = _managed(actor=actor, pk=announcement_id)
    _require_editable(announcement)
    data, content_type = files.checked_bytes(file)
    if Attachment.objects.filter(announcement=announcement).count() >= files.max_files():
        raise ValidationFailed.on_field(
            "file", _("每条公告最多%(n)d个附件。") % {"n": files.max_files()}, code="too_many_files"
        )
    digest = hashlib.sha256(data).hexdigest()
    attachment = Attachment(
        announcement=announcement,
        original_name=files.clean_name(getattr(file, "name", ""), content_type),
        content_type=content_type,
        size=len(data),
        sha256=digest,
        uploaded_by=actor,
        uploaded_at=clock.now(),
    )
    # Written now under a random name; removed again if the row is not committed.
    attachment.file.save("upload", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            # The announcement's version moves with its attachments: an edit and an
            # upload racing each other, or a publication, are ordered by it.
            current = Announcement.objects.select_for_update().filter(pk=announcement.pk).first()
            if current is None or not is_editable(current):
                raise Conflict(_("公告已在门户网站上发布，请先撤回再修改。"), code="wrong_stage")
            if Attachment.objects.filter(announcement=announcement).count() >= files.max_files():
                raise ValidationFailed.on_field(
                    "file", _("每条公告最多%(n)d个附件。") % {"n": files.max_files()}, code="too_many_files"
                )
            attachment.save(force_insert=True)
            audit_record(
                kind=AuditKind.ANNOUNCEMENT_ATTACHMENT_ADDED,
                actor=actor,
                obj=attachment,
                details={
                    "announcement": announcement.pk,
                    "content_type": content_type,
                    "size": len(data),
                    "sha256": digest,
                },
            )
    except BaseException:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def attachment_remove(*, actor: User, attachment_id: Any) -> None:
    attachment = attachment_get_visible_to(user=actor, pk=attachment_id)
    announcement = _managed(actor=actor, pk=attachment.announcement_id)
    _require_editable(announcement)
    name = attachment.file.name or ""
    storage = attachment.file.storage
    attachment.delete()
    audit_record(
        kind=AuditKind.ANNOUNCEMENT_ATTACHMENT_REMOVED,
        actor=actor,
        object_type="announcements.attachment",
        object_id=attachment_id,
        details={"announcement": announcement.pk, "sha256": attachment.sha256},
    )
    if name:
        transaction.on_commit(lambda: storage.delete(name))
