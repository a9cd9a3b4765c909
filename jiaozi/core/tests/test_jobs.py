"""The periodic job registry, ``run_due_jobs`` and the Celery task that runs one job."""

from __future__ import annotations

import datetime as dt
import logging
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from jiaozi.core import jobs
from jiaozi.core.tasks import JobFailed, run_job

DEFAULT_JOBS = {
    "registration.notice_close_expired",
    "notifications.deliver_pending",
    "accounts.disable_inactive_staff",
    "api.idempotency_records_purge",
    "certservices.request_reminders",
    "oversight.statistics_refresh",
}


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, jobs.Job]:
    """An empty registry for the test (monkeypatch restores the real one afterwards)."""
    empty: dict[str, jobs.Job] = {}
    monkeypatch.setattr(jobs, "_REGISTRY", empty)
    return empty


def test_the_project_registers_its_periodic_jobs() -> None:
    assert {job.name for job in jobs.registered_jobs()} == DEFAULT_JOBS


def test_beat_gets_every_registered_job_at_its_interval_when_it_starts() -> None:
    from celery.signals import beat_init

    from config.celery import app

    class Beat:  # what beat passes: its service, which knows the app
        pass

    sender = Beat()
    sender.app = app  # type: ignore[attr-defined]
    previous = app.conf.beat_schedule
    try:
        app.conf.beat_schedule = {}
        beat_init.send(sender=sender)
        assert app.conf.beat_schedule == jobs.beat_schedule()
    finally:
        app.conf.beat_schedule = previous
    assert {name: entry["schedule"] for name, entry in jobs.beat_schedule().items()} == {
        "registration.notice_close_expired": 15 * 60,
        "notifications.deliver_pending": 5 * 60,
        "accounts.disable_inactive_staff": 24 * 3600,
        "api.idempotency_records_purge": 24 * 3600,
        "certservices.request_reminders": 24 * 3600,
        "oversight.statistics_refresh": 10 * 60,
    }
    assert all(entry["task"] == "jiaozi.core.tasks.run_job" for entry in jobs.beat_schedule().values())


def test_periodic_job_registers_and_returns_the_function(registry: dict[str, jobs.Job]) -> None:
    def work() -> int:
        return 3

    assert jobs.periodic_job("t.work", every=dt.timedelta(minutes=1))(work) is work
    assert registry["t.work"].func is work
    assert registry["t.work"].every == dt.timedelta(minutes=1)


def test_a_name_registered_twice_is_refused(registry: dict[str, jobs.Job]) -> None:
    jobs.periodic_job("t.same", every=dt.timedelta(minutes=1))(lambda: 1)

    with pytest.raises(ValueError, match="registered twice"):
        jobs.periodic_job("t.same", every=dt.timedelta(minutes=1))(lambda: 2)


def test_a_non_positive_interval_is_refused(registry: dict[str, jobs.Job]) -> None:
    with pytest.raises(ValueError, match="positive"):
        jobs.periodic_job("t.never", every=dt.timedelta(0))


def test_a_failing_job_does_not_stop_the_others_and_the_command_exits_non_zero(
    registry: dict[str, jobs.Job], caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    @jobs.periodic_job("a.fails", every=dt.timedelta(minutes=1))
    def fails() -> int:
        ran.append("a")
        raise RuntimeError("340104199001011234 must not be echoed")

    @jobs.periodic_job("b.works", every=dt.timedelta(minutes=1))
    def works() -> list[int]:
        ran.append("b")
        return [1, 2]

    out, err = StringIO(), StringIO()
    with (
        caplog.at_level(logging.INFO, logger="jiaozi.core.jobs"),
        pytest.raises(CommandError, match=r"a\.fails"),
    ):
        call_command("run_due_jobs", stdout=out, stderr=err)

    assert ran == ["a", "b"]
    assert "b.works：完成，处理 2 项" in out.getvalue()
    assert "a.fails：失败（RuntimeError）" in err.getvalue()
    assert "340104199001011234" not in err.getvalue() + out.getvalue()
    assert any(r.levelno == logging.ERROR and "a.fails" in r.getMessage() for r in caplog.records)


def test_the_command_runs_only_the_named_jobs(registry: dict[str, jobs.Job]) -> None:
    ran: list[str] = []
    jobs.periodic_job("a.one", every=dt.timedelta(minutes=1))(lambda: ran.append("one"))
    jobs.periodic_job("b.two", every=dt.timedelta(minutes=1))(lambda: ran.append("two"))

    call_command("run_due_jobs", "--job", "b.two", stdout=StringIO())

    assert ran == ["two"]


def test_an_unknown_job_name_is_a_command_error_and_runs_nothing(registry: dict[str, jobs.Job]) -> None:
    ran: list[str] = []
    jobs.periodic_job("a.one", every=dt.timedelta(minutes=1))(lambda: ran.append("one"))

    with pytest.raises(CommandError, match="未登记的任务"):
        call_command("run_due_jobs", "--job", "a.one", "--job", "nope", stdout=StringIO())

    assert ran == []


def test_list_shows_the_jobs_without_running_them(registry: dict[str, jobs.Job]) -> None:
    ran: list[str] = []
    jobs.periodic_job("a.one", every=dt.timedelta(minutes=5), description="第一项")(lambda: ran.append("x"))
    out = StringIO()

    call_command("run_due_jobs", "--list", stdout=out)

    assert "a.one\t0:05:00\t第一项" in out.getvalue()
    assert ran == []


def test_run_job_task_returns_the_count_and_raises_when_the_job_failed(registry: dict[str, jobs.Job]) -> None:
    jobs.periodic_job("a.ok", every=dt.timedelta(minutes=1))(lambda: 7)

    def broken() -> Any:
        raise ValueError("boom")

    jobs.periodic_job("a.broken", every=dt.timedelta(minutes=1))(broken)

    assert run_job.apply(args=("a.ok",)).get() == 7
    with pytest.raises(JobFailed, match=r"a\.broken: ValueError"):
        run_job.apply(args=("a.broken",)).get()


@pytest.mark.django_db
def test_every_project_job_runs_cleanly_when_nothing_is_due() -> None:
    out = StringIO()

    call_command("run_due_jobs", stdout=out)

    for name in DEFAULT_JOBS:
        assert f"{name}：完成，处理 0 项" in out.getvalue()


def test_every_task_is_acknowledged_late_and_retried_with_backoff() -> None:
    """docs/decisions/0275: a task a dying worker held runs again elsewhere, and a
    failure that may pass (the database restarting, a failed job) is tried again later,
    with growing, jittered delays — never at once, never forever."""
    from jiaozi.core.tasks import TRANSIENT
    from jiaozi.notifications.tasks import deliver_batch, deliver_pending
    from jiaozi.registration.completion.tasks import registration_form_render
    from jiaozi.teachers.tasks import import_job_run_task

    tasks: tuple[Any, ...] = (
        run_job,
        deliver_batch,
        deliver_pending,
        registration_form_render,
        import_job_run_task,
    )
    for task in tasks:
        assert task.acks_late, task.name
        assert set(TRANSIENT) <= set(task.autoretry_for), task.name
        assert task.retry_backoff, task.name
        assert task.retry_jitter, task.name
        assert task.max_retries == 5, task.name
