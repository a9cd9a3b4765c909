"""``manage.py rotate_keys [--batch-size N] [--dry-run]`` — re-encrypt every encrypted
field to the active key (FIELD_ENCRYPTION_ACTIVE_KEY), in batches.

Resumable: values already on the active key are skipped, so an interrupted run is run
again. Audited: one row per batch written (in the batch's transaction) and one for the
run, with table and column names and counts, never a value. Retire an old key from
FIELD_ENCRYPTION_KEYS (or the key file) only after a run that reports nothing left."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core.keyrotation import DEFAULT_BATCH, BatchResult, rotate_all


def _audit_batch(result: BatchResult) -> None:
    audit_record(
        kind=AuditKind.KEYS_ROTATED,
        object_type="encrypted_column",
        object_id=f"{result.table}.{result.column}",
        details={
            "scope": "batch",
            "scanned": result.scanned,
            "rotated": result.rotated,
            "skipped": result.skipped,
            "changed_meanwhile": result.changed_meanwhile,
        },
    )


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field to the active key, in batches (resumable, audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, help="Rows per transaction.")
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        size: int = options["batch_size"]
        dry_run: bool = options["dry_run"]
        if size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            report = rotate_all(batch_size=size, dry_run=dry_run, on_batch=_audit_batch)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        columns: dict[str, list[int]] = {}
        for batch in report.batches:
            counts = columns.setdefault(f"{batch.table}.{batch.column}", [0, 0, 0])
            counts[0] += batch.rotated
            counts[1] += batch.skipped
            counts[2] += batch.changed_meanwhile
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        for name, (rotated, skipped, moved) in sorted(columns.items()):
            self.stdout.write(
                f"{name}: {verb} {rotated}, already on the key {skipped}, changed meanwhile {moved}"
            )
        totals = {
            "scope": "run",
            "dry_run": dry_run,
            "active_key": report.active_key,
            "columns": len(columns),
            "batches": len(report.batches),
            "scanned": report.total("scanned"),
            "rotated": report.total("rotated"),
            "skipped": report.total("skipped"),
            "changed_meanwhile": report.total("changed_meanwhile"),
        }
        audit_record(
            kind=AuditKind.KEYS_ROTATED,
            object_type="encryption_key",
            object_id=report.active_key,
            details=totals,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Active key {report.active_key}: {verb} {totals['rotated']} values in {totals['columns']} columns."
            )
        )
