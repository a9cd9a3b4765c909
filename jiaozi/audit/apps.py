from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_guard(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """SQLite drops a table's triggers when a migration rebuilds the table; put the
    append-only guard back after every migrate."""
    from django.db import connections

    from . import guard

    guard.ensure_installed(connections[using])


class AuditConfig(AppConfig):
    name = "jiaozi.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self) -> None:
        from . import checks, hooks  # noqa: F401  (checks registers the system checks)

        hooks.register()

        post_migrate.connect(_ensure_guard, sender=self, dispatch_uid="jiaozi.audit.ensure_guard")
