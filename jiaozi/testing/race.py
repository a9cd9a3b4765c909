"""The race harness: run one piece of work in several threads released together, each
with its own database connection, and hand every result (or the exception raised) back
to the test.

SQLite's in-memory test database is shared between threads through SQLite's shared
cache, which answers "database table is locked" at once where a database on disk (or
PostgreSQL's row lock) would make the second writer wait. There, and only there, a
worker retries its whole call: the same queueing, done by hand, so the invariants a test
checks are the same on both databases.

    results = race(lambda n: application_transition(...), threads=2)
    won = [r for r in results if isinstance(r, Application)]
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import pytest
from django.db import OperationalError, connection, connections, transaction

T = TypeVar("T")

PATIENCE = 60.0  # seconds


def shared_cache_sqlite() -> bool:
    """True on the in-memory SQLite of the test run (threads share it, writers do not wait)."""
    return connection.vendor == "sqlite" and bool(connection.is_in_memory_db())  # type: ignore[attr-defined]


def retrying(call: Callable[[], T]) -> T:
    """``call()``; on the shared-cache SQLite only, again while the database answers
    "locked" (see the module docstring). Elsewhere an ``OperationalError`` propagates."""
    retry = shared_cache_sqlite()
    # A time budget, not a count of attempts: on a loaded machine a thread may lose the
    # lock hundreds of times in a row before the others are done.
    give_up = time.monotonic() + PATIENCE
    while True:
        try:
            return call()
        except OperationalError as exc:
            if not retry or "locked" not in str(exc):
                raise
            if time.monotonic() > give_up:
                raise AssertionError("writer starved: the database stayed locked") from exc
            time.sleep(random.uniform(0, 0.005))  # noqa: S311  (jitter, not security)


def atomically(change: Callable[[], T]) -> T:
    """``change()`` in its own transaction, retried as a whole like ``retrying``."""

    def run() -> T:
        with transaction.atomic():
            return change()

    return retrying(run)


def race(
    work: Callable[[int], T],
    *,
    threads: int = 2,
    retry: bool = True,
    timeout: float | None = None,
) -> list[T | BaseException]:
    """Run ``work(n)`` for n in ``range(threads)``, each in its own thread, all released
    at once by a barrier. Returns, in thread order, what each returned or the exception
    it raised. With ``retry`` each call goes through ``retrying``; pass ``retry=False``
    when the work queues or retries by itself. ``timeout`` bounds the barrier and the
    joins (a thread still running afterwards is reported as a ``TimeoutError``)."""
    barrier = threading.Barrier(threads)
    pending = TimeoutError("the thread did not finish in time")
    results: list[T | BaseException] = [pending] * threads

    def target(n: int) -> None:
        try:
            barrier.wait(timeout)
            results[n] = retrying(lambda: work(n)) if retry else work(n)
        except BaseException as exc:  # handed to the test, which asserts on it
            results[n] = exc
        finally:
            connections.close_all()

    workers = [threading.Thread(target=target, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout)
    return results


def failures(results: Sequence[object]) -> list[BaseException]:
    """The exceptions among ``race``'s results."""
    return [r for r in results if isinstance(r, BaseException)]


def returned(results: Sequence[T | BaseException]) -> list[T]:
    """The values among ``race``'s results (the calls that did not raise)."""
    return [r for r in results if not isinstance(r, BaseException)]


def require_postgresql() -> None:
    """Skip the calling test unless the database is PostgreSQL (races whose behaviour
    is PostgreSQL's: row locks, unique indexes deciding between writers)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…)")
