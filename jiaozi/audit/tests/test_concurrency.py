"""Concurrent writers (threads, real transactions): every chain stays gapless and
verifies. On PostgreSQL the head's row lock serialises the writers of one chain; on
SQLite the database-wide write lock does.

SQLite's in-memory test database is shared between threads through SQLite's shared
cache, which answers "database table is locked" at once where a database on disk would
wait for the busy timeout. There, and only there, a worker retries its whole
transaction (``jiaozi.testing.race.atomically``) — the same queueing, done by hand; the
invariants checked are the same."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial

import pytest

from jiaozi.audit.models import AuditChain, AuditEvent, AuditKind
from jiaozi.audit.services import AuditItem, audit_record, audit_record_many
from jiaozi.audit.verify import verify
from jiaozi.testing.race import atomically, failures, race, require_postgresql

THREADS = 6
PER_THREAD = 8


def _record(*, institution_id: int, object_id: str = "") -> None:
    audit_record(kind=AuditKind.TEACHER_UPDATED, institution_id=institution_id, object_id=object_id)


def _batch(n: int) -> None:
    audit_record_many(
        kind=AuditKind.EXPORT,
        items=[AuditItem(object_id=f"{n}-{i}", institution_id=1 + i % 2) for i in range(PER_THREAD)],
    )


def one_at_a_time(n: int) -> None:
    for i in range(PER_THREAD):
        atomically(partial(_record, institution_id=1 + i % 2, object_id=f"{n}-{i}"))


def in_batches(n: int) -> None:
    atomically(partial(_batch, n))
    one_at_a_time(n)


def assert_gapless_and_verifying(expected_rows: int) -> None:
    assert AuditEvent.objects.count() == expected_rows
    for key in ("inst:1", "inst:2"):
        seqs = list(AuditEvent.objects.filter(chain_key=key).order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1)), key
        assert AuditChain.objects.get(key=key).last_seq == len(seqs)
    result = verify()
    assert result.ok, result.problems


def _race(work: Callable[[int], None], expected_rows: int) -> None:
    errors = failures(race(work, threads=THREADS, retry=False))
    assert not errors, errors
    assert_gapless_and_verifying(expected_rows)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_postgresql() -> None:
    require_postgresql()
    _race(one_at_a_time, THREADS * PER_THREAD)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_and_single_writers_on_postgresql() -> None:
    require_postgresql()
    _race(in_batches, THREADS * PER_THREAD * 2)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_any_database() -> None:
    _race(one_at_a_time, THREADS * PER_THREAD)


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_on_any_database() -> None:
    _race(in_batches, THREADS * PER_THREAD * 2)


@pytest.mark.django_db(transaction=True)
def test_a_failed_writer_among_others_leaves_no_gap() -> None:
    def work(n: int) -> None:
        for i in range(PER_THREAD):

            def change(i: int = i) -> None:
                _record(institution_id=1, object_id=f"{n}-{i}")
                if i % 3 == 0:
                    raise _Abort  # the change fails after its audit row was written

            with contextlib.suppress(_Abort):
                atomically(change)
        atomically(partial(_record, institution_id=2))

    errors = failures(race(work, threads=THREADS, retry=False))
    assert not errors, errors
    kept = THREADS * (PER_THREAD - len(range(0, PER_THREAD, 3)))
    assert_gapless_and_verifying(kept + THREADS)


class _Abort(Exception):
    pass
