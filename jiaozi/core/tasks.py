"""Celery tasks of core: ``run_job`` runs one periodic job (jiaozi.core.jobs) by name;
beat has one entry per registered job (config/celery.py).

Every background task of the project follows the same rules (docs/decisions/0275):
acknowledged late (a worker that dies mid-task leaves it to another), idempotent (a
second delivery finds the work done, or taken by compare-and-set, and stops), and
retried with exponential backoff and jitter on what may pass — a lost database
connection, a job that failed (``TRANSIENT``, ``RETRY``)."""

from __future__ import annotations

from typing import TypedDict

from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError

from . import jobs

# Failures worth another try: the database went away or was restarted (a failover).
TRANSIENT: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


# The retry policy every task shares: 5 more tries, 30 s, 60 s, 120 s … (capped at
# 10 minutes), each with jitter so a fleet of workers does not retry in step.
class RetryPolicy(TypedDict):
    retry_backoff: int
    retry_backoff_max: int
    retry_jitter: bool
    max_retries: int


RETRY = RetryPolicy(retry_backoff=30, retry_backoff_max=600, retry_jitter=True, max_retries=5)


class JobFailed(RuntimeError):
    """Raised so the worker and its monitoring record the run as failed; the job's own
    traceback is already in the log."""


@shared_task(
    bind=True,
    name="jiaozi.core.tasks.run_job",
    ignore_result=True,
    acks_late=True,
    autoretry_for=TRANSIENT,
    **RETRY,
)
def run_job(self: Task, name: str) -> int | None:
    result = jobs.job_run(name=name)
    if not result.ok:
        failure = JobFailed(f"{name}: {result.error}")
        if self.request.is_eager:  # inline (cron's run_due_jobs, tests): report, never loop
            raise failure
        countdown = get_exponential_backoff_interval(
            factor=RETRY["retry_backoff"],
            retries=self.request.retries,
            maximum=RETRY["retry_backoff_max"],
            full_jitter=True,
        )
        raise self.retry(exc=failure, countdown=countdown)
    return result.count
