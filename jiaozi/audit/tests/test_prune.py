"""``audit_prune``: the only way rows leave the log — never younger than the retention
period (at least 183 days), a verified prefix of each chain at a time, recorded in the
chain head so the rest still verifies."""

from __future__ import annotations

import datetime as dt
import zlib
from io import StringIO
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditChain, AuditEvent, AuditKind
from jiaozi.audit.services import PUBLIC_SHARDS, audit_record, retention_days
from jiaozi.audit.verify import verify
from jiaozi.core import clock

from .conftest import tamper
from .factories import record, record_many

pytestmark = pytest.mark.django_db


def days_ago(days: int) -> dt.datetime:
    return clock.now() - dt.timedelta(days=days)


def prune(day: dt.date, *extra: str) -> str:
    out = StringIO()
    call_command("audit_prune", "--before", day.isoformat(), *extra, stdout=out)
    return out.getvalue()


def local_day(days: int) -> dt.date:
    return clock.local_now().date() - dt.timedelta(days=days)


@pytest.fixture
def aged_log() -> dict[str, list[AuditEvent]]:
    """inst:1: five rows 300 days old, two 100 days old, one today."""
    with clock.travel(days_ago(300)):
        old = record_many(5, institution_id=1)
    with clock.travel(days_ago(100)):
        middle = record_many(2, institution_id=1)
    new = record_many(1, institution_id=1)
    return {"old": old, "middle": middle, "new": new}


def test_refuses_a_boundary_inside_the_retention_period(aged_log: Any) -> None:
    with pytest.raises(CommandError, match="至少保留 183 天"):
        prune(local_day(150))
    assert AuditEvent.objects.count() == 8


@override_settings(AUDIT_RETENTION_DAYS=365)
def test_a_longer_retention_setting_is_honoured(aged_log: Any) -> None:
    with clock.travel(days_ago(400)):
        record_many(2, institution_id=2)
    with pytest.raises(CommandError, match="至少保留 365 天"):
        prune(local_day(200))
    assert "Pruned 2 rows in 1 chains" in prune(local_day(370))
    assert AuditChain.objects.get(key="inst:1").pruned_seq == 0


@override_settings(AUDIT_RETENTION_DAYS=30)
def test_retention_never_drops_below_six_months() -> None:
    assert retention_days() == 183
    assert any(message.id == "jiaozi_audit.E001" for message in run_checks())
    with pytest.raises(CommandError, match="至少保留 183 天"):
        prune(local_day(100))


def test_prunes_old_rows_and_the_rest_still_verifies(aged_log: dict[str, list[AuditEvent]]) -> None:
    out = prune(local_day(200))
    assert "Pruned inst:1: seq 1–5 (5 rows)" in out
    remaining = list(AuditEvent.objects.filter(chain_key="inst:1").order_by("seq"))
    assert [e.seq for e in remaining] == [6, 7, 8, 9]
    head = AuditChain.objects.get(key="inst:1")
    assert (head.pruned_seq, head.pruned_hash) == (5, aged_log["old"][-1].hash)
    assert head.pruned_at is not None
    # The prune itself is on record, at the end of the chain.
    note = remaining[-1]
    assert note.kind == AuditKind.AUDIT_PRUNED
    assert note.details["rows"] == 5
    assert verify().ok
    assert "intact" in _verify_out()


def _verify_out() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def test_pruning_twice_prunes_nothing_more(aged_log: Any) -> None:
    prune(local_day(200))
    assert "Pruned 0 rows in 0 chains" in prune(local_day(200))


def test_dry_run_deletes_nothing(aged_log: Any) -> None:
    assert "Would prune inst:1: seq 1–5 (5 rows)" in prune(local_day(200), "--dry-run")
    assert AuditEvent.objects.count() == 8
    assert AuditChain.objects.get(key="inst:1").pruned_seq == 0


def test_a_chain_pruned_to_nothing_still_verifies(db: Any) -> None:
    """A public chain (not the one the prune note goes to) loses every row."""
    note_shard = zlib.crc32(b"0") % PUBLIC_SHARDS
    applicant = next(
        User.objects.create_user(f"applicant{n}", "Jiaozi@2024", real_name="申请人")
        for n in range(PUBLIC_SHARDS * 4)
        if zlib.crc32(str(n + 1).encode()) % PUBLIC_SHARDS != note_shard
    )
    with clock.travel(days_ago(300)):
        rows = [audit_record(kind=AuditKind.LOGIN_SUCCEEDED, actor=applicant) for _ in range(3)]
    key = rows[0].chain_key
    prune(local_day(200))
    assert not AuditEvent.objects.filter(chain_key=key).exists()
    head = AuditChain.objects.get(key=key)
    assert (head.last_seq, head.pruned_seq, head.pruned_hash) == (3, 3, head.last_hash)
    assert verify().ok
    # And the chain carries on from there.
    assert audit_record(kind=AuditKind.LOGOUT, actor=applicant).seq == 4
    assert verify().ok


def test_removing_the_first_surviving_row_is_still_caught(aged_log: dict[str, list[AuditEvent]]) -> None:
    prune(local_day(200))
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [aged_log["middle"][0].pk])
    problem = verify().problems[0]
    assert (problem.chain, problem.seq) == ("inst:1", 7)
    assert "seq 6 deleted" in problem.message


def test_a_tampered_prefix_is_not_pruned(aged_log: dict[str, list[AuditEvent]]) -> None:
    tamper("UPDATE audit_auditevent SET outcome = 'denied' WHERE id = %s", [aged_log["old"][2].pk])
    with pytest.raises(CommandError, match="审计链校验失败"):
        prune(local_day(200))
    assert AuditEvent.objects.count() == 8  # the evidence stays


def test_rows_written_with_a_clock_gone_backwards_keep_the_chain_contiguous(aged_log: Any) -> None:
    """Only a prefix is pruned: an old-dated row after a young one stays."""
    with clock.travel(days_ago(400)):
        late_but_old = record(institution_id=1)
    prune(local_day(200))
    assert AuditEvent.objects.filter(pk=late_but_old.pk).exists()
    assert verify().ok
