"""Celery tasks of the notifications app. In the embedded default they run inline
(CELERY_TASK_ALWAYS_EAGER); production runs them on Redis workers, with
``deliver_pending`` in the beat schedule every few minutes."""

from __future__ import annotations

import datetime as dt

from celery import Task, shared_task

from jiaozi.core.tasks import RETRY, TRANSIENT

from .delivery import Outcome, deliveries_requeue_stale, delivery_send


def _backoff(retries: int) -> int:
    return int(min(3600, 60 * 2**retries))


@shared_task(bind=True, ignore_result=True, acks_late=True, max_retries=None)
def deliver(self: Task, delivery_id: int) -> str:
    outcome = delivery_send(delivery_id=delivery_id)
    # Inline (eager) runs leave a failed delivery pending for deliver_pending instead
    # of retrying on the spot, which would only hammer a gateway that just failed.
    if outcome == Outcome.RETRY and not self.request.is_eager:
        raise self.retry(countdown=_backoff(self.request.retries))
    return outcome.value


@shared_task(ignore_result=True, acks_late=True, autoretry_for=TRANSIENT, **RETRY)
def deliver_batch(delivery_ids: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for delivery_id in delivery_ids:
        outcome = delivery_send(delivery_id=delivery_id)
        counts[outcome.value] = counts.get(outcome.value, 0) + 1
    return counts


@shared_task(ignore_result=True, acks_late=True, autoretry_for=TRANSIENT, **RETRY)
def deliver_pending(older_than_seconds: int = 600) -> int:
    """Re-queue deliveries whose task got lost or whose worker died."""
    ids = deliveries_requeue_stale(older_than=dt.timedelta(seconds=older_than_seconds))
    for start in range(0, len(ids), 500):
        deliver_batch.delay(ids[start : start + 500])
    return len(ids)
