"""Celery tasks of the teachers app. The import runs here in production (a Redis
worker, so a 100,000-teacher file does not hold a web request); in the embedded default
CELERY_TASK_ALWAYS_EAGER runs it inline."""

from __future__ import annotations

from celery import shared_task

from jiaozi.core.tasks import RETRY, TRANSIENT

from .services import import_job_run


# acks_late with a compare-and-set start: a redelivered task finds the job taken and
# does nothing. No time limit below an hour: the import is one transaction.
# A lost database connection before the job is taken is retried with backoff.
@shared_task(ignore_result=True, acks_late=True, soft_time_limit=3600, autoretry_for=TRANSIENT, **RETRY)
def import_job_run_task(job_id: int) -> str:
    job = import_job_run(job_id=job_id)
    return job.status if job is not None else "skipped"
