"""Celery application. In the embedded default the broker is in memory and tasks run
inline (CELERY_TASK_ALWAYS_EAGER); production settings point it at Redis."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("jiaozi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
