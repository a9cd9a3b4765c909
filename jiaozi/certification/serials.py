"""Certificate numbers (§6): year(4) + province(2) + certifying-authority code(3) +
type(1) + sex(1) + serial(6), the serial gap-free per authority per year in the order of
approval.

``serial_next`` runs inside the approval's transaction and holds the authority's counter
row until that transaction ends: on PostgreSQL the incrementing ``UPDATE`` locks it, on
SQLite the immediate transaction (``BEGIN IMMEDIATE``, settings) already holds the
database's write lock. A second approval at the same authority waits, then reads the
committed value; a rolled-back approval gives its serial back with the rest of its
writes. So the serials are distinct, consecutive and in commit order
(docs/decisions/0202)."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from jiaozi.core.errors import Conflict

from .models import AuthorityCode, SerialCounter

SERIAL_MAX = 999_999
NUMBER = re.compile(
    r"^(?P<year>\d{4})(?P<province>\d{2})(?P<authority>\d{3})(?P<type>[1-7])(?P<sex>[12])(?P<serial>\d{6})$"
)


def serial_next(*, authority_id: int, year: int) -> int:
    """The next serial of ``authority_id`` in ``year``; call it inside the approval's
    transaction (it refuses to run outside one), as late as possible: the counter's row
    stays locked until that transaction ends, so every approval at the authority waits
    for whatever the caller writes after it (docs/decisions/0212).

    One statement in the usual case: ``UPDATE … SET last = last + 1 … RETURNING last``
    takes the row lock, increments and reads in a single round trip. Only the year's
    first approval creates the row first (a concurrent creator loses on the unique
    constraint and is ignored)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("serial_next must run inside the approval's transaction")
    serial = _increment(authority_id, year)
    if serial is None:
        SerialCounter.objects.bulk_create(
            [SerialCounter(authority_id=authority_id, year=year, last=0)], ignore_conflicts=True
        )
        serial = _increment(authority_id, year)
    if serial is None:  # the row exists, so it is at SERIAL_MAX
        raise Conflict(_("本年度该认定机构的证书流水号已用尽。"), code="serials_exhausted")
    return serial


def _increment(authority_id: int, year: int) -> int | None:
    connection = transaction.get_connection()
    table = connection.ops.quote_name(SerialCounter._meta.db_table)
    sql = (
        f"UPDATE {table} SET last = last + 1 "  # noqa: S608 # nosec B608 # table name from model metadata, values bound
        "WHERE authority_id = %s AND year = %s AND last < %s RETURNING last"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [authority_id, year, SERIAL_MAX])
        row = cursor.fetchone()
    return int(row[0]) if row else None


def authority_code_of(authority_id: int) -> str:
    code = AuthorityCode.objects.filter(authority_id=authority_id).values_list("code", flat=True).first()
    if code is None:
        raise Conflict(_("该认定机构尚未设置认定机构代码，请联系省级管理员。"), code="authority_code_missing")
    return str(code)


def certificate_number(
    *, year: int, province_code: str, authority_code: str, qualification_type: str, sex: str, serial: int
) -> str:
    """The 17 digits of §6, checked."""
    number = f"{year:04d}{province_code[:2]}{authority_code}{qualification_type}{sex}{serial:06d}"
    if not NUMBER.match(number):
        raise ValueError(f"not a certificate number: {number!r}")
    return number
