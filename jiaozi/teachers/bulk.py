"""Set-based writes of teacher tables: many rows per statement, values already adapted.
The importer, the demo seed and the benchmarks all write through here, each table with
one column list (``CERTIFICATES``, ``ANNUAL_APPRAISALS``, …): a row is a tuple in the
order of its table's ``columns``.

Django's ``bulk_create`` spends ~70 µs per row on the reference machine building model
instances and preparing every field, which for the 2.4 million rows of the benchmark
file would be three minutes alone; executing the same INSERT with plain parameter
tuples costs ~7 µs. Table and column names come from the models' metadata and values
from the fields' own adapters (``get_db_prep_save``), so the rows written are the rows
the ORM would write. A column a table's list leaves out gets its model default, so a
field added later with a default keeps every writer working. See
docs/decisions/0062-import-set-based-writes.md and 0156.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.backends.base.base import BaseDatabaseWrapper

from jiaozi.certificates.models import Certificate
from jiaozi.core import clock
from jiaozi.teachers.models import (
    AnnualAppraisal,
    EthicsAppraisal,
    Teacher,
    TeachingBreak,
    TrainingRecord,
)

Adapter = Callable[[Any], Any]


def _column(model: type[models.Model], name: str) -> str:
    column = model._meta.get_field(name).column  # type: ignore[union-attr]
    assert column is not None
    return connection.ops.quote_name(column)


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def adapter_for(model: type[models.Model], name: str, conn: BaseDatabaseWrapper = connection) -> Adapter:
    """The function that turns a Python value of field ``name`` into its database
    parameter, memoised for the value types that repeat (dates, decimals)."""
    field = model._meta.get_field(name)
    ops = conn.ops
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        cache: dict[Any, Any] = {}

        def adapt_date(value: Any) -> Any:
            if value is None:
                return None
            try:
                return cache[value]
            except KeyError:
                cache[value] = result = ops.adapt_datefield_value(value)
                return result

        return adapt_date
    if isinstance(field, models.DecimalField):
        cache_d: dict[Any, Any] = {}
        digits, places = field.max_digits, field.decimal_places

        def adapt_decimal(value: Any) -> Any:
            try:
                return cache_d[value]
            except KeyError:
                cache_d[value] = result = ops.adapt_decimalfield_value(value, digits, places)
                return result

        return adapt_decimal
    if isinstance(field, models.BooleanField | models.IntegerField | models.CharField | models.ForeignKey):
        return identity
    return lambda value: field.get_db_prep_save(value, conn)  # type: ignore[union-attr]


def identity(value: Any) -> Any:
    return value


def max_rows_per_statement(width: int) -> int:
    limit = connection.features.max_query_params or 65535
    return max(1, min(1000, limit // width))


def insert(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT rows (already adapted): COPY on PostgreSQL (an executemany there costs a
    round trip per row, ~3x slower than SQLite on the reference machine), one
    executemany on SQLite. Columns not in ``fields`` get their model default."""
    if not rows:
        return
    missing, tail = _defaults(model, fields)
    if missing:
        fields = (*fields, *missing)
        rows = [(*row, *tail) for row in rows]
    columns = ", ".join(_column(model, f) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {_table(model)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {_table(model)} ({columns}) VALUES ({placeholders})"  # noqa: S608 # nosec B608 # names from model metadata, values bound
        cursor.executemany(sql, rows)


def _defaults(model: type[models.Model], fields: Sequence[str]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """The concrete fields ``fields`` leave out (the primary key aside) and their
    default values in database form; ``auto_now`` columns get now."""
    given = {model._meta.get_field(name).name for name in fields}
    names: list[str] = []
    values: list[Any] = []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.name in given:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value: Any = clock.now()
        elif f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        else:
            raise ValueError(f"{model._meta.label}.{f.name} needs a value.")
        names.append(f.name)
        values.append(f.get_db_prep_save(value, connection))
    return tuple(names), tuple(values)


@dataclass(frozen=True)
class Table:
    """A table written in bulk and the one order of its row tuples."""

    model: type[models.Model]
    columns: tuple[str, ...]

    def insert(self, rows: Sequence[Sequence[Any]]) -> None:
        insert(self.model, self.columns, rows)

    def without(self, *names: str) -> tuple[str, ...]:
        """The columns but ``names``, in the same order (what an update sets)."""
        return tuple(c for c in self.columns if c not in names)


@dataclass(frozen=True)
class FactTable(Table):
    """A teacher's fact rows: ``(teacher, *key, *values)``; the key identifies a row
    within its teacher (what an import matches on), the values are what it updates."""

    key: tuple[str, ...] = ()
    values: tuple[str, ...] = ()


def _facts(model: type[models.Model], key: tuple[str, ...], values: tuple[str, ...]) -> FactTable:
    return FactTable(model, ("teacher", *key, *values), key, values)


# Only the importer writes teachers set-based (``insert_keyed``); the demo and the
# benchmarks use ``bulk_create``.
TEACHERS = Table(
    Teacher,
    (
        "resident_id",
        "resident_id_bidx",
        "name",
        "sex",
        "phone",
        "phone_bidx",
        "school",
        "post_type",
        "employment_type",
        "health",
        "probation_passed_on",
        "version",
        "created_at",
        "updated_at",
    ),
)
CERTIFICATES = Table(
    Certificate,
    (
        "number",
        "teacher",
        "qualification_type",
        "subject",
        "status",
        "last_conclusion",
        "valid_from",
        "valid_to",
        "registered_on",
        "version",
        "created_at",
        "updated_at",
    ),
)
ANNUAL_APPRAISALS = _facts(AnnualAppraisal, ("year",), ("grade",))
ETHICS_APPRAISALS = _facts(EthicsAppraisal, ("year",), ("result",))
TRAINING_RECORDS = _facts(TrainingRecord, ("date", "programme"), ("hours",))
TEACHING_BREAKS = _facts(TeachingBreak, ("start",), ("end", "reason", "approved"))


def insert_returning(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]], returning: Sequence[str]
) -> list[tuple[Any, ...]]:
    """INSERT rows with multi-row VALUES statements and return ``returning`` columns
    of the new rows (in no particular order: SQLite does not promise one)."""
    if not rows:
        return []
    columns = ", ".join(_column(model, f) for f in fields)
    back = ", ".join(_column(model, f) for f in returning)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    step = max_rows_per_statement(len(fields))
    result: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            sql = (
                f"INSERT INTO {_table(model)} ({columns}) VALUES "  # noqa: S608 # nosec B608 # names from model metadata, values bound
                + ", ".join([one] * len(chunk))
                + f" RETURNING {back}"
            )
            cursor.execute(sql, [value for row in chunk for value in row])
            result.extend(cursor.fetchall())
    return result


def insert_keyed(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]], *, key: str
) -> list[tuple[Any, Any]]:
    """INSERT rows and return ``(id, key)`` of each, ``key`` being a unique field among
    ``fields``. PostgreSQL: COPY, then one ``= ANY(%s)`` lookup (a VALUES statement of
    a thousand rows costs more to parse than COPY takes to load them). SQLite:
    ``RETURNING``."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        return insert_returning(model, fields, rows, ("id", key))
    insert(model, fields, rows)
    position = list(fields).index(key)
    keys = [row[position] for row in rows]
    pk = model._meta.pk
    assert pk is not None
    sql = (
        f"SELECT {_column(model, pk.name)}, {_column(model, key)} FROM {_table(model)} "  # noqa: S608 # nosec B608 # names from model metadata, values bound
        f"WHERE {_column(model, key)} = ANY(%s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [keys])
        return list(cursor.fetchall())


def update(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """UPDATE by primary key; each row is (*values, pk)."""
    if not rows:
        return
    assignments = ", ".join(f"{_column(model, f)} = %s" for f in fields)
    pk_field = model._meta.pk
    assert pk_field is not None
    assert pk_field.column is not None
    pk = connection.ops.quote_name(pk_field.column)
    sql = f"UPDATE {_table(model)} SET {assignments} WHERE {pk} = %s"  # noqa: S608 # nosec B608 # names from model metadata, values bound
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# SQLite's default page cache (2 MB) spills a transaction of millions of rows to disk
# page by page: with 256 MB the same inserts take about half the time (measured on the
# reference machine, 12 → 7.6 µs per training row).
SQLITE_IMPORT_CACHE_KIB = 262_144


@contextlib.contextmanager
def large_transaction() -> Iterator[None]:
    """Tune the connection for one big write transaction, and restore it after."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")
