"""Helpers of the audit tests; the institutions and staff (province, luyang, audit_admin,
prov_admin, sec_admin, ly_admin, yh_admin, …) are the shared ones of ``jiaozi.testing``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from jiaozi.audit import guard


@contextmanager
def guard_suspended() -> Iterator[None]:
    """Take the append-only triggers away for a moment, the way an attacker with DDL
    rights would, so a test can tamper with rows. PostgreSQL disables them; SQLite
    drops and re-creates them (it cannot disable a trigger)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {guard.EVENT_TABLE} DISABLE TRIGGER USER")
            cursor.execute(f"ALTER TABLE {guard.CHAIN_TABLE} DISABLE TRIGGER USER")
        else:
            guard.uninstall(connection)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {guard.EVENT_TABLE} ENABLE TRIGGER USER")
                cursor.execute(f"ALTER TABLE {guard.CHAIN_TABLE} ENABLE TRIGGER USER")
            else:
                guard.install(connection)


def tamper(sql: str, params: list[Any] | None = None) -> int:
    """Run ``sql`` with the guard suspended; returns the affected row count."""
    with guard_suspended(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.rowcount
