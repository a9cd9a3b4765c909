"""``manage.py flush`` that respects the append-only audit log.

Django's flush empties every table, and the audit triggers refuse that — which is what
production wants: flush cannot erase the audit log there. The test runner, though,
flushes the database after every transactional test; with AUDIT_FLUSH_ALLOWED (set in
the test settings only) this command opens the guard's flush gate for the one
transaction that empties the tables."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import flush

from jiaozi.audit import guard


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        if getattr(settings, "AUDIT_FLUSH_ALLOWED", False):
            with guard.flush_gate(using=options["database"]):
                super().handle(**options)
            return
        try:
            super().handle(**options)
        except CommandError as exc:
            raise CommandError(
                f"{exc}\nThe audit log is append-only: flush refuses to erase it "
                "(AUDIT_FLUSH_ALLOWED is for test settings only)."
            ) from exc
