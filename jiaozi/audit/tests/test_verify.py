"""``audit_verify``: an intact log verifies; an edited row, a removed row (middle,
first or last) and a tampered head are each reported, naming the first broken row."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiaozi.audit.models import AuditEvent
from jiaozi.audit.services import canonical, compute_hash, hash_bytes
from jiaozi.audit.verify import verify

from .conftest import guard_suspended, tamper
from .factories import record_many

pytestmark = pytest.mark.django_db


def run_verify(*args: str) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out, stderr=out)
    return out.getvalue()


def broken(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run_verify(*args)
    return str(caught.value)


@pytest.fixture
def log() -> list[AuditEvent]:
    """Two chains: inst:1 with five rows, inst:2 with three."""
    rows = record_many(5, institution_id=1)
    record_many(3, institution_id=2)
    return rows


def test_intact_log_verifies(log: list[AuditEvent]) -> None:
    out = run_verify("--chunk-size", "2")
    assert "Audit log intact: 2 chains, 8 rows verified." in out


def test_empty_log_verifies(db: None) -> None:
    assert "0 chains, 0 rows" in run_verify()


def test_edited_row_is_caught(log: list[AuditEvent]) -> None:
    tamper("UPDATE audit_auditevent SET outcome = 'failure' WHERE id = %s", [log[2].pk])
    message = broken()
    assert f"chain inst:1 seq 3 (id {log[2].pk})" in message
    assert "row edited" in message


def test_edited_details_are_caught(log: list[AuditEvent]) -> None:
    tamper("UPDATE audit_auditevent SET details = %s WHERE id = %s", ['{"n": 42}', log[0].pk])
    assert f"chain inst:1 seq 1 (id {log[0].pk})" in broken()


def test_edit_rehashed_with_the_key_breaks_the_next_link(log: list[AuditEvent]) -> None:
    """Even someone holding the chain key who rewrites a row and its hash is caught by
    the next row's prev_hash."""
    event = AuditEvent.objects.get(pk=log[1].pk)
    event.outcome = "failure"
    forged = compute_hash(event)
    tamper("UPDATE audit_auditevent SET outcome = 'failure', hash = %s WHERE id = %s", [forged, event.pk])
    message = broken()
    assert f"chain inst:1 seq 3 (id {log[2].pk})" in message
    assert "prev_hash does not match seq 2" in message


def test_deleted_middle_row_is_caught(log: list[AuditEvent]) -> None:
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [log[2].pk])
    message = broken()
    assert f"chain inst:1 seq 4 (id {log[3].pk})" in message
    assert "seq 3 deleted" in message


def test_deleted_first_row_is_caught(log: list[AuditEvent]) -> None:
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [log[0].pk])
    assert "seq 1 deleted" in broken()


def test_deleted_tail_row_is_caught(log: list[AuditEvent]) -> None:
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [log[4].pk])
    message = broken()
    assert "chain inst:1 seq 5" in message
    assert "rows at the end are missing (seq 5 deleted)" in message


def test_all_rows_of_a_chain_deleted_is_caught(log: list[AuditEvent]) -> None:
    tamper("DELETE FROM audit_auditevent WHERE chain_key = 'inst:2'")
    assert "chain inst:2 seq 3: all rows are missing (seq 1–3 deleted)" in broken()


def test_head_hash_edit_is_caught(log: list[AuditEvent]) -> None:
    tamper("UPDATE audit_auditchain SET last_hash = %s WHERE key = 'inst:1'", ["0" * 64])
    assert "head hash does not match the newest row" in broken()


def test_deleted_head_is_caught(log: list[AuditEvent]) -> None:
    tamper("DELETE FROM audit_auditchain WHERE key = 'inst:2'")
    assert "chain inst:2" in broken()


def test_row_forged_without_the_key_is_caught(log: list[AuditEvent]) -> None:
    """Appending a row computed with a wrong key (and moving the head along)."""
    last = AuditEvent.objects.get(pk=log[-1].pk)
    fake = AuditEvent(**{f.attname: getattr(last, f.attname) for f in AuditEvent._meta.concrete_fields})
    fake.pk, fake.seq, fake.prev_hash = None, 6, last.hash
    fields = {
        name: getattr(fake, name)
        for name in (
            "chain_key",
            "seq",
            "kind",
            "actor_id",
            "actor_label",
            "institution_id",
            "object_type",
            "object_id",
            "outcome",
            "ip",
            "at",
            "details",
            "prev_hash",
        )
    }
    fake.hash = hashlib.sha256(canonical(**fields)).hexdigest()
    assert fake.hash != hash_bytes(canonical(**fields))
    with guard_suspended():
        fake.save(force_insert=True)
        tamper("UPDATE audit_auditchain SET last_seq = 6, last_hash = %s WHERE key = 'inst:1'", [fake.hash])
    assert f"chain inst:1 seq 6 (id {fake.pk})" in broken()


def test_every_broken_chain_is_listed_and_the_first_named(log: list[AuditEvent]) -> None:
    tamper("UPDATE audit_auditevent SET object_id = 'x' WHERE chain_key = 'inst:2' AND seq = 2")
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [log[3].pk])
    result = verify()
    assert [(p.chain, p.seq) for p in result.problems] == [("inst:1", 5), ("inst:2", 2)]
    assert "first broken row chain inst:1 seq 5" in broken()


def test_one_chain_only(log: list[AuditEvent]) -> None:
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [log[3].pk])
    assert "1 chains, 3 rows verified" in run_verify("--chain", "inst:2")
    assert "inst:1" in broken("--chain", "inst:1")


def test_missing_trigger_fails_verification(log: list[AuditEvent]) -> None:
    with guard_suspended(), pytest.raises(CommandError, match="append-only guard is incomplete"):
        run_verify()
