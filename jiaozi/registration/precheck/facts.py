"""Loading teacher facts for the rules in bulk: a fixed handful of set-based queries
per chunk of teachers, whatever the chunk holds (never a query per teacher).

Per chunk: the teachers, their certificates, then — only for teachers with a
certificate due (first, periodic or after-deferral registration), the only ones whose
suggestion reads the cycle — their annual appraisals and failed ethics appraisals of
the appraisal years, their training hours summed over the cycle, and their unapproved
breaks that touch the cycle. Records that cannot change the result are not loaded; the
rules still apply every bound themselves (docs/rules.md, "pre-check loading").

The queries are plain SQL over the teachers app's tables: this is the hot path of the
1,000,000-teacher pre-check (§10), and building ORM lookups with thousands of ids and
turning every row into ORM values cost more than the rules themselves
(docs/decisions/0051-precheck-loading.md). Only integers from the database are
inlined (the id lists); every other value is a query parameter.
"""

# ruff: noqa: S608 — identifiers come from model metadata and the only inlined values are
# integer ids passed through int(); everything else is a query parameter.
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from jiaozi.certificates.models import Certificate
from jiaozi.teachers.models import (
    AnnualAppraisal,
    EthicsAppraisal,
    EthicsResult,
    Teacher,
    TeachingBreak,
    TrainingRecord,
)

from .. import rules
from ..rules import CycleContext, Due, Precheck, TeacherFacts

CHUNK_SIZE = 5000
# First registrations read line 1 (ethics, consecutive failures) over the appraisal years.
_NEEDS_CYCLE = frozenset({Due.FIRST, Due.PERIODIC, Due.AFTER_DEFERRAL})
_TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class PrecheckRow:
    """One output row: a teacher's certificate (or the teacher, when they hold none)."""

    teacher_id: int
    certificate_id: int | None
    certificate_number: str
    result: Precheck


# (pk, post_type, employment_type, health, probation_passed_on)
TeacherRow = tuple[int, str, str, str, dt.date | None]
# (teacher_id, pk, number, status, last_conclusion, valid_to)
CertificateRow = tuple[int, int, str, str, str, dt.date | None]
TEACHER_FIELDS = ("pk", "post_type", "employment_type", "health", "probation_passed_on")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model: Any) -> str:
    return _q(model._meta.db_table)


def _col(model: Any, field: str) -> str:
    return _q(model._meta.get_field(field).column)


def _ids_sql(column: str, ids: Sequence[int]) -> str:
    # int() guarantees nothing but digits reaches the statement.
    return f"{column} IN ({','.join(str(int(i)) for i in ids)})"


def _fetch(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _as_date(value: Any) -> dt.date | None:
    # SQLite hands back dates of plain columns already parsed; be lenient anyway.
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _teacher_select() -> str:
    cols = ", ".join(
        _col(Teacher, f) for f in ("id", "post_type", "employment_type", "health", "probation_passed_on")
    )
    return f"SELECT {cols} FROM {_table(Teacher)}"  # nosec B608 # names from model metadata, values bound


def teacher_rows(ids: Sequence[int]) -> list[TeacherRow]:
    """The teachers with these ids, in id order (one query)."""
    if not ids:
        return []
    sql = f"{_teacher_select()} WHERE {_ids_sql(_col(Teacher, 'id'), ids)} ORDER BY {_col(Teacher, 'id')}"
    return [(r[0], r[1], r[2], r[3], _as_date(r[4])) for r in _fetch(sql)]


def _teacher_rows_after(last: int, limit: int) -> list[TeacherRow]:
    pk = _col(Teacher, "id")
    sql = f"{_teacher_select()} WHERE {pk} > %s ORDER BY {pk} LIMIT %s"
    return [(r[0], r[1], r[2], r[3], _as_date(r[4])) for r in _fetch(sql, (last, limit))]


def _certificates(ids: Sequence[int], *, contiguous: bool) -> dict[int, list[CertificateRow]]:
    teacher = _col(Certificate, "teacher")
    cols = ", ".join(
        [teacher, *(_col(Certificate, f) for f in ("id", "number", "status", "last_conclusion", "valid_to"))]
    )
    if contiguous:
        # Every teacher between the first and last id is in the chunk: a range scan.
        where, params = f"{teacher} BETWEEN %s AND %s", [ids[0], ids[-1]]
    else:
        where, params = _ids_sql(teacher, ids), []
    sql = f"SELECT {cols} FROM {_table(Certificate)} WHERE {where} ORDER BY {teacher}, {_col(Certificate, 'number')}"  # nosec B608 # names from model metadata, values bound
    out: dict[int, list[CertificateRow]] = defaultdict(list)
    for t, pk, number, status, conclusion, valid_to in _fetch(sql, params):
        out[t].append((t, pk, number, status, conclusion or "", _as_date(valid_to)))
    return out


def _cycle_facts(
    ids: Sequence[int], ctx: CycleContext
) -> tuple[
    dict[int, dict[int, str]],
    dict[int, dict[int, str]],
    dict[int, tuple[tuple[dt.date, Decimal], ...]],
    dict[int, list[tuple[dt.date, dt.date, bool]]],
]:
    appraisals: dict[int, dict[int, str]] = defaultdict(dict)
    ethics: dict[int, dict[int, str]] = defaultdict(dict)
    training: dict[int, tuple[tuple[dt.date, Decimal], ...]] = {}
    breaks: dict[int, list[tuple[dt.date, dt.date, bool]]] = defaultdict(list)
    if not ids:
        return appraisals, ethics, training, breaks
    first_year, last_year = ctx.appraisal_years[0], ctx.appraisal_years[-1]

    t, year = _col(AnnualAppraisal, "teacher"), _col(AnnualAppraisal, "year")
    sql = (
        f"SELECT {t}, {year}, {_col(AnnualAppraisal, 'grade')} FROM {_table(AnnualAppraisal)} "  # nosec B608 # names from model metadata, values bound
        f"WHERE {_ids_sql(t, ids)} AND {year} BETWEEN %s AND %s"
    )
    for teacher_id, y, grade in _fetch(sql, (first_year, last_year)):
        appraisals[teacher_id][y] = grade

    # Only a failed ethics appraisal changes a suggestion.
    t, year, result = (
        _col(EthicsAppraisal, "teacher"),
        _col(EthicsAppraisal, "year"),
        _col(EthicsAppraisal, "result"),
    )
    sql = (
        f"SELECT {t}, {year}, {result} FROM {_table(EthicsAppraisal)} "  # nosec B608 # names from model metadata, values bound
        f"WHERE {_ids_sql(t, ids)} AND {year} BETWEEN %s AND %s AND {result} = %s"
    )
    for teacher_id, y, value in _fetch(sql, (first_year, last_year, EthicsResult.FAILED.value)):
        ethics[teacher_id][y] = value

    # Summed in the database, one row per teacher instead of one per course; the sum
    # reaches the rule as one record dated R, which lies inside the cycle. SQLite sums
    # the decimal column as a float: hours have one decimal place, so rounding the sum
    # to tenths restores the exact value.
    t, day = _col(TrainingRecord, "teacher"), _col(TrainingRecord, "date")
    sql = (
        f"SELECT {t}, SUM({_col(TrainingRecord, 'hours')}) FROM {_table(TrainingRecord)} "  # nosec B608 # names from model metadata, values bound
        f"WHERE {_ids_sql(t, ids)} AND {day} > %s AND {day} <= %s GROUP BY {t}"
    )
    r = ctx.registration_date
    for teacher_id, total in _fetch(sql, (ctx.cycle_after, r)):
        training[teacher_id] = ((r, Decimal(str(total)).quantize(_TENTH)),)

    # Approved breaks never count; others only when they touch the cycle.
    t, start, end = _col(TeachingBreak, "teacher"), _col(TeachingBreak, "start"), _col(TeachingBreak, "end")
    approved = _col(TeachingBreak, "approved")
    sql = (
        f"SELECT {t}, {start}, {end} FROM {_table(TeachingBreak)} "  # nosec B608 # names from model metadata, values bound
        f"WHERE {_ids_sql(t, ids)} AND {approved} = %s AND {end} > %s AND {start} <= %s"
    )
    for teacher_id, s, e in _fetch(sql, (False, ctx.cycle_after, r)):
        breaks[teacher_id].append((_as_date(s), _as_date(e), False))  # type: ignore[arg-type]
    return appraisals, ethics, training, breaks


def evaluate_teachers(
    teachers: Sequence[TeacherRow], ctx: CycleContext, *, contiguous: bool = False
) -> list[PrecheckRow]:
    """Pre-check rows for ``teachers`` (already fetched, in id order), in teacher then
    certificate number order; at most five more queries. ``contiguous`` says the chunk
    holds every teacher between its first and last id (the whole-database stream)."""
    if not teachers:
        return []
    ids = [row[0] for row in teachers]
    certificates = _certificates(ids, contiguous=contiguous)

    # First pass: the due line needs no cycle facts.
    pending: list[tuple[int, CertificateRow | None, TeacherFacts, str, tuple[str, ...]]] = []
    needs_cycle: list[int] = []
    due_of = rules.due_of
    for pk, post_type, employment_type, health, probation in teachers:
        certs: Iterable[CertificateRow | None] = certificates.get(pk) or (None,)
        for cert in certs:
            facts = TeacherFacts(
                post_type=post_type,
                employment_type=employment_type,
                health=health,
                probation_passed_on=probation,
                certificate_status=cert[3] if cert else None,
                last_conclusion=cert[4] if cert else "",
                valid_to=cert[5] if cert else None,
            )
            due, due_reasons = due_of(facts, ctx)
            if due in _NEEDS_CYCLE and (not needs_cycle or needs_cycle[-1] != pk):
                needs_cycle.append(pk)
            pending.append((pk, cert, facts, due, due_reasons))

    appraisals, ethics, training, breaks = _cycle_facts(needs_cycle, ctx)

    out: list[PrecheckRow] = []
    suggest = rules.suggest
    for pk, cert, facts, due, due_reasons in pending:
        if due in _NEEDS_CYCLE:
            facts = TeacherFacts(
                post_type=facts.post_type,
                employment_type=facts.employment_type,
                health=facts.health,
                probation_passed_on=facts.probation_passed_on,
                certificate_status=facts.certificate_status,
                last_conclusion=facts.last_conclusion,
                valid_to=facts.valid_to,
                appraisals=appraisals.get(pk, {}),
                ethics=ethics.get(pk, {}),
                training=training.get(pk, ()),
                breaks=breaks.get(pk, ()),
            )
        suggestion, suggestion_reasons = suggest(facts, due, ctx)
        out.append(
            PrecheckRow(
                teacher_id=pk,
                certificate_id=cert[1] if cert else None,
                certificate_number=cert[2] if cert else "",
                result=Precheck(due, suggestion, due_reasons + suggestion_reasons),
            )
        )
    return out


def iter_precheck(
    ctx: CycleContext, *, teachers: QuerySet[Teacher] | None = None, chunk_size: int = CHUNK_SIZE
) -> Iterator[PrecheckRow]:
    """Stream pre-check rows for every teacher (or those of ``teachers``), in teacher id
    order, ``chunk_size`` teachers at a time (keyset pagination: flat memory, no OFFSET
    scans)."""
    last = 0
    while True:
        if teachers is None:
            chunk = _teacher_rows_after(last, chunk_size)
        else:
            chunk = list(
                teachers.filter(pk__gt=last).order_by("pk").values_list(*TEACHER_FIELDS)[:chunk_size]
            )
        if not chunk:
            return
        last = chunk[-1][0]
        yield from evaluate_teachers(chunk, ctx, contiguous=teachers is None)
        if len(chunk) < chunk_size:
            return
