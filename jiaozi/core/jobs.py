"""Periodic jobs: one small registry that both ``python manage.py run_due_jobs`` (cron)
and Celery beat (``jiaozi.core.tasks.run_job``) read.

    from jiaozi.core.jobs import periodic_job

    @periodic_job("registration.notice_close_expired", every=timedelta(minutes=15))
    def _notice_close_expired() -> int: ...

A job is a function without arguments that returns how much it did (an int, or
anything with a length). Every job must be idempotent and safe to run twice at the
same time — cron and beat may overlap, a run may be retried — so the registry keeps no
"last run" state: running a job when nothing is due simply does nothing.

Apps register their jobs in a ``jobs`` module (``jiaozi/<app>/jobs.py``), imported by
``autodiscover``. The jobs of apps that have no such module yet are registered at the
bottom of this file as thin wrappers that import their app lazily, so importing this
module (from settings, from Celery) pulls in no domain code.
See docs/decisions/0114-periodic-jobs.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[[], Any])


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], Any]
    every: dt.timedelta
    description: str = ""


@dataclass(frozen=True)
class JobResult:
    name: str
    ok: bool
    count: int | None
    seconds: float
    error: str = ""


class UnknownJob(KeyError):
    """No job registered under that name."""


_REGISTRY: dict[str, Job] = {}
_discovered = False


def periodic_job(name: str, *, every: dt.timedelta, description: str = "") -> Callable[[F], F]:
    """Register the decorated function as job ``name``, run every ``every`` by Celery beat
    (cron runs ``run_due_jobs`` at its own pace). Returns the function unchanged."""
    if every <= dt.timedelta(0):
        raise ValueError("every must be positive")

    def decorator(func: F) -> F:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.func is not func:
            raise ValueError(f"periodic job {name!r} is registered twice")
        _REGISTRY[name] = Job(
            name=name, func=func, every=every, description=description or (func.__doc__ or "")
        )
        return func

    return decorator


def autodiscover() -> None:
    """Import every installed app's ``jobs`` module once (needs the app registry)."""
    global _discovered
    if _discovered:
        return
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("jobs")
    _discovered = True


def registered_jobs() -> list[Job]:
    """Every registered job, by name."""
    autodiscover()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def job_get(name: str) -> Job:
    autodiscover()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownJob(name) from None


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return len(value)
    except TypeError:
        return None


def job_run(*, name: str) -> JobResult:
    """Run one job; a failure is logged (with its traceback, through the redacting
    filter) and reported in the result, never raised, so the caller can go on with the
    next job."""
    job = job_get(name)
    started = time.monotonic()
    try:
        value = job.func()
    except Exception as exc:
        seconds = time.monotonic() - started
        # The exception class only: a message may quote input, and the traceback in the
        # log goes through the redaction filter.
        logger.exception("job %s failed after %.2fs", name, seconds)
        return JobResult(name=name, ok=False, count=None, seconds=seconds, error=type(exc).__name__)
    seconds = time.monotonic() - started
    count = _count(value)
    logger.info("job %s done in %.2fs, count=%s", name, seconds, count)
    return JobResult(name=name, ok=True, count=count, seconds=seconds)


def jobs_run(*, names: Iterable[str] | None = None) -> list[JobResult]:
    """Run the named jobs (default: all), each on its own: one failing job does not
    stop the others. Unknown names raise ``UnknownJob`` before anything runs."""
    jobs = registered_jobs() if names is None else [job_get(name) for name in names]
    return [job_run(name=job.name) for job in jobs]


def beat_schedule(*, task: str = "jiaozi.core.tasks.run_job") -> dict[str, dict[str, Any]]:
    """The Celery beat entries for the registered jobs (settings.CELERY_BEAT_SCHEDULE
    spells them out; a test keeps the two in step)."""
    return {
        job.name: {"task": task, "schedule": job.every.total_seconds(), "args": (job.name,)}
        for job in registered_jobs()
    }


# --- The jobs of apps without a jobs module of their own ----------------------------
# Imported lazily: this module is imported by Celery and must not load domain models.


@periodic_job(
    "registration.notice_close_expired",
    every=dt.timedelta(minutes=15),
    description="公示期满的申请自动进入下一环节，并结束到期的公示。",
)
def _notice_close_expired() -> int:
    from jiaozi.registration.notices.services import notice_close_expired

    return notice_close_expired()


@periodic_job(
    "notifications.deliver_pending",
    every=dt.timedelta(minutes=5),
    description="重新投递积压或中断的通知。",
)
def _deliver_pending() -> int:
    from jiaozi.notifications.tasks import deliver_pending

    # Called in-process (the task's body), not queued: the job's outcome is its result.
    return int(deliver_pending())


@periodic_job(
    "accounts.disable_inactive_staff",
    every=dt.timedelta(days=1),
    description="停用长期未登录的工作人员账号。",
)
def _disable_inactive_staff() -> int:
    from jiaozi.accounts.services import staff_disable_inactive

    return len(staff_disable_inactive())


@periodic_job(
    "api.idempotency_records_purge",
    every=dt.timedelta(days=1),
    description="清理过期的接口幂等记录。",
)
def _idempotency_records_purge() -> int:
    from jiaozi.core.api import idempotency_records_purge

    return idempotency_records_purge()
