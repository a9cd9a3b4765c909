"""Celery tasks of the registration app, found by Celery's autodiscovery here; each lives
with its feature."""

from __future__ import annotations

from .completion.tasks import registration_form_render

__all__ = ["registration_form_render"]
