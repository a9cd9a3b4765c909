"""Moving every encrypted value to the active key (``manage.py rotate_keys``).

Each EncryptedField column is walked in primary-key order, a batch at a time; a value
already on the active key is skipped, so a run that stopped part way is simply run again
(no cursor to keep). A batch is one transaction: its rows are rewritten with a
compare-and-set on the old ciphertext (a row changed meanwhile is left to the next run)
and ``on_batch`` (the audit row) is written inside it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, router, transaction

from . import crypto
from .fields import EncryptedField, encrypted_fields

DEFAULT_BATCH = 500


@dataclass
class BatchResult:
    """What one batch of one column did. Counts and names only, never a value."""

    table: str
    column: str
    scanned: int = 0
    rotated: int = 0
    skipped: int = 0  # already on the active key
    changed_meanwhile: int = 0
    dry_run: bool = False


@dataclass
class RotationReport:
    active_key: str
    batches: list[BatchResult]

    def total(self, attr: str) -> int:
        return sum(getattr(batch, attr) for batch in self.batches)


def _batches(field: EncryptedField, size: int) -> Any:
    """The raw (pk, ciphertext) rows of ``field``'s column, ``size`` at a time."""
    model = field.model
    db = router.db_for_write(model)
    connection = connections[db]
    quote = connection.ops.quote_name
    table, column, pk = (
        quote(model._meta.db_table),
        quote(str(field.column)),
        quote(str(model._meta.pk.column)),
    )
    last: Any = None
    while True:
        where = f"{column} IS NOT NULL AND {column} <> ''"
        params: list[Any] = []
        if last is not None:
            where += f" AND {pk} > %s"
            params.append(last)
        sql = f"SELECT {pk}, {column} FROM {table} WHERE {where} ORDER BY {pk} LIMIT %s"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, size])
            rows = cursor.fetchall()
        if not rows:
            return
        yield db, f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s", rows  # noqa: S608
        last = rows[-1][0]


def rotate_field(
    field: EncryptedField,
    *,
    batch_size: int = DEFAULT_BATCH,
    dry_run: bool = False,
    on_batch: Callable[[BatchResult], None] | None = None,
) -> list[BatchResult]:
    active = crypto.keyring().active
    results = []
    for db, update, rows in _batches(field, batch_size):
        result = BatchResult(
            table=field.model._meta.db_table,
            column=str(field.column),
            scanned=len(rows),
            dry_run=dry_run,
        )
        stale = [(pk, stored) for pk, stored in rows if crypto.key_id_of(stored) != active]
        result.skipped = len(rows) - len(stale)
        if dry_run:
            result.rotated = len(stale)
        elif stale:
            with transaction.atomic(using=db):
                changes = [
                    (crypto.reencrypt(stored, context=field.context), pk, stored) for pk, stored in stale
                ]
                with connections[db].cursor() as cursor:
                    for params in changes:
                        cursor.execute(update, params)
                        if cursor.rowcount == 1:
                            result.rotated += 1
                        else:
                            result.changed_meanwhile += 1
                if on_batch is not None:
                    on_batch(result)
        results.append(result)
    return results


def rotate_all(
    *,
    batch_size: int = DEFAULT_BATCH,
    dry_run: bool = False,
    on_batch: Callable[[BatchResult], None] | None = None,
) -> RotationReport:
    """Re-encrypt every EncryptedField value that is not on the active key."""
    report = RotationReport(active_key=crypto.keyring().active, batches=[])
    for field in encrypted_fields():
        report.batches.extend(rotate_field(field, batch_size=batch_size, dry_run=dry_run, on_batch=on_batch))
    return report
