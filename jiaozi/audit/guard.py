"""Database triggers that keep the audit log append-only (SECURITY check 18).

On PostgreSQL and SQLite alike, triggers refuse UPDATE and DELETE (and on PostgreSQL
TRUNCATE) of ``audit_auditevent``, refuse to delete a chain head and refuse to move a
head backwards. Two doors are left, each opened only inside one transaction:

- ``prune_gate`` — ``audit_prune`` deletes rows older than its boundary. The trigger
  itself still refuses any row younger than 183 days, whatever the gate says.
- ``flush_gate`` — Django's test runner empties every table between transactional
  tests (``manage.py flush``); see ``management/commands/flush.py``.

PostgreSQL opens a door with a transaction-local setting (``SET LOCAL
jiaozi.audit_prune``); SQLite has no session variables, so the door is a row in the
``audit_prune_permit`` table, which the triggers consult. A writer holds SQLite's only
write lock for the whole transaction, so nobody else can use an open door.

The triggers protect against the application and its operators making mistakes, not
against a database superuser: in production the application's role should hold only
INSERT and SELECT on ``audit_auditevent`` (docs/decisions/0004-audit-chain-per-institution.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

EVENT_TABLE = "audit_auditevent"
CHAIN_TABLE = "audit_auditchain"
PERMIT_TABLE = "audit_prune_permit"
SETTING = "jiaozi.audit_prune"
# The statutory floor (Cybersecurity Law art. 21: at least six months), enforced by the
# database whatever AUDIT_RETENTION_DAYS says.
FLOOR_DAYS = 183

GATE_PRUNE = "on"
GATE_FLUSH = "flush"

_POSTGRES_FUNCTIONS = [
    f"""
CREATE OR REPLACE FUNCTION jiaozi_audit_event_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    gate text := coalesce(current_setting('{SETTING}', true), '');
BEGIN
    IF gate = '{GATE_FLUSH}' AND TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'DELETE' AND gate = '{GATE_PRUNE}' THEN
        IF OLD."at" < now() - interval '{FLOOR_DAYS} days' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_auditevent: row % is younger than {FLOOR_DAYS} days', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
""",
    f"""
CREATE OR REPLACE FUNCTION jiaozi_audit_chain_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    gate text := coalesce(current_setting('{SETTING}', true), '');
BEGIN
    IF gate = '{GATE_FLUSH}' AND TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF NEW."key" = OLD."key"
           AND NEW.last_seq >= OLD.last_seq
           AND NEW.pruned_seq >= OLD.pruned_seq
           AND NEW.pruned_seq <= NEW.last_seq
           AND (gate = '{GATE_PRUNE}'
                OR (NEW.pruned_seq = OLD.pruned_seq
                    AND NEW.pruned_hash = OLD.pruned_hash
                    AND NEW.pruned_at IS NOT DISTINCT FROM OLD.pruned_at)) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_auditchain only moves forward: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
""",
]

# (trigger name, table, SQL)
_POSTGRES_TRIGGERS = [
    (
        "audit_event_append_only",
        EVENT_TABLE,
        f"CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON {EVENT_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION jiaozi_audit_event_guard()",
    ),
    (
        "audit_event_no_truncate",
        EVENT_TABLE,
        f"CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON {EVENT_TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION jiaozi_audit_event_guard()",
    ),
    (
        "audit_chain_forward_only",
        CHAIN_TABLE,
        f"CREATE TRIGGER audit_chain_forward_only BEFORE UPDATE OR DELETE ON {CHAIN_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION jiaozi_audit_chain_guard()",
    ),
    (
        "audit_chain_no_truncate",
        CHAIN_TABLE,
        f"CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON {CHAIN_TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION jiaozi_audit_chain_guard()",
    ),
]

_SQLITE_PERMIT = (
    f"CREATE TABLE IF NOT EXISTS {PERMIT_TABLE} (mode TEXT NOT NULL, before TEXT NOT NULL DEFAULT '')"
)
# Django stores SQLite datetimes as UTC text ("YYYY-MM-DD HH:MM:SS.ffffff"), which
# compares correctly with strftime's output as text.
_SQLITE_FLOOR = f"strftime('%Y-%m-%d %H:%M:%f', 'now', '-{FLOOR_DAYS} days')"
# Only module constants are interpolated below, never input.
_SQLITE_TRIGGERS = [
    (
        "audit_event_no_update",
        f"CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON {EVENT_TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only: UPDATE refused'); END",
    ),
    (
        "audit_event_no_delete",
        f"CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON {EVENT_TABLE} "  # noqa: S608 # nosec B608 # names are module constants
        f"WHEN NOT EXISTS (SELECT 1 FROM {PERMIT_TABLE} p WHERE p.mode = '{GATE_FLUSH}' "
        f'OR (p.mode = \'{GATE_PRUNE}\' AND OLD."at" < p.before AND OLD."at" < {_SQLITE_FLOOR})) '
        "BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only: DELETE refused'); END",
    ),
    (
        "audit_chain_forward_only",
        f"CREATE TRIGGER audit_chain_forward_only BEFORE UPDATE ON {CHAIN_TABLE} "  # noqa: S608 # nosec B608 # names are module constants
        'WHEN NEW."key" IS NOT OLD."key" OR NEW.last_seq < OLD.last_seq '
        "OR NEW.pruned_seq < OLD.pruned_seq OR NEW.pruned_seq > NEW.last_seq "
        "OR ((NEW.pruned_seq IS NOT OLD.pruned_seq OR NEW.pruned_hash IS NOT OLD.pruned_hash "
        "OR NEW.pruned_at IS NOT OLD.pruned_at) "
        f"AND NOT EXISTS (SELECT 1 FROM {PERMIT_TABLE} WHERE mode = '{GATE_PRUNE}')) "
        "BEGIN SELECT RAISE(ABORT, 'audit_auditchain only moves forward: UPDATE refused'); END",
    ),
    (
        "audit_chain_no_delete",
        f"CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON {CHAIN_TABLE} "  # noqa: S608 # nosec B608 # names are module constants
        f"WHEN NOT EXISTS (SELECT 1 FROM {PERMIT_TABLE} WHERE mode = '{GATE_FLUSH}') "
        "BEGIN SELECT RAISE(ABORT, 'audit_auditchain only moves forward: DELETE refused'); END",
    ),
]


def trigger_names(connection: BaseDatabaseWrapper) -> list[str]:
    """The triggers this backend should have."""
    if connection.vendor == "postgresql":
        return [name for name, _table, _sql in _POSTGRES_TRIGGERS]
    if connection.vendor == "sqlite":
        return [name for name, _sql in _SQLITE_TRIGGERS]
    return []


def installed_triggers(connection: BaseDatabaseWrapper) -> set[str]:
    """Names of the guard triggers present and enabled."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relname IN (%s, %s) AND c.relnamespace = 'public'::regnamespace "
                "AND NOT t.tgisinternal AND t.tgenabled <> 'D'",
                [EVENT_TABLE, CHAIN_TABLE],
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s)",
                [EVENT_TABLE, CHAIN_TABLE],
            )
        else:
            return set()
        return {row[0] for row in cursor.fetchall()}


def missing_triggers(connection: BaseDatabaseWrapper) -> list[str]:
    present = installed_triggers(connection)
    return [name for name in trigger_names(connection) if name not in present]


def install(connection: BaseDatabaseWrapper) -> None:
    """Create (or re-create) the guard. Idempotent."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for sql in _POSTGRES_FUNCTIONS:
                cursor.execute(sql)
            for name, table, sql in _POSTGRES_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(sql)
        elif connection.vendor == "sqlite":
            cursor.execute(_SQLITE_PERMIT)
            for name, sql in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(sql)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, table, _sql in _POSTGRES_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS jiaozi_audit_event_guard()")
            cursor.execute("DROP FUNCTION IF EXISTS jiaozi_audit_chain_guard()")
        elif connection.vendor == "sqlite":
            for name, _sql in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {PERMIT_TABLE}")


INSTALLING_MIGRATION = ("audit", "0003_append_only_guard")


def ensure_installed(connection: BaseDatabaseWrapper) -> bool:
    """Install the guard when a trigger is missing (SQLite drops a table's triggers
    when a migration rebuilds the table). Only while the migration that installs it is
    applied, so migrating backwards really removes it. True when something was installed."""
    from django.db.migrations.recorder import MigrationRecorder

    if not trigger_names(connection):
        return False
    if INSTALLING_MIGRATION not in MigrationRecorder(connection).applied_migrations():
        return False
    if not missing_triggers(connection):
        return False
    install(connection)
    return True


def _open(connection: BaseDatabaseWrapper, mode: str, before: dt.datetime | None) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, mode])
        elif connection.vendor == "sqlite":
            boundary = connection.ops.adapt_datetimefield_value(before) if before else ""
            cursor.execute(f"INSERT INTO {PERMIT_TABLE} (mode, before) VALUES (%s, %s)", [mode, boundary])  # noqa: S608 # nosec B608 # names are module constants


def _close(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, '', true)", [SETTING])
        elif connection.vendor == "sqlite":
            cursor.execute(f"DELETE FROM {PERMIT_TABLE}")  # noqa: S608 # nosec B608 # names are module constants


@contextmanager
def prune_gate(*, before: dt.datetime, using: str = "default") -> Iterator[None]:
    """Let this transaction delete audit rows older than ``before`` (and than the
    floor) and move chain heads' pruned boundary. Closed again on exit; on error the
    savepoint's rollback closes it."""
    connection = connections[using]
    with transaction.atomic(using=using):
        _open(connection, GATE_PRUNE, before)
        yield
        _close(connection)


@contextmanager
def flush_gate(*, using: str = "default") -> Iterator[None]:
    """Let this transaction empty the audit tables (the test runner's flush only)."""
    connection = connections[using]
    with transaction.atomic(using=using):
        _open(connection, GATE_FLUSH, None)
        yield
        _close(connection)
