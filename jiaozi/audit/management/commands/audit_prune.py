"""``manage.py audit_prune --before YYYY-MM-DD [--dry-run]`` — delete audit rows older
than a date (midnight, Asia/Shanghai). The only way rows ever leave the audit log:
refuses any date inside the retention period (AUDIT_RETENTION_DAYS, at least 183)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiaozi.audit.services import audit_prune
from jiaozi.core.errors import DomainError


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--before must be a date YYYY-MM-DD, not {value!r}.") from exc


class Command(BaseCommand):
    help = "Delete audit rows older than --before (never inside the retention period)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", required=True, type=_date, help="YYYY-MM-DD, midnight Asia/Shanghai.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be pruned; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day: dt.date = options["before"]
        before = dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
        try:
            pruned = audit_prune(before=before, dry_run=options["dry_run"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        verb = "Would prune" if options["dry_run"] else "Pruned"
        for chain in pruned:
            self.stdout.write(
                f"{verb} {chain.chain}: seq {chain.from_seq}–{chain.to_seq} ({chain.rows} rows)"
            )
        total = sum(chain.rows for chain in pruned)
        self.stdout.write(self.style.SUCCESS(f"{verb} {total} rows in {len(pruned)} chains before {day}."))
