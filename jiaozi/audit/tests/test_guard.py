"""The append-only guard: database triggers refuse changes to the audit log on
PostgreSQL and SQLite alike (SECURITY check 18)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from jiaozi.audit import guard
from jiaozi.audit.models import AuditChain, AuditEvent
from jiaozi.core import clock

from .conftest import guard_suspended
from .factories import record, record_many

pytestmark = pytest.mark.django_db


def _refused(sql: str, params: list[Any] | None = None) -> None:
    with (
        pytest.raises(DatabaseError, match=r"append-only|only moves forward|younger"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params or [])


def test_every_trigger_is_installed() -> None:
    assert guard.missing_triggers(connection) == []
    assert len(guard.trigger_names(connection)) == 4


def test_update_is_refused() -> None:
    event = record(institution_id=1)
    _refused("UPDATE audit_auditevent SET outcome = 'failure' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(details={"forged": True})
    assert AuditEvent.objects.get(pk=event.pk).outcome == "success"


def test_delete_is_refused() -> None:
    event = record(institution_id=1)
    _refused("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    record(institution_id=1)
    _refused("TRUNCATE audit_auditevent")
    _refused("TRUNCATE audit_auditchain")
    assert AuditEvent.objects.count() == 1


def test_chain_head_cannot_move_back_or_vanish() -> None:
    record_many(3, institution_id=1)
    _refused("UPDATE audit_auditchain SET last_seq = 2 WHERE key = 'inst:1'")
    _refused("UPDATE audit_auditchain SET pruned_seq = 2, pruned_hash = 'x' WHERE key = 'inst:1'")
    _refused("DELETE FROM audit_auditchain WHERE key = 'inst:1'")
    assert AuditChain.objects.get(key="inst:1").last_seq == 3


def test_the_prune_gate_opens_for_old_rows_only() -> None:
    with clock.travel(clock.now() - dt.timedelta(days=200)):
        old = record(institution_id=1)
    young = record(institution_id=1)
    with guard.prune_gate(before=clock.now()), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [old.pk])
        with pytest.raises(DatabaseError), transaction.atomic():
            # The database's own floor: younger than 183 days, whatever the gate says.
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [young.pk])
        with pytest.raises(DatabaseError), transaction.atomic():
            cursor.execute("UPDATE audit_auditevent SET outcome = 'failure' WHERE id = %s", [young.pk])
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [young.pk]
    # Closed again afterwards.
    with clock.travel(clock.now() - dt.timedelta(days=200)):
        another = record(institution_id=2)
    _refused("DELETE FROM audit_auditevent WHERE id = %s", [another.pk])


def test_the_prune_gate_closes_when_its_block_fails() -> None:
    with clock.travel(clock.now() - dt.timedelta(days=200)):
        old = record(institution_id=1)
    with pytest.raises(RuntimeError), guard.prune_gate(before=clock.now()):
        raise RuntimeError
    _refused("DELETE FROM audit_auditevent WHERE id = %s", [old.pk])


@override_settings(AUDIT_FLUSH_ALLOWED=False)
def test_flush_cannot_erase_the_audit_log_outside_tests() -> None:
    record(institution_id=1)
    with pytest.raises(CommandError, match="append-only"):
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 1


def test_a_missing_trigger_is_noticed_and_put_back() -> None:
    with guard_suspended():
        assert set(guard.missing_triggers(connection)) == set(guard.trigger_names(connection))
        assert guard.ensure_installed(connection)
        assert guard.missing_triggers(connection) == []
        assert not guard.ensure_installed(connection)
