"""Writes of the notifications app.

``notify`` is what other apps call, inside the transaction of the change being
reported (a return, a conclusion, a completed registration):

    with transaction.atomic():
        ...compare-and-set the application, audit_record(...)...
        notify(user=applicant, kind="registration.returned", title="注册申请被退回",
               body="请按审核意见修改后重新提交。", link=reverse(...))

The inbox row commits or rolls back with the change; SMS and e-mail copies are sent by
a Celery task queued with ``transaction.on_commit``, so a rolled-back change sends
nothing and a committed one is never announced before it is visible.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction

from jiaozi.core import clock
from jiaozi.core.errors import NotFound

from .delivery import Outcome, deliveries_requeue_stale, delivery_send
from .models import Channel, Delivery, Notification
from .tasks import deliver, deliver_batch

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

__all__ = ["Outcome", "deliveries_requeue_stale", "delivery_send"]

logger = logging.getLogger("jiaozi.notifications")

INBOX = "inbox"
CHANNELS = frozenset({INBOX, *Channel.values})
DEFAULT_CHANNELS = (INBOX, Channel.SMS.value)
# One task per this many deliveries when notifying in bulk (batch decisions).
BATCH_SIZE = 500


def _check(*, kind: str, title: str, link: str, channels: Sequence[str]) -> None:
    """Programming errors, so plain ValueError: callers pass constants."""
    if not kind or len(kind) > 64:
        raise ValueError("kind must be 1–64 characters")
    if not title.strip() or len(title) > 120:
        raise ValueError("title must be 1–120 characters")
    if not channels or not set(channels) <= CHANNELS:
        raise ValueError(f"channels must be a non-empty subset of {sorted(CHANNELS)}")
    # Only paths on this site: a notification must never carry the user elsewhere.
    if link and (not link.startswith("/") or link.startswith("//") or "\\" in link or len(link) > 500):
        raise ValueError("link must be a path on this site")


def notify(
    *,
    user: User,
    kind: str,
    title: str,
    body: str,
    link: str = "",
    channels: Sequence[str] = DEFAULT_CHANNELS,
) -> Notification:
    """Notify one user. Call inside the transaction of the change it reports."""
    _check(kind=kind, title=title, link=link, channels=channels)
    notification = Notification.objects.create(
        recipient=user, kind=kind, title=title, body=body, link=link, in_inbox=INBOX in channels
    )
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(notification=notification, channel=channel)
            for channel in dict.fromkeys(channels)
            if channel != INBOX
        ]
    )
    _queue_on_commit([delivery.pk for delivery in deliveries])
    return notification


def notify_many(
    *,
    users: Iterable[User],
    kind: str,
    title: str,
    body: str,
    link: str = "",
    channels: Sequence[str] = DEFAULT_CHANNELS,
) -> int:
    """The same notification to many users (a batch decision): bulk inserts and one
    task per BATCH_SIZE deliveries. Returns how many notifications were written."""
    _check(kind=kind, title=title, link=link, channels=channels)
    now = clock.now()
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                kind=kind,
                title=title,
                body=body,
                link=link,
                in_inbox=INBOX in channels,
                created_at=now,
            )
            for user in users
        ],
        batch_size=1000,
    )
    outside = [channel for channel in dict.fromkeys(channels) if channel != INBOX]
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(notification=notification, channel=channel, created_at=now, updated_at=now)
            for notification in notifications
            for channel in outside
        ],
        batch_size=1000,
    )
    _queue_on_commit([delivery.pk for delivery in deliveries])
    return len(notifications)


def _queue_on_commit(delivery_ids: list[int]) -> None:
    if delivery_ids:
        # robust: a broker outage must not turn a committed change into an error page;
        # the deliveries stay pending and deliver_pending picks them up.
        transaction.on_commit(partial(_queue, delivery_ids), robust=True)


def _queue(delivery_ids: list[int]) -> None:
    if len(delivery_ids) == 1:
        deliver.delay(delivery_ids[0])
        return
    for start in range(0, len(delivery_ids), BATCH_SIZE):
        deliver_batch.delay(delivery_ids[start : start + BATCH_SIZE])


def notification_mark_read(*, user: User, pk: int) -> Notification:
    """Mark one of the user's own inbox messages read; NotFound for anyone else's."""
    notification = Notification.objects.filter(pk=pk, recipient=user, in_inbox=True).first()
    if notification is None:
        raise NotFound("notification not found")
    if notification.read_at is None:
        now = clock.now()
        Notification.objects.filter(pk=pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notification_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, in_inbox=True, read_at__isnull=True).update(
        read_at=clock.now()
    )
