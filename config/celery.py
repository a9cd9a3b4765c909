"""Celery application. In the embedded default the broker is in memory and tasks run
inline (CELERY_TASK_ALWAYS_EAGER); production settings point it at Redis.

Beat's schedule is not a list in the settings: the apps register their periodic jobs
(``jiaozi.core.jobs``) in ``AppConfig.ready()``, and when beat starts — Django is set up
by then — it gets one entry per registered job."""

import os
from typing import Any

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("jiaozi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@beat_init.connect
def install_beat_schedule(sender: Any, **kwargs: Any) -> None:
    """Runs before beat builds its scheduler from ``beat_schedule``."""
    from jiaozi.core.jobs import beat_schedule

    sender.app.conf.beat_schedule = {**beat_schedule(), **sender.app.conf.beat_schedule}
