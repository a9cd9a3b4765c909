"""The render task of completion. In the embedded default it runs inline
(CELERY_TASK_ALWAYS_EAGER), right after the transaction that queued it commits;
production runs it on Redis workers."""

from __future__ import annotations

from celery import shared_task

from jiaozi.core.tasks import RETRY, TRANSIENT

from .store import registration_form_store


# acks_late + an idempotent body: a redelivered task finds the form stored and stops.
# The name is the one queued messages have always carried.
@shared_task(
    name="jiaozi.registration.tasks.registration_form_render",
    ignore_result=True,
    acks_late=True,
    soft_time_limit=120,
    autoretry_for=TRANSIENT,
    **RETRY,
)
def registration_form_render(application_id: int) -> str:
    """Render and store the stamped 《教师资格定期注册申请表》 of a completed application."""
    form = registration_form_store(application_id=application_id)
    return form.sha256
