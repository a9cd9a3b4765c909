"""Compare-and-set: the only way the engine writes a state.

``compare_and_set`` moves one row: ``UPDATE … SET <changed columns> WHERE pk = … AND
<expected columns>`` and reports whether exactly one row matched. ``compare_and_set_many``
moves a set of rows that expect and write the same values in one statement per chunk,
``… WHERE pk IN (…) AND … RETURNING pk``, and returns the pks it moved (PostgreSQL and
SQLite ≥ 3.35 both return the rows they changed, so a row a concurrent writer moved
first is simply not among them). Both work on SQLite, where ``select_for_update`` does
nothing (docs/decisions/0131-compare-and-set-in-the-engine.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection, models
from django.db.models import F, Value
from django.db.models.functions import Coalesce

CHUNK = 1000


@dataclass(frozen=True)
class FirstSet:
    """Write ``value`` only where the column is still empty (``COALESCE(col, value)``):
    a first submission time that a resubmission keeps."""

    value: Any


def _orm(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: Coalesce(F(name), Value(value.value)) if isinstance(value, FirstSet) else value
        for name, value in values.items()
    }


def compare_and_set(
    model: type[models.Model],
    *,
    pk: Any,
    expected: Mapping[str, Any],
    values: Mapping[str, Any],
    bump: str = "",
) -> bool:
    """Write ``values`` (and ``bump`` + 1) to row ``pk`` if it still holds ``expected``."""
    update = _orm(values)
    if bump:
        update[bump] = F(bump) + 1
    return model._default_manager.filter(pk=pk, **expected).update(**update) == 1


def narrow(values: Mapping[str, Any], instance: models.Model) -> dict[str, Any]:
    """The values that change ``instance`` (read in the same check): an UPDATE of only
    the changed columns. A ``FirstSet`` becomes a plain value, or nothing if set."""
    changed: dict[str, Any] = {}
    for name, value in values.items():
        current = getattr(instance, name)
        if isinstance(value, FirstSet):
            if current is None:
                changed[name] = value.value
        elif current != value:
            changed[name] = value
    return changed


def apply(instance: models.Model, values: Mapping[str, Any], *, bump: str = "") -> None:
    """Mirror a successful compare-and-set on the instance it was read from."""
    for name, value in values.items():
        setattr(instance, name, value.value if isinstance(value, FirstSet) else value)
    if bump:
        setattr(instance, bump, getattr(instance, bump) + 1)


def compare_and_set_many(
    model: type[models.Model],
    *,
    pks: Sequence[Any],
    expected: Mapping[str, Any],
    values: Mapping[str, Any],
    bump: str = "",
    chunk: int = CHUNK,
) -> set[Any]:
    """Write the same ``values`` to every row of ``pks`` that still holds ``expected``;
    returns the pks moved."""
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_col = quote(str(cast(models.Field, meta.pk).column))

    def column(name: str) -> tuple[models.Field, str]:
        model_field = cast(models.Field, meta.get_field(name))  # by name or attname ("notice_id")
        return model_field, quote(str(model_field.column))

    sets: list[str] = []
    set_params: list[Any] = []
    for name, value in values.items():
        model_field, col = column(name)
        raw = value.value if isinstance(value, FirstSet) else value
        set_params.append(model_field.get_db_prep_save(raw, connection))
        sets.append(f"{col} = COALESCE({col}, %s)" if isinstance(value, FirstSet) else f"{col} = %s")
    if bump:
        col = column(bump)[1]
        sets.append(f"{col} = {col} + 1")
    wheres: list[str] = []
    where_params: list[Any] = []
    for name, value in expected.items():
        model_field, col = column(name)
        wheres.append(f"{col} = %s")
        where_params.append(model_field.get_db_prep_value(value, connection))
    moved: set[Any] = set()
    for start in range(0, len(pks), chunk):
        ids = list(pks[start : start + chunk])
        marks = ", ".join(["%s"] * len(ids))
        sql = (
            f"UPDATE {table} SET {', '.join(sets)} "  # noqa: S608 # nosec B608 # names from model metadata, values bound
            f"WHERE {' AND '.join([f'{pk_col} IN ({marks})', *wheres])} RETURNING {pk_col}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*set_params, *ids, *where_params])
            moved.update(row[0] for row in cursor.fetchall())
    return moved


def group_by_write(
    entries: Iterable[tuple[Any, Mapping[str, Any], Mapping[str, Any]]],
) -> dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any], list[Any]]]:
    """Group (pk, expected, values) triples that expect and write the same, so each
    group is one ``compare_and_set_many``."""
    groups: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any], list[Any]]] = {}
    for pk, expected, values in entries:
        key = (tuple(sorted(expected.items())), tuple(sorted(values.items(), key=lambda kv: kv[0])))
        groups.setdefault(key, (dict(expected), dict(values), []))[2].append(pk)
    return groups
