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

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import F

from jiaozi.core import clock
from jiaozi.core.errors import NotFound
from jiaozi.core.logging import redact

from .backends import OutgoingMessage, get_backend
from .models import Channel, Delivery, Notification

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

logger = logging.getLogger("jiaozi.notifications")

INBOX = "inbox"
CHANNELS = frozenset({INBOX, *Channel.values})
DEFAULT_CHANNELS = (INBOX, Channel.SMS.value)
# One task per this many deliveries when notifying in bulk (batch decisions).
BATCH_SIZE = 500
SMS_MAX_CHARS = 300


class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # no phone / address on record
    RETRY = "retry"  # failed, will be tried again
    FAILED = "failed"  # failed for the last time
    NOT_PENDING = "not_pending"  # already sent, or another worker has it


def _max_attempts() -> int:
    return int(getattr(settings, "NOTIFICATION_MAX_ATTEMPTS", 5))


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
    from .tasks import deliver, deliver_batch

    if len(delivery_ids) == 1:
        deliver.delay(delivery_ids[0])
        return
    for start in range(0, len(delivery_ids), BATCH_SIZE):
        deliver_batch.delay(delivery_ids[start : start + BATCH_SIZE])


def delivery_send(*, delivery_id: int) -> Outcome:
    """Send one delivery through its channel's backend. Claimed by compare-and-set
    (pending → sending), so two workers never send the same message twice."""
    now = clock.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING, attempts=F("attempts") + 1, updated_at=now
    )
    if claimed != 1:
        return Outcome.NOT_PENDING
    delivery = Delivery.objects.select_related("notification__recipient").get(pk=delivery_id)
    notification = delivery.notification
    recipient = notification.recipient
    to = recipient.phone if delivery.channel == Channel.SMS else recipient.email
    if not to:
        _finish(delivery_id, status=Delivery.Status.SKIPPED)
        return Outcome.SKIPPED
    message = OutgoingMessage(
        channel=delivery.channel,
        to=to,
        subject=notification.title,
        text=_text(notification, channel=delivery.channel),
        notification_id=notification.pk,
        kind=notification.kind,
    )
    try:
        get_backend(delivery.channel).send(message)
    except Exception as error:  # any gateway failure is recorded and retried, not raised
        final = delivery.attempts >= _max_attempts()
        _finish(
            delivery_id,
            status=Delivery.Status.FAILED if final else Delivery.Status.PENDING,
            last_error=redact(f"{type(error).__name__}: {error}")[:200],
        )
        logger.warning(
            "notification delivery %s (%s) failed on attempt %s: %s",
            delivery_id,
            delivery.channel,
            delivery.attempts,
            type(error).__name__,
        )
        return Outcome.FAILED if final else Outcome.RETRY
    _finish(delivery_id, status=Delivery.Status.SENT, sent_at=clock.now())
    return Outcome.SENT


def _finish(
    delivery_id: int, *, status: str, last_error: str = "", sent_at: dt.datetime | None = None
) -> None:
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).update(
        status=status, last_error=last_error, sent_at=sent_at, updated_at=clock.now()
    )


def _text(notification: Notification, *, channel: str) -> str:
    text = f"{notification.title}：{notification.body}" if notification.body else notification.title
    if channel == Channel.SMS and len(text) > SMS_MAX_CHARS:
        text = text[: SMS_MAX_CHARS - 1] + "…"
    return text


def deliveries_requeue_stale(*, older_than: dt.timedelta) -> list[int]:
    """Deliveries to queue again: pending ones whose task was lost (broker outage,
    retry due) and sending ones whose worker died. At-least-once: a worker that died
    after the gateway accepted a message makes it go out twice."""
    cutoff = clock.now() - older_than
    Delivery.objects.filter(status=Delivery.Status.SENDING, updated_at__lt=cutoff).update(
        status=Delivery.Status.PENDING, updated_at=cutoff
    )
    return list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, updated_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:10_000]
    )


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
