"""Sending what was queued: one delivery through its channel's backend, and finding the
deliveries whose task was lost. The Celery tasks (``tasks``) run these; the services that
create notifications (``services``) queue the tasks, so the order is
services → tasks → delivery and no module imports another in a circle."""

from __future__ import annotations

import datetime as dt
import logging
from enum import StrEnum

from django.conf import settings
from django.db.models import F

from jiaozi.core import clock
from jiaozi.core.logging import redact

from .backends import OutgoingMessage, get_backend
from .models import Channel, Delivery, Notification

logger = logging.getLogger("jiaozi.notifications")

SMS_MAX_CHARS = 300


class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # no phone / address on record
    RETRY = "retry"  # failed, will be tried again
    FAILED = "failed"  # failed for the last time
    NOT_PENDING = "not_pending"  # already sent, or another worker has it


def _max_attempts() -> int:
    return int(getattr(settings, "NOTIFICATION_MAX_ATTEMPTS", 5))


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
