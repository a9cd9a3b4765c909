"""Reads of announcements.

Staff: ``announcement_list_visible_to`` starts from the user's jurisdiction — the
announcements of its own institution and the institutions below it — so a county's
announcement never reaches another county's list; single rows through
``get_visible_or_404``.

Public: ``public_list`` holds the announcements that are published and whose
publication time has come. The time is compared on every read, so a scheduled
announcement appears at its minute without a job having to run (docs/decisions/0232)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from jiaozi.core import clock
from jiaozi.core.accounts import Account
from jiaozi.core.errors import NotFound
from jiaozi.orgs.jurisdiction import get_visible_or_404, scope_q

from .models import Announcement, Attachment, Status
from .permissions import can_author


def announcement_list_visible_to(*, user: Account | None) -> models.QuerySet[Announcement]:
    if not can_author(actor=user):
        return Announcement.objects.none()
    return Announcement.objects.filter(scope_q(user, path_field="institution__path")).select_related(
        "institution", "institution__division"
    )


def announcement_search(
    queryset: models.QuerySet[Announcement], *, status: str = "", level: str = "", q: str = ""
) -> models.QuerySet[Announcement]:
    if status == "scheduled":
        queryset = queryset.filter(status=Status.PUBLISHED, publish_at__gt=clock.now())
    elif status == Status.PUBLISHED:
        queryset = queryset.filter(status=Status.PUBLISHED, publish_at__lte=clock.now())
    elif status:
        queryset = queryset.filter(status=status)
    if level:
        queryset = queryset.filter(level=level)
    q = q.strip()
    if q:
        queryset = queryset.filter(title__contains=q)
    return queryset


def announcement_get_visible_to(*, user: Account | None, pk: Any) -> Announcement:
    return get_visible_or_404(announcement_list_visible_to(user=user), pk=pk)


def attachment_list_for(*, announcement: Announcement) -> list[Attachment]:
    return list(Attachment.objects.filter(announcement=announcement).order_by("uploaded_at", "pk"))


def attachment_get_visible_to(*, user: Account | None, pk: Any) -> Attachment:
    """An attachment of an announcement in the staff user's jurisdiction."""
    visible = Attachment.objects.filter(announcement__in=announcement_list_visible_to(user=user))
    return get_visible_or_404(visible.select_related("announcement"), pk=pk)


# --- Public ------------------------------------------------------------------------


def public_queryset(*, now: dt.datetime | None = None) -> models.QuerySet[Announcement]:
    """Published announcements whose time has come."""
    return Announcement.objects.filter(status=Status.PUBLISHED, publish_at__lte=now or clock.now())


def public_list(
    *, level: str = "", category: str = "", q: str = "", now: dt.datetime | None = None
) -> models.QuerySet[Announcement]:
    """The portal's list, newest first; filtered by level, category and title words."""
    queryset = public_queryset(now=now).select_related("institution")
    if level:
        queryset = queryset.filter(level=level)
    if category:
        queryset = queryset.filter(category=category)
    q = q.strip()
    if q:
        queryset = queryset.filter(title__contains=q)
    return queryset.annotate(attachment_count=models.Count("attachments")).order_by("-publish_at", "-pk")


def public_latest_by_level(
    *, per_level: int = 5, now: dt.datetime | None = None
) -> dict[str, list[Announcement]]:
    """The latest few of each level for the home page, one query per level."""
    from jiaozi.orgs.models import Level

    base = public_queryset(now=now).select_related("institution").order_by("-publish_at", "-pk")
    return {level: list(base.filter(level=level)[:per_level]) for level in Level.values}


def public_get(*, pk: Any, now: dt.datetime | None = None) -> Announcement:
    """One announcement the public may read; ``NotFound`` for drafts, withdrawn,
    not-yet-due and missing alike."""
    try:
        return public_queryset(now=now).select_related("institution", "institution__division").get(pk=pk)
    except (Announcement.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("公告不存在或已撤回。"), code="announcement_not_found") from None


def public_attachment_get(*, announcement_id: Any, pk: Any) -> Attachment:
    announcement = public_get(pk=announcement_id)
    try:
        return Attachment.objects.select_related("announcement").get(pk=pk, announcement=announcement)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("附件不存在。"), code="attachment_not_found") from None
