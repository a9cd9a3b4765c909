"""Celery tasks of core: ``run_job`` runs one periodic job (jiaozi.core.jobs) by name;
beat has one entry per registered job (config/celery.py)."""

from __future__ import annotations

from celery import shared_task

from . import jobs


class JobFailed(RuntimeError):
    """Raised so the worker and its monitoring record the run as failed; the job's own
    traceback is already in the log."""


@shared_task(name="jiaozi.core.tasks.run_job", ignore_result=True)
def run_job(name: str) -> int | None:
    result = jobs.job_run(name=name)
    if not result.ok:
        raise JobFailed(f"{name}: {result.error}")
    return result.count
