"""What notifications contributes to the shared registries, installed from
``NotificationsConfig.ready()``: the job that re-delivers stuck notifications."""

from __future__ import annotations

import datetime as dt

from jiaozi.core.jobs import periodic_job

from .tasks import deliver_pending


def _deliver_pending() -> int:
    # Called in-process (the task's body), not queued: the job's outcome is its result.
    return int(deliver_pending())


def register() -> None:
    periodic_job(
        "notifications.deliver_pending",
        every=dt.timedelta(minutes=5),
        description="重新投递积压或中断的通知。",
    )(_deliver_pending)
