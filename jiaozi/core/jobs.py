"""Periodic jobs: one small registry that both ``python manage.py run_due_jobs`` (cron)
and Celery beat (``jiaozi.core.tasks.run_job``) read.

    from jiaozi.core.jobs import periodic_job

    periodic_job("registration.notice_close_expired", every=timedelta(minutes=15))(
        notice_close_expired
    )

A job is a function without arguments that returns how much it did (an int, or
anything with a length). Every job must be idempotent and safe to run twice at the
same time — cron and beat may overlap, a run may be retried — so the registry keeps no
"last run" state: running a job when nothing is due simply does nothing.

Each app registers its jobs from its ``AppConfig.ready()`` (``jiaozi/<app>/hooks.py``),
so the registry is complete once Django is set up and this module names no app; Celery
beat's schedule is built from it when beat starts (``config/celery.py``).
See docs/decisions/0114-periodic-jobs.md and 0146-app-registries.md.
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


def registered_jobs() -> list[Job]:
    """Every registered job, by name."""
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def job_get(name: str) -> Job:
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
    """The Celery beat entries for the registered jobs (``config/celery.py`` installs
    them when beat starts)."""
    return {
        job.name: {"task": task, "schedule": job.every.total_seconds(), "args": (job.name,)}
        for job in registered_jobs()
    }
